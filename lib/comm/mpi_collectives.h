#pragma once
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "comm/alltoallv_2dh.h"
#include "comm/alltoallv_methods.h"
#include "comm/collectives.h"

namespace paramoe {

class MpiCollectives final : public Collectives {
 public:
  explicit MpiCollectives(const ProcessGrid& grid) : grid_(grid) {}
  ~MpiCollectives() override;
  MpiCollectives(const MpiCollectives&) = delete;
  MpiCollectives& operator=(const MpiCollectives&) = delete;

  const ProcessGrid& grid() const override { return grid_; }
  // How alltoallv_rows runs (moe.a2a, moe.a2a_order); native by default.
  // `model` prices the methods for A2aMethod::Auto.
  void set_alltoall(A2aMethod method, OrderAlgorithm order, const A2aLinkModel& model = {}) {
    a2a_method_ = method;
    a2a_order_ = order;
    a2a_model_ = model;
  }
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
  double wait(Handle h) override;
  void progress() override;
  // moe.progress = "thread": from now on a thread of this rank's own polls the
  // started collectives every `interval_us` (MPI_THREAD_MULTIPLE), so their bytes
  // move while the compute runs without calling progress(), and wait() sleeps
  // until the thread finds its collective complete instead of polling.
  void start_progress_thread(int interval_us);

 private:
  // A started collective; MPI reads its count arrays until it completes.
  struct Pending {
    std::vector<MPI_Request> requests;  // done when all of them are
    std::vector<int> counts[4];
    std::vector<float> staging;    // the reduce-scatter's blocks from its peers
    std::function<void()> finish;  // runs once, when every request completed
    bool done = false;
    double done_at = 0;          // when a poll first found it complete
    Group group = Group::World;  // for the watchdog
    double bytes = 0.0;
  };
  Handle add(Pending p);
  // MPI_Testall on every unfinished collective, mu_ held; true if one completed.
  bool poll_locked();
  void progress_thread_main(int interval_us);
  Handle add_done();  // a collective already complete (a one-rank copy)
  // Counts travel in rows of a contiguous datatype, so that large rows × D stay
  // within MPI's int counts.
  MPI_Datatype row_type(int row_len);
  // The group split by node for 2DH, made on the group's first all-to-all under
  // 2dh or auto (a collective every member reaches there alike).
  const TwoLevelComm* levels(Group g);
  const ProcessGrid& grid_;
  std::map<int, MPI_Datatype> row_types_;
  std::map<Group, std::unique_ptr<TwoLevelComm>> levels_;
  std::map<Handle, Pending> pending_;
  Handle next_handle_ = 0;
  A2aMethod a2a_method_ = A2aMethod::Native;
  OrderAlgorithm a2a_order_ = OrderAlgorithm::Greedy;
  A2aLinkModel a2a_model_;
  // The progress thread and the rank's own thread share pending_ under mu_.
  std::mutex mu_;
  std::condition_variable changed_;  // a collective started or completed
  std::thread progress_thread_;
  bool stop_ = false;
  std::exception_ptr thread_error_;  // an MPI error on the progress thread
};

}  // namespace paramoe
