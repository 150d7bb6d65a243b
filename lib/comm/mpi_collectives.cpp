#include "comm/mpi_collectives.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>

#include "comm/watchdog.h"
#include "core/error.h"
#include "core/timer.h"

namespace paramoe {

namespace {
// The pairwise reduce-scatter's point-to-point messages (alltoallv_methods uses 0x2a2a).
constexpr int kReduceScatterTag = 0x2b2b;

int checked_int(size_t n) {
  if (n > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw Error("collective payload of " + std::to_string(n) + " elements exceeds MPI's int count");
  return static_cast<int>(n);
}

// Reductions run on floats (MPI_SUM is defined on predefined types), so their
// element counts are rows × row_len.
std::vector<int> scaled(const std::vector<int>& rows, int row_len) {
  std::vector<int> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    out[i] = checked_int(static_cast<size_t>(rows[i]) * static_cast<size_t>(row_len));
  return out;
}
double rows_bytes(const std::vector<int>& rows, int row_len) {
  double n = 0.0;
  for (int r : rows) n += r;
  return n * row_len * sizeof(float);
}

// A group of one rank: every row collective is a copy of its own rows. MPI's
// generic paths for one rank (temporary buffers, a reduction pass) cost several
// times a copy, which at mp = esp = 1 made s1 measurably slower than replicated.
bool alone_copy(int group_size, const float* send, float* recv, size_t rows, int row_len) {
  if (group_size != 1) return false;
  if (send != recv && rows > 0) std::memcpy(recv, send, rows * row_len * sizeof(float));
  return true;
}
}  // namespace

MpiCollectives::Handle MpiCollectives::add_done() {
  Pending p;
  p.done = true;
  p.done_at = now_seconds();
  return add(std::move(p));
}

MpiCollectives::~MpiCollectives() {
  if (progress_thread_.joinable()) {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    changed_.notify_all();
    progress_thread_.join();
  }
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  for (auto& [len, t] : row_types_) MPI_Type_free(&t);
}

MPI_Datatype MpiCollectives::row_type(int row_len) {
  auto it = row_types_.find(row_len);
  if (it != row_types_.end()) return it->second;
  MPI_Datatype t;
  MPI_CHECK(MPI_Type_contiguous(row_len, MPI_FLOAT, &t));
  MPI_CHECK(MPI_Type_commit(&t));
  row_types_[row_len] = t;
  return t;
}

void MpiCollectives::alltoall_int(Group g, const int* send, int per_peer, int* recv) {
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Alltoall",
                                   4.0 * per_peer * grid_.size(g));
  MPI_CHECK(MPI_Alltoall(send, per_peer, MPI_INT, recv, per_peer, MPI_INT, grid_.comm(g)));
}

void MpiCollectives::allgather_int(Group g, const int* send, int count, int* recv) {
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Allgather", 4.0 * count * grid_.size(g));
  MPI_CHECK(MPI_Allgather(send, count, MPI_INT, recv, count, MPI_INT, grid_.comm(g)));
}

void MpiCollectives::allreduce_sum_int(Group g, int* buf, int count) {
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Allreduce", 4.0 * count);
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_INT, MPI_SUM, grid_.comm(g)));
}

void MpiCollectives::exscan_sum_int(Group g, const int* send, int* recv, int count) {
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Exscan", 4.0 * count);
  MPI_CHECK(MPI_Exscan(send, recv, count, MPI_INT, MPI_SUM, grid_.comm(g)));
  if (grid_.rank(g) == 0) std::fill(recv, recv + count, 0);  // MPI leaves it undefined
}

void MpiCollectives::alltoallv_rows(Group g, const float* send, const std::vector<int>& send_rows,
                                    float* recv, const std::vector<int>& recv_rows, int row_len) {
  if (alone_copy(grid_.size(g), send, recv, send_rows[0], row_len)) return;
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Alltoallv",
                                   rows_bytes(send_rows, row_len) + rows_bytes(recv_rows, row_len));
  const MPI_Datatype t = row_type(row_len);
  const RowBuffers b{reinterpret_cast<const char*>(send),
                     send_rows,
                     reinterpret_cast<char*>(recv),
                     recv_rows,
                     t,
                     static_cast<size_t>(row_len) * sizeof(float)};
  const bool two_level = a2a_method_ == A2aMethod::TwoDh || a2a_method_ == A2aMethod::Auto;
  alltoallv_rows_with(a2a_method_, a2a_order_, grid_.comm(g), b, a2a_model_,
                      two_level ? levels(g) : nullptr);
}

const TwoLevelComm* MpiCollectives::levels(Group g) {
  auto& slot = levels_[g];
  if (!slot) slot = std::make_unique<TwoLevelComm>(grid_.comm(g), grid_.node_id());
  return slot.get();
}

