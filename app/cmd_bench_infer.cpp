// paramoe bench infer CONFIG [--colocate CONFIG_B]: MoE inference measured
// (lib/train/generator.h). Batches of requests — random prompts, greedy
// continuations, each data-parallel shard with batches of its own — run through
// the GPT-MoE model under the config's layout, once per all-to-all method
// (`--a2a native,pairwise,ordered`), the variants taking turns every repeat.
//
// With --colocate, a second model (its own config, checkpoint and communicators)
// lives on the same ranks, and every method runs two ways: the two models' requests
// back to back, and colocated — each model in a thread of its own, so that one
// model computes while the other's collectives are in flight (each thread's MPI
// calls progress its own transfers; MPI_THREAD_MULTIPLE). Both ways serve the same
// prompts, and every model's tokens must come out the same both ways (checked).
//
// Each row: generated tokens/s (all shards, both models), per-token decode latency
// percentiles, the prefill's latency, and the share of wall time a rank's compute
// is busy — each model's time outside its MoE layers' collectives and waits (so
// the dense parts' MP all-reduces count as busy), summed over the models — as its
// mean and minimum over ranks. Routing follows bench.routing (e.g. hot:0.5),
// weights the checkpoints (--resume, --resume-b) or the initial ones.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "app/command.h"
#include "core/error.h"
#include "core/log.h"
#include "core/result_table.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/timer.h"
#include "train/colocation.h"
#include "train/generator.h"

namespace paramoe {

namespace {

struct BenchInferArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume;    // empty: the initial weights
  std::string colocate;  // a second model's config: served beside the first
  std::string resume_b;
  std::vector<std::string> overrides_b;  // the second model's, after --set
  int batch = 8;                         // sequences per request
  int prompt = 16;                       // prompt tokens
  int tokens = 32;                       // generated tokens per sequence
  int requests = 4;                      // per repeat
  int repeats = 3;
  std::vector<std::string> a2a = {"native", "pairwise", "ordered"};
  std::string csv;
};

// What one model's requests took.
struct Served {
  std::vector<double> step_s, prefill_s;
  double wall = 0, idle = 0;  // idle: in its MoE layers' collectives and waits
};

// One model being served: its run context (communicators of its own), its weights,
// and the requests it is sent.
class Server {
 public:
  Server(RunContext& rc, const std::string& resume, uint64_t prompt_seed)
      : rc_(skewed(rc)), gen_(rc_, resume), seed_(prompt_seed) {}

  RunContext& rc() { return rc_; }

  // Requests 0 .. requests − 1, the same prompts every call; their tokens are
  // kept the first time and must be the same every later time.
  Served serve(const BenchInferArgs& a) {
    Served s;
    const double t0 = now_seconds();
    for (int q = 0; q < a.requests; ++q) {
      GenerateTiming t;
      const Generated g = gen_.generate(prompts(a, q), a.tokens, {}, &t);
      auto [it, first] = outputs_.try_emplace(q, g.tokens);
      if (!first && it->second != g.tokens) mismatch_ = true;
      s.prefill_s.push_back(t.prefill_seconds);
      s.step_s.insert(s.step_s.end(), t.step_seconds.begin(), t.step_seconds.end());
      s.idle += t.moe_seconds - t.moe_compute_seconds;
    }
    s.wall = now_seconds() - t0;
    return s;
  }
  bool mismatch() const { return mismatch_; }

 private:
  static RunContext& skewed(RunContext& rc) {
    for (MoeConfig& m : rc.moe_layers) m.routing_skew = rc.config.bench.routing;
    return rc;
  }
  std::vector<std::vector<int32_t>> prompts(const BenchInferArgs& a, int q) const {
    const int dp = rc_.grid->layout().dp(), shard = rc_.grid->index().dp;
    const int V = rc_.config.model.vocab_size;
    std::vector<std::vector<int32_t>> p(static_cast<size_t>(a.batch));
    const int64_t first = (static_cast<int64_t>(q) * dp + shard) * a.batch;
    for (int b = 0; b < a.batch; ++b)
      for (int t = 0; t < a.prompt; ++t)
        p[b].push_back(
            static_cast<int32_t>(uniform01(seed_, stream_id("bench/infer"),
                                           static_cast<uint64_t>((first + b) * a.prompt + t)) *
                                 V));
    return p;
  }

