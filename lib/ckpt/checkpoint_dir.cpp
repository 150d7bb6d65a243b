#include "ckpt/checkpoint_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "comm/agreement.h"
#include "core/error.h"
#include "core/log.h"
#include "core/slab.h"

namespace fs = std::filesystem;

namespace paramoe {
namespace {

constexpr const char* kLatest = "latest";

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error(path + ": cannot open to sync: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw Error(path + ": fsync failed: " + std::strerror(err));
}

void rename_or_throw(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw Error("cannot rename " + from + " to " + to + ": " + std::strerror(errno));
}

// The file name DIR/latest points at, or "" if there is none.
std::string read_latest(const std::string& dir) {
  std::ifstream in(fs::path(dir) / kLatest);
  std::string name;
  if (in) std::getline(in, name);
  return name;
}

void write_latest(const std::string& dir, const std::string& name) {
  const std::string path = (fs::path(dir) / kLatest).string();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << name << "\n";
    out.flush();
    if (!out) throw Error(tmp + ": cannot write");
  }
  fsync_path(tmp);
  rename_or_throw(tmp, path);
}

// Checkpoint files in dir, oldest first (the step is in the name, zero-padded);
// none if dir does not exist.
std::vector<std::string> list_checkpoints(const std::string& dir) {
  std::vector<std::string> names;
  if (!fs::is_directory(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("ckpt-", 0) == 0 && n.size() > 3 && n.substr(n.size() - 3) == ".h5")
      names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void prune(const std::string& dir, int keep, const std::string& latest) {
  std::vector<std::string> names = list_checkpoints(dir);
  const int excess = static_cast<int>(names.size()) - keep;
  for (int i = 0; i < excess; ++i)
    if (names[i] != latest) fs::remove(fs::path(dir) / names[i]);
}

std::string previous_note(const std::string& dir) {
  const std::string prev = read_latest(dir);
  return prev.empty() ? "no earlier checkpoint exists in " + dir
                      : "the previous checkpoint " + (fs::path(dir) / prev).string() + " is intact";
}

// MPI-IO may not report a failed write (Open MPI's OMPIO prints ENOSPC and returns
// success), and the failed writes leave holes: the file has its full length but
// not its data. So, before a publish, the bytes the file system allocated to it
// must cover the tensors' data; where they do not and the file system is out of
// space, the disk was full. (A compressing file system may allocate less than it
// holds, so a short allocation alone, with space left, is not taken as a failure.)
void require_allocated(const std::string& path, int64_t data_bytes, const std::string& dir) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(path + ": cannot stat: " + std::strerror(errno));
  const int64_t allocated = static_cast<int64_t>(st.st_blocks) * 512;
  struct statvfs fs_st {};
  const bool out_of_space =
      statvfs(dir.c_str(), &fs_st) == 0 && static_cast<int64_t>(fs_st.f_bavail * fs_st.f_frsize) <
                                               data_bytes - allocated + (int64_t{1} << 20);
  if (allocated < data_bytes && out_of_space)
    throw Error(path + ": " + std::strerror(ENOSPC) + ": the file system allocated " +
                std::to_string(allocated) + " bytes for " + std::to_string(data_bytes) +
                " bytes of tensor data (the write was cut short)");
}

std::string free_space(const std::string& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return "free space unknown";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.1f MB free in %s",
                static_cast<double>(st.f_bavail) * st.f_frsize / 1e6, dir.c_str());
  return buf;
}

}  // namespace

std::string checkpoint_file_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ckpt-%08lld.h5", static_cast<long long>(step));
  return buf;
}

