#include "app/mpi_thread_level.h"

#include <mpi.h>
#include <toml++/toml.h>

#include <string_view>

namespace paramoe {

namespace {

// A config file that sets moe.progress = "thread". Any file that cannot be read
// or parsed says no here; loading it later reports the error on every rank.
bool config_wants_progress_thread(std::string_view path) {
  if (!path.ends_with(".toml")) return false;
  try {
    const toml::table t = toml::parse_file(path);
    return t["moe"]["progress"].value_or(std::string_view{}) == "thread";
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int mpi_thread_level_wanted(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--colocate") return MPI_THREAD_MULTIPLE;
    if (arg.starts_with("moe.progress") && arg.find("thread") != std::string_view::npos)
      return MPI_THREAD_MULTIPLE;  // --set moe.progress=thread
    if (config_wants_progress_thread(arg)) return MPI_THREAD_MULTIPLE;
  }
  return MPI_THREAD_FUNNELED;
}

}  // namespace paramoe
