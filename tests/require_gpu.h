#pragma once
// REQUIRE_GPU(): in the CUDA builds of the multi-rank tests (PARAMOE_TEST_CUDA),
// skips the test on every rank alike, printing "no GPU: " and the reason, when
// any rank finds no device; CTest's SKIP_REGULAR_EXPRESSION reports the skip. A
// no-op in the CPU builds.
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>

#ifdef PARAMOE_TEST_CUDA
#include "device/cuda_device_info.h"

#define REQUIRE_GPU()                                                      \
  do {                                                                     \
    std::string why_;                                                      \
    int n_ = ::paramoe::cuda::device_count(why_);                          \
    MPI_Allreduce(MPI_IN_PLACE, &n_, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD); \
    if (n_ == 0) GTEST_SKIP() << "no GPU: " << why_;                       \
  } while (0)
#else
#define REQUIRE_GPU() \
  do {                \
  } while (0)
#endif
