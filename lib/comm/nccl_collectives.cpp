#include "comm/nccl_collectives.h"

#include <numeric>

#include "comm/agreement.h"
#include "comm/gpu_binding.h"
#include "core/error.h"
#include "core/timer.h"
#include "kernels/cuda/cuda_check.h"

#define PARAMOE_NCCL_CHECK(call)                                                             \
  do {                                                                                       \
    const ncclResult_t rc_ = (call);                                                         \
    if (rc_ != ncclSuccess)                                                                  \
      ::paramoe::cuda::throw_cuda_error(#call, __FILE__, __LINE__, ncclGetErrorString(rc_)); \
  } while (0)

namespace paramoe {

namespace {

std::vector<size_t> element_offsets(const std::vector<int>& rows, int row_len) {
  std::vector<size_t> off(rows.size() + 1, 0);
  for (size_t i = 0; i < rows.size(); ++i)
    off[i + 1] = off[i] + static_cast<size_t>(rows[i]) * static_cast<size_t>(row_len);
  return off;
}

}  // namespace

NcclCollectives::NcclCollectives(const ProcessGrid& grid) : host_(grid) {
  std::string shared;
  const bool clash = gpu_shared_within_node(grid, shared);
  agree(grid.comm(Group::World), !clash,
        "collectives = nccl needs one GPU per rank, but " + shared +
            "; use collectives = mpi (device buffers staged through pinned host memory)");
  for (int l = 0; l < 2; ++l) {
    PARAMOE_CUDA_CHECK(cudaStreamCreateWithFlags(&lane_[l], cudaStreamNonBlocking));
    PARAMOE_CUDA_CHECK(cudaEventCreateWithFlags(&done_[l], cudaEventDisableTiming));
  }
  PARAMOE_CUDA_CHECK(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming));
}

NcclCollectives::~NcclCollectives() {
  // Teardown errors are not actionable (and a destructor must not throw).
  for (auto& [g, c] : comms_) ncclCommDestroy(c);
  for (int l = 0; l < 2; ++l) {
    if (lane_[l]) cudaStreamDestroy(lane_[l]);
    if (done_[l]) cudaEventDestroy(done_[l]);
  }
  if (ready_) cudaEventDestroy(ready_);
  for (auto& [h, e] : pending_) cudaEventDestroy(e);
  for (cudaEvent_t e : spare_events_) cudaEventDestroy(e);
}

// Made on first use: every member of a group reaches its first collective on it at
// the same step (the schedule is the same on all of them), so the blocking init
// pairs up, and a layer makes only the communicators its schedule uses.
ncclComm_t NcclCollectives::comm(Group g) {
  auto it = comms_.find(g);
  if (it != comms_.end()) return it->second;
  const ProcessGrid& grid = host_.grid();
  ncclUniqueId id;
  if (grid.rank(g) == 0) PARAMOE_NCCL_CHECK(ncclGetUniqueId(&id));
  MPI_CHECK(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, grid.comm(g)));
  ncclComm_t c = nullptr;
  PARAMOE_NCCL_CHECK(ncclCommInitRank(&c, grid.size(g), id, grid.rank(g)));
  comms_[g] = c;
  return c;
}

cudaStream_t NcclCollectives::begin(Group g) {
  cudaStream_t s = lane_[intra_lane(g) ? 0 : 1];
  PARAMOE_CUDA_CHECK(cudaEventRecord(ready_, nullptr));
  PARAMOE_CUDA_CHECK(cudaStreamWaitEvent(s, ready_, 0));
  return s;
}

void NcclCollectives::end(Group g) {
  const int l = intra_lane(g) ? 0 : 1;
  PARAMOE_CUDA_CHECK(cudaEventRecord(done_[l], lane_[l]));
  PARAMOE_CUDA_CHECK(cudaStreamWaitEvent(nullptr, done_[l], 0));
}

void NcclCollectives::alltoall_int(Group g, const int* send, int per_peer, int* recv) {
  host_.alltoall_int(g, send, per_peer, recv);
}

void NcclCollectives::allgather_int(Group g, const int* send, int count, int* recv) {
  host_.allgather_int(g, send, count, recv);
}

void NcclCollectives::allreduce_sum_int(Group g, int* buf, int count) {
  host_.allreduce_sum_int(g, buf, count);
}

void NcclCollectives::exscan_sum_int(Group g, const int* send, int* recv, int count) {
  host_.exscan_sum_int(g, send, recv, count);
}

void NcclCollectives::allreduce_sum(Group g, double* buf, size_t count) {
  host_.allreduce_sum(g, buf, count);
}

void NcclCollectives::allreduce_max(Group g, double* buf, size_t count) {
  host_.allreduce_max(g, buf, count);
}

void NcclCollectives::enqueue_alltoallv(Group g, cudaStream_t s, const float* send,
                                        const std::vector<int>& send_rows, float* recv,
                                        const std::vector<int>& recv_rows, int row_len) {
  const auto so = element_offsets(send_rows, row_len), ro = element_offsets(recv_rows, row_len);
  ncclComm_t c = comm(g);
  PARAMOE_NCCL_CHECK(ncclGroupStart());
  for (size_t q = 0; q < send_rows.size(); ++q) {
    const int peer = static_cast<int>(q);
    if (so[q + 1] > so[q])
      PARAMOE_NCCL_CHECK(ncclSend(send + so[q], so[q + 1] - so[q], ncclFloat, peer, c, s));
    if (ro[q + 1] > ro[q])
      PARAMOE_NCCL_CHECK(ncclRecv(recv + ro[q], ro[q + 1] - ro[q], ncclFloat, peer, c, s));
  }
  PARAMOE_NCCL_CHECK(ncclGroupEnd());
}

