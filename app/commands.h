#pragma once
#include <string>
#include <vector>

namespace paramoe {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
};

struct BenchLayerArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::vector<std::string> schedules;  // empty: the config's [bench] schedules
  int repeats = 0;                     // 0: the config's
  std::string csv;                     // empty: the config's
};

int cmd_train(const TrainArgs& args);
int cmd_bench_layer(const BenchLayerArgs& args);

}  // namespace paramoe
