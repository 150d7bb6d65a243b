#include "train/run_context.h"

#include <algorithm>
#include <cstdlib>

#include "comm/watchdog.h"
#include "core/log.h"
#include "kernels/cpu/gemm.h"
#include "plan/cluster.h"
#include "plan/schedule_choice.h"

namespace paramoe {

namespace {

// How often the progress thread polls (moe.progress = "thread"):
// PARAMOE_PROGRESS_US, 50 us by default, about the kernel's shortest sleep.
int progress_thread_interval_us() {
  const char* v = std::getenv("PARAMOE_PROGRESS_US");
  const int us = v != nullptr ? std::atoi(v) : 0;
  return us > 0 ? us : 50;
}

// Each MoE layer's config as it runs: moe.schedule = "auto" and moe.expert_mode =
// "auto" priced for this run's layout and one data-parallel shard of
// train.tokens_per_step (every rank predicts the same from the same files, so all
// agree without a collective). GPT and BERT layers share one shape, swin's differ
// by stage; the choice is logged once when all layers agree, else once per layer.
std::vector<MoeConfig> moe_layers_resolve(const Config& c, const ProcessGrid& grid) {
  const std::vector<Config::MoeLayerSite> sites = c.moe_layer_sites();  // >= 1 (validated)
  const int count = static_cast<int>(sites.size());
  std::vector<MoeConfig> out;
  if (c.moe.schedule != "auto" && c.moe.expert_mode != "auto") {
    for (const auto& site : sites) out.push_back(site.moe);
    return out;
  }
  const ClusterSpec cluster = cluster_load(c.plan.cluster);
  Layout layout = grid.layout();
  layout.ranks_per_node = cluster.ranks_per_node;
  std::vector<std::string> lines(count);
  for (int l = 0; l < count; ++l) {
    const auto& site = sites[static_cast<size_t>(l)];
    const LayerShape shape =
        layer_shape(site.moe, c.train.tokens_per_step / layout.dp() / site.token_divisor);
    out.push_back(moe_layer_resolve(site.moe, shape, layout, cluster, lines[l]));
  }
  const bool alike = std::all_of(lines.begin(), lines.end(),
                                 [&](const std::string& x) { return x == lines.front(); });
  for (int l = 0; l < (alike ? 1 : count); ++l)
    log_info((alike ? "" : "MoE layer " + std::to_string(l) + ": ") + lines[l]);
  return out;
}

// moe.a2a = "auto" prices the methods with the link the EP all-to-all crosses.
A2aLinkModel a2a_model_for(const Config& c, const ProcessGrid& grid) {
  if (c.moe.a2a != "auto") return {};
  return a2a_link_model(cluster_load(c.plan.cluster), grid.num_nodes() > 1);
}

}  // namespace

RunContext run_context_create(const std::string& config_path,
                              const std::vector<std::string>& overrides, bool calibrate_speed,
                              MPI_Comm world) {
  RunContext rc;
  rc.config = config_load(config_path, overrides);
  cpu::blas_set_threads_default();
  rc.grid =
      std::make_unique<ProcessGrid>(ProcessGrid::create(world, rc.config.parallel, rc.config.moe));
  const WatchdogConfig& wd = rc.config.watchdog;
  watchdog_start(WatchdogSettings{wd.enabled, wd.min_seconds, wd.factor},
                 rc.grid->comm(Group::World));
  rc.moe_layers = moe_layers_resolve(rc.config, *rc.grid);
  // The batch is split by speed when the layers run data-centric, the experts'
  // hidden dimension when they run model-centric.
  rc.split = work_split_resolve(rc.config, rc.moe_layers.front().data_centric(), *rc.grid,
                                calibrate_speed);
  if (!rc.split.describe.empty()) log_info(rc.split.describe);
  // moe.shadow = "auto" (and the benchmarks' shadowed variants) price with the
  // cluster file's rates.
  ShadowCosts shadow{};
  if (!rc.config.plan.cluster.empty())
    shadow = shadow_costs(cluster_load(rc.config.plan.cluster), rc.grid->num_nodes() > 1);
  for (MoeConfig& m : rc.moe_layers) {
    m.shadow_flops_per_s = shadow.flops_per_s;
    m.shadow_link_bytes_per_s = shadow.link_bytes_per_s;
    m.shadow_latency_s = shadow.latency_s;
    if (!m.data_centric()) m.esp_weights = rc.split.esp;
    if (m.balance != "aux") m.aux_loss_coef = 0.0;  // "bias" and "none" train without it
  }
  rc.coll = std::make_unique<MpiCollectives>(*rc.grid);
  const A2aLinkModel a2a_model = a2a_model_for(rc.config, *rc.grid);
  rc.coll->set_alltoall(a2a_method_from_string(rc.config.moe.a2a),
                        order_algorithm_from_string(rc.config.moe.a2a_order), a2a_model);
  if (std::any_of(rc.moe_layers.begin(), rc.moe_layers.end(),
                  [](const MoeConfig& m) { return m.progress == "thread"; })) {
    const int us = progress_thread_interval_us();
    rc.coll->start_progress_thread(us);
    log_info("paramoe: a progress thread polls the collectives in flight every " +
             std::to_string(us) + " us (moe.progress = \"thread\")");
  }
  rc.layers = layer_device_create(rc.config, *rc.grid, *rc.coll, a2a_model);
  log_info("paramoe: config " + rc.config.origin + " | " + rc.grid->describe() + " | " +
           rc.layers.describe);
  return rc;
}

}  // namespace paramoe
