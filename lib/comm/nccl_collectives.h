#pragma once
// The Collectives interface on NCCL: row payloads and float reductions are device
// pointers; the small integer and double exchanges (counts, loss statistics) stay
// on the host over MPI, because the host needs them anyway (collective sizes,
// GEMM shapes, logged losses).
//
// One NCCL communicator per group of the process grid that the schedule uses, made
// from the group's MPI communicator (unique id broadcast over it) on first use. Two lanes, each its
// own non-blocking stream: intra-node groups (MP, ESP, node) on one, inter-node groups (EP, DP,
// EDP, world) on the other. A collective waits on an event recorded on the compute stream (the
// legacy default stream the kernels use), runs on its lane, and the compute stream waits on the
// lane's event after it: kernels and collectives stay ordered, and collectives of the two lanes may
// overlap each other (s2).
//
// The all-to-all is NCCL's grouped send/recv (moe.a2a = native). NCCL rejects two
// ranks on one GPU: the constructor says so on every rank, naming them.
#include <cuda_runtime.h>
#include <nccl.h>

#include <map>

#include "comm/collectives.h"
#include "comm/mpi_collectives.h"

namespace paramoe {

class NcclCollectives final : public Collectives {
 public:
  // Collective over the grid's world; the rank's GPU must already be selected
  // (gpu_bind).
  explicit NcclCollectives(const ProcessGrid& grid);
  ~NcclCollectives() override;
  NcclCollectives(const NcclCollectives&) = delete;
  NcclCollectives& operator=(const NcclCollectives&) = delete;

  const ProcessGrid& grid() const override { return host_.grid(); }
  void alltoall_int(Group g, const int* send, int per_peer, int* recv) override;
  void allgather_int(Group g, const int* send, int count, int* recv) override;
  void allreduce_sum_int(Group g, int* buf, int count) override;
  void exscan_sum_int(Group g, const int* send, int* recv, int count) override;
  void alltoallv_rows(Group g, const float* send, const std::vector<int>& send_rows, float* recv,
                      const std::vector<int>& recv_rows, int row_len) override;
  void allgatherv_rows(Group g, const float* send, float* recv, const std::vector<int>& rows,
                       int row_len) override;
  void reduce_scatterv_rows(Group g, const float* send, float* recv, const std::vector<int>& rows,
                            int row_len) override;
  void allreduce_sum(Group g, float* buf, size_t count) override;
  void allreduce_sum(Group g, double* buf, size_t count) override;
  void allreduce_max(Group g, double* buf, size_t count) override;
  Handle start_alltoallv_rows(Group g, const float* send, const std::vector<int>& send_rows,
                              float* recv, const std::vector<int>& recv_rows, int row_len) override;
  Handle start_allgatherv_rows(Group g, const float* send, float* recv,
                               const std::vector<int>& rows, int row_len) override;
  Handle start_reduce_scatterv_rows(Group g, const float* send, float* recv,
                                    const std::vector<int>& rows, int row_len) override;
  // The compute stream waits for h's lane event: the host does not block.
  double wait(Handle h) override;

  static bool intra_lane(Group g) { return g == Group::Mp || g == Group::Esp || g == Group::Node; }

 private:
  ncclComm_t comm(Group g);
  // Enqueue one collective on stream s (the group's lane).
  void enqueue_alltoallv(Group g, cudaStream_t s, const float* send,
                         const std::vector<int>& send_rows, float* recv,
                         const std::vector<int>& recv_rows, int row_len);
  template <class Call>
  void per_block(Group g, cudaStream_t s, const std::vector<int>& rows, int row_len, Call&& call);
  void enqueue_allgatherv(Group g, cudaStream_t s, const float* send, float* recv,
                          const std::vector<int>& rows, int row_len);
  void enqueue_reduce_scatterv(Group g, cudaStream_t s, const float* send, float* recv,
                               const std::vector<int>& rows, int row_len);
  // Orders the group's lane after the compute stream and returns the lane.
  cudaStream_t begin(Group g);
  // Orders the compute stream after the lane.
  void end(Group g);
  // Records an event on g's lane for a started collective.
  Handle started(Group g);

  MpiCollectives host_;
  std::map<Group, ncclComm_t> comms_;
  cudaStream_t lane_[2] = {nullptr, nullptr};  // 0: intra, 1: inter
  cudaEvent_t ready_ = nullptr, done_[2] = {nullptr, nullptr};
  std::map<Handle, cudaEvent_t> pending_;
  std::vector<cudaEvent_t> spare_events_;
  Handle next_handle_ = 0;
};

}  // namespace paramoe
