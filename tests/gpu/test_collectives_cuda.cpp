// The device collectives (NcclCollectives, StagedMpiCollectives; --coll nccl|mpi)
// against the host MpiCollectives on the same inputs: alltoallv, allgatherv and
// reduce-scatterv of rows with random counts, including zero-row peers and empty
// calls, and a float all-reduce. Outputs are poisoned before each call. Moves must
// be bit-exact; sums are compared to 1e-6 relative, because NCCL may add in another
// order than MPI. Under mpiexec; skips, saying why, without a GPU.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "comm/gpu_binding.h"
#include "comm/mpi_collectives.h"
#include "comm/nccl_collectives.h"
#include "comm/staged_mpi_collectives.h"
#include "device/cuda_device_info.h"
#include "kernels/cuda/device_buffer.h"
#include "tests/mpi_test_args.h"

namespace paramoe::test {
namespace {

using F = cuda::DeviceBuffer<float>;
constexpr int kRowLen = 5;

std::string coll_kind() {
  return arg_or("--coll", "nccl");
}

// The same draw on every rank: the full count matrix, as after a counts exchange.
std::vector<int> counts(int n, uint32_t seed, bool with_zeros) {
  std::mt19937 g(seed);
  std::uniform_int_distribution<int> d(0, 40);
  std::vector<int> c(static_cast<size_t>(n) * n);
  for (auto& x : c) x = d(g);
  if (with_zeros)
    for (int j = 0; j < n; ++j) c[j] = 0;  // rank 0 sends nothing
  return c;
}

std::vector<float> random_rows(size_t rows, std::mt19937& g) {
  std::normal_distribution<float> d;
  std::vector<float> v(rows * kRowLen);
  for (auto& x : v) x = d(g);
  return v;
}

size_t total(const std::vector<int>& rows) {
  return std::accumulate(rows.begin(), rows.end(), size_t{0});
}

class DeviceCollectives : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    int n = cuda::device_count(why);
    MPI_Allreduce(MPI_IN_PLACE, &n, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (n == 0) GTEST_SKIP() << "no GPU: " << why;
    MoeConfig moe;
    ParallelConfig par;
    MPI_Comm_size(MPI_COMM_WORLD, &par.ep);
    moe.num_experts = 8 * par.ep;
    grid_ = std::make_unique<ProcessGrid>(ProcessGrid::create(MPI_COMM_WORLD, par, moe));
    gpu_bind(*grid_);
    host_ = std::make_unique<MpiCollectives>(*grid_);
    if (coll_kind() == "nccl")
      dev_ = std::make_unique<NcclCollectives>(*grid_);
    else
      dev_ = std::make_unique<StagedMpiCollectives>(*grid_);
    me_ = grid_->rank(Group::Ep);
    n_ = grid_->size(Group::Ep);
    rng_.seed(1234 + me_);
  }

  // Runs the device collective on uploaded `send` into a poisoned `recv_n` floats.
  template <class Call>
  std::vector<float> on_device(const std::vector<float>& send, size_t recv_n, Call&& call) {
    F s(send), r(recv_n);
    r.poison();
    call(s.data(), r.data());
    return r.download();
  }

  std::unique_ptr<ProcessGrid> grid_;
  std::unique_ptr<MpiCollectives> host_;
  std::unique_ptr<Collectives> dev_;
  int me_ = 0, n_ = 1;
  std::mt19937 rng_;
};

TEST_F(DeviceCollectives, AlltoallvMovesTheSameRows) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    for (bool zeros : {false, true}) {
      const std::vector<int> c = counts(n_, seed, zeros);
      std::vector<int> send_rows(n_), recv_rows(n_);
      for (int q = 0; q < n_; ++q) {
        send_rows[q] = c[me_ * n_ + q];
        recv_rows[q] = c[q * n_ + me_];
      }
      const auto send = random_rows(total(send_rows), rng_);
      std::vector<float> want(total(recv_rows) * kRowLen);
      host_->alltoallv_rows(Group::Ep, send.data(), send_rows, want.data(), recv_rows, kRowLen);
      const auto got = on_device(send, want.size(), [&](const float* s, float* r) {
        dev_->alltoallv_rows(Group::Ep, s, send_rows, r, recv_rows, kRowLen);
      });
      EXPECT_EQ(got, want) << "seed " << seed << (zeros ? " with a silent rank" : "");
    }
  }
}

TEST_F(DeviceCollectives, AllgathervMovesTheSameRows) {
  for (bool zeros : {false, true}) {
    std::vector<int> rows(n_);
    std::mt19937 g(7);  // the same block sizes on every rank
    for (auto& r : rows) r = std::uniform_int_distribution<int>(0, 30)(g);
    if (zeros) rows[0] = 0;
    const auto send = random_rows(rows[me_], rng_);
    std::vector<float> want(total(rows) * kRowLen);
    host_->allgatherv_rows(Group::Ep, send.data(), want.data(), rows, kRowLen);
    const auto got = on_device(send, want.size(), [&](const float* s, float* r) {
      dev_->allgatherv_rows(Group::Ep, s, r, rows, kRowLen);
    });
    EXPECT_EQ(got, want) << (zeros ? "with an empty block" : "");
  }
}

void expect_near_rel(const std::vector<float>& got, const std::vector<float>& want,
                     const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-6 * std::max(1.0f, std::abs(want[i])))
        << what << "[" << i << "]";
}

TEST_F(DeviceCollectives, ReduceScattervSumsTheSameBlocks) {
  for (bool zeros : {false, true}) {
    std::vector<int> rows(n_);
    std::mt19937 g(11);  // the same block sizes on every rank
    for (auto& r : rows) r = std::uniform_int_distribution<int>(0, 30)(g);
    if (zeros) rows[n_ - 1] = 0;
    const auto send = random_rows(total(rows), rng_);
    std::vector<float> want(static_cast<size_t>(rows[me_]) * kRowLen);
    host_->reduce_scatterv_rows(Group::Ep, send.data(), want.data(), rows, kRowLen);
    const auto got = on_device(send, want.size(), [&](const float* s, float* r) {
      dev_->reduce_scatterv_rows(Group::Ep, s, r, rows, kRowLen);
    });
    expect_near_rel(got, want, "reduce_scatterv");
  }
}

TEST_F(DeviceCollectives, AllreduceSumsTheSameValues) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100003}}) {
    std::vector<float> want(n);
    std::normal_distribution<float> d;
    for (auto& x : want) x = d(rng_);
    F buf(want);
    host_->allreduce_sum(Group::Ep, want.data(), n);
    dev_->allreduce_sum(Group::Ep, buf.data(), n);
    expect_near_rel(buf.download(), want, "allreduce");
  }
}

}  // namespace
}  // namespace paramoe::test
