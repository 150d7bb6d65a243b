#pragma once
#include <string>
#include <vector>

namespace paramoe {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume;  // empty: start fresh; "latest", a directory or a checkpoint file
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
};

struct BenchCkptArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string dir = "bench-ckpt";  // scratch directory, removed afterwards
  int repeats = 0;                 // 0: the config's [bench] repeats
  std::string csv;                 // empty: no file
};

int cmd_train(const TrainArgs& args);
int cmd_bench_layer(const BenchLayerArgs& args);
int cmd_bench_ckpt(const BenchCkptArgs& args);
int cmd_ckpt_inspect(const CkptArgs& args);
int cmd_ckpt_export(const CkptArgs& args);

}  // namespace paramoe