  RunContext& rc_;
  Generator gen_;
  uint64_t seed_;
  std::map<int, std::vector<std::vector<int32_t>>> outputs_;
  bool mismatch_ = false;
};

struct Variant {
  A2aMethod method;
  bool colocated;
};

struct VariantRuns {
  std::vector<double> step_s, prefill_s, tokens_per_s, busy;
};

// Every model's requests once: one after the other, or (colocated) each model in
// a thread of its own, the first in this thread. Returns the wall time and adds
// this rank's busy share to r.
double run_variant(std::vector<std::unique_ptr<Server>>& servers, const BenchInferArgs& a,
                   bool colocated, VariantRuns& r) {
  std::vector<Served> done(servers.size());
  MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
  const double t0 = now_seconds();
  if (!colocated) {
    for (size_t m = 0; m < servers.size(); ++m) done[m] = servers[m]->serve(a);
  } else {
    colocated_run([&] { done[0] = servers[0]->serve(a); }, [&] { done[1] = servers[1]->serve(a); },
                  "A", "B");
  }
  const double wall = now_seconds() - t0;
  double busy = 0;
  for (const Served& s : done) {
    r.step_s.insert(r.step_s.end(), s.step_s.begin(), s.step_s.end());
    r.prefill_s.insert(r.prefill_s.end(), s.prefill_s.begin(), s.prefill_s.end());
    busy += s.wall - s.idle;
  }
  r.busy.push_back(busy / wall);
  return wall;
}

int bench_infer(const BenchInferArgs& a) {
  if (a.batch < 1 || a.prompt < 1 || a.tokens < 1 || a.requests < 1 || a.repeats < 1)
    throw_collective(
        "bench infer: --batch, --prompt, --tokens, --requests and --repeats must be >= 1");
  const bool colocate = !a.colocate.empty();
  std::vector<A2aMethod> methods;
  for (const std::string& s : a.a2a) {
    A2aMethod m = A2aMethod::Native;
    as_collective([&] { m = a2a_method_from_string(s); });
    if (m == A2aMethod::TwoDh || m == A2aMethod::Auto)
      throw_collective("bench infer: --a2a " + s + ": expected native, pairwise or ordered");
    methods.push_back(m);
  }
  // Colocated, each model talks over communicators of its own (colocation.h).
  ColocatedContexts both;
  RunContext alone;
  if (colocate)
    colocated_contexts(both, a.config, a.colocate, a.overrides, a.overrides_b);
  else
    alone = run_context_create(a.config, a.overrides);
  std::vector<std::unique_ptr<Server>> servers;
  servers.push_back(std::make_unique<Server>(colocate ? both.a : alone, a.resume, 7));
  if (colocate) servers.push_back(std::make_unique<Server>(both.b, a.resume_b, 8));
  const RunContext& rc = servers[0]->rc();
  std::vector<Variant> variants;
  for (const A2aMethod m : methods) {
    variants.push_back({m, false});
    if (colocate) variants.push_back({m, true});
  }
  auto set_method = [&](A2aMethod m) {
    for (auto& s : servers)
      s->rc().coll->set_alltoall(m, order_algorithm_from_string(s->rc().config.moe.a2a_order));
  };
  set_method(methods[0]);
  for (auto& s : servers) s->serve(a);  // warm-up, and the tokens every later run must give
  std::vector<VariantRuns> runs(variants.size());
  const int dp = rc.grid->layout().dp();
  const double tokens = static_cast<double>(a.requests) * dp * a.batch * a.tokens;
  take_turns(static_cast<int>(variants.size()), a.repeats, [&](int v) {
    set_method(variants[v].method);
    const double wall = run_variant(servers, a, variants[v].colocated, runs[v]);
    runs[v].tokens_per_s.push_back(tokens * static_cast<double>(servers.size()) / wall);
  });
  int mismatch = 0;
  for (auto& s : servers) mismatch |= s->mismatch() ? 1 : 0;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &mismatch, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
  if (mismatch)
    throw_collective(
        "bench infer: a model's tokens changed between runs of the same requests "
        "(colocated against alone, or between all-to-all methods)");

  ResultTable table({{"ranks"},
                     {"layout", "layout", "%s"},
                     {"routing", "routing", "%s"},
                     {"models"},
                     {"batch"},
                     {"prompt"},
                     {"tokens"},
                     {"a2a", "a2a", "%s"},
                     {"mode", "mode", "%s"},
                     {"repeats"},
                     {"tokens_per_s", "tokens/s", "%.1f"},
                     {"step_p50_s", "p50 ms", "%.3f", 1e3},
                     {"step_p90_s", "p90 ms", "%.3f", 1e3},
                     {"step_p99_s", "p99 ms", "%.3f", 1e3},
                     {"prefill_s", "prefill ms", "%.3f", 1e3},
                     {"busy_mean", "busy mean", "%.3f"},
                     {"busy_min", "busy min", "%.3f"},
                     {"speedup", "speed-up", "%.3f"}});
  const int n = rc.grid->size(Group::World);
  for (size_t v = 0; v < variants.size(); ++v) {
    const VariantRuns& r = runs[v];
    double busy = median(r.busy);
    std::vector<double> all(static_cast<size_t>(n));
    MPI_CHECK(MPI_Allgather(&busy, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, MPI_COMM_WORLD));
    // Against the first method, alone; colocated rows against their method's
    // back-to-back row.
    const VariantRuns& base = variants[v].colocated ? runs[v - 1] : runs[0];
    const std::string mode = !colocate               ? "alone"
                             : variants[v].colocated ? "colocated"
                                                     : "back-to-back";
    table.add({int64_t{n}, rc.grid->describe(), rc.config.bench.routing,
               static_cast<int64_t>(servers.size()), int64_t{a.batch}, int64_t{a.prompt},
               int64_t{a.tokens}, std::string(a2a_method_name(variants[v].method)), mode,
               int64_t{a.repeats}, median(r.tokens_per_s), percentile(r.step_s, 50),
               percentile(r.step_s, 90), percentile(r.step_s, 99), median(r.prefill_s), mean(all),
               *std::min_element(all.begin(), all.end()),
               median(r.tokens_per_s) / median(base.tokens_per_s)});
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
                                       "model per all-to-all method, alone or colocated with a "
                                       "second model");
  add_config_options(cmd, a->config, a->overrides);
  cmd->add_option("--resume", a->resume, "a checkpoint to load (default: the initial weights)");
  cmd->add_option("--colocate", a->colocate,
                  "a second model's config, served on the same ranks (--set applies to both, "
                  "--set-b to it alone)");
  cmd->add_option("--resume-b", a->resume_b, "the second model's checkpoint");
  cmd->add_option("--set-b", a->overrides_b, "override a key of the second model only");
  cmd->add_option("--batch", a->batch, "sequences per request");
  cmd->add_option("--prompt", a->prompt, "prompt tokens per sequence (random ids)");
  cmd->add_option("--tokens", a->tokens, "tokens generated per sequence");
  cmd->add_option("--requests", a->requests, "requests per method and repeat");
  cmd->add_option("--a2a", a->a2a, "all-to-all methods: native, pairwise, ordered")->delimiter(',');
  add_bench_options(cmd, a->repeats, a->csv);
  out.push_back({cmd, [a] { return bench_infer(*a); }});
}

}  // namespace paramoe