std::string checkpoint_save(const std::string& dir, int keep, bool verify, MPI_Comm comm,
                            const CheckpointMeta& meta, const std::vector<TensorSlab>& tensors) {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  const std::string name = checkpoint_file_name(meta.step);
  const std::string path = (fs::path(dir) / name).string();
  const std::string tmp = path + ".tmp";
  agree_on(comm, [&] {
    if (rank != 0) return;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
      throw Error("checkpoint directory " + dir + ": cannot be created (" +
                  (ec ? ec.message() : "not a directory") + "); " + previous_note(dir));
    // Leftovers of a write that was killed are never loaded; clear them.
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".tmp") fs::remove(e.path(), ec);
  });
  try {
    checkpoint_write(tmp, comm, meta, tensors);
    if (verify) checkpoint_verify(tmp, comm, tensors);
  } catch (const Error& e) {
    std::string note;
    if (rank == 0) {
      std::error_code ec;
      fs::remove(tmp, ec);
      note = "the write did not complete (" + free_space(dir) + "); " + previous_note(dir);
    }
    // Every rank is here (the writer's errors are collective); rank 0, which
    // removed the partial file and knows what is left, speaks for all.
    agree(comm, rank != 0, std::string(e.what()) + "; " + note);
  }
  agree_on(comm, [&] {
    if (rank != 0) return;
    try {
      fsync_path(tmp);
      int64_t data_bytes = 0;
      for (const TensorSlab& t : tensors)
        data_bytes += shape_numel(t.global_shape) * static_cast<int64_t>(sizeof(float));
      require_allocated(tmp, data_bytes, dir);
      rename_or_throw(tmp, path);
      fsync_path(dir);
      write_latest(dir, name);
      fsync_path(dir);
    } catch (const Error& e) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw Error("checkpoint " + path + ": " + e.what() + " (" + free_space(dir) + "); " +
                  previous_note(dir));
    }
    prune(dir, keep, name);
  });
  return path;
}

namespace {

// The newest checkpoint in d whose every checksum verifies, for a missing `latest`;
// "" if d holds none. Serial (rank 0).
std::string newest_verified(const std::string& d) {
  const std::vector<std::string> names = list_checkpoints(d);
  std::string rejected;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    const std::string p = (fs::path(d) / *it).string();
    std::string why;
    try {
      const CheckpointInfo info = checkpoint_inspect(p);
      for (const DatasetInfo& ds : info.datasets)
        if (!ds.checksum_ok()) why = ds.name + " fails its checksum";
    } catch (const Error& e) {
      why = e.what();
    }
    if (why.empty()) {
      log_info("resume: " + d +
               "/latest is missing or empty; using the newest checkpoint that "
               "verifies, " +
               p + (rejected.empty() ? "" : " (passed over: " + rejected + ")"));
      return p;
    }
    rejected += (rejected.empty() ? "" : "; ") + *it + ": " + why;
  }
  if (!names.empty())
    throw Error(d + "/latest is missing or empty and none of its " + std::to_string(names.size()) +
                " checkpoint(s) verifies: " + rejected);
  return "";
}

}  // namespace

std::string checkpoint_resolve(const std::string& what, const std::string& dir, MPI_Comm comm) {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  std::string path;
  agree_on(comm, [&] {
    if (rank != 0) return;
    auto latest_in = [](const std::string& d) -> std::string {
      const std::string name = read_latest(d);
      if (name.empty()) return newest_verified(d);
      const std::string p = (fs::path(d) / name).string();
      if (!fs::exists(p)) throw Error(d + "/latest names " + name + ", which does not exist");
      return p;
    };
    if (what == "latest") {
      if (dir.empty()) throw Error("--resume latest needs checkpoint.dir to be set in the config");
      path = fs::is_directory(dir) ? latest_in(dir) : "";
    } else if (fs::is_directory(what)) {
      path = latest_in(what);
      if (path.empty()) throw Error("--resume " + what + ": no checkpoint in this directory");
    } else if (fs::exists(what)) {
      path = what;
    } else {
      throw Error("--resume " + what + ": no such checkpoint file or directory");
    }
  });
  bcast_string(path, 0, comm);
  return path;
}

void checkpoint_dir_require_unused(const std::string& dir, MPI_Comm comm) {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  agree_on(comm, [&] {
    if (rank != 0) return;
    const std::vector<std::string> names = list_checkpoints(dir);
    if (names.empty()) return;
    const std::string which =
        names.size() == 1 ? names.front() : names.front() + " ... " + names.back();
    throw Error("checkpoint.dir = " + dir + " already holds " + std::to_string(names.size()) +
                " checkpoint(s) (" + which +
                ") of an earlier run; expected an unused directory for a fresh run: continue "
                "that run with --resume, choose a new checkpoint.dir, or set "
                "checkpoint.overwrite = true to write over them");
  });
}

}  // namespace paramoe
