#pragma once
// One rank's piece of a logical tensor, as the checkpoint reads and writes it.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/param.h"

namespace paramoe {

struct TensorSlab {
  std::string name;  // dataset path in the file, e.g. "params/layers/0/moe/w1"
  std::vector<int64_t> global_shape, offset, shape;
  std::vector<int64_t> dim0;  // if set: dimension-0 indices held (core/slab.h)
  float* data = nullptr;      // shape_numel(shape) floats, packed row-major
};

// A slab over `data` shaped like parameter p, stored under prefix + p.name.
TensorSlab slab_like(const Param& p, const std::string& prefix, float* data);

// For each slab: is this rank the one that writes it? Several ranks can hold the
// same hyperslab (replicas over dp or edp, or the gate on every MP rank); the
// lowest such rank owns it. Also checks that the distinct slabs of each tensor
// tile its global shape exactly, which makes the owners' partial checksums add
// up to the whole tensor's. Collective over comm.
std::vector<char> slab_owners(MPI_Comm comm, const std::vector<TensorSlab>& slabs);

// The checksum (checksum.h) of every whole tensor, on every rank: each owner sums
// its slab and the partial sums are added over comm. Collective over comm.
std::vector<uint64_t> tensor_checksums(MPI_Comm comm, const std::vector<TensorSlab>& slabs);

}  // namespace paramoe
