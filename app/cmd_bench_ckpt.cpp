// paramoe bench ckpt: checkpoint write and read time and bandwidth for the model a
// config describes, against the raw sequential write and read bandwidth of the
// same directory, measured in the same run (rank 0 writes and fsyncs a file of the
// same size in 8 MiB blocks, as `dd conv=fsync` does). Repeats alternate the two so
// that both see the same machine load; medians are reported.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "app/command.h"
#include "ckpt/checkpoint_dir.h"
#include "core/error.h"
#include "core/log.h"
#include "core/result_table.h"
#include "core/slab.h"
#include "core/stats.h"
#include "core/timer.h"
#include "model/moe_stack.h"
#include "train/run_context.h"
#include "train/train_state.h"

namespace fs = std::filesystem;

namespace paramoe {

namespace {

struct BenchCkptArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string dir = "bench-ckpt";  // scratch directory, removed afterwards
  int repeats = 0;                 // 0: the config's [bench] repeats
  std::string csv;                 // empty: no file
};

}  // namespace
namespace {

// Writes `bytes` to path sequentially and fsyncs; returns the seconds taken.
double raw_write(const std::string& path, int64_t bytes) {
  std::vector<char> block(8 << 20);
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 131 + 7);
  const double t0 = now_seconds();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw Error("bench ckpt: " + path + ": " + std::strerror(errno));
  for (int64_t done = 0; done < bytes;) {
    const ssize_t n = ::write(fd, block.data(),
                              static_cast<size_t>(std::min<int64_t>(block.size(), bytes - done)));
    if (n <= 0) {
      ::close(fd);
      throw Error("bench ckpt: " + path + ": write failed: " + std::strerror(errno));
    }
    done += n;
  }
  ::fsync(fd);
  ::close(fd);
  return now_seconds() - t0;
}

double raw_read(const std::string& path) {
  std::vector<char> block(8 << 20);
  const double t0 = now_seconds();
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error("bench ckpt: " + path + ": " + std::strerror(errno));
  while (::read(fd, block.data(), block.size()) > 0) {
  }
  ::close(fd);
  return now_seconds() - t0;
}

}  // namespace

static int cmd_bench_ckpt(const BenchCkptArgs& args) {
  RunContext rc = run_context_create(args.config, args.overrides);
  const Config& cfg = rc.config;
  MPI_Comm world = rc.grid->comm(Group::World);
  const bool root = rc.grid->world_rank() == 0;
  const int repeats = args.repeats > 0 ? args.repeats : cfg.bench.repeats;

  MoeStack model(rc.moe_layers, *rc.coll, static_cast<uint64_t>(cfg.train.seed));
  std::vector<Param*> params = model.params();
  const std::unique_ptr<OptimizerMemory> mem = make_host_optimizer_memory();
  AdamW opt(resident_on_host(params), AdamWConfig{}, *mem);
  for (size_t i = 0; i < params.size(); ++i) {  // non-trivial moments, like a trained state
    opt.first_moment(i) = params[i]->value;
    opt.second_moment(i) = params[i]->value;
  }
  const std::vector<TensorSlab> slabs = train_state_slabs(params, opt);
  int64_t state_bytes = 0;
  for (const TensorSlab& s : slabs) state_bytes += 4 * shape_numel(s.global_shape);

  CheckpointMeta meta;
  meta.config_toml = cfg.source_text;
  meta.layout = rc.grid->layout();
  std::vector<double> write_s, read_s, raw_write_s, raw_read_s;
  int64_t file_bytes = 0;
  std::string path;
  const std::string raw_path = (fs::path(args.dir) / "raw-sequential.bin").string();
  for (int r = 0; r < repeats + 1; ++r) {  // the first round warms up
    meta.step = r + 1;
    MPI_CHECK(MPI_Barrier(world));
    double t0 = now_seconds();
    path = checkpoint_save(args.dir, 1, /*verify=*/false, world, meta, slabs);
    MPI_CHECK(MPI_Barrier(world));
    const double tw = now_seconds() - t0;
    t0 = now_seconds();
    checkpoint_read(path, world, slabs);
    MPI_CHECK(MPI_Barrier(world));
    const double tr = now_seconds() - t0;
    double raw[2] = {0, 0};
    if (root) {
      file_bytes = static_cast<int64_t>(fs::file_size(path));
      raw[0] = raw_write(raw_path, file_bytes);
      raw[1] = raw_read(raw_path);
      fs::remove(raw_path);
    }
    MPI_CHECK(MPI_Bcast(raw, 2, MPI_DOUBLE, 0, world));
    if (r == 0) continue;
    write_s.push_back(tw);
    read_s.push_back(tr);
    raw_write_s.push_back(raw[0]);
    raw_read_s.push_back(raw[1]);
  }
  if (root) fs::remove_all(args.dir);

  const Layout& l = rc.grid->layout();
  const double gb = static_cast<double>(file_bytes) / 1e9;
  const double w = median(write_s), rd = median(read_s);
  const double rw = median(raw_write_s), rr = median(raw_read_s);
  char line[512];
  std::snprintf(
      line, sizeof line,
      "bench ckpt: world=%d mp=%d ep=%d esp=%d | %d layers D=%d H=%d E=%d | state %.1f MB, "
      "file %.1f MB | %d repeats (median)",
      l.world, l.mp, l.ep, l.esp, cfg.train.layers, cfg.moe.d_model, cfg.moe.d_hidden,
      cfg.moe.num_experts, state_bytes / 1e6, file_bytes / 1e6, repeats);
  log_info(line);
  std::snprintf(line, sizeof line,
                "  write %.3f s %.3f GB/s | raw write %.3f GB/s | ratio %.2f || read %.3f s %.3f "
                "GB/s | raw read %.3f GB/s | ratio %.2f",
                w, gb / w, gb / rw, rw / w, rd, gb / rd, gb / rr, rr / rd);
  log_info(line);
  if (!args.csv.empty() && root) {
    ResultTable table({{"world"},
                       {"mp"},
                       {"ep"},
                       {"esp"},
                       {"layers"},
                       {"d_model"},
                       {"d_hidden"},
                       {"experts"},
                       {"state_bytes"},
                       {"file_bytes"},
                       {"repeats"},
                       {"write_s"},
                       {"write_GBps"},
                       {"raw_write_GBps"},
                       {"write_vs_raw"},
                       {"read_s"},
                       {"read_GBps"},
                       {"raw_read_GBps"},
                       {"read_vs_raw"}});
    table.add({int64_t{l.world}, int64_t{l.mp}, int64_t{l.ep}, int64_t{l.esp},
               int64_t{cfg.train.layers}, int64_t{cfg.moe.d_model}, int64_t{cfg.moe.d_hidden},
               int64_t{cfg.moe.num_experts}, static_cast<int64_t>(state_bytes), file_bytes,
               int64_t{repeats}, w, gb / w, gb / rw, rw / w, rd, gb / rd, gb / rr, rr / rd});
    table.append_csv(args.csv, "bench csv");
  }
  return 0;
}

void add_bench_ckpt_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<BenchCkptArgs>();
  CLI::App* cmd = command_group(app, "bench", "benchmarks of layers and schedules")
                      ->add_subcommand("ckpt",
                                       "checkpoint write/read time and GB/s against the raw "
                                       "bandwidth of the directory");
  add_config_options(cmd, args->config, args->overrides);
  cmd->add_option("--dir", args->dir, "scratch directory (removed afterwards)");
  add_bench_options(cmd, args->repeats, args->csv);
  out.push_back({cmd, [args] { return cmd_bench_ckpt(*args); }});
}

}  // namespace paramoe
