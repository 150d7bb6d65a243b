#pragma once
// The per-dataset checksum. It must be computable from any partition of a tensor
// over ranks (each writer only holds its hyperslab, and a reader under another
// layout holds a different one), so it is a sum over elements of a hash of
// (global element index, value bits), modulo 2^64:
//
//   mix64sum(x) = Σ_i splitmix64((i · 0x9E3779B97F4A7C15) ^ bits(x_i))  mod 2^64
//
// Partial sums over disjoint slabs add up to the whole. Both maps are bijections,
// so changing any one element always changes its term and the sum; swapped or
// shifted elements change their index terms. One splitmix per element keeps it
// well above disk bandwidth (perf/bench_checksum). tests/ckpt/check_with_pytorch.py
// has the same formula in NumPy, so a file can be verified outside paramoe.
#include <cstdint>
#include <string>
#include <vector>

namespace paramoe {

inline constexpr const char* kChecksumAlgorithm = "mix64sum-v1";

// FNV-1a, 64-bit, over bytes: the checksum of a checkpoint's root attributes
// (checkpoint_meta_text), which a few lines of Python recompute as well.
uint64_t fnv1a64(const std::string& bytes);

uint64_t checksum_slab(const float* data, const std::vector<int64_t>& global_shape,
                       const std::vector<int64_t>& offset, const std::vector<int64_t>& shape,
                       const std::vector<int64_t>& dim0 = {});

}  // namespace paramoe
