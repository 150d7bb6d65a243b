// paramoe bench layer: one MoE layer, forward + backward, per schedule, in one run so
// that the ratios between schedules are measured under the same conditions.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "app/command.h"
#include "comm/agreement.h"
#include "core/error.h"
#include "core/log.h"
#include "core/result_table.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/timer.h"
#include "core/trace.h"
#include "moe/layer_timing.h"
#include "moe/moe_layer.h"
#include "moe/step_trace.h"
#include "plan/cluster.h"
#include "plan/predictor.h"
#include "train/run_context.h"

namespace paramoe {

namespace {

struct BenchLayerArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::vector<std::string> schedules;  // empty: the config's [bench] schedules
  int repeats = 0;                     // 0: the config's
  std::string csv;                     // empty: the config's
  std::string trace;                   // directory for per-rank Chrome traces; empty: none
};

}  // namespace

namespace {
struct BenchRow {
  std::string schedule;
  double median_ms = 0, min_ms = 0, a2a_ms = 0, shared_ms = 0;
  double intra_ms = 0, inter_ms = 0, overlap = 0;  // lane busy times and their overlap
  double a2a_bytes_mean = 0, a2a_bytes_max = 0;
  double predicted_ms = 0;    // with plan.cluster
  std::vector<float> shares;  // each expert's share of the assignments (last pass)
  std::string shadow;         // moe.shadow of this variant
  int shadowed = 0;           // experts shadowed in the last pass
  // With --trace and plan.cluster: per op (both passes), this rank's measured and
  // the predicted milliseconds.
  std::map<std::string, std::pair<double, double>> per_op;
};
}  // namespace

