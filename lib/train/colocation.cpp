#include "train/colocation.h"

#include <exception>
#include <thread>

#include "comm/watchdog.h"
#include "core/error.h"
#include "core/log.h"

namespace paramoe {

ColocatedContexts::~ColocatedContexts() {
  // The contexts' communicators go first (ProcessGrid frees them), then the worlds.
  a = RunContext{};
  b = RunContext{};
  for (MPI_Comm& w : worlds) MPI_Comm_free(&w);
}

void colocated_contexts(ColocatedContexts& out, const std::string& config,
                        const std::string& colocate, const std::vector<std::string>& overrides,
                        const std::vector<std::string>& overrides_b) {
  int level = 0;
  MPI_CHECK(MPI_Query_thread(&level));
  if (level < MPI_THREAD_MULTIPLE)
    throw_collective(
        "--colocate: two colocated models call MPI from two threads, but this MPI provides "
        "thread level " +
        std::to_string(level) + ", expected MPI_THREAD_MULTIPLE");
  std::vector<std::string> shared = overrides;
  shared.push_back("watchdog.enabled=false");
  std::vector<std::string> for_b = shared;
  for_b.insert(for_b.end(), overrides_b.begin(), overrides_b.end());
  for (int m = 0; m < 2; ++m) {
    MPI_Comm w;
    MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &w));
    out.worlds.push_back(w);
  }
  out.a = run_context_create(config, shared, false, out.worlds[0]);
  try {
    out.b = run_context_create(colocate, for_b, false, out.worlds[1]);
  } catch (const Error& e) {
    if (!e.collective()) throw;
    throw_collective("--colocate " + colocate + ": " + e.what());
  }
  log_info("colocated: " + config + " and " + colocate +
           " on the same ranks, each in a thread of its own (collective watchdog off)");
}

void colocated_run(const std::function<void()>& a, const std::function<void()>& b,
                   const std::string& name_a, const std::string& name_b) {
  // While both run, a wait leaves the core to the other model (watchdog.h).
  waits_share_the_core(true);
  std::exception_ptr failed_b;
  std::thread other([&] {
    log_set_thread_prefix("[" + name_b + "] ");
    try {
      b();
    } catch (...) {
      failed_b = std::current_exception();
    }
  });
  std::exception_ptr failed_a;
  log_set_thread_prefix("[" + name_a + "] ");
  try {
    a();
  } catch (...) {
    failed_a = std::current_exception();
  }
  log_set_thread_prefix("");
  other.join();
  waits_share_the_core(false);
  if (failed_a) std::rethrow_exception(failed_a);
  if (failed_b) std::rethrow_exception(failed_b);
}

}  // namespace paramoe
