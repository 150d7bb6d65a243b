// paramoe bench grid: runs every point of a layer grid that fits the world size,
// under the grid's schedules: replicated (where esp = mp), s1, s2 at each of the
// grid's chunks and dc (data-centric), and
// records auto: the option the predictor picks from --cluster, with the measured
// time of that option. Writes one CSV row per point and schedule with the
// measured and predicted forward+backward times.
#include <cstdio>

#include "app/command.h"
#include "comm/mpi_collectives.h"
#include "core/error.h"
#include "core/log.h"
#include "core/result_table.h"
#include "core/rng.h"
#include "core/routing_skew.h"
#include "core/row_split.h"
#include "core/stats.h"
#include "moe/layer_timing.h"
#include "plan/cluster.h"
#include "plan/layer_grid.h"
#include "plan/schedule_choice.h"

namespace paramoe {

namespace {

// paramoe bench grid: every point of a layer grid under every schedule and auto.
struct BenchGridArgs {
  std::string grid;     // inputs/grids/*.toml
  std::string cluster;  // for predictions and auto; empty: measured only
  std::string csv;
  int ranks_per_node = 0;  // emulated nodes for the process grid; 0: detect
  int warmup = 1;
  int repeats = 5;
  std::string routing = "uniform";  // as bench.routing (core/routing_skew.h)
};

}  // namespace

namespace {

const std::vector<ResultTable::Column> kColumns = {{"grid"},
                                                   {"point"},
                                                   {"world"},
                                                   {"mp"},
                                                   {"ep"},
                                                   {"esp"},
                                                   {"batch"},
                                                   {"seq_len"},
                                                   {"d_model"},
                                                   {"d_hidden"},
                                                   {"experts"},
                                                   {"top_k"},
                                                   {"capacity_factor"},
                                                   {"activation"},
                                                   {"schedule"},
                                                   {"chunks"},
                                                   {"measured_ms"},
                                                   {"predicted_ms"},
                                                   {"alltoall_bytes_per_rank"},
                                                   {"auto_pick"},
                                                   {"routing"}};

struct Row {
  std::string schedule;
  int chunks;
  double measured_ms, predicted_ms, a2a_bytes;
};

}  // namespace

static int cmd_bench_grid(const BenchGridArgs& args) {
  const LayerGrid grid = grid_load(args.grid);
  ClusterSpec cluster;
  const bool predict = !args.cluster.empty();
  if (predict) cluster = cluster_load(args.cluster);
  if (args.repeats < 1 || args.warmup < 0)
    throw_collective("bench grid: --repeats >= 1 and --warmup >= 0 expected");
  int world = 1, me = 0;
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world));
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &me));

  int ran = 0, skipped = 0;
  for (size_t i = 0; i < grid.points.size(); ++i) {
    const GridPoint& p = grid.points[i];
    MoeConfig cfg = p.moe;
    cfg.schedule = "s1";
    cfg.routing_skew = args.routing;
    RoutingSkew skew;
    if (!routing_skew_parse(args.routing, cfg.top_k, skew))
      throw_collective("bench grid: --routing: expected " + std::string(kRoutingSkewExpected) +
                       " (point " + std::to_string(i) + " has top_k " + std::to_string(cfg.top_k) +
                       "), got \"" + args.routing + "\"");
    if (!layout_problem(Layout{world, p.mp, p.ep, p.esp, args.ranks_per_node}, cfg).empty()) {
      ++skipped;
      continue;
    }
    const ParallelConfig par{p.mp, p.ep, p.esp, args.ranks_per_node};
    const ProcessGrid pg = ProcessGrid::create(MPI_COMM_WORLD, par, cfg);
    MpiCollectives coll(pg);
    MoeLayer layer(cfg, coll, "grid/moe/", 7);
    const Layout& lay = pg.layout();
    int64_t row0 = 0, rows = 0;
    split_rows(p.tokens() * lay.dp(), lay.dp(), pg.index().dp, row0, rows);
    std::vector<float> x(rows * cfg.d_model), dy(rows * cfg.d_model);
    for (size_t j = 0; j < x.size(); ++j) {
      x[j] = static_cast<float>(normal01(7, stream_id("grid/x"), row0 * cfg.d_model + j));
      dy[j] = static_cast<float>(normal01(7, stream_id("grid/dy"), row0 * cfg.d_model + j));
    }
    Layout priced = lay;
    if (predict) priced.ranks_per_node = cluster.ranks_per_node;
    LayerShape shape = layer_shape(cfg, p.tokens());
    std::vector<ScheduleOption> options;
    if (predict)
      options = schedule_options(shape, priced, cluster, grid.chunks, grid.schedules);
    else  // the same candidates, unpriced
      for (const auto& [name, r] : schedule_candidates(lay, grid.chunks, grid.schedules))
        options.push_back({name, r, {}});
    // The options take turns, one pass each per round: first the warm-up rounds
    // (which also grow every buffer to its largest size), then the timed ones.
    const int n = static_cast<int>(options.size());
    std::vector<std::vector<double>> step_s(n);
    std::vector<double> a2a_bytes(n);
    take_turns(n, args.warmup, [&](int o) {
      layer.set_schedule(options[o].name, options[o].chunks);
      time_layer(layer, x, dy, rows, 1, 0, coll);
    });
    take_turns(n, args.repeats, [&](int o) {
      layer.set_schedule(options[o].name, options[o].chunks);
      const LayerTiming t = time_layer(layer, x, dy, rows, 0, 1, coll);
      step_s[o].push_back(t.step_s[0]);
      a2a_bytes[o] = t.alltoall_bytes_mean;
    });
    std::vector<Row> rows_out;
    for (size_t o = 0; o < options.size(); ++o)
      rows_out.push_back(Row{options[o].name, options[o].chunks, median(step_s[o]) * 1e3,
                             predict ? options[o].prediction.total() * 1e3 : 0.0, a2a_bytes[o]});
    std::string pick;
    if (predict) {
      std::string why;
      const ScheduleOption& best = schedule_best(options, why);
      for (const Row& r : rows_out)
        if (r.schedule == best.name && r.chunks == best.chunks) {
          Row a = r;
          a.schedule = "auto";
          rows_out.push_back(a);
          break;
        }
      pick = best.name == "s2" ? "s2/" + std::to_string(best.chunks) : best.name;
    }
    ++ran;
    std::string line = "grid point " + std::to_string(i) + ": mp=" + std::to_string(p.mp) +
                       " ep=" + std::to_string(p.ep) + " esp=" + std::to_string(p.esp) +
                       " T=" + std::to_string(p.tokens()) + " D=" + std::to_string(cfg.d_model) +
                       " H=" + std::to_string(cfg.d_hidden) +
                       " E=" + std::to_string(cfg.num_experts) + " k=" + std::to_string(cfg.top_k) +
                       " |";
    char buf[96];
    for (const Row& r : rows_out) {
      std::snprintf(buf, sizeof buf, " %s%s %.1f/%.1f", r.schedule.c_str(),
                    r.schedule == "s2" ? std::to_string(r.chunks).c_str() : "", r.measured_ms,
                    r.predicted_ms);
      line += buf;
    }
    log_info(line + " ms (measured/predicted)" + (pick.empty() ? "" : ", auto picks " + pick));
    ResultTable table(kColumns);
    for (const Row& r : rows_out)
      table.add({grid.name,
                 static_cast<int64_t>(i),
                 int64_t{world},
                 int64_t{p.mp},
                 int64_t{p.ep},
                 int64_t{p.esp},
                 int64_t{p.batch},
                 int64_t{p.seq_len},
                 int64_t{cfg.d_model},
                 int64_t{cfg.d_hidden},
                 int64_t{cfg.num_experts},
                 int64_t{cfg.top_k},
                 cfg.capacity_factor,
                 cfg.activation,
                 r.schedule,
                 int64_t{r.chunks},
                 r.measured_ms,
                 r.predicted_ms,
                 r.a2a_bytes,
                 pick,
                 args.routing});
    // Point by point, so that a long sweep that stops keeps what it measured.
    if (!args.csv.empty() && me == 0) table.append_csv(args.csv, "bench grid csv");
  }
  log_info("bench grid: " + std::to_string(ran) + " points run, " + std::to_string(skipped) +
           " skipped (their layout does not fit " + std::to_string(world) + " ranks)");
  if (ran == 0)
    throw_collective("bench grid: no point of " + args.grid + " fits " + std::to_string(world) +
                     " ranks");
  return 0;
}

void add_bench_grid_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<BenchGridArgs>();
  CLI::App* cmd = command_group(app, "bench", "benchmarks of layers and schedules")
                      ->add_subcommand("grid",
                                       "every point of a layer grid (inputs/grids) under "
                                       "replicated, s1, s2 and auto: measured and predicted "
                                       "forward+backward times to CSV");
  cmd->add_option("grid", args->grid, "grid file (inputs/grids/*.toml)")->required();
  cmd->add_option("--cluster", args->cluster,
                  "cluster file for the predictions and auto (e.g. from paramoe calibrate)");
  cmd->add_option("--ranks-per-node", args->ranks_per_node, "emulate nodes of N consecutive ranks");
  cmd->add_option("--warmup", args->warmup, "untimed passes per schedule");
  cmd->add_option("--routing", args->routing,
                  "uniform, zipf:S or hot:F: skewed routing, as bench.routing");
  add_bench_options(cmd, args->repeats, args->csv);
  out.push_back({cmd, [args] { return cmd_bench_grid(*args); }});
}

}  // namespace paramoe
