#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace paramoe {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume;  // empty: start fresh; "latest", a directory or a checkpoint file
  bool calibrate_speed = false;
};

struct DataArgs {
  std::string in, out;  // encode: text file → .bin shard
  std::string file;     // inspect
  int vocab = 65536;    // inspect: tokens must be below this
  int show = 64;        // inspect: tokens decoded (byte-level) from the start
  std::string format = "auto";
};

struct CkptArgs {
  std::string file;
  std::string out;  // export only
};

struct BenchLayerArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::vector<std::string> schedules;  // empty: the config's [bench] schedules
  int repeats = 0;                     // 0: the config's
  std::string csv;                     // empty: the config's
  std::string trace;                   // directory for per-rank Chrome traces; empty: none
};

struct BenchCkptArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string dir = "bench-ckpt";  // scratch directory, removed afterwards
  int repeats = 0;                 // 0: the config's [bench] repeats
  std::string csv;                 // empty: no file
};

struct PlanA2aArgs {
  std::vector<int> ranks = {8, 16, 32, 64, 128, 256};
  std::vector<std::string> traffic = {"uniform", "zipf", "hot"};  // kinds, or one CSV file
  int experts_per_rank = 4;
  int tokens = 4096;  // per rank
  int top_k = 2;
  double zipf_s = 1.2;
  double hot_fraction = 0.5;
  int64_t bytes_per_row = 4096;               // D × 4 (fp32 D = 1024)
  std::vector<double> bandwidth_gbps = {25};  // one value, or classes assigned in equal blocks
  double latency_us = 0;
  int seeds = 10;
  std::vector<std::string> methods = {"bvn",    "greedy",         "pairwise",
                                      "random", "shortest-first", "all-at-once"};
  std::string csv;
};

// paramoe bench grid: every point of a layer grid under every schedule and auto.
struct BenchGridArgs {
  std::string grid;     // inputs/grids/*.toml
  std::string cluster;  // for predictions and auto; empty: measured only
  std::string csv;
  int ranks_per_node = 0;  // emulated nodes for the process grid; 0: detect
  int warmup = 1;
  int repeats = 5;
};

// paramoe calibrate: measure this machine's cost-model parameters.
struct CalibrateArgs {
  std::string out = "cluster.toml";
  std::string name = "calibrated";
  int ranks_per_node = 0;  // 0: from MPI_COMM_TYPE_SHARED
  int repeats = 5;
};

// paramoe plan --model M --cluster C: predicted layer time per layout and schedule.
struct PlanLayerArgs {
  std::string model;        // a paramoe config: [moe] and bench.tokens_per_step (global batch)
  std::string cluster;      // inputs/clusters/*.toml
  std::vector<int> layout;  // mp,ep,esp; empty: every layout with mp = esp
  std::vector<int> chunks = {2, 4, 8};  // s2 pipeline degrees to price
  std::vector<std::string> overrides;
  std::string csv;
  std::string grid;  // instead of --model: every point of a grid (inputs/grids) that fits
  int nodes = 0;     // overrides the cluster file's node count; 0: keep
};

struct PlanPlacementArgs {
  std::vector<int> ep = {8};
  std::vector<std::string> traffic = {"zipf", "hot"};
  std::string loads;  // a file of per-expert loads, instead of generated traffic
  int experts_per_rank = 4;
  int tokens = 4096;  // per rank
  int top_k = 2;
  double zipf_s = 1.2;
  double hot_fraction = 0.5;
  std::vector<double> speeds = {1};           // relative device speeds, classes in equal blocks
  std::vector<double> bandwidth_gbps = {25};  // link GB/s, classes in equal blocks
  int64_t bytes_per_row = 4096;
  int seeds = 10;
  bool show_plan = false;
  std::string csv;
};

struct BenchA2aArgs {
  std::string traffic = "zipf";  // uniform | zipf | hot, or a CSV file (train.traffic_csv)
  int experts_per_rank = 4;
  int tokens = 4096;  // per rank, generated traffic
  int64_t bytes_per_row = 4096;
  int repeats = 20;
  std::vector<std::string> methods = {"native", "pairwise", "ordered-greedy", "ordered-bvn"};
  std::string csv;
};

int cmd_train(const TrainArgs& args);
int cmd_data_encode(const DataArgs& args);
int cmd_data_inspect(const DataArgs& args);
int cmd_plan_a2a(const PlanA2aArgs& args);
int cmd_plan_placement(const PlanPlacementArgs& args);
int cmd_bench_layer(const BenchLayerArgs& args);
int cmd_plan_layer(const PlanLayerArgs& args);
int cmd_calibrate(const CalibrateArgs& args);
int cmd_bench_grid(const BenchGridArgs& args);
int cmd_bench_ckpt(const BenchCkptArgs& args);
int cmd_bench_a2a(const BenchA2aArgs& args);
int cmd_ckpt_inspect(const CkptArgs& args);
int cmd_ckpt_export(const CkptArgs& args);

}  // namespace paramoe
