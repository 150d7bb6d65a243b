#include "comm/watchdog.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "core/error.h"

namespace paramoe {
namespace {

int64_t now_ns() {
  // steady_clock is CLOCK_MONOTONIC on Linux: one clock for every process of a
  // node, so peers' board stamps compare with ours.
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
double now_s() {
  return static_cast<double>(now_ns()) * 1e-9;
}

constexpr double kHeartbeatSeconds = 0.2;
constexpr double kStaleSeconds = 2.0;  // ten missed heartbeats: the process is not running

// One rank's entry on the node board. Every field is written by its own rank and
// read by node mates only when a watchdog trips, so relaxed atomics suffice; the
// text may be read torn, which a diagnostic can bear.
struct BoardSlot {
  std::atomic<int64_t> heartbeat_ns;
  std::atomic<int64_t> wait_since_ns;  // 0: not in a wait
  std::atomic<int64_t> idle_since_ns;  // when its last wait ended
  std::atomic<int32_t> world_rank;
  std::atomic<int32_t> pid;
  char what[192];  // the current or last wait, described
};
static_assert(std::atomic<int64_t>::is_always_lock_free);

struct Frame {
  const char* what;
  int lane;
  double start, deadline;
  double predicted;  // the larger of the operation's own and the last step's time
};

struct State {
  std::mutex mu;
  std::condition_variable cv;
  WatchdogSettings settings;
  bool started = false, stopping = false;
  std::thread thread;
  std::vector<Frame> frames;  // the main thread's nested waits
  int64_t step = -1;
  int block = -1;
  bool backward = false;
  const char* phase = nullptr;
  double last_step_seconds = 0.0;
  WaitSeconds waited{};
  BoardSlot* board = nullptr;  // every node rank's slot
  int node_size = 0, node_rank = 0, world_rank = 0, world_size = 1;
  std::string board_problem;
  char host[64] = "?";

  ~State() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    cv.notify_all();
    if (thread.joinable()) thread.join();
  }
  BoardSlot* mine() { return board ? &board[node_rank] : nullptr; }
};

State& state() {
  static State s;
  return s;
}

// "step 5, block 1, backward schedule step alltoallv" into out (one snprintf: this
// runs on every wait, for the board).
void where_locked(const State& s, char* out, size_t n) {
  int used = 0;
  auto add = [&](const char* fmt, auto... args) {
    if (used < static_cast<int>(n))
      used += std::snprintf(out + used, n - used, fmt, used ? ", " : "", args...);
  };
  out[0] = '\0';
  if (s.step >= 0) add("%sstep %lld", static_cast<long long>(s.step + 1));
  if (s.block >= 0) add("%sblock %d", s.block);
  if (s.phase) add("%s%s schedule step %s", s.backward ? "backward" : "forward", s.phase);
  if (used == 0) std::snprintf(out, n, "outside the training loop");
}

void board_build(State& s, MPI_Comm comm) {
  MPI_Comm node;
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
  MPI_CHECK(MPI_Comm_rank(node, &s.node_rank));
  MPI_CHECK(MPI_Comm_size(node, &s.node_size));
  const size_t bytes = sizeof(BoardSlot) * static_cast<size_t>(s.node_size);
  char name[64] = "";
  if (s.node_rank == 0) {
    std::snprintf(name, sizeof name, "/paramoe-watchdog-%d-%u", static_cast<int>(getpid()),
                  static_cast<unsigned>(std::random_device{}()));
    const int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
      s.board_problem = std::string("shm_open: ") + std::strerror(errno);
      if (fd >= 0) close(fd);
      shm_unlink(name);
      name[0] = '\0';
    } else {
      close(fd);
    }
  }
  MPI_CHECK(MPI_Bcast(name, sizeof name, MPI_CHAR, 0, node));
  if (name[0] != '\0') {
    const int fd = shm_open(name, O_RDWR, 0600);
    void* p = fd < 0 ? MAP_FAILED : mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0) close(fd);
    if (p == MAP_FAILED)
      s.board_problem = std::string("mmap: ") + std::strerror(errno);
    else
      s.board = static_cast<BoardSlot*>(p);  // ftruncate zeroed it: zero atomics are valid
  } else if (s.board_problem.empty()) {
    s.board_problem = "node rank 0 could not create the shared board";
  }
  MPI_CHECK(MPI_Barrier(node));  // every node rank has it mapped: the name can go
  if (s.node_rank == 0 && name[0] != '\0') shm_unlink(name);
  MPI_CHECK(MPI_Comm_free(&node));
  if (BoardSlot* me = s.mine()) {
    me->world_rank.store(s.world_rank);
    me->pid.store(static_cast<int32_t>(getpid()));
    me->heartbeat_ns.store(now_ns());
    me->idle_since_ns.store(now_ns());
  }
}

