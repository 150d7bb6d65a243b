// paramoe plan --model M --cluster C: the predicted forward+backward time of the
// model's MoE layer for every layout (mp = esp, Parm's setting, unless --layout
// names one) and schedule (replicated where esp = mp, s1, s2 at each --chunks), on
// a cluster of any size, as one process. It prints the breakdown (compute and the
// busy time of each lane, and what overlapped), names the best, and can write CSV.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "app/command.h"
#include "core/config.h"
#include "core/csv_file.h"
#include "core/error.h"
#include "core/log.h"
#include "plan/cluster.h"
#include "plan/layer_grid.h"
#include "plan/predictor.h"
#include "plan/schedule_choice.h"

namespace paramoe {

namespace {

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

}  // namespace

namespace {

struct Candidate {
  Layout layout;
  std::string schedule;
  int chunks = 1;
  Prediction p;
};

std::vector<Layout> layouts_for(const ClusterSpec& c, const MoeConfig& m,
                                const std::vector<int>& given) {
  const int world = c.world();
  if (!given.empty()) {
    Layout l{world, given[0], given[1], given[2], c.ranks_per_node};
    as_collective([&] { layout_validate(l, m); });
    return {l};
  }
  std::vector<Layout> out;
  for (int esp = 1; esp <= c.ranks_per_node; ++esp)
    for (int ep = 1; ep * esp <= world; ++ep) {
      const Layout l{world, esp, ep, esp, c.ranks_per_node};
      if (layout_problem(l, m).empty()) out.push_back(l);
    }
  if (out.empty())
    throw_collective("plan: no layout with mp = esp fits " + std::to_string(world) +
                     " ranks, moe.num_experts=" + std::to_string(m.num_experts) +
                     " and moe.d_hidden=" + std::to_string(m.d_hidden) + "; give --layout");
  return out;
}

// --grid: every fitting point, all options; the speedups over replicated, summarised.
int plan_grid(const PlanLayerArgs& args, const ClusterSpec& cluster) {
  const LayerGrid grid = grid_load(args.grid);
  const int world = cluster.world();
  std::map<std::string, std::vector<double>> speedup;  // option -> replicated / it
  std::ofstream out;
  if (!args.csv.empty())
    out = open_csv(args.csv,
                   "grid,cluster,world,point,mp,ep,esp,batch,seq_len,d_model,d_hidden,experts,"
                   "top_k,capacity_factor,activation,schedule,chunks,predicted_ms,auto_pick",
                   /*append=*/true, "plan csv");
  int priced = 0;
  for (size_t i = 0; i < grid.points.size(); ++i) {
    const GridPoint& p = grid.points[i];
    const Layout l{world, p.mp, p.ep, p.esp, cluster.ranks_per_node};
    if (!layout_problem(l, p.moe).empty()) continue;
    LayerShape shape = layer_shape(p.moe, p.tokens());
    const auto options = schedule_options(shape, l, cluster, grid.chunks, grid.schedules);
    std::string why;
    const ScheduleOption& best = schedule_best(options, why);
    const std::string pick = best.name == "s2" ? "s2/" + std::to_string(best.chunks) : best.name;
    double replicated = 0, best_s2 = 1e300;
    for (const ScheduleOption& o : options) {
      if (o.name == "replicated") replicated = o.prediction.total();
      if (o.name == "s2") best_s2 = std::min(best_s2, o.prediction.total());
      if (out.is_open())
        out << csv_field(grid.name) << "," << csv_field(cluster.name) << "," << world << "," << i
            << "," << p.mp << "," << p.ep << "," << p.esp << "," << p.batch << "," << p.seq_len
            << "," << p.moe.d_model << "," << p.moe.d_hidden << "," << p.moe.num_experts << ","
            << p.moe.top_k << "," << p.moe.capacity_factor << "," << p.moe.activation << ","
            << o.name << "," << o.chunks << "," << o.prediction.total() * 1e3 << "," << pick
            << "\n";
    }
    if (replicated > 0) {
      for (const ScheduleOption& o : options)
        if (o.name == "s1") speedup["s1"].push_back(replicated / o.prediction.total());
      speedup["s2 (best r)"].push_back(replicated / best_s2);
      speedup["auto"].push_back(replicated / best.prediction.total());
    }
    ++priced;
  }
  std::printf("plan: grid %s on %s (%d nodes x %d ranks): %d of %zu points fit\n",
              grid.name.c_str(), cluster.name.c_str(), cluster.nodes, cluster.ranks_per_node,
              priced, grid.points.size());
  for (auto& [name, v] : speedup) {
    std::sort(v.begin(), v.end());
    std::printf("  predicted speedup of %-12s over replicated: median %.2f, min %.2f, max %.2f\n",
                name.c_str(), v[v.size() / 2], v.front(), v.back());
  }
  if (priced == 0) throw_collective("plan: no point of " + args.grid + " fits the cluster");
  return 0;
}

}  // namespace

static int cmd_plan_layer(const PlanLayerArgs& args) {
  if (!args.grid.empty() && !args.cluster.empty()) {
    ClusterSpec cluster = cluster_load(args.cluster);
    if (args.nodes > 0) cluster.nodes = args.nodes;
    return plan_grid(args, cluster);
  }
  if (args.model.empty() || args.cluster.empty())
    throw_collective(
        "plan: expected --model CONFIG (or --grid GRID) and --cluster FILE, or a subcommand "
        "(a2a, placement)");
  const Config cfg = config_load(args.model, args.overrides);
  ClusterSpec cluster = cluster_load(args.cluster);
  if (args.nodes > 0) cluster.nodes = args.nodes;
  const MoeConfig& m = cfg.moe;
  for (int r : args.chunks)
    if (r < 1) throw_collective("plan: --chunks: expected integers >= 1");

  std::vector<Candidate> all;
  for (const Layout& l : layouts_for(cluster, m, args.layout)) {
    LayerShape shape = layer_shape(m, cfg.bench.tokens_per_step / l.dp());
    for (ScheduleOption& o : schedule_options(shape, l, cluster, args.chunks))
      all.push_back(Candidate{l, o.name, o.chunks, std::move(o.prediction)});
    // HEXA-MoE's data-centric execution, for moe.expert_mode = "auto".
    ScheduleOption dc = schedule_option("dc", 1, shape, l, cluster);
    all.push_back(Candidate{l, dc.name, dc.chunks, std::move(dc.prediction)});
  }

  std::printf("plan: %s on %s (%d nodes x %d ranks) | %d tokens/step, D=%d H=%d E=%d k=%d %s\n",
              args.model.c_str(), cluster.name.c_str(), cluster.nodes, cluster.ranks_per_node,
              cfg.bench.tokens_per_step, m.d_model, m.d_hidden, m.num_experts, m.top_k,
              m.activation.c_str());
  std::printf("%4s %4s %4s  %-10s %2s %11s %9s %9s %9s %9s %9s\n", "mp", "ep", "esp", "schedule",
              "r", "fwd+bwd ms", "fwd ms", "compute", "intra", "inter", "overlap");
  const Candidate* best = &all.front();
  for (const Candidate& c : all) {
    if (c.p.total() < best->p.total()) best = &c;
    std::printf("%4d %4d %4d  %-10s %2d %11.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", c.layout.mp,
                c.layout.ep, c.layout.esp, c.schedule.c_str(), c.chunks, c.p.total() * 1e3,
                c.p.forward * 1e3, c.p.compute * 1e3, c.p.intra * 1e3, c.p.inter * 1e3,
                c.p.overlap() * 1e3);
  }
  std::printf("best: %s%s at mp=%d ep=%d esp=%d, %.3f ms forward+backward\n",
              best->schedule.c_str(),
              best->schedule == "s2" ? (" r=" + std::to_string(best->chunks)).c_str() : "",
              best->layout.mp, best->layout.ep, best->layout.esp, best->p.total() * 1e3);

  if (!args.csv.empty()) {
    std::ofstream out = open_csv(args.csv,
                                 "cluster,world,mp,ep,esp,schedule,chunks,tokens,d_model,d_hidden,"
                                 "experts,top_k,forward_ms,backward_ms,total_ms,compute_ms,"
                                 "intra_ms,inter_ms,overlap_ms",
                                 /*append=*/true, "plan csv");
    for (const Candidate& c : all)
      out << csv_field(cluster.name) << "," << c.layout.world << "," << c.layout.mp << ","
          << c.layout.ep << "," << c.layout.esp << "," << c.schedule << "," << c.chunks << ","
          << cfg.bench.tokens_per_step << "," << m.d_model << "," << m.d_hidden << ","
          << m.num_experts << "," << m.top_k << "," << c.p.forward * 1e3 << ","
          << c.p.backward * 1e3 << "," << c.p.total() * 1e3 << "," << c.p.compute * 1e3 << ","
          << c.p.intra * 1e3 << "," << c.p.inter * 1e3 << "," << c.p.overlap() * 1e3 << "\n";
  }
  return 0;
}

void add_plan_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<PlanLayerArgs>();
  CLI::App* cmd = command_group(
      app, "plan",
      "predict and plan without running (one process). Without a subcommand: the predicted "
      "forward+backward time of the model's MoE layer per layout and schedule on a cluster");
  cmd->require_subcommand(0, 1);
  cmd->add_option("--model", args->model,
                  "paramoe config: [moe] and bench.tokens_per_step (the global batch)");
  cmd->add_option("--cluster", args->cluster, "cluster file (inputs/clusters/*.toml)");
  cmd->add_option("--layout", args->layout, "mp,ep,esp (default: all with mp = esp)")
      ->delimiter(',')
      ->expected(3);
  cmd->add_option("--chunks", args->chunks, "s2 pipeline degrees to price")->delimiter(',');
  cmd->add_option("--set", args->overrides, "override a key of the model config");
  cmd->add_option("--csv", args->csv, "append the predictions to this CSV file");
  cmd->add_option("--grid", args->grid,
                  "instead of --model: predict every point of a layer grid (inputs/grids) "
                  "that fits the cluster, and summarise the speedups");
  cmd->add_option("--nodes", args->nodes, "override the cluster file's node count");
  out.push_back({cmd, [args] { return cmd_plan_layer(*args); }});
}

}  // namespace paramoe
