// paramoe plan testbed: the numbers jobs/emulated/cluster.sh shapes a testbed with
// (plan/testbed_plan.h). Prints the dilation and the shaped rates; --env writes
// them as shell assignments for cluster.sh. Everything is checked here, before
// any namespace is made.
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

#include "app/command.h"
#include "core/error.h"
#include "plan/cluster.h"
#include "plan/testbed_plan.h"

namespace paramoe {

namespace {

struct PlanTestbedArgs {
  std::string profile;
  int nodes = 2;
  int ranks = 4;
  std::string dilate = "auto";
  std::string local;  // this machine's calibration, for --dilate auto
  std::string env;
  bool validate = false;
};

void run(const PlanTestbedArgs& a) {
  const ClusterSpec profile = cluster_load(a.profile);
  if (a.validate) {  // cluster.sh checks before it spends time calibrating
    testbed_check_ranks(a.nodes, a.ranks);
    return;
  }
  std::optional<ClusterSpec> local;
  if (!a.local.empty()) local = cluster_load(a.local);
  const TestbedPlan t =
      testbed_plan(profile, a.nodes, a.ranks, a.dilate, local ? &*local : nullptr);
  std::printf("testbed %s: %d nodes x %d ranks, dilation %.4g", t.profile.c_str(), t.nodes,
              t.ranks_per_node, t.dilation);
  if (t.local_gemm_TFLOPs > 0)
    std::printf(" (device %.4g TFLOP/s / %.4g TFLOP/s per rank here)", profile.gemm_TFLOPs,
                t.local_gemm_TFLOPs);
  std::printf("\n");
  const struct {
    const char* name;
    const Link& link;
    double bits, latency_us;
  } links[] = {{"intra", profile.intra, t.intra_bits_per_s, t.intra_latency_us},
               {"inter", profile.inter, t.inter_bits_per_s, t.inter_latency_us}};
  for (const auto& l : links)
    std::printf(
        "  %s: %.4g GB/s -> shaped %.4g Mbit/s per rank each way; latency %.4g us -> %.4g us "
        "dilated (not added: the testbed's is its TCP stack's own)\n",
        l.name, l.link.bandwidth_GBps, l.bits / 1e6, l.link.latency_us, l.latency_us);
  if (a.env.empty()) return;
  std::ofstream f(a.env);
  f << "NODES=" << t.nodes << "\nRANKS_PER_NODE=" << t.ranks_per_node << "\nDILATION=" << t.dilation
    << "\nINTRA_KBIT=" << static_cast<long long>(t.intra_bits_per_s / 1e3)
    << "\nINTER_KBIT=" << static_cast<long long>(t.inter_bits_per_s / 1e3) << "\n";
  if (!f) throw Error("plan testbed: --env " + a.env + ": cannot be written");
}

}  // namespace

void add_plan_testbed_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<PlanTestbedArgs>();
  CLI::App* cmd =
      command_group(app, "plan", "predict and plan without running")
          ->add_subcommand("testbed",
                           "the dilation and shaped link rates of an emulated testbed that "
                           "keeps a real cluster's compute-to-communication ratio");
  cmd->add_option("--profile", args->profile, "the real cluster (inputs/clusters/*.toml)")
      ->required();
  cmd->add_option("--nodes", args->nodes, "emulated nodes");
  cmd->add_option("--ranks", args->ranks, "ranks in all (a multiple of --nodes)");
  cmd->add_option("--dilate", args->dilate,
                  "auto (the profile's GEMM rate / this machine's per rank, from --local) or "
                  "a factor");
  cmd->add_option("--local", args->local,
                  "this machine's `paramoe calibrate` file, run at --ranks ranks");
  cmd->add_option("--env", args->env, "also write the numbers as shell assignments here");
  cmd->add_flag("--validate", args->validate,
                "only check the profile and the rank split (before --dilate auto's calibration)");
  out.push_back({cmd, [args] {
                   as_collective([&] { run(*args); });
                   return 0;
                 }});
}

}  // namespace paramoe
