// paramoe plan a2a: all-to-all orders under the big-switch model, without MPI.
// For each rank count, traffic kind and seed it builds a traffic matrix, orders
// it with every method, simulates the makespan and divides by the lower bound
// T* (a2a_order.h). Prints the mean and worst ratio per method; --csv keeps them.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/command.h"
#include "comm/a2a_order.h"
#include "comm/a2a_simulate.h"
#include "core/csv_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stats.h"
#include "plan/traffic.h"

namespace paramoe {

namespace {

struct PlanA2aArgs {
  std::vector<int> ranks = {8, 16, 32, 64, 128, 256};
  std::vector<std::string> traffic = {"uniform", "zipf", "hot"};  // kinds, or one CSV file
  int experts_per_rank = 4;
  int tokens = 4096;  // per rank
  int top_k = 2;
  double zipf_s = 1.2;
  double hot_fraction = 0.5;
  int64_t bytes_per_row = 4096;               // D × 4 (fp32 D = 1024)
  std::vector<double> bandwidth_gbps = {25};  // one value, or classes assigned in equal blocks
  double latency_us = 0;
  int seeds = 10;
  std::vector<std::string> methods = {"bvn",    "greedy",         "pairwise",
                                      "random", "shortest-first", "all-at-once"};
  std::string csv;
};

}  // namespace
namespace {

constexpr int kMaxAllAtOnceRanks = 64;  // the fluid simulation grows as n⁴

struct MethodStats {
  std::vector<double> ratio, makespan;
  int max_rounds = 0, max_msgs_per_rank = 0;
};

int max_messages_per_rank(const A2aOrder& o, int n) {
  std::vector<int> sends(n, 0), recvs(n, 0);
  for (const A2aPiece& p : o.pieces) ++sends[p.src], ++recvs[p.dst];
  return std::max(*std::max_element(sends.begin(), sends.end()),
                  *std::max_element(recvs.begin(), recvs.end()));
}

void run(const PlanA2aArgs& a) {
  if (a.bandwidth_gbps.empty()) throw Error("plan a2a: --bandwidth needs at least one value");
  for (double b : a.bandwidth_gbps)
    if (!(b > 0)) throw Error("plan a2a: --bandwidth values must be > 0 (GB/s)");
  for (const std::string& m : a.methods)
    if (m != "all-at-once") order_algorithm_from_string(m);
  const bool from_file = a.traffic.size() == 1 && std::filesystem::exists(a.traffic[0]);
  const TrafficMatrix file_matrix = from_file ? read_traffic_csv(a.traffic[0]) : TrafficMatrix();
  const std::vector<int> rank_counts = from_file ? std::vector<int>{file_matrix.n} : a.ranks;
  const int seeds = from_file ? 1 : a.seeds;
  const bool root = world_rank() == 0;
  std::ofstream csv;
  if (!a.csv.empty() && root)
    csv =
        open_csv(a.csv,
                 "ranks,traffic,bandwidth_classes_gbps,latency_us,method,seeds,mean_ratio_to_bound,"
                 "max_ratio_to_bound,mean_makespan_ms,mean_bound_ms,mean_port_bound_ms,max_rounds,"
                 "max_messages_per_rank",
                 /*append=*/true, "plan csv");
  std::ostringstream classes_text;
  for (size_t i = 0; i < a.bandwidth_gbps.size(); ++i)
    classes_text << (i ? "/" : "") << a.bandwidth_gbps[i];
  const std::string classes = classes_text.str();
  if (root)
    std::printf("%6s %-8s %-15s %10s %10s %10s %8s %8s\n", "ranks", "traffic", "method", "mean/T*",
                "max/T*", "ms", "rounds", "msgs");
  for (int n : rank_counts)
    for (const std::string& kind : a.traffic) {
      std::vector<MethodStats> stats(a.methods.size());
      double bound_sum = 0, port_sum = 0;
      const Bandwidths bw = link_bandwidths(n, a.bandwidth_gbps);
      for (int seed = 1; seed <= seeds; ++seed) {
        TrafficMatrix m;
        if (from_file) {
          m = file_matrix;
        } else {
          m = make_traffic({.kind = kind,
                            .ranks = n,
                            .experts = n * a.experts_per_rank,
                            .tokens = a.tokens,
                            .top_k = a.top_k,
                            .zipf_s = a.zipf_s,
                            .hot_fraction = a.hot_fraction,
                            .seed = static_cast<uint64_t>(seed)});
        }
        for (int64_t& v : m.d) v *= a.bytes_per_row;
        const double bound = a2a_lower_bound(m, bw);
        bound_sum += bound;
        port_sum += a2a_port_bound(m, bw);
        for (size_t k = 0; k < a.methods.size(); ++k) {
          const std::string& method = a.methods[k];
          double t = 0;
          if (method == "all-at-once") {
            if (n > kMaxAllAtOnceRanks) continue;
            t = simulate_all_at_once(m, bw, a.latency_us * 1e-6);
          } else {
            OrderOptions opt;
            opt.seed = static_cast<uint64_t>(seed);
            const A2aOrder o = make_order(order_algorithm_from_string(method), m, bw, opt);
            const std::string bad = check_order(m, o);
            if (!bad.empty()) throw Error("plan a2a: " + method + " order is wrong: " + bad);
            t = simulate_order(o, n, bw, a.latency_us * 1e-6);
            stats[k].max_rounds = std::max(stats[k].max_rounds, o.rounds);
            stats[k].max_msgs_per_rank =
                std::max(stats[k].max_msgs_per_rank, max_messages_per_rank(o, n));
          }
          stats[k].ratio.push_back(bound > 0 ? t / bound : 1.0);
          stats[k].makespan.push_back(t);
        }
      }
      const std::string label = from_file ? std::filesystem::path(kind).filename().string() : kind;
      for (size_t k = 0; k < a.methods.size(); ++k) {
        const MethodStats& s = stats[k];
        if (s.ratio.empty() || !root) continue;
        const double worst = *std::max_element(s.ratio.begin(), s.ratio.end());
        std::printf("%6d %-8s %-15s %10.4f %10.4f %10.3f %8d %8d\n", n, label.c_str(),
                    a.methods[k].c_str(), mean(s.ratio), worst, mean(s.makespan) * 1e3,
                    s.max_rounds, s.max_msgs_per_rank);
        if (csv.is_open())
          csv << n << "," << label << "," << classes << "," << a.latency_us << "," << a.methods[k]
              << "," << s.ratio.size() << "," << mean(s.ratio) << "," << worst << ","
              << mean(s.makespan) * 1e3 << "," << bound_sum / seeds * 1e3 << ","
              << port_sum / seeds * 1e3 << "," << s.max_rounds << "," << s.max_msgs_per_rank
              << "\n";
      }
    }
}

}  // namespace

static int cmd_plan_a2a(const PlanA2aArgs& args) {
  as_collective([&] { run(args); });
  return 0;
}

void add_plan_a2a_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<PlanA2aArgs>();
  CLI::App* cmd = command_group(app, "plan", "predict and plan without running")
                      ->add_subcommand("a2a",
                                       "all-to-all orders (bvn, greedy, pairwise, random, "
                                       "shortest-first, all-at-once) under the big-switch model: "
                                       "simulated makespan against the lower bound T*");
  cmd->add_option("--ranks", args->ranks, "rank counts to sweep")->delimiter(',');
  cmd->add_option("--traffic", args->traffic,
                  "traffic kinds (uniform, zipf, hot), or one CSV file of an n x n matrix of rows")
      ->delimiter(',');
  cmd->add_option("--experts-per-rank", args->experts_per_rank, "experts per rank");
  cmd->add_option("--tokens", args->tokens, "tokens per rank");
  cmd->add_option("--top-k", args->top_k, "experts per token");
  cmd->add_option("--zipf-s", args->zipf_s, "Zipf exponent of expert popularity");
  cmd->add_option("--hot-fraction", args->hot_fraction,
                  "share of picks that go to the one hot expert");
  cmd->add_option("--bytes-per-row", args->bytes_per_row, "bytes per token row");
  cmd->add_option("--bandwidth", args->bandwidth_gbps,
                  "link GB/s per rank: one value, or classes given to equal blocks of ranks "
                  "(e.g. 100,80,50,40)")
      ->delimiter(',');
  cmd->add_option("--latency-us", args->latency_us, "start-up latency per message");
  cmd->add_option("--seeds", args->seeds, "matrices per point (seeds 1..N)");
  cmd->add_option("--methods", args->methods, "methods to compare")->delimiter(',');
  cmd->add_option("--csv", args->csv, "append results to this CSV file");
  out.push_back({cmd, [args] { return cmd_plan_a2a(*args); }});
}

}  // namespace paramoe
