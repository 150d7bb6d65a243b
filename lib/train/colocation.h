#pragma once
// Two models colocated on the same ranks (Aurora): each model runs in a thread of
// its own with communicators of its own, so that while one model waits for its
// collectives the other computes, and each thread's MPI calls progress its own
// transfers. Neither model's arithmetic depends on the other, so each gives the
// results it gives alone. Needs MPI_THREAD_MULTIPLE (app/main.cpp asks for it when
// --colocate is given). Waits sleep between polls (waits_share_the_core), so that
// a model waiting for its peers leaves the core to the other. The collective
// watchdog keeps one record per process of where the rank is, so colocated runs
// go without it.
#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "train/run_context.h"

namespace paramoe {

struct ColocatedContexts {
  RunContext a, b;
  std::vector<MPI_Comm> worlds;  // the duplicates of MPI_COMM_WORLD they run on
  ColocatedContexts() = default;
  ColocatedContexts(const ColocatedContexts&) = delete;
  ColocatedContexts& operator=(const ColocatedContexts&) = delete;
  ~ColocatedContexts();
};

// Model A from `config` with `overrides`, model B from `colocate` with `overrides`
// then `overrides_b`, each on its own duplicate of MPI_COMM_WORLD, the watchdog
// off. Collective; throws a collective Error unless MPI provides
// MPI_THREAD_MULTIPLE, and B's errors name its config.
void colocated_contexts(ColocatedContexts& out, const std::string& config,
                        const std::string& colocate, const std::vector<std::string>& overrides,
                        const std::vector<std::string>& overrides_b);

// Runs `a` in this thread and `b` in another, each thread's log lines prefixed with
// its model's name and waits sharing the core meanwhile, and rethrows the first
// error (A's first) once both are done.
void colocated_run(const std::function<void()>& a, const std::function<void()>& b,
                   const std::string& name_a, const std::string& name_b);

}  // namespace paramoe
