#include "app/run_context.h"

#include "core/log.h"
#include "kernels/cpu/gemm.h"
#include "plan/cluster.h"
#include "plan/schedule_choice.h"

namespace paramoe {

namespace {

// moe.schedule = "auto" and moe.expert_mode = "auto": every rank predicts the same
// options from the same files and picks the same one, for this run's layout and
// train.tokens_per_step. The candidates are the model-centric schedules (every one
// the layout allows when the schedule is "auto", else the one named) and, when the
// mode is "auto", data-centric execution.
void resolve_auto(Config& c, const ProcessGrid& grid) {
  MoeConfig& m = c.moe;
  const bool auto_schedule = m.schedule == "auto", auto_mode = m.expert_mode == "auto";
  if (!auto_schedule && !auto_mode) return;
  const ClusterSpec cluster = cluster_load(c.plan.cluster);
  Layout layout = grid.layout();
  layout.ranks_per_node = cluster.ranks_per_node;
  LayerShape shape = layer_shape(m, c.train.tokens_per_step / layout.dp());
  std::vector<ScheduleOption> options;
  if (auto_schedule)
    options = schedule_options(shape, layout, cluster);
  else
    options.push_back(schedule_option(m.schedule, m.chunks, shape, layout, cluster));
  if (auto_mode) options.push_back(schedule_option("dc", 1, shape, layout, cluster));
  std::string why;
  const ScheduleOption& best = schedule_best(options, why);
  if (best.name == "dc") {
    m.expert_mode = "data-centric";
    if (auto_schedule) m.schedule = "s1";  // unused while data-centric
  } else {
    if (auto_mode) m.expert_mode = "model-centric";
    m.schedule = best.name;
    m.chunks = best.chunks;
  }
  std::string msg = auto_mode ? "expert_mode auto: " : "schedule auto: ";
  msg += best.name == "dc"   ? std::string("data-centric")
         : best.name == "s2" ? "s2 with " + std::to_string(best.chunks) + " chunks"
                             : best.name;
  if (auto_mode && best.name != "dc") msg += " (model-centric)";
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
                              const std::vector<std::string>& overrides, bool calibrate_speed) {
  RunContext rc;
  rc.config = config_load(config_path, overrides);
  cpu::blas_set_threads_default();
  rc.grid = std::make_unique<ProcessGrid>(
      ProcessGrid::create(MPI_COMM_WORLD, rc.config.parallel, rc.config.moe));
  resolve_auto(rc.config, *rc.grid);
  rc.split = work_split_resolve(rc.config, *rc.grid, calibrate_speed);
  if (!rc.split.describe.empty()) log_info(rc.split.describe);
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
