#pragma once
// A Parm-style grid of MoE layer configurations (inputs/grids/*.toml): the cross
// product of every listed value.
//
//   [grid]   name, batch, seq_len, d_model, ffn_ratio (d_hidden = ratio · d_model),
//            experts, top_k, capacity_factor (0 = dropless), activation,
//            layouts = [[mp, ep, esp], ...], chunks (s2's pipeline degrees),
//            schedules (the options run and priced: "replicated", "s1", "s2",
//            and "dc" for data-centric execution; default the model-centric three)
//
// A point's tokens are batch · seq_len per data-parallel shard (one MP group's
// tokens), as in Parm, where B and L are per GPU group.
#include <string>
#include <vector>

#include "core/config.h"

namespace paramoe {

struct GridPoint {
  int batch = 1, seq_len = 1;
  MoeConfig moe;  // d_model, d_hidden, experts, top_k, capacity, activation
  int mp = 1, ep = 1, esp = 1;
  int64_t tokens() const { return int64_t{batch} * seq_len; }
};

struct LayerGrid {
  std::string name;
  std::vector<GridPoint> points;
  std::vector<int> chunks = {2};
  std::vector<std::string> schedules = {"replicated", "s1", "s2"};
};

// Throws a collective paramoe::Error naming the file and key for a bad grid.
LayerGrid grid_load(const std::string& path);
LayerGrid grid_parse(const std::string& text, const std::string& origin);

}  // namespace paramoe
