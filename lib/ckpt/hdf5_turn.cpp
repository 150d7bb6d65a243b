#include "ckpt/hdf5_turn.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "comm/watchdog.h"
#include "core/error.h"

namespace paramoe {

namespace {
std::mutex hdf5_lock;
thread_local int turns_held = 0;  // this thread's nested turns

int jitter() {
  thread_local std::minstd_rand draw(
      static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  return static_cast<int>(draw() & 0x7fffffff);
}
}  // namespace

Hdf5Turn::Hdf5Turn(MPI_Comm comm) {
  if (turns_held > 0) {
    ++turns_held;
    return;
  }
  // Arriving together first keeps each try short: no rank holds the lock while it
  // waits for a peer still busy with a training step.
  watchdog_arrive(comm, Group::World, "MPI_Ibarrier (HDF5 turn)");
  for (int attempt = 0;; ++attempt) {
    const int got = hdf5_lock.try_lock() ? 1 : 0;
    int all = 0;
    try {
      MPI_CHECK(MPI_Allreduce(&got, &all, 1, MPI_INT, MPI_MIN, comm));
    } catch (...) {
      if (got) hdf5_lock.unlock();
      throw;
    }
    if (all) break;
    if (got) hdf5_lock.unlock();
    // The other model holds it somewhere (for a whole checkpoint), or both models
    // tried at once and each got it on some ranks: wait longer as tries fail (up to
    // ~20 ms), by a random share, so that the two models stop trying in step.
    const int cap_us = 300 << std::min(attempt, 6);
    std::this_thread::sleep_for(std::chrono::microseconds(cap_us / 2 + jitter() % cap_us));
  }
  turns_held = 1;
}

Hdf5Turn::~Hdf5Turn() {
  if (--turns_held == 0) hdf5_lock.unlock();
}

}  // namespace paramoe
