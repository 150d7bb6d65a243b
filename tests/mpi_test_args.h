#pragma once
// What the multi-rank golden tests share: the layout and options given on their
// command line (after GoogleTest's own), and errors reduced over all ranks.
#include <mpi.h>

#include <cstddef>
#include <string>

#include "core/config.h"

namespace paramoe::test {

// This rank's index in `comm`, and its size.
int comm_rank(MPI_Comm comm = MPI_COMM_WORLD);
int comm_size(MPI_Comm comm = MPI_COMM_WORLD);

// --mp, --ep, --esp and --rpn (ranks per node).
ParallelConfig layout_from_args();
// The value after `key`, or `fallback`.
std::string arg_or(const std::string& key, const std::string& fallback);
// sqrt(Σ(a−b)² / Σb²) with the sums over all ranks of MPI_COMM_WORLD (the same as
// gathering every rank's shard and comparing once).
double rel_err(const float* a, const float* b, size_t n);

}  // namespace paramoe::test
