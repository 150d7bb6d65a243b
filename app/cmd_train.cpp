// paramoe train: a stack of MoE blocks regresses a fixed random teacher with AdamW.
// Checkpoints (every N steps, at the end, and on SIGUSR1/SIGTERM) hold everything a
// bit-exact restart needs; --resume loads one under any process grid.
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>

#include "app/commands.h"
#include "app/expert_rebalance.h"
#include "app/preemption.h"
#include "app/run_context.h"
#include "app/train_state.h"
#include "ckpt/checkpoint_dir.h"
#include "comm/agreement.h"
#include "core/csv_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/timer.h"
#include "data/synthetic_teacher.h"
#include "model/moe_stack.h"
#include "moe/schedule.h"
#include "optim/adamw.h"
#include "optim/grad_sync.h"
#include "optim/lr_schedule.h"
#include "plan/traffic.h"

namespace paramoe {
namespace {

std::string layout_string(const Layout& l) {
  return "world=" + std::to_string(l.world) + " mp=" + std::to_string(l.mp) +
         " ep=" + std::to_string(l.ep) + " esp=" + std::to_string(l.esp);
}

// Loads `what` (see checkpoint_resolve) into the model and optimizer; returns the
// metadata, with step = 0 when there is nothing to resume from yet.
CheckpointMeta resume(const std::string& what, const RunContext& rc, AdamW& opt,
                      const std::vector<TensorSlab>& slabs) {
  const Config& cfg = rc.config;
  MPI_Comm world = rc.grid->comm(Group::World);
  const std::string path = checkpoint_resolve(what, cfg.checkpoint.dir, world);
  if (path.empty()) {
    log_info("resume: no checkpoint in " + cfg.checkpoint.dir + " yet; starting from step 0");
    return CheckpointMeta{};
  }
  const double t0 = now_seconds();
  CheckpointMeta meta = checkpoint_read(path, world, slabs);
  if (meta.rng_seed != cfg.train.seed)
    throw_collective(path + ": written with train.seed=" + std::to_string(meta.rng_seed) +
                     ", but the config has train.seed=" + std::to_string(cfg.train.seed) +
                     " (the data stream and teacher would change)");
  opt.set_steps_taken(static_cast<int>(meta.step));
  const Layout& now = rc.grid->layout();
  const bool same = meta.layout.world == now.world && meta.layout.mp == now.mp &&
                    meta.layout.ep == now.ep && meta.layout.esp == now.esp;
  log_info("resume: " + path + " at step " + std::to_string(meta.step) + ", written under " +
           layout_string(meta.layout) + (same ? "" : "; resharded to " + layout_string(now)) +
           " (" + std::to_string(now_seconds() - t0) + " s)");
  return meta;
}

void save(const RunContext& rc, int64_t step, int64_t tokens_seen,
          const std::vector<TensorSlab>& slabs) {
  const Config& cfg = rc.config;
  CheckpointMeta meta;
  meta.step = step;
  meta.tokens_seen = tokens_seen;
  meta.rng_seed = cfg.train.seed;
  meta.rng_counter = step;
  meta.config_toml = cfg.source_text;
  meta.layout = rc.grid->layout();
  const double t0 = now_seconds();
  const std::string path =
      checkpoint_save(cfg.checkpoint.dir, cfg.checkpoint.keep, cfg.checkpoint.verify,
                      rc.grid->comm(Group::World), meta, slabs);
  const double secs = now_seconds() - t0;
  if (rc.grid->world_rank() == 0) {
    const double mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
    char line[512];
    std::snprintf(line, sizeof line, "checkpoint: %s (%.2f MB in %.3f s, %.1f MB/s)", path.c_str(),
                  mb, secs, mb / secs);
    log_info(line);
  }
}

// The first MoE layer's last dispatch, as the EP group of world rank 0 saw it.
void write_traffic(const RunContext& rc, MoeStack& model) {
  const std::vector<int>& mine = model.moe_layers().front()->last_run().plan.ep_send_rows;
  const int ep = rc.grid->size(Group::Ep);
  if (static_cast<int>(mine.size()) != ep) return;  // no step has run
  std::vector<int> all(static_cast<size_t>(ep) * ep);
  MPI_CHECK(
      MPI_Gather(mine.data(), ep, MPI_INT, all.data(), ep, MPI_INT, 0, rc.grid->comm(Group::Ep)));
  TrafficMatrix m(ep);
  for (size_t k = 0; k < all.size(); ++k) m.d[k] = all[k];
  agree_on(rc.grid->comm(Group::World), [&] {
    if (rc.grid->world_rank() == 0) write_traffic_csv(rc.config.train.traffic_csv, m);
  });
  log_info("traffic: layer 0's EP all-to-all rows of the last step written to " +
           rc.config.train.traffic_csv);
}

}  // namespace

int cmd_train(const TrainArgs& args) {
  preemption_install();
  RunContext rc = run_context_create(args.config, args.overrides);
  const Config& cfg = rc.config;
  const TrainConfig& tc = cfg.train;
  const int64_t D = cfg.moe.d_model;
  const uint64_t seed = static_cast<uint64_t>(tc.seed);

  MoeStack model(cfg.moe, tc.layers, *rc.layers.coll, seed, rc.layers.make);
  std::vector<Param*> params = model.params();
  AdamW opt(params, AdamWConfig{tc.beta1, tc.beta2, tc.adam_eps, tc.weight_decay});
  std::vector<TensorSlab> slabs = train_state_slabs(params, opt);
  rebalance_validate(rc);
  SyntheticTeacher teacher(D, seed ^ 0x5eedull);

  // This rank's data-parallel shard of the global batch (MP ranks share it).
  int64_t row0 = 0, rows = 0;
  split_rows(tc.tokens_per_step, rc.grid->layout().dp(), rc.grid->index().dp, row0, rows);
  log_info("paramoe train: " + std::to_string(tc.layers) + " MoE blocks, schedule " +
           cfg.moe.schedule + ", " + std::to_string(cfg.moe.num_experts) + " experts top-" +
           std::to_string(cfg.moe.top_k) + ", " + std::to_string(tc.tokens_per_step) +
           " tokens/step");
  std::string steps = schedule_describe(schedule_build(cfg.moe.schedule, cfg.moe.chunks));
  steps.pop_back();  // log_info ends the line itself
  log_info(steps);

  CheckpointMeta start;
  if (!args.resume.empty()) start = resume(args.resume, rc, opt, slabs);
  model.load_params();  // the initial or restored values, onto the layers' device
  int64_t tokens_seen = start.tokens_seen;
  if (start.step > 0 && start.step >= tc.steps)  // step > 0 only after a resume
    log_info("resume: the checkpoint is at step " + std::to_string(start.step) +
             " >= train.steps=" + std::to_string(tc.steps) + "; nothing to train");

  std::ofstream metrics;
  if (!tc.metrics_csv.empty() && rc.grid->world_rank() == 0) {
    // A resumed run appends to the metrics of the run it continues.
    metrics = open_csv(tc.metrics_csv,
                       "step,loss,aux_loss,z_loss,lr,step_ms,tokens_per_s,alltoall_ms,dropped",
                       /*append=*/start.step > 0, "metrics file");
    metrics << std::setprecision(17);  // losses round-trip exactly, for restart comparisons
  }

  const bool checkpointing = !cfg.checkpoint.dir.empty();
  std::vector<float> x, target, y(rows * D), dy(rows * D);
  for (int step = static_cast<int>(start.step); step < tc.steps; ++step) {
    const double t0 = now_seconds();
    teacher.batch(tokens_seen, row0, rows, x, target);
    model.forward(x.data(), rows, y.data());
    double sq = 0.0;
    const float scale = 2.0f / static_cast<float>(tc.tokens_per_step * D);
    for (int64_t i = 0; i < rows * D; ++i) {
      const float d = y[i] - target[i];
      sq += static_cast<double>(d) * d;
      dy[i] = scale * d;
    }
    model.backward(dy.data(), nullptr);
    model.store_grads();
    grad_sync(params, *rc.coll);
    const double lr = lr_at(step, tc.warmup_steps, tc.steps, tc.lr, tc.min_lr_ratio);
    opt.step(lr);
    for (Param* p : params) p->zero_grad();
    model.load_params();
    tokens_seen += tc.tokens_per_step;
    if (rebalance_experts(model, opt, rc, step + 1)) slabs = train_state_slabs(params, opt);

    // MP ranks hold identical shards, so the loss sums over dp only.
    rc.coll->allreduce_sum(Group::Dp, &sq, 1);
    // The step time, the all-to-all time and any preemption signal, agreed by all.
    double agreed[3] = {now_seconds() - t0, model.alltoall_seconds(),
                        static_cast<double>(preemption_signal())};
    rc.coll->allreduce_max(Group::World, agreed, 3);
    const double loss = sq / (static_cast<double>(tc.tokens_per_step) * D);
    if (!std::isfinite(loss))
      throw_collective("loss became non-finite at step " + std::to_string(step + 1) +
                       "; stopping (lower train.lr?); earlier checkpoints are kept");
    const int done = step + 1;
    if (done % tc.log_every == 0 || done == tc.steps) {
      char line[256];
      std::snprintf(line, sizeof line,
                    "step %5d/%d | loss %.6f | aux %.5f | z %.5f | lr %.2e | %8.2f ms | "
                    "%9.0f tok/s | a2a %7.2f ms",
                    done, tc.steps, loss, model.aux_loss(), model.z_loss(), lr, agreed[0] * 1e3,
                    tc.tokens_per_step / agreed[0], agreed[1] * 1e3);
      std::string msg = line;
      if (cfg.moe.capacity_factor > 0)
        msg += " | dropped " + std::to_string(model.dropped_assignments());
      log_info(msg);
    }
    if (metrics.is_open())
      metrics << done << "," << loss << "," << model.aux_loss() << "," << model.z_loss() << ","
              << lr << "," << agreed[0] * 1e3 << "," << tc.tokens_per_step / agreed[0] << ","
              << agreed[1] * 1e3 << "," << model.dropped_assignments() << std::endl;

    const int signal = static_cast<int>(agreed[2]);
    const bool periodic = cfg.checkpoint.every > 0 && done % cfg.checkpoint.every == 0;
    const bool exiting = cfg.checkpoint.exit_after > 0 &&
                         done - start.step == cfg.checkpoint.exit_after && done < tc.steps;
    if (checkpointing && (periodic || done == tc.steps || signal || exiting))
      save(rc, done, tokens_seen, slabs);
    if (exiting && !signal) {
      log_info("checkpoint.exit_after=" + std::to_string(cfg.checkpoint.exit_after) +
               ": stopping at step " + std::to_string(done) + " of " + std::to_string(tc.steps));
      return 0;
    }
    if (signal) {
      const std::string name = signal == SIGUSR1 ? "SIGUSR1" : "SIGTERM";
      if (checkpointing)
        log_info("preempted by " + name + ": checkpoint written at step " + std::to_string(done) +
                 "; exiting (resume with --resume latest)");
      else
        log_warn("preempted by " + name + " at step " + std::to_string(done) +
                 "; checkpoint.dir is not set, so no checkpoint was written");
      return 0;
    }
  }
  if (!tc.traffic_csv.empty()) write_traffic(rc, model);
  return 0;
}

}  // namespace paramoe