// One NCCL group with a rooted call per non-empty block: root q owns block q
// (`offset` and `count` in floats).
template <class Call>
void NcclCollectives::per_block(Group g, cudaStream_t s, const std::vector<int>& rows, int row_len,
                                Call&& call) {
  const auto off = element_offsets(rows, row_len);
  ncclComm_t c = comm(g);
  PARAMOE_NCCL_CHECK(ncclGroupStart());
  for (size_t q = 0; q < rows.size(); ++q)
    if (off[q + 1] > off[q])
      PARAMOE_NCCL_CHECK(call(static_cast<int>(q), off[q], off[q + 1] - off[q], c, s));
  PARAMOE_NCCL_CHECK(ncclGroupEnd());
}

// NCCL has no all-gather with unequal blocks: one broadcast per peer, grouped.
void NcclCollectives::enqueue_allgatherv(Group g, cudaStream_t s, const float* send, float* recv,
                                         const std::vector<int>& rows, int row_len) {
  per_block(g, s, rows, row_len,
            [&](int q, size_t offset, size_t count, ncclComm_t c, cudaStream_t st) {
              return ncclBroadcast(send, recv + offset, count, ncclFloat, q, c, st);
            });
}

// Nor a reduce-scatter with unequal blocks: one reduce per block to its owner.
void NcclCollectives::enqueue_reduce_scatterv(Group g, cudaStream_t s, const float* send,
                                              float* recv, const std::vector<int>& rows,
                                              int row_len) {
  per_block(g, s, rows, row_len,
            [&](int q, size_t offset, size_t count, ncclComm_t c, cudaStream_t st) {
              return ncclReduce(send + offset, recv, count, ncclFloat, ncclSum, q, c, st);
            });
}

void NcclCollectives::alltoallv_rows(Group g, const float* send, const std::vector<int>& send_rows,
                                     float* recv, const std::vector<int>& recv_rows, int row_len) {
  enqueue_alltoallv(g, begin(g), send, send_rows, recv, recv_rows, row_len);
  end(g);
}

void NcclCollectives::allgatherv_rows(Group g, const float* send, float* recv,
                                      const std::vector<int>& rows, int row_len) {
  enqueue_allgatherv(g, begin(g), send, recv, rows, row_len);
  end(g);
}

void NcclCollectives::reduce_scatterv_rows(Group g, const float* send, float* recv,
                                           const std::vector<int>& rows, int row_len) {
  enqueue_reduce_scatterv(g, begin(g), send, recv, rows, row_len);
  end(g);
}

NcclCollectives::Handle NcclCollectives::started(Group g) {
  // Events are reused: s2 starts several collectives per chunk and step.
  cudaEvent_t e = nullptr;
  if (spare_events_.empty()) {
    PARAMOE_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  } else {
    e = spare_events_.back();
    spare_events_.pop_back();
  }
  PARAMOE_CUDA_CHECK(cudaEventRecord(e, lane_[intra_lane(g) ? 0 : 1]));
  const Handle h = next_handle_++;
  pending_[h] = e;
  return h;
}

NcclCollectives::Handle NcclCollectives::start_alltoallv_rows(Group g, const float* send,
                                                              const std::vector<int>& send_rows,
                                                              float* recv,
                                                              const std::vector<int>& recv_rows,
                                                              int row_len) {
  enqueue_alltoallv(g, begin(g), send, send_rows, recv, recv_rows, row_len);
  return started(g);
}

NcclCollectives::Handle NcclCollectives::start_allgatherv_rows(Group g, const float* send,
                                                               float* recv,
                                                               const std::vector<int>& rows,
                                                               int row_len) {
  enqueue_allgatherv(g, begin(g), send, recv, rows, row_len);
  return started(g);
}

NcclCollectives::Handle NcclCollectives::start_reduce_scatterv_rows(Group g, const float* send,
                                                                    float* recv,
                                                                    const std::vector<int>& rows,
                                                                    int row_len) {
  enqueue_reduce_scatterv(g, begin(g), send, recv, rows, row_len);
  return started(g);
}

double NcclCollectives::wait(Handle h) {
  auto it = pending_.find(h);
  if (it == pending_.end()) throw Error("wait on a collective that was not started");
  PARAMOE_CUDA_CHECK(cudaStreamWaitEvent(nullptr, it->second, 0));
  // Recording it again later is safe: this wait has already captured its state.
  spare_events_.push_back(it->second);
  pending_.erase(it);
  return now_seconds();  // the stream waits; the host does not learn when it completed
}

void NcclCollectives::allreduce_sum(Group g, float* buf, size_t count) {
  if (count == 0) return;
  cudaStream_t s = begin(g);
  PARAMOE_NCCL_CHECK(ncclAllReduce(buf, buf, count, ncclFloat, ncclSum, comm(g), s));
  end(g);
}

}  // namespace paramoe
