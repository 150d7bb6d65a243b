#pragma once
// The MPI backend for device buffers, for ranks that share a GPU (which NCCL
// rejects) and for MPI builds that are not CUDA-aware: row payloads and float
// reductions are device pointers, copied through pinned host memory around the
// MpiCollectives call. The integer and double exchanges stay on the host, as in
// NcclCollectives. The copies are synchronous on the legacy default stream, so
// they follow the kernels that wrote the rows.
#include "comm/collectives.h"
#include "comm/mpi_collectives.h"
#include "core/timer.h"
#include "device/pinned_buffer.h"

namespace paramoe {

class StagedMpiCollectives final : public Collectives {
 public:
  explicit StagedMpiCollectives(const ProcessGrid& grid) : host_(grid) {}

  MpiCollectives& host() { return host_; }  // e.g. to choose moe.a2a
  const ProcessGrid& grid() const override { return host_.grid(); }
  void alltoall_int(Group g, const int* send, int per_peer, int* recv) override {
    host_.alltoall_int(g, send, per_peer, recv);
  }
  void allgather_int(Group g, const int* send, int count, int* recv) override {
    host_.allgather_int(g, send, count, recv);
  }
  void allreduce_sum_int(Group g, int* buf, int count) override {
    host_.allreduce_sum_int(g, buf, count);
  }
  void exscan_sum_int(Group g, const int* send, int* recv, int count) override {
    host_.exscan_sum_int(g, send, recv, count);
  }
  void alltoallv_rows(Group g, const float* send, const std::vector<int>& send_rows, float* recv,
                      const std::vector<int>& recv_rows, int row_len) override;
  void allgatherv_rows(Group g, const float* send, float* recv, const std::vector<int>& rows,
                       int row_len) override;
  void reduce_scatterv_rows(Group g, const float* send, float* recv, const std::vector<int>& rows,
                            int row_len) override;
  void allreduce_sum(Group g, float* buf, size_t count) override;
  void allreduce_sum(Group g, double* buf, size_t count) override {
    host_.allreduce_sum(g, buf, count);
  }
  void allreduce_max(Group g, double* buf, size_t count) override {
    host_.allreduce_max(g, buf, count);
  }
  // Staging copies are synchronous, so these run to completion at once: correct,
  // without overlap.
  Handle start_alltoallv_rows(Group g, const float* send, const std::vector<int>& send_rows,
                              float* recv, const std::vector<int>& recv_rows,
                              int row_len) override {
    alltoallv_rows(g, send, send_rows, recv, recv_rows, row_len);
    return 0;
  }
  Handle start_allgatherv_rows(Group g, const float* send, float* recv,
                               const std::vector<int>& rows, int row_len) override {
    allgatherv_rows(g, send, recv, rows, row_len);
    return 0;
  }
  Handle start_reduce_scatterv_rows(Group g, const float* send, float* recv,
                                    const std::vector<int>& rows, int row_len) override {
    reduce_scatterv_rows(g, send, recv, rows, row_len);
    return 0;
  }
  double wait(Handle) override { return now_seconds(); }  // done when started

 private:
  float* to_host(const float* device, size_t n);  // into send_
  void to_device(size_t n, float* device);        // from recv_

  MpiCollectives host_;
  cuda::PinnedBuffer<float> send_, recv_;
};

}  // namespace paramoe
