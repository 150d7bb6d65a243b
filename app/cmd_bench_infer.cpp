// paramoe bench infer CONFIG: MoE inference measured (lib/train/generator.h).
// Batches of requests — random prompts, greedy continuations, each data-parallel
// shard with batches of its own — run through the GPT-MoE model under the
// config's layout, once per all-to-all method
// (`--a2a native,pairwise,ordered`), the methods taking turns every repeat. Each
// row: generated tokens/s (all shards), per-token decode latency percentiles, the prefill's
// latency, and the share of wall time each rank's compute is busy — everything but
// the MoE layers' collectives and waits for them (so the dense parts' MP
// all-reduces count as busy) — as its mean and minimum over ranks. Routing follows
// bench.routing (e.g. hot:0.5), weights the checkpoint (--resume) or the initial
// ones.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/command.h"
#include "core/error.h"
#include "core/log.h"
#include "core/result_table.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/timer.h"
#include "train/generator.h"

namespace paramoe {

namespace {

struct BenchInferArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume;  // empty: the initial weights
  int batch = 8;       // sequences per request
  int prompt = 16;     // prompt tokens
  int tokens = 32;     // generated tokens per sequence
  int requests = 4;    // per repeat
  int repeats = 3;
  std::vector<std::string> a2a = {"native", "pairwise", "ordered"};
  std::string csv;
};

// The nearest-rank percentile q (0–100) of v.
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const auto k = static_cast<size_t>(std::ceil(q / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
}

struct MethodRuns {
  std::vector<double> step_s, prefill_s, tokens_per_s;
  double wall = 0, moe = 0, moe_compute = 0;
};

int bench_infer(const BenchInferArgs& a) {
  RunContext rc = run_context_create(a.config, a.overrides);
  if (a.batch < 1 || a.prompt < 1 || a.tokens < 1 || a.requests < 1 || a.repeats < 1)
    throw_collective(
        "bench infer: --batch, --prompt, --tokens, --requests and --repeats must be >= 1");
  for (MoeConfig& m : rc.moe_layers) m.routing_skew = rc.config.bench.routing;
  std::vector<A2aMethod> methods;
  for (const std::string& s : a.a2a) {
    A2aMethod m = A2aMethod::Native;
    as_collective([&] { m = a2a_method_from_string(s); });
    if (m == A2aMethod::TwoDh || m == A2aMethod::Auto)
      throw_collective("bench infer: --a2a " + s + ": expected native, pairwise or ordered");
    methods.push_back(m);
  }
  const OrderAlgorithm order = order_algorithm_from_string(rc.config.moe.a2a_order);
  Generator gen(rc, a.resume);
  const int V = rc.config.model.vocab_size;
  std::vector<MethodRuns> runs(methods.size());
  int request = 0;
  const int dp = rc.grid->layout().dp(), shard = rc.grid->index().dp;
  auto prompts = [&] {
    std::vector<std::vector<int32_t>> p(static_cast<size_t>(a.batch));
    const int64_t first = (static_cast<int64_t>(request) * dp + shard) * a.batch;
    for (int b = 0; b < a.batch; ++b)
      for (int t = 0; t < a.prompt; ++t)
        p[b].push_back(
            static_cast<int32_t>(uniform01(7, stream_id("bench/infer"),
                                           static_cast<uint64_t>((first + b) * a.prompt + t)) *
                                 V));
    ++request;
    return p;
  };
  gen.generate(prompts(), a.tokens, {});  // warm-up
  take_turns(static_cast<int>(methods.size()), a.repeats, [&](int v) {
    rc.coll->set_alltoall(methods[v], order);
    MethodRuns& r = runs[v];
    MPI_CHECK(MPI_Barrier(rc.grid->comm(Group::World)));
    const double t0 = now_seconds();
    for (int q = 0; q < a.requests; ++q) {
      GenerateTiming t;
      gen.generate(prompts(), a.tokens, {}, &t);
      r.prefill_s.push_back(t.prefill_seconds);
      r.step_s.insert(r.step_s.end(), t.step_seconds.begin(), t.step_seconds.end());
      r.moe += t.moe_seconds;
      r.moe_compute += t.moe_compute_seconds;
    }
    const double wall = now_seconds() - t0;
    r.wall += wall;
    r.tokens_per_s.push_back(static_cast<double>(a.requests) * dp * a.batch * a.tokens / wall);
  });

  ResultTable table({{"ranks"},
                     {"layout", "layout", "%s"},
                     {"routing", "routing", "%s"},
                     {"batch"},
                     {"prompt"},
                     {"tokens"},
                     {"a2a", "a2a", "%s"},
                     {"repeats"},
                     {"tokens_per_s", "tokens/s", "%.1f"},
                     {"step_p50_ms", "p50 ms", "%.3f", 1e3},
                     {"step_p90_ms", "p90 ms", "%.3f", 1e3},
                     {"step_p99_ms", "p99 ms", "%.3f", 1e3},
                     {"prefill_ms", "prefill ms", "%.3f", 1e3},
                     {"busy_mean", "busy mean", "%.3f"},
                     {"busy_min", "busy min", "%.3f"},
                     {"speedup_vs_first", "vs first", "%.3f"}});
  const int n = rc.grid->size(Group::World);
  for (size_t v = 0; v < methods.size(); ++v) {
    const MethodRuns& r = runs[v];
    // Idle: the MoE layers' time outside their compute steps.
    double busy = (r.wall - (r.moe - r.moe_compute)) / r.wall;
    std::vector<double> all(static_cast<size_t>(n));
    MPI_CHECK(MPI_Allgather(&busy, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE,
                            rc.grid->comm(Group::World)));
    // Timings in seconds (the terminal shows ms); all agreed from rank 0's.
    table.add({int64_t{n}, rc.grid->describe(), rc.config.bench.routing, int64_t{a.batch},
               int64_t{a.prompt}, int64_t{a.tokens}, std::string(a2a_method_name(methods[v])),
               int64_t{a.repeats}, median(r.tokens_per_s), percentile(r.step_s, 50),
               percentile(r.step_s, 90), percentile(r.step_s, 99), median(r.prefill_s), mean(all),
               *std::min_element(all.begin(), all.end()),
               median(r.tokens_per_s) / median(runs[0].tokens_per_s)});
  }
  if (rc.grid->world_rank() == 0) {
    for (const std::string& line : table.lines()) std::printf("%s\n", line.c_str());
    if (!a.csv.empty()) table.append_csv(a.csv, "bench csv");
  }
  return 0;
}

}  // namespace

void add_bench_infer_command(CLI::App& app, Commands& out) {
  auto a = std::make_shared<BenchInferArgs>();
  CLI::App* cmd = command_group(app, "bench", "measure kernels, layers and schedules")
                      ->add_subcommand("infer",
                                       "MoE inference: batches of requests through the GPT-MoE "
                                       "model, per all-to-all method");
  add_config_options(cmd, a->config, a->overrides);
  cmd->add_option("--resume", a->resume, "a checkpoint to load (default: the initial weights)");
  cmd->add_option("--batch", a->batch, "sequences per request");
  cmd->add_option("--prompt", a->prompt, "prompt tokens per sequence (random ids)");
  cmd->add_option("--tokens", a->tokens, "tokens generated per sequence");
  cmd->add_option("--requests", a->requests, "requests per method and repeat");
  cmd->add_option("--a2a", a->a2a, "all-to-all methods: native, pairwise, ordered")->delimiter(',');
  add_bench_options(cmd, a->repeats, a->csv);
  out.push_back({cmd, [a] { return bench_infer(*a); }});
}

}  // namespace paramoe
