#pragma once
// paramoe's one exception type. `collective` says whether every rank is known to
// raise the same error at the same point (config or layout checks): then rank 0
// alone reports it and all ranks exit cleanly. Otherwise the rank that saw it
// reports it and aborts the job, so that no peer hangs in a collective.
#include <mpi.h>

#include <stdexcept>
#include <string>

namespace paramoe {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, bool collective = false)
      : std::runtime_error(what), collective_(collective) {}
  bool collective() const { return collective_; }

 private:
  bool collective_;
};

// An error every rank detects identically (bad config, bad layout).
[[noreturn]] void throw_collective(const std::string& what);

// Runs f, which every rank runs on the same inputs (one-process planners, input
// checks before any collective), so any Error it throws is collective.
template <class F>
void as_collective(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    throw Error(e.what(), /*collective=*/true);
  }
}

[[noreturn]] void throw_mpi_error(int code, const char* call, const char* file, int line);

}  // namespace paramoe

#define MPI_CHECK(call)                                                       \
  do {                                                                        \
    int paramoe_mpi_rc_ = (call);                                             \
    if (paramoe_mpi_rc_ != MPI_SUCCESS)                                       \
      ::paramoe::throw_mpi_error(paramoe_mpi_rc_, #call, __FILE__, __LINE__); \
  } while (0)

#define PARAMOE_REQUIRE(cond, msg)                         \
  do {                                                     \
    if (!(cond)) throw ::paramoe::Error(std::string(msg)); \
  } while (0)