// What the node mates are doing, worst first: not running, then outside any wait.
std::string peers_report(const State& s) {
  if (!s.board) return "node peers are not visible (" + s.board_problem + ")";
  const int64_t now = now_ns();
  std::string holding, waiting;
  for (int q = 0; q < s.node_size; ++q) {
    if (q == s.node_rank) continue;
    BoardSlot& b = s.board[q];
    char what[sizeof b.what];
    std::memcpy(what, b.what, sizeof what);
    what[sizeof what - 1] = '\0';
    const double beat = (now - b.heartbeat_ns.load()) * 1e-9;
    const int64_t since = b.wait_since_ns.load();
    char line[320];
    const int r = b.world_rank.load();
    const int pid = b.pid.load();
    if (beat > kStaleSeconds) {
      std::snprintf(line, sizeof line,
                    "\n  rank %d (pid %d): not responding, heartbeat %.1f s old (stopped, or "
                    "dead); last in: %s",
                    r, pid, beat, what[0] ? what : "no wait yet");
      holding += line;
    } else if (since == 0) {
      std::snprintf(line, sizeof line,
                    "\n  rank %d (pid %d): outside any collective for %.1f s (compute or I/O "
                    "hung?); last wait: %s",
                    r, pid, (now - b.idle_since_ns.load()) * 1e-9, what[0] ? what : "none");
      holding += line;
    } else {
      std::snprintf(line, sizeof line, "\n  rank %d (pid %d): waiting %.1f s in %s", r, pid,
                    (now - since) * 1e-9, what);
      waiting += line;
    }
  }
  std::string out =
      holding.empty()
          ? "no rank of this node holds it up" +
                std::string(s.world_size > s.node_size ? " (look at the other nodes' reports)" : "")
          : "held up by:" + holding;
  if (!waiting.empty()) out += "\n  also waiting:" + waiting;
  if (s.world_size > s.node_size)
    out += "\n  (" + std::to_string(s.world_size - s.node_size) +
           " ranks on other nodes are not visible from here)";
  return out;
}

[[noreturn]] void trip(State& s, const Frame& f, const char* where) {
  const double waited = now_s() - f.start;
  char head[640];
  std::snprintf(head, sizeof head,
                "paramoe watchdog: rank %d (host %s) waited %.1f s in %s on %s, past its deadline "
                "of %.1f s = max(watchdog.min_seconds %g, watchdog.factor %g x %.3g s, the larger "
                "of its predicted and the last step's time); at %s\n",
                s.world_rank, s.host, waited, f.what, wait_lane_name(f.lane), f.deadline - f.start,
                s.settings.min_seconds, s.settings.factor, f.predicted, where);
  const std::string peers =
      "paramoe watchdog: rank " + std::to_string(s.world_rank) + ": " + peers_report(s) + "\n";
  std::fprintf(stderr, "%s%s", head, peers.c_str());
  std::fprintf(stderr,
               "paramoe watchdog: rank %d: ending the job (exit code %d); if waits this long are "
               "expected, raise watchdog.min_seconds or watchdog.factor, or set watchdog.enabled = "
               "false\n",
               s.world_rank, kWatchdogExitCode);
  std::fflush(stderr);
  // MPI_Abort from this helper thread works with Open MPI; should it not return
  // the job anyway, the alarm's default action ends this process, and the
  // launcher ends the rest on its non-zero exit.
  alarm(30);
  MPI_Abort(MPI_COMM_WORLD, kWatchdogExitCode);
  _exit(kWatchdogExitCode);
}

void watch(State& s) {
  std::unique_lock<std::mutex> lock(s.mu);
  while (!s.stopping) {
    s.cv.wait_for(lock, std::chrono::duration<double>(kHeartbeatSeconds));
    if (BoardSlot* me = s.mine()) me->heartbeat_ns.store(now_ns(), std::memory_order_relaxed);
    if (!s.settings.enabled || s.frames.empty()) continue;
    const Frame f = s.frames.back();
    if (now_s() < f.deadline) continue;
    char where[128];
    where_locked(s, where, sizeof where);
    lock.unlock();
    trip(s, f, where);
  }
}

}  // namespace

