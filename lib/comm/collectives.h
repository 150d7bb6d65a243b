#pragma once
// The collective interface the MoE executor talks to. Payloads are rows of
// `row_len` floats, and variable collectives take per-peer row counts ordered by
// the peer's rank in the group. The MPI backend is the CPU reference; an NCCL
// backend implements the same interface on GPU.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "comm/process_grid.h"

namespace paramoe {

class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual const ProcessGrid& grid() const = 0;

  // Fixed-size integer exchanges for counts.
  virtual void alltoall_int(Group g, const int* send, int per_peer, int* recv) = 0;
  virtual void allgather_int(Group g, const int* send, int count, int* recv) = 0;
  virtual void allreduce_sum_int(Group g, int* buf, int count) = 0;
  // recv = Σ of send over lower ranks of the group (zeros on rank 0).
  virtual void exscan_sum_int(Group g, const int* send, int* recv, int count) = 0;

  virtual void alltoallv_rows(Group g, const float* send, const std::vector<int>& send_rows,
                              float* recv, const std::vector<int>& recv_rows, int row_len) = 0;
  // recv holds Σ rows, peer q's block at the prefix of rows[0..q).
  virtual void allgatherv_rows(Group g, const float* send, float* recv,
                               const std::vector<int>& rows, int row_len) = 0;
  // Sums `send` (Σ rows, blocks in peer order) over the group; this rank gets its block.
  virtual void reduce_scatterv_rows(Group g, const float* send, float* recv,
                                    const std::vector<int>& rows, int row_len) = 0;
  virtual void allreduce_sum(Group g, float* buf, size_t count) = 0;
  virtual void allreduce_sum(Group g, double* buf, size_t count) = 0;
  virtual void allreduce_max(Group g, double* buf, size_t count) = 0;

  // Nonblocking row collectives, for pipelines (s2) that keep an inter-node and an
  // intra-node collective in flight at once. The buffers must stay untouched until
  // wait(h); the count vectors are copied. wait(h) drives every outstanding
  // collective of the backend (MPI progresses nonblocking collectives only inside
  // MPI calls) and returns when h is done. Every rank of a group starts its
  // collectives in the same order. The all-to-all is the native one.
  using Handle = int;
  virtual Handle start_alltoallv_rows(Group g, const float* send, const std::vector<int>& send_rows,
                                      float* recv, const std::vector<int>& recv_rows,
                                      int row_len) = 0;
  virtual Handle start_allgatherv_rows(Group g, const float* send, float* recv,
                                       const std::vector<int>& rows, int row_len) = 0;
  virtual Handle start_reduce_scatterv_rows(Group g, const float* send, float* recv,
                                            const std::vector<int>& rows, int row_len) = 0;
  // Returns when h completed (steady-clock seconds, core/timer.h) as far as this
  // backend can tell: MPI records the first poll that found it done, so a
  // collective that completed while compute drove progress() dates from then, not
  // from this call; backends that complete on a device stream return the call's time.
  virtual double wait(Handle h) = 0;
  // Drives every outstanding collective a little without waiting, for compute that
  // runs while they are in flight (the shared experts between row blocks). A no-op
  // where collectives progress on their own (NCCL streams, staged copies).
  virtual void progress() {}
};

}  // namespace paramoe
