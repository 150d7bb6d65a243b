// paramoe plan placement: where experts should live, without MPI. For each EP size
// and traffic kind it draws per-expert loads (or reads them), plans a placement
// for the given device speeds, and compares three placements — contiguous (the
// default), random and load-aware — on the two things a placement decides:
//   expert time: max over ranks of Σ(its experts' loads)/speed, shown relative
//                to a perfect split of the load by speed (1.00 is ideal);
//   all-to-all:  the lower bound T* of the dispatch all-to-all (a2a_order.h)
//                with the given link bandwidths, since a rank's receive port
//                carries the rows of the experts it holds.
// --show-plan prints which rank holds which experts.
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>

#include "app/command.h"
#include "comm/a2a_order.h"
#include "core/csv_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stats.h"
#include "moe/expert_placement.h"
#include "plan/placement_plan.h"
#include "plan/traffic.h"

namespace paramoe {

namespace {

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

}  // namespace
namespace {

struct Outcome {
  std::vector<double> expert_vs_ideal, a2a_ms;
};

void show_plan(const ExpertPlacement& p, const std::vector<double>& loads,
               const std::vector<double>& speeds) {
  std::printf("  %4s %7s %10s  %s\n", "rank", "speed", "load", "experts");
  for (int r = 0; r < p.ep; ++r) {
    double sum = 0;
    std::string list;
    for (int64_t e : p.experts_of(r)) {
      sum += loads[e];
      list += ' ';
      list += std::to_string(e);
    }
    std::printf("  %4d %7.2f %10.0f %s\n", r, speeds[r], sum, list.c_str());
  }
}

void run(const PlanPlacementArgs& a) {
  if (a.speeds.empty() || a.bandwidth_gbps.empty())
    throw Error("plan placement: --speeds and --bandwidth need at least one value");
  for (double v : a.speeds)
    if (!(v > 0)) throw Error("plan placement: --speeds values must be > 0");
  for (double v : a.bandwidth_gbps)
    if (!(v > 0)) throw Error("plan placement: --bandwidth values must be > 0 (GB/s)");
  const std::vector<double> file_loads =
      a.loads.empty() ? std::vector<double>{} : read_expert_loads(a.loads);
  const bool root = world_rank() == 0;
  std::ofstream csv;
  if (!a.csv.empty() && root)
    csv = open_csv(a.csv,
                   "ep,experts,traffic,zipf_s,hot_fraction,speed_classes,bandwidth_classes_gbps,"
                   "placement,seeds,"
                   "expert_time_vs_ideal,a2a_bound_ms,expert_gain_vs_contiguous,"
                   "a2a_gain_vs_contiguous",
                   /*append=*/true, "plan csv");
  auto join = [](const std::vector<double>& v) {
    std::ostringstream s;
    for (size_t i = 0; i < v.size(); ++i) s << (i ? "/" : "") << v[i];
    return s.str();
  };
  const char* names[] = {"contiguous", "random", "load"};
  if (root)
    std::printf("%5s %7s %-8s %-11s %14s %12s %11s %10s\n", "ep", "experts", "traffic", "placement",
                "expert/ideal", "a2a T* ms", "expert gain", "a2a gain");
  for (int ep : a.ep) {
    const int E =
        file_loads.empty() ? ep * a.experts_per_rank : static_cast<int>(file_loads.size());
    if (E % ep)
      throw Error("plan placement: " + std::to_string(E) +
                  " experts do not split evenly over ep=" + std::to_string(ep));
    const std::vector<double> speeds = per_rank_classes(ep, a.speeds);
    const Bandwidths bw = link_bandwidths(ep, a.bandwidth_gbps);
    const double speed_sum = std::accumulate(speeds.begin(), speeds.end(), 0.0);
    const std::vector<std::string> kinds =
        file_loads.empty() ? a.traffic : std::vector<std::string>{a.loads};
    for (const std::string& kind : kinds) {
      Outcome out[3];
      const int seeds = file_loads.empty() ? a.seeds : 1;
      for (int seed = 1; seed <= seeds; ++seed) {
        const ExpertTraffic t = file_loads.empty()
                                    ? make_expert_traffic({.kind = kind,
                                                           .ranks = ep,
                                                           .experts = E,
                                                           .tokens = a.tokens,
                                                           .top_k = a.top_k,
                                                           .zipf_s = a.zipf_s,
                                                           .hot_fraction = a.hot_fraction,
                                                           .seed = static_cast<uint64_t>(seed)})
                                    : traffic_from_loads(file_loads, ep);
        const std::vector<double> loads = file_loads.empty() ? t.expert_load() : file_loads;
        const double ideal = std::accumulate(loads.begin(), loads.end(), 0.0) / speed_sum;
        const ExpertPlacement placements[3] = {
            placement_contiguous(E, ep), placement_random(E, ep, static_cast<uint64_t>(seed)),
            placement_from_owners(plan_placement(loads, speeds, ep), ep, "placement plan")};
        for (int k = 0; k < 3; ++k) {
          const double time = placement_makespan(loads, speeds, placements[k].owner, ep);
          TrafficMatrix m = traffic_for_placement(t, placements[k].owner);
          for (int64_t& v : m.d) v *= a.bytes_per_row;
          out[k].expert_vs_ideal.push_back(ideal > 0 ? time / ideal : 1.0);
          out[k].a2a_ms.push_back(a2a_lower_bound(m, bw) * 1e3);
        }
        if (a.show_plan && root && seed == 1) {
          std::printf("load-aware plan, ep=%d, %s, seed 1 (makespan/ideal %.3f):\n", ep,
                      kind.c_str(), out[2].expert_vs_ideal.back());
          show_plan(placements[2], loads, speeds);
        }
      }
      const std::string label = file_loads.empty() ? kind : "file";
      for (int k = 0; k < 3 && root; ++k) {
        const double ex = mean(out[k].expert_vs_ideal), a2a = mean(out[k].a2a_ms);
        const double ex_gain = mean(out[0].expert_vs_ideal) / ex,
                     a2a_gain = mean(out[0].a2a_ms) / a2a;
        std::printf("%5d %7d %-8s %-11s %14.3f %12.4f %10.3fx %9.3fx\n", ep, E, label.c_str(),
                    names[k], ex, a2a, ex_gain, a2a_gain);
        if (csv.is_open())
          csv << ep << "," << E << "," << label << "," << a.zipf_s << "," << a.hot_fraction << ","
              << join(a.speeds) << "," << join(a.bandwidth_gbps) << "," << names[k] << "," << seeds
              << "," << ex << "," << a2a << "," << ex_gain << "," << a2a_gain << "\n";
      }
    }
  }
}

}  // namespace

static int cmd_plan_placement(const PlanPlacementArgs& args) {
  as_collective([&] { run(args); });
  return 0;
}

void add_plan_placement_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<PlanPlacementArgs>();
  CLI::App* cmd = command_group(app, "plan", "predict and plan without running")
                      ->add_subcommand("placement",
                                       "expert placement: contiguous, random and load-aware "
                                       "(heaviest experts to the fastest devices) compared on "
                                       "expert time and the all-to-all bound");
  cmd->add_option("--ep", args->ep, "EP sizes to sweep")->delimiter(',');
  cmd->add_option("--traffic", args->traffic, "traffic kinds (uniform, zipf, hot)")->delimiter(',');
  cmd->add_option("--loads", args->loads,
                  "a file of per-expert loads (comma or newline separated) instead");
  cmd->add_option("--experts-per-rank", args->experts_per_rank, "experts per EP rank");
  cmd->add_option("--tokens", args->tokens, "tokens per rank");
  cmd->add_option("--top-k", args->top_k, "experts per token");
  cmd->add_option("--zipf-s", args->zipf_s, "Zipf exponent of expert popularity");
  cmd->add_option("--hot-fraction", args->hot_fraction,
                  "share of picks that go to the one hot expert");
  cmd->add_option("--speeds", args->speeds,
                  "relative device speeds: one value, or classes given to equal blocks of ranks")
      ->delimiter(',');
  cmd->add_option("--bandwidth", args->bandwidth_gbps,
                  "link GB/s: one value, or classes given to equal blocks of ranks")
      ->delimiter(',');
  cmd->add_option("--bytes-per-row", args->bytes_per_row, "bytes per token row");
  cmd->add_option("--seeds", args->seeds, "load draws per point (seeds 1..N)");
  cmd->add_flag("--show-plan", args->show_plan, "print which rank holds which experts");
  cmd->add_option("--csv", args->csv, "append results to this CSV file");
  out.push_back({cmd, [args] { return cmd_plan_placement(*args); }});
}

}  // namespace paramoe