void MpiCollectives::allgatherv_rows(Group g, const float* send, float* recv,
                                     const std::vector<int>& rows, int row_len) {
  if (alone_copy(grid_.size(g), send, recv, rows[0], row_len)) return;
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Allgatherv", rows_bytes(rows, row_len));
  const MPI_Datatype t = row_type(row_len);
  const auto displs = displacements(rows);
  const int me = grid_.rank(g);
  MPI_CHECK(MPI_Allgatherv(send, rows[me], t, recv, rows.data(), displs.data(), t, grid_.comm(g)));
}

void MpiCollectives::reduce_scatterv_rows(Group g, const float* send, float* recv,
                                          const std::vector<int>& rows, int row_len) {
  if (alone_copy(grid_.size(g), send, recv, rows[0], row_len)) return;
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Reduce_scatter",
                                   rows_bytes(rows, row_len));
  const auto counts = scaled(rows, row_len);
  MPI_CHECK(MPI_Reduce_scatter(send, recv, counts.data(), MPI_FLOAT, MPI_SUM, grid_.comm(g)));
}

void MpiCollectives::allreduce_sum(Group g, float* buf, size_t count) {
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Allreduce", 4.0 * count);
  MPI_CHECK(
      MPI_Allreduce(MPI_IN_PLACE, buf, checked_int(count), MPI_FLOAT, MPI_SUM, grid_.comm(g)));
}

void MpiCollectives::allreduce_sum(Group g, double* buf, size_t count) {
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Allreduce", 8.0 * count);
  MPI_CHECK(
      MPI_Allreduce(MPI_IN_PLACE, buf, checked_int(count), MPI_DOUBLE, MPI_SUM, grid_.comm(g)));
}

void MpiCollectives::allreduce_max(Group g, double* buf, size_t count) {
  const WatchdogCollective entered(grid_.comm(g), g, "MPI_Allreduce", 8.0 * count);
  MPI_CHECK(
      MPI_Allreduce(MPI_IN_PLACE, buf, checked_int(count), MPI_DOUBLE, MPI_MAX, grid_.comm(g)));
}

MpiCollectives::Handle MpiCollectives::add(Pending p) {
  Handle h = 0;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    h = next_handle_++;
    pending_.emplace(h, std::move(p));  // moving keeps the count arrays where MPI saw them
  }
  changed_.notify_all();
  return h;
}

MpiCollectives::Handle MpiCollectives::start_alltoallv_rows(Group g, const float* send,
                                                            const std::vector<int>& send_rows,
                                                            float* recv,
                                                            const std::vector<int>& recv_rows,
                                                            int row_len) {
  if (alone_copy(grid_.size(g), send, recv, send_rows[0], row_len)) return add_done();
  Pending p;
  p.group = g;
  p.bytes = rows_bytes(send_rows, row_len) + rows_bytes(recv_rows, row_len);
  const MPI_Datatype t = row_type(row_len);
  p.counts[0] = send_rows;
  p.counts[1] = displacements(send_rows);
  p.counts[2] = recv_rows;
  p.counts[3] = displacements(recv_rows);
  p.requests.resize(1);
  MPI_CHECK(MPI_Ialltoallv(send, p.counts[0].data(), p.counts[1].data(), t, recv,
                           p.counts[2].data(), p.counts[3].data(), t, grid_.comm(g),
                           p.requests.data()));
  return add(std::move(p));
}

MpiCollectives::Handle MpiCollectives::start_allgatherv_rows(Group g, const float* send,
                                                             float* recv,
                                                             const std::vector<int>& rows,
                                                             int row_len) {
  if (alone_copy(grid_.size(g), send, recv, rows[0], row_len)) return add_done();
  Pending p;
  p.group = g;
  p.bytes = rows_bytes(rows, row_len);
  const MPI_Datatype t = row_type(row_len);
  p.counts[0] = rows;
  p.counts[1] = displacements(rows);
  p.requests.resize(1);
  MPI_CHECK(MPI_Iallgatherv(send, rows[grid_.rank(g)], t, recv, p.counts[0].data(),
                            p.counts[1].data(), t, grid_.comm(g), p.requests.data()));
  return add(std::move(p));
}