int wait_lane(Group g) {
  return static_cast<int>(g);
}

const char* wait_lane_name(int lane) {
  if (lane == kIoLane) return "io";
  return group_name(static_cast<Group>(lane));
}

void watchdog_start(const WatchdogSettings& settings, MPI_Comm comm) {
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.settings = settings;
    if (s.started) return;
    s.started = true;
  }
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &s.world_rank));
  MPI_CHECK(MPI_Comm_size(comm, &s.world_size));
  gethostname(s.host, sizeof s.host - 1);
  board_build(s, comm);
  s.thread = std::thread([&s] { watch(s); });
}

bool watchdog_enabled() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.started && s.settings.enabled;
}

void watchdog_at_step(int64_t step, double last_step_seconds) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.step = step;
  s.last_step_seconds = last_step_seconds;
}

void watchdog_at_block(int block) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.block = block;
}

void watchdog_at_phase(bool backward, const char* schedule_step) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.backward = backward;
  s.phase = schedule_step;
}

WatchdogWait::WatchdogWait(const char* what, int lane, double predicted_seconds)
    : lane_(lane), start_(now_s()) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  active_ = s.started;
  if (!active_) return;
  // A wait for peers legitimately lasts up to about a step (they may be computing).
  const double predicted = std::max(predicted_seconds, s.last_step_seconds);
  double deadline = start_ + std::max(s.settings.min_seconds, s.settings.factor * predicted);
  const bool outermost = s.frames.empty();
  if (!outermost) deadline = std::max(deadline, s.frames.back().deadline);
  s.frames.push_back(Frame{what, lane, start_, deadline, predicted});
  // The board and the accounting follow the outermost wait (a checkpoint save, not
  // the barriers inside it).
  BoardSlot* me = s.mine();
  if (!outermost || !me) return;
  char where[128];
  where_locked(s, where, sizeof where);
  std::snprintf(me->what, sizeof me->what, "%s on %s (%s)", what, wait_lane_name(lane), where);
  me->wait_since_ns.store(static_cast<int64_t>(start_ * 1e9), std::memory_order_relaxed);
}

WatchdogWait::~WatchdogWait() {
  if (!active_) return;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.frames.pop_back();
  if (!s.frames.empty()) return;  // the enclosing wait accounts the time
  const double end = now_s();
  s.waited[lane_] += end - start_;
  if (BoardSlot* me = s.mine()) {
    me->wait_since_ns.store(0, std::memory_order_relaxed);
    me->idle_since_ns.store(static_cast<int64_t>(end * 1e9), std::memory_order_relaxed);
  }
}

namespace {
std::atomic<bool> share_the_core{false};
}  // namespace

void waits_share_the_core(bool on) {
  share_the_core.store(on, std::memory_order_relaxed);
}

namespace {
bool env_true(const char* name, bool otherwise) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return otherwise;
  return std::strcmp(v, "0") != 0 && std::strcmp(v, "false") != 0;
}
}  // namespace

void WaitBackoff::pause() {
  if (share_the_core.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    return;
  }
  static const bool yield =
      env_true("PARAMOE_WAIT_YIELD", env_true("OMPI_MCA_mpi_yield_when_idle", false));
  const double now = now_s();
  if (start_ < 0.0) start_ = now;
  if (now - start_ < 1.0) {
    if (yield) std::this_thread::yield();
    return;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
  sleep_us_ = std::min(sleep_us_ * 2, 20000);
}

void watchdog_arrive(MPI_Comm comm, Group g, const char* what) {
  if (!watchdog_enabled() && !share_the_core.load(std::memory_order_relaxed)) return;
  int size = 1;
  MPI_CHECK(MPI_Comm_size(comm, &size));
  if (size == 1) return;
  WatchdogWait w(what, wait_lane(g));
  MPI_Request request;
  MPI_CHECK(MPI_Ibarrier(comm, &request));
  WaitBackoff backoff;
  for (int done = 0;;) {
    MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) return;
    backoff.pause();
  }
}

WaitSeconds watchdog_take_wait_seconds() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  const WaitSeconds out = s.waited;
  s.waited = {};
  return out;
}

double watchdog_predicted_seconds(double bytes) {
  return bytes / 100e6;
}

}  // namespace paramoe