static int cmd_bench_layer(const BenchLayerArgs& args) {
  RunContext rc = run_context_create(args.config, args.overrides);
  BenchConfig bc = rc.config.bench;
  if (!args.schedules.empty()) bc.schedules = args.schedules;
  if (args.repeats > 0) bc.repeats = args.repeats;
  if (!args.csv.empty()) bc.csv = args.csv;
  MoeConfig mc = rc.moe_layers.front();
  mc.routing_skew = bc.routing;
  const int64_t D = mc.d_model;
  const uint64_t seed = static_cast<uint64_t>(rc.config.train.seed);

  int64_t row0 = 0, rows = 0;
  split_rows(bc.tokens_per_step, rc.grid->layout().dp(), rc.grid->index().dp, row0, rows);
  std::vector<float> x(rows * D), dy(rows * D);
  for (int64_t i = 0; i < rows * D; ++i) {
    x[i] = static_cast<float>(normal01(seed, stream_id("bench/x"), row0 * D + i));
    dy[i] = static_cast<float>(normal01(seed, stream_id("bench/dy"), row0 * D + i));
  }
  MoeLayer layer(mc, *rc.layers.coll, "bench/moe/", seed, rc.layers.make);
  const int world = rc.grid->layout().world;

  // One clock for every rank's trace: each rank's own steady clock right after a
  // barrier (aligned to the barrier's skew).
  MPI_CHECK(MPI_Barrier(rc.grid->comm(Group::World)));
  const double trace_t0 = now_seconds();
  std::vector<TraceSpan> trace;

  // With plan.cluster, every schedule's predicted time goes beside its measured one.
  const bool predict = !rc.config.plan.cluster.empty();
  ClusterSpec cluster;
  Layout priced = rc.grid->layout();
  if (predict) {
    cluster = cluster_load(rc.config.plan.cluster);
    priced.ranks_per_node = cluster.ranks_per_node;
  }
  LayerShape shape = layer_shape(mc, bc.tokens_per_step / priced.dp());

  // A variant is a schedule, or "SCHEDULE+shadow": the same with moe.shadow = "auto"
  // (the others run the config's moe.shadow).
  const int n = static_cast<int>(bc.schedules.size());
  std::vector<std::string> schedule_of(n), shadow_of(n);
  for (int v = 0; v < n; ++v) {
    const std::string& name = bc.schedules[v];
    const size_t plus = name.find("+shadow");
    const bool shadowed = plus != std::string::npos && plus + 7 == name.size();
    schedule_of[v] = shadowed ? name.substr(0, plus) : name;
    shadow_of[v] = shadowed ? "auto" : mc.shadow;
  }
  auto switch_to = [&](int v) {
    layer.set_shadow(shadow_of[v]);
    layer.set_schedule(schedule_of[v]);
  };
  // The variants take turns, one pass each per round: first bench.warmup untimed
  // rounds (which also grow every buffer to its largest size), then the timed ones.
  std::vector<std::vector<double>> step_s(n), a2a_s(n), shared_s(n), intra_s(n), inter_s(n),
      overlap(n);
  std::vector<std::vector<float>> shares(n);
  std::vector<int> shadowed(n, 0);
  std::vector<LayerTiming> last(n);
  std::vector<std::vector<StepRecord>> records(n);  // with --trace: each one's last timed pass
  take_turns(n, bc.warmup, [&](int v) {
    switch_to(v);
    time_layer(layer, x, dy, rows, 1, 0, *rc.coll);
  });
  take_turns(n, bc.repeats, [&](int v) {
    switch_to(v);
    last[v] = time_layer(layer, x, dy, rows, 0, 1, *rc.coll);
    step_s[v].push_back(last[v].step_s[0]);
    shares[v] = layer.last_run().routing.frac;
    shadowed[v] = static_cast<int>(layer.last_run().shadowed.size());
    a2a_s[v].push_back(last[v].alltoall_s[0]);
    shared_s[v].push_back(last[v].shared_s[0]);
    intra_s[v].push_back(last[v].intra_s[0]);
    inter_s[v].push_back(last[v].inter_s[0]);
    overlap[v].push_back(last[v].overlap[0]);
    if (!args.trace.empty() && std::ssize(step_s[v]) == bc.repeats) {
      records[v] = layer.last_run().records;
      step_trace_append(records[v], bc.schedules[v], trace);
    }
  });

  // The experts' GEMM bound (the same for every schedule: the same useful FLOPs),
  // from the last pass's rows, on the CPU.
  const GemmBound bound =
      rc.config.device.type == "cpu" ? expert_gemm_bound(layer, *rc.coll) : GemmBound{};
  std::vector<BenchRow> results;
  for (int v = 0; v < n; ++v) {
    const std::string& name = bc.schedules[v];
    const LayerTiming& t = last[v];
    BenchRow row;
    row.schedule = name;
    row.median_ms = median(step_s[v]) * 1e3;
    row.min_ms = *std::min_element(step_s[v].begin(), step_s[v].end()) * 1e3;
    row.a2a_ms = median(a2a_s[v]) * 1e3;
    row.shared_ms = median(shared_s[v]) * 1e3;
    row.intra_ms = median(intra_s[v]) * 1e3;
    row.inter_ms = median(inter_s[v]) * 1e3;
    row.overlap = median(overlap[v]);
    row.shares = shares[v];
    row.shadow = shadow_of[v];
    row.shadowed = shadowed[v];
    row.a2a_bytes_mean = t.alltoall_bytes_mean;
    row.a2a_bytes_max = t.alltoall_bytes_max;
    if (predict) {
      // Priced on the shares the router realised, with the variant's shadowing.
      shape.expert_share = shares[v];
      shape.shadow = shadow_of[v];
      const Prediction p =
          predict_layer(schedule_build(schedule_of[v], mc.chunks, mc.shared_experts > 0,
                                       shadow_of[v] != "off" && schedule_of[v] != "dc"),
                        shape, priced, cluster);
      row.predicted_ms = p.total() * 1e3;
      if (!args.trace.empty()) {
        for (const StepPrice& s : p.steps)
          row.per_op[op_name(s.op)].second += (s.end - s.start) * 1e3;
        for (const StepRecord& r : records[v])
          row.per_op[op_name(r.op)].first += (r.end - r.start) * 1e3;
      }
    }
    results.push_back(std::move(row));
  }

  if (!args.trace.empty()) {
    const int me = rc.grid->world_rank();
    std::string path = args.trace;
    path += "/trace-rank";
    path += std::to_string(me);
    path += ".json";
    agree_on(rc.grid->comm(Group::World), [&] {
      std::filesystem::create_directories(args.trace);
      std::string process = "rank ";
      process += std::to_string(me);
      trace_write(path, me, process, step_trace_threads(), trace_t0, trace);
    });
    log_info("bench layer: traces in " + args.trace + "/trace-rank*.json");
  }

  char line[512];
  std::snprintf(line, sizeof line,
                "bench layer: world=%d mp=%d ep=%d esp=%d | T=%d D=%d H=%d E=%d k=%d %s cf=%.2f | "
                "%d repeats (median), fwd+bwd | %s",
                world, rc.grid->layout().mp, rc.grid->layout().ep, rc.grid->layout().esp,
                bc.tokens_per_step, mc.d_model, mc.d_hidden, mc.num_experts, mc.top_k,
                mc.activation.c_str(), mc.capacity_factor, bc.repeats, rc.layers.describe.c_str());
  log_info(line);
  if (bound.seconds > 0) {
    std::snprintf(line, sizeof line,
                  "bench layer: expert GEMM bound %.3f ms (useful expert FLOPs at %.1f GFLOP/s, "
                  "the sgemm rate every rank sustains at once at the FFN's shapes)",
                  bound.seconds * 1e3, bound.gflops_per_s);
    log_info(line);
  }
  if (!results.empty() && !results.front().shares.empty()) {
    std::string shares = "bench layer: routing " + bc.routing + ", realised expert shares:";
    char share[16];
    for (float f : results.front().shares) {
      std::snprintf(share, sizeof share, " %.3f", f);
      shares += share;
    }
    log_info(shares);
  }
  const Layout& l = rc.grid->layout();
  std::vector<ResultTable::Column> columns = {
      {"schedule", "schedule", "%s"},
      {"world", ""},
      {"mp", ""},
      {"ep", ""},
      {"esp", ""},
      {"tokens", ""},
      {"d_model", ""},
      {"d_hidden", ""},
      {"experts", ""},
      {"top_k", ""},
      {"activation", ""},
      {"capacity_factor", ""},
      {"chunks", ""},
      {"repeats", ""},
      {"median_ms", "median_ms", "%.3f"},
      {"min_ms", "min_ms", "%.3f"},
      {"speedup_vs_first", "speedup", "%.3f"},
      {"alltoall_ms", "a2a_ms", "%.3f"},
      {"alltoall_bytes_per_rank_mean", "a2a_MB/rank(mean)", "%.3f", 1e-6},
      {"alltoall_bytes_per_rank_max", "a2a_MB/rank(max)", "%.3f", 1e-6},
      {"predicted_ms", predict ? "predicted_ms" : "", "%.3f"},
      {"shared_experts", ""},
      {"shared_ffn_ms", mc.shared_experts > 0 ? "shared_ms" : "", "%.3f"},
      {"routing", ""},
      {"max_share", "max_share", "%.3f"},
      {"shadow", ""},
      {"shadowed", "shadowed", "%.0f"},
      {"sgemm_gflops", ""},
      {"gemm_bound_ms", ""},
      {"of_gemm_bound", bound.seconds > 0 ? "of_bound" : "", "%.3f"},
      {"intra_busy_ms", "intra_ms", "%.3f"},
      {"inter_busy_ms", "inter_ms", "%.3f"},
      {"lane_overlap_pct", "overlap%", "%.1f", 100.0}};
  ResultTable table(columns);
  for (const BenchRow& r : results)
    table.add({r.schedule,
               int64_t{world},
               int64_t{l.mp},
               int64_t{l.ep},
               int64_t{l.esp},
               int64_t{bc.tokens_per_step},
               int64_t{mc.d_model},
               int64_t{mc.d_hidden},
               int64_t{mc.num_experts},
               int64_t{mc.top_k},
               mc.activation,
               mc.capacity_factor,
               int64_t{r.schedule.rfind("s2", 0) == 0 ? mc.chunks : 1},
               int64_t{bc.repeats},
               r.median_ms,
               r.min_ms,
               results[0].median_ms / r.median_ms,
               r.a2a_ms,
               r.a2a_bytes_mean,
               r.a2a_bytes_max,
               r.predicted_ms,
               int64_t{mc.shared_experts},
               r.shared_ms,
               bc.routing,
               r.shares.empty() ? 0.0 : *std::max_element(r.shares.begin(), r.shares.end()),
               r.shadow,
               int64_t{r.shadowed},
               bound.gflops_per_s,
               bound.seconds * 1e3,
               bound.seconds * 1e3 / r.median_ms,
               r.intra_ms,
               r.inter_ms,
               r.overlap});
  for (const std::string& text : table.lines()) log_info("  " + text);
  // Step by step (summed per op over both passes; rank 0's last repeat).
  for (const BenchRow& r : results) {
    if (r.per_op.empty()) continue;
    log_info("  " + r.schedule + " per op: measured ms / predicted ms");
    for (const auto& [op, mp] : r.per_op) {
      std::snprintf(line, sizeof line, "    %-18s %9.3f %9.3f", op.c_str(), mp.first, mp.second);
      log_info(line);
    }
  }
  if (!bc.csv.empty() && rc.grid->world_rank() == 0) table.append_csv(bc.csv, "bench csv");
  return 0;
}

void add_bench_layer_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<BenchLayerArgs>();
  CLI::App* cmd = command_group(app, "bench", "benchmarks of layers and schedules")
                      ->add_subcommand("layer",
                                       "median forward+backward time and all-to-all bytes of one "
                                       "MoE layer per schedule");
  add_config_options(cmd, args->config, args->overrides);
  cmd->add_option("--schedules", args->schedules,
                  "schedules to compare, each optionally SCHEDULE+shadow (moe.shadow = \"auto\"); "
                  "the first is the baseline")
      ->delimiter(',');
  add_bench_options(cmd, args->repeats, args->csv);
  cmd->add_option("--trace", args->trace,
                  "write each rank's steps of the last repeat of every schedule as a "
                  "Chrome trace, DIR/trace-rank<k>.json (perf/trace_merge.py joins them)");
  out.push_back({cmd, [args] { return cmd_bench_layer(*args); }});
}

}  // namespace paramoe