MpiCollectives::Handle MpiCollectives::start_reduce_scatterv_rows(Group g, const float* send,
                                                                  float* recv,
                                                                  const std::vector<int>& rows,
                                                                  int row_len) {
  if (alone_copy(grid_.size(g), send, recv, rows[0], row_len)) return add_done();
  // Pairwise, not MPI_Ireduce_scatter: Open MPI's nonblocking one (libnbc) reduces
  // to rank 0 along a binomial tree and then scatters, so rank 0 receives
  // (log2 p) whole buffers where the blocking one's ring receives (p-1)/p of one:
  // 2x the intra-node bytes at p = 2, 2.7x at p = 4, which cost s2 its overlap on
  // the testbed. Here every rank sends each peer that peer's block and sums the
  // blocks it receives once all are in, in rank order (deterministic).
  const int n = grid_.size(g), me = grid_.rank(g);
  const MPI_Comm comm = grid_.comm(g);
  const MPI_Datatype t = row_type(row_len);
  const std::vector<int> at = displacements(rows);
  const size_t len = static_cast<size_t>(row_len), mine = static_cast<size_t>(rows[me]) * len;
  Pending p;
  p.group = g;
  p.bytes = rows_bytes(rows, row_len);
  p.staging.resize(static_cast<size_t>(n - 1) * mine);
  p.requests.reserve(2 * (n - 1));
  for (int i = 1; i < n; ++i) {  // peers in turn from the next rank on, to spread the load
    const int q = (me + i) % n;
    float* slot = p.staging.data() + static_cast<size_t>(q < me ? q : q - 1) * mine;
    MPI_CHECK(MPI_Irecv(slot, rows[me], t, q, kReduceScatterTag, comm, &p.requests.emplace_back()));
  }
  for (int i = 1; i < n; ++i) {
    const int q = (me + i) % n;
    MPI_CHECK(MPI_Isend(send + static_cast<size_t>(at[q]) * len, rows[q], t, q, kReduceScatterTag,
                        comm, &p.requests.emplace_back()));
  }
  const float* staged = p.staging.data();  // moving the vector keeps its buffer
  const float* own = send + static_cast<size_t>(at[me]) * len;
  p.finish = [=] {
    for (int q = 0; q < n; ++q) {
      const float* b = q == me ? own : staged + static_cast<size_t>(q < me ? q : q - 1) * mine;
      if (q == 0)
        std::copy(b, b + mine, recv);
      else
        for (size_t i = 0; i < mine; ++i) recv[i] += b[i];
    }
  };
  return add(std::move(p));
}

void MpiCollectives::progress() {
  const std::lock_guard<std::mutex> lock(mu_);
  poll_locked();
}

bool MpiCollectives::poll_locked() {
  bool completed = false;
  for (auto& [id, p] : pending_) {
    if (p.done) continue;
    int flag = 0;
    MPI_CHECK(MPI_Testall(static_cast<int>(p.requests.size()), p.requests.data(), &flag,
                          MPI_STATUSES_IGNORE));
    if (!flag) continue;
    if (p.finish) p.finish();
    p.done = true;
    p.done_at = now_seconds();
    completed = true;
  }
  return completed;
}

double MpiCollectives::wait(Handle h) {
  auto it = pending_.find(h);
  if (it == pending_.end()) throw Error("wait on a collective that was not started");
  // Polling every outstanding request drives all of them, so the collectives of
  // both lanes progress together while this rank waits for one.
  const WatchdogWait waiting("MPI_Test (a started collective)", wait_lane(it->second.group),
                             watchdog_predicted_seconds(it->second.bytes));
  std::unique_lock<std::mutex> lock(mu_);
  if (progress_thread_.joinable()) {
    changed_.wait(lock, [&] { return it->second.done || thread_error_; });
    if (thread_error_) std::rethrow_exception(thread_error_);
  } else {
    WaitBackoff backoff;
    while (!it->second.done) {
      lock.unlock();
      backoff.pause();
      lock.lock();
      poll_locked();
    }
  }
  const double done_at = it->second.done_at;
  pending_.erase(it);
  return done_at;
}

void MpiCollectives::start_progress_thread(int interval_us) {
  if (progress_thread_.joinable()) return;
  int level = MPI_THREAD_SINGLE;
  MPI_CHECK(MPI_Query_thread(&level));
  if (level < MPI_THREAD_MULTIPLE)
    throw_collective("moe.progress = \"thread\" needs MPI_THREAD_MULTIPLE; MPI gave level " +
                     std::to_string(level) +
                     " (app/main.cpp asks for it when the config or --set "
                     "names moe.progress = \"thread\")");
  progress_thread_ = std::thread([this, interval_us] { progress_thread_main(interval_us); });
}

void MpiCollectives::progress_thread_main(int interval_us) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto unfinished = [&] {
    for (const auto& [id, p] : pending_)
      if (!p.done) return true;
    return false;
  };
  while (!stop_ && !thread_error_) {
    if (!unfinished()) {
      changed_.wait(lock, [&] { return stop_ || unfinished(); });
      continue;
    }
    bool completed = false;
    try {
      completed = poll_locked();
    } catch (...) {
      thread_error_ = std::current_exception();  // wait() rethrows it on the rank's thread
      completed = true;
    }
    if (completed) changed_.notify_all();
    // Sleeping, not yielding: with more ranks than cores a spinning thread takes a
    // core-mate's compute.
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(interval_us));
    lock.lock();
  }
}

}  // namespace paramoe
