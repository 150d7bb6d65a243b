// paramoe train: a stack of MoE blocks regresses a fixed random teacher with AdamW.
#include <cmath>
#include <cstdio>
#include <fstream>

#include "app/commands.h"
#include "app/run_context.h"
#include "core/error.h"
#include "core/log.h"
#include "core/timer.h"
#include "data/synthetic_teacher.h"
#include "model/moe_stack.h"
#include "moe/schedule.h"
#include "optim/adamw.h"
#include "optim/grad_sync.h"
#include "optim/lr_schedule.h"

namespace paramoe {

int cmd_train(const TrainArgs& args) {
  RunContext rc = run_context_create(args.config, args.overrides);
  const Config& cfg = rc.config;
  const TrainConfig& tc = cfg.train;
  const int64_t D = cfg.moe.d_model;
  const uint64_t seed = static_cast<uint64_t>(tc.seed);

  MoeStack model(cfg.moe, tc.layers, *rc.coll, seed);
  std::vector<Param*> params = model.params();
  AdamW opt(params, AdamWConfig{tc.beta1, tc.beta2, tc.adam_eps, tc.weight_decay});
  SyntheticTeacher teacher(D, seed ^ 0x5eedull);

  // This rank's data-parallel shard of the global batch (MP ranks share it).
  int64_t row0 = 0, rows = 0;
  split_rows(tc.tokens_per_step, rc.grid->layout().dp(), rc.grid->index().dp, row0, rows);
  log_info("paramoe train: " + std::to_string(tc.layers) + " MoE blocks, schedule " +
           cfg.moe.schedule + ", " + std::to_string(cfg.moe.num_experts) + " experts top-" +
           std::to_string(cfg.moe.top_k) + ", " + std::to_string(tc.tokens_per_step) +
           " tokens/step");
  std::string steps = schedule_describe(schedule_build(cfg.moe.schedule));
  steps.pop_back();  // log_info ends the line itself
  log_info(steps);
  std::ofstream metrics;
  if (!tc.metrics_csv.empty() && rc.grid->world_rank() == 0) {
    metrics.open(tc.metrics_csv);
    if (!metrics) throw Error("metrics file " + tc.metrics_csv + ": cannot be opened for writing");
    metrics << "step,loss,aux_loss,z_loss,lr,step_ms,tokens_per_s,alltoall_ms,dropped\n";
  }

  std::vector<float> x, target, y(rows * D), dy(rows * D);
  for (int step = 0; step < tc.steps; ++step) {
    const double t0 = now_seconds();
    teacher.batch(step, tc.tokens_per_step, row0, rows, x, target);
    model.forward(x.data(), rows, y.data());
    double sq = 0.0;
    const float scale = 2.0f / static_cast<float>(tc.tokens_per_step * D);
    for (int64_t i = 0; i < rows * D; ++i) {
      const float d = y[i] - target[i];
      sq += static_cast<double>(d) * d;
      dy[i] = scale * d;
    }
    model.backward(dy.data(), nullptr);
    grad_sync(params, *rc.coll);
    const double lr = lr_at(step, tc.warmup_steps, tc.steps, tc.lr, tc.min_lr_ratio);
    opt.step(lr);
    for (Param* p : params) p->zero_grad();

    // MP ranks hold identical shards, so the loss sums over dp only.
    rc.coll->allreduce_sum(Group::Dp, &sq, 1);
    double times[2] = {now_seconds() - t0, model.alltoall_seconds()};
    rc.coll->allreduce_max(Group::World, times, 2);
    const double loss = sq / (static_cast<double>(tc.tokens_per_step) * D);
    if (!std::isfinite(loss))
      throw_collective("loss became non-finite at step " + std::to_string(step + 1) +
                       "; stopping (lower train.lr?)");
    if ((step + 1) % tc.log_every == 0 || step + 1 == tc.steps) {
      char line[256];
      std::snprintf(line, sizeof line,
                    "step %5d/%d | loss %.6f | aux %.5f | z %.5f | lr %.2e | %8.2f ms | "
                    "%9.0f tok/s | a2a %7.2f ms",
                    step + 1, tc.steps, loss, model.aux_loss(), model.z_loss(), lr, times[0] * 1e3,
                    tc.tokens_per_step / times[0], times[1] * 1e3);
      std::string msg = line;
      if (cfg.moe.capacity_factor > 0)
        msg += " | dropped " + std::to_string(model.dropped_assignments());
      log_info(msg);
    }
    if (metrics.is_open())
      metrics << step + 1 << "," << loss << "," << model.aux_loss() << "," << model.z_loss() << ","
              << lr << "," << times[0] * 1e3 << "," << tc.tokens_per_step / times[0] << ","
              << times[1] * 1e3 << "," << model.dropped_assignments() << "\n";
  }
  return 0;
}

}  // namespace paramoe
