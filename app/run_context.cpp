#include "app/run_context.h"

#include "core/log.h"
#include "kernels/cpu/gemm.h"
#include "plan/cluster.h"
#include "plan/schedule_choice.h"

namespace paramoe {

namespace {

// moe.schedule = "auto": every rank predicts the same options from the same files
// and picks the same one, for this run's layout and train.tokens_per_step.
void resolve_auto_schedule(Config& c, const ProcessGrid& grid) {
  const ClusterSpec cluster = cluster_load(c.plan.cluster);
  Layout layout = grid.layout();
  layout.ranks_per_node = cluster.ranks_per_node;
  const MoeConfig& m = c.moe;
  LayerShape shape = layer_shape(m, c.train.tokens_per_step / layout.dp());
  const auto options = schedule_options(shape, layout, cluster);
  std::string why;
  const ScheduleOption& best = schedule_best(options, why);
  c.moe.schedule = best.name;
  c.moe.chunks = best.chunks;
  std::string msg = "schedule auto: ";
  msg += best.name == "s2" ? "s2 with " + std::to_string(best.chunks) + " chunks" : best.name;
  msg += " on " + cluster.name + " (" + why + ")";
  if (cluster.world() != layout.world)
    msg += "; note: the cluster file describes " + std::to_string(cluster.world()) +
           " ranks, this run has " + std::to_string(layout.world);
  log_info(msg);
}

// moe.a2a = "auto" prices the methods with the link the EP all-to-all crosses.
A2aLinkModel a2a_model_for(const Config& c, const ProcessGrid& grid) {
  A2aLinkModel model;
  if (c.moe.a2a != "auto") return model;
  const ClusterSpec cluster = cluster_load(c.plan.cluster);
  const Link& link = grid.num_nodes() > 1 ? cluster.inter : cluster.intra;
  model.bytes_per_s = {link.bandwidth_GBps * 1e9};
  model.latency_s = link.latency_us * 1e-6;
  return model;
}

}  // namespace

RunContext run_context_create(const std::string& config_path,
                              const std::vector<std::string>& overrides) {
  RunContext rc;
  rc.config = config_load(config_path, overrides);
  cpu::blas_set_threads_default();
  rc.grid = std::make_unique<ProcessGrid>(
      ProcessGrid::create(MPI_COMM_WORLD, rc.config.parallel, rc.config.moe));
  if (rc.config.moe.schedule == "auto") resolve_auto_schedule(rc.config, *rc.grid);
  rc.coll = std::make_unique<MpiCollectives>(*rc.grid);
  const A2aLinkModel a2a_model = a2a_model_for(rc.config, *rc.grid);
  rc.coll->set_alltoall(a2a_method_from_string(rc.config.moe.a2a),
                        order_algorithm_from_string(rc.config.moe.a2a_order), a2a_model);
  rc.layers = layer_device_create(rc.config, *rc.grid, *rc.coll, a2a_model);
  log_info("paramoe: config " + rc.config.origin + " | " + rc.grid->describe() + " | " +
           rc.layers.describe);
  return rc;
}

}  // namespace paramoe
