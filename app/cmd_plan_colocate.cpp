// paramoe plan colocate: Aurora's deployment planner (lib/plan/colocation_plan.h),
// without MPI. For two models' routing (generated, or per-expert loads from files)
// on n ranks with one expert of each per rank, it plans the four settings —
// exclusive or colocated models, on equal links or on the given link classes — and
// reports each deployment's all-to-all time under Aurora's port model (the
// planner's objective, "bound"), the real traffic's lower bound T* and the time of
// its ordered all-to-all (Birkhoff–von Neumann rounds, simulated on the big
// switch), the speed-up of the colocated ordered all-to-all over the two models
// back to back, and with
// --check the optimum of the objective by exhaustive search (n ≤ 7).
#include <cstdio>
#include <numeric>

#include "app/command.h"
#include "comm/a2a_simulate.h"
#include "core/error.h"
#include "core/log.h"
#include "core/result_table.h"
#include "plan/colocation_plan.h"

namespace paramoe {

namespace {

struct PlanColocateArgs {
  int ranks = 8;
  std::vector<std::string> traffic = {"hot", "zipf"};  // the two models' routing
  std::vector<std::string> loads;                      // or per-expert load files
  int tokens = 4096;                                   // per rank
  int top_k = 2;
  double zipf_s = 1.2;
  double hot_fraction = 0.5;
  uint64_t seed = 1;
  std::vector<double> bandwidth_gbps = {12.5, 10, 6.25, 5};  // Aurora's 100/80/50/40 Gb/s
  int64_t bytes_per_row = 4096;
  bool check = false;
  bool show_plan = false;
  std::string csv;
};

// The deployment's all-to-all over its real traffic (the rows a rank keeps stay
// off the switch; a transfer runs at the slower end's rate): the models' one after
// the other when exclusive, their summed traffic in one when colocated. Returns the
// seconds of its ordered run; `bound` gets T* (a2a_order.h).
double ordered_seconds(const std::vector<ExpertTraffic>& models, const Deployment& d,
                       const Bandwidths& bw, int64_t bytes_per_row, double& bound) {
  std::vector<TrafficMatrix> t = deployment_traffic(models, d.owner, bytes_per_row);
  if (d.colocated) {
    for (size_t i = 0; i < t[0].d.size(); ++i) t[0].d[i] += t[1].d[i];
    t.resize(1);
  }
  double s = 0;
  bound = 0;
  for (const TrafficMatrix& m : t) {
    s += simulate_order(order_bvn(m, bw), m.n, bw, 0.0);
    bound += a2a_lower_bound(m, bw);
  }
  return s;
}

void show(const std::vector<ExpertTraffic>& models, const Deployment& d, const Bandwidths& bw) {
  std::vector<std::vector<double>> load;
  for (const ExpertTraffic& t : models) load.push_back(t.expert_load());
  std::printf("  %4s %8s", "rank", "GB/s");
  for (size_t m = 0; m < models.size(); ++m)
    std::printf("  model %c expert (rows)", 'A' + static_cast<int>(m));
  std::printf("\n");
  for (size_t r = 0; r < bw.size(); ++r) {
    std::printf("  %4zu %8.2f", r, bw[r] / 1e9);
    for (size_t m = 0; m < models.size(); ++m)
      for (size_t e = 0; e < d.owner[m].size(); ++e)
        if (d.owner[m][e] == static_cast<int>(r)) std::printf("  %10zu (%8.0f)", e, load[m][e]);
    std::printf("\n");
  }
}

void run(const PlanColocateArgs& a) {
  const int n = a.ranks;
  if (n < 2) throw Error("plan colocate: --ranks must be >= 2");
  if (a.bandwidth_gbps.empty()) throw Error("plan colocate: --bandwidth needs a value");
  for (double v : a.bandwidth_gbps)
    if (!(v > 0)) throw Error("plan colocate: --bandwidth values must be > 0 (GB/s)");
  if (a.check && n > 7)
    throw Error("plan colocate: --check searches every deployment, for --ranks <= 7");
  std::vector<ExpertTraffic> models;
  if (!a.loads.empty()) {
    if (a.loads.size() != 2) throw Error("plan colocate: --loads needs two files, A,B");
    for (const std::string& path : a.loads) {
      const std::vector<double> l = read_expert_loads(path);
      if (static_cast<int>(l.size()) != n)
        throw Error("loads file " + path + ": " + std::to_string(l.size()) +
                    " experts, expected one per rank (--ranks " + std::to_string(n) + ")");
      models.push_back(traffic_from_loads(l, n));
    }
  } else {
    if (a.traffic.size() != 2) throw Error("plan colocate: --traffic needs two kinds, A,B");
    for (size_t m = 0; m < 2; ++m)
      models.push_back(make_expert_traffic({.kind = a.traffic[m],
                                            .ranks = n,
                                            .experts = n,
                                            .tokens = a.tokens,
                                            .top_k = a.top_k,
                                            .zipf_s = a.zipf_s,
                                            .hot_fraction = a.hot_fraction,
                                            .seed = a.seed + m}));
  }
  const Bandwidths hetero = link_bandwidths(n, a.bandwidth_gbps);
  const double mean_bw = std::accumulate(hetero.begin(), hetero.end(), 0.0) / n;
  const Bandwidths homo(static_cast<size_t>(n), mean_bw);
  const bool root = world_rank() == 0;
  ResultTable table({{"ranks"},
                     {"models"},
                     {"links", "links", "%s"},
                     {"deployment", "deployment", "%s"},
                     {"bound_ms", "bound ms", "%.3f"},
                     {"t_star_ms", "T* ms", "%.3f"},
                     {"ordered_ms", "ordered ms", "%.3f"},
                     {"ordered_vs_t_star", "ord/T*", "%.3f"},
                     {"optimal_ms", "optimal ms", "%.3f"},
                     {"planned_vs_optimal", "plan/opt", "%.4f"},
                     {"colocated_speedup", "coloc x", "%.3f"}});
  const std::string label =
      a.loads.empty() ? a.traffic[0] + "+" + a.traffic[1] : a.loads[0] + "+" + a.loads[1];
  for (const bool heterogeneous : {false, true}) {
    const Bandwidths& bw = heterogeneous ? hetero : homo;
    double exclusive_ms = 0;
    for (const bool colocated : {false, true}) {
      const Deployment d = plan_deployment(models, bw, colocated, a.bytes_per_row);
      const double ms = d.seconds * 1e3;
      double t_star = 0;
      const double ordered = ordered_seconds(models, d, bw, a.bytes_per_row, t_star) * 1e3;
      t_star *= 1e3;
      // Without --check the optimum is not known: 0 in both of its columns.
      double optimal = 0;
      if (a.check)
        optimal = plan_deployment_exhaustive(models, bw, colocated, a.bytes_per_row).seconds * 1e3;
      if (!colocated) exclusive_ms = ordered;
      const std::string links = heterogeneous ? "unequal" : "equal";
      const std::string kind = colocated ? "colocated" : "exclusive";
      table.add({int64_t{n}, label, links, kind, ms, t_star, ordered, ordered / t_star, optimal,
                 a.check ? ms / optimal : 0.0, colocated ? exclusive_ms / ordered : 1.0});
      if (a.show_plan && root) {
        std::printf("%s links, %s:\n", links.c_str(), kind.c_str());
        show(models, d, bw);
      }
    }
  }
  if (!root) return;
  for (const std::string& line : table.lines()) std::printf("%s\n", line.c_str());
  if (!a.csv.empty()) table.append_csv(a.csv, "plan csv");
}

}  // namespace

void add_plan_colocate_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<PlanColocateArgs>();
  CLI::App* cmd = command_group(app, "plan", "predict and plan without running")
                      ->add_subcommand("colocate",
                                       "Aurora's deployment planner: two models' experts "
                                       "exclusive or colocated, on equal or unequal links");
  cmd->add_option("--ranks", args->ranks, "ranks (one expert of each model per rank)");
  cmd->add_option("--traffic", args->traffic, "the two models' routing: uniform, zipf or hot")
      ->delimiter(',');
  cmd->add_option("--loads", args->loads, "or two files of per-expert loads, A,B")->delimiter(',');
  cmd->add_option("--tokens", args->tokens, "tokens per rank");
  cmd->add_option("--top-k", args->top_k, "experts per token");
  cmd->add_option("--zipf-s", args->zipf_s, "Zipf exponent of expert popularity");
  cmd->add_option("--hot-fraction", args->hot_fraction, "share of picks that go to the hot expert");
  cmd->add_option("--seed", args->seed, "routing draw (model B takes seed + 1)");
  cmd->add_option("--bandwidth", args->bandwidth_gbps,
                  "link GB/s classes given to equal blocks of ranks (default: Aurora's "
                  "100/80/50/40 Gb/s); the equal-link settings use their mean")
      ->delimiter(',');
  cmd->add_option("--bytes-per-row", args->bytes_per_row, "bytes per token row");
  cmd->add_flag("--check", args->check, "also search every deployment (ranks <= 7)");
  cmd->add_flag("--show-plan", args->show_plan, "print which rank holds which experts");
  cmd->add_option("--csv", args->csv, "append results to this CSV file");
  out.push_back({cmd, [args] {
                   as_collective([&] { run(*args); });
                   return 0;
                 }});
}

}  // namespace paramoe
