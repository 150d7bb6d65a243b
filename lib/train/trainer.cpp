#include "train/trainer.h"

#include <array>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "ckpt/checkpoint_dir.h"
#include "ckpt/hdf5_turn.h"
#include "comm/agreement.h"
#include "comm/watchdog.h"
#include "core/error.h"
#include "core/log.h"
#include "core/memory_usage.h"
#include "core/slab.h"
#include "core/timer.h"
#include "data/token_file.h"
#include "moe/schedule.h"
#include "optim/adamw.h"
#include "optim/grad_allreduce.h"
#include "optim/grad_norm.h"
#include "optim/lr_schedule.h"
#include "plan/traffic.h"
#include "train/expert_rebalance.h"
#include "train/preemption.h"
#include "train/run_context.h"
#include "train/straggler_report.h"
#include "train/train_metrics.h"
#include "train/train_state.h"
#include "train/train_task.h"

namespace paramoe {
namespace {

std::string layout_string(const Layout& l) {
  return "world=" + std::to_string(l.world) + " mp=" + std::to_string(l.mp) +
         " ep=" + std::to_string(l.ep) + " esp=" + std::to_string(l.esp);
}

// A checkpoint's time at the watchdog's slow disk: every rank's slabs (as large as
// this rank's), written (or read, and with verify read back) once.
double checkpoint_predicted_seconds(const RunContext& rc, const std::vector<TensorSlab>& slabs) {
  double bytes = 0.0;
  for (const TensorSlab& s : slabs) bytes += static_cast<double>(shape_numel(s.shape)) * 4.0;
  return 2.0 * watchdog_predicted_seconds(bytes * rc.grid->size(Group::World));
}

// Loads `what` (see checkpoint_resolve) into the host Params and moments (AdamW::
// from_host then moves them to where the model computes); returns the
// metadata, with step = 0 when there is nothing to resume from yet.
CheckpointMeta resume(const std::string& what, const RunContext& rc, AdamW& opt,
                      const std::vector<TensorSlab>& slabs) {
  const Config& cfg = rc.config;
  MPI_Comm world = rc.grid->comm(Group::World);
  const Hdf5Turn turn(world);  // a colocated model may be in HDF5 too
  const std::string path = checkpoint_resolve(what, cfg.checkpoint.dir, world);
  if (path.empty()) {
    log_info("resume: no checkpoint in " + cfg.checkpoint.dir + " yet; starting from step 0");
    return CheckpointMeta{};
  }
  const double t0 = now_seconds();
  const WatchdogWait io("checkpoint read", kIoLane, checkpoint_predicted_seconds(rc, slabs));
  CheckpointMeta meta = checkpoint_read(path, world, slabs);
  checkpoint_require_same_model(meta, path, cfg);
  if (meta.step < 0 || meta.step > cfg.train.steps || meta.tokens_seen < 0)
    throw_collective(path + ": step " + std::to_string(meta.step) + " (tokens seen " +
                     std::to_string(meta.tokens_seen) +
                     "): expected a step in [0, train.steps = " + std::to_string(cfg.train.steps) +
                     "] and a non-negative token count (raise train.steps to train further)");
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
  const Hdf5Turn turn(rc.grid->comm(Group::World));  // a colocated model may be in HDF5 too
  const double t0 = now_seconds();
  const WatchdogWait io("checkpoint save", kIoLane, checkpoint_predicted_seconds(rc, slabs));
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
void write_traffic(const RunContext& rc, TrainTask& task) {
  const std::vector<int>& mine = task.moe_layers().front()->last_run().plan.ep_send_rows;
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

// The largest per-rank peak resident set, the training state paramoe holds
// (parameters, gradients and both AdamW moments: 4 floats per element, in host
// memory and, on a GPU, again in device memory) and the data-centric weight caches,
// with how their gathers were served, and how much the resident set grew during the
// steps. On a GPU also the device memory in use: the
// device buffers grow to the largest step and are kept, so at the end of the run
// this is the run's peak, less the stream-ordered pool's transient scratch.
// "grown in training" is the peak less the resident set when the first step began
// (the model, the optimizer and the libraries were in place): the activations,
// row buffers and caches the steps needed, which is what the execution modes and
// capacity padding change.
void log_memory(const RunContext& rc, const std::vector<Param*>& params,
                const std::vector<MoeLayer*>& layers, int64_t rss_at_first_step) {
  double state = 0.0;
  for (const Param* p : params) state += 4.0 * sizeof(float) * static_cast<double>(p->value.size());
  std::set<const WeightCache*> caches;
  for (const MoeLayer* m : layers)
    if (m->weight_cache()) caches.insert(m->weight_cache());
  double cache = 0.0;
  WeightCache::Stats served;
  for (const WeightCache* c : caches) {
    cache += static_cast<double>(c->bytes());
    served.gathers += c->stats().gathers;
    served.prefetched += c->stats().prefetched;
    served.reused += c->stats().reused;
  }
  const auto peak = static_cast<double>(peak_rss_bytes());
  double m[4] = {peak, state, cache, peak - static_cast<double>(rss_at_first_step)};
  rc.coll->allreduce_max(Group::World, m, 4);
  char line[240];
  std::snprintf(line, sizeof line,
                "memory: peak resident set %.1f MiB, training state %.2f MiB, weight cache "
                "%.2f MiB, grown in training %.1f MiB (largest rank)",
                m[0] / (1 << 20), m[1] / (1 << 20), m[2] / (1 << 20), m[3] / (1 << 20));
  log_info(line);
  if (rc.layers.device_memory) {
    std::array<double, 2> gpu = rc.layers.device_memory();
    rc.coll->allreduce_max(Group::World, gpu.data(), 2);
    std::snprintf(line, sizeof line,
                  "GPU memory: %.1f MiB in use of %.1f MiB (cudaMemGetInfo at the end of the run; "
                  "ranks sharing a GPU count each other's; largest rank)",
                  gpu[0] / (1 << 20), gpu[1] / (1 << 20));
    log_info(line);
  }
  if (caches.empty()) return;
  std::snprintf(line, sizeof line,
                "weight cache: %zu cache(s) for %zu MoE layers; %lld gathers, %lld of them "
                "prefetched by the neighbouring layer; %lld backward passes reused the "
                "forward's weights (rank 0)",
                caches.size(), layers.size(), static_cast<long long>(served.gathers),
                static_cast<long long>(served.prefetched), static_cast<long long>(served.reused));
  log_info(line);
}

}  // namespace

TrainSummary train_run(const RunContext& rc, const std::string& resume_from) {
  const Config& cfg = rc.config;
  const TrainConfig& tc = cfg.train;

  std::unique_ptr<TrainTask> task = make_train_task(rc);
  // The optimizer runs where the parameters' live copies are (the GPU's memory
  // with device.type = "cuda"), on the collectives that move that memory.
  const std::vector<ResidentParam> live = task->resident_params();
  std::vector<Param*> params;
  for (const ResidentParam& r : live) params.push_back(r.param);
  const std::unique_ptr<OptimizerMemory> mem = rc.layers.make_optimizer_memory();
  AdamW opt(live, AdamWConfig{tc.beta1, tc.beta2, tc.adam_eps, tc.weight_decay}, *mem);
  // The training state a checkpoint holds: parameters, moments, selection biases.
  auto state_slabs = [&] {
    std::vector<TensorSlab> s = train_state_slabs(params, opt);
    for (TensorSlab& b : balance_bias_slabs(task->moe_layers())) s.push_back(b);
    return s;
  };
  std::vector<TensorSlab> slabs = state_slabs();
  GradAllreduce grad_sync(live, *rc.layers.coll, *mem);
  const GradNorm grad_norm(live, *rc.layers.coll, *mem);
  rebalance_validate(rc);
  log_info("paramoe train: " + task->describe());
  // The first MoE layer's execution (every layer has the same shape, so "auto"
  // resolves them alike).
  const MoeLayer& first = *task->moe_layers().front();
  const MoeConfig& mc = first.config();
  log_info("MoE: " + mc.expert_mode + ", schedule " + mc.effective_schedule() + ", " +
           std::to_string(mc.num_experts) + " experts top-" + std::to_string(mc.top_k) + ", " +
           std::to_string(task->moe_layers().size()) + " MoE layers" +
           (mc.data_centric() ? ", weight cache " + mc.weight_cache : ""));
  std::string steps = schedule_describe(first.schedule());
  steps.pop_back();  // log_info ends the line itself
  log_info(steps);

  CheckpointMeta start;
  const bool checkpointing = !cfg.checkpoint.dir.empty();
  if (!resume_from.empty())
    start = resume(resume_from, rc, opt, slabs);
  else if (checkpointing && !cfg.checkpoint.overwrite)
    checkpoint_dir_require_unused(cfg.checkpoint.dir, rc.grid->comm(Group::World));
  opt.from_host();  // the initial or restored values and moments, onto the model's device
  task->values_changed();
  int64_t tokens_seen = start.tokens_seen;
  if (start.step > 0 && start.step >= tc.steps)  // step > 0 only after a resume
    log_info("resume: the checkpoint is at step " + std::to_string(start.step) +
             " >= train.steps=" + std::to_string(tc.steps) + "; nothing to train");

  TrainSummary summary;
  summary.first_step = static_cast<int>(start.step);
  summary.last_step = summary.first_step;
  const bool rank0 = rc.grid->world_rank() == 0;
  MetricsLog metrics(rank0 ? tc.metrics_csv : "", rank0 ? tc.metrics_jsonl : "",
                     /*append=*/start.step > 0);
  ProgressBar progress(rank0 && tc.log_every > 1, tc.steps);
  // This rank's time and waits since the last logged step, for the straggler report
  // (checkpoint saves and validation included in both).
  double interval_start = now_seconds(), last_step_seconds = 0.0;
  int interval_steps = 0;
  StragglerWarning straggler_warning(cfg.straggler.factor);
  watchdog_take_wait_seconds();  // waits before the first step are not a step's
  const int64_t rss_at_first_step = current_rss_bytes();
  for (int step = static_cast<int>(start.step); step < tc.steps; ++step) {
    watchdog_at_step(step, last_step_seconds);
    const double t0 = now_seconds();
    StepResult r = task->run_step(tokens_seen);
    if (step + 1 == cfg.debug.nan_step) r.loss = std::nan("");
    if (rc.grid->world_rank() == cfg.debug.slow_rank)
      std::this_thread::sleep_for(std::chrono::duration<double>(cfg.debug.slow_seconds));
    grad_sync.run();
    const double norm = grad_norm.clip(tc.grad_clip);
    const int done = step + 1;
    if (!std::isfinite(r.loss) || !std::isfinite(norm))
      throw_collective(std::string(std::isfinite(r.loss) ? "gradient norm" : "loss") +
                       " became non-finite at step " + std::to_string(done) +
                       "; stopping (lower train.lr or set train.grad_clip?); earlier checkpoints "
                       "are kept");
    const double lr = lr_at(step, tc.warmup_steps, tc.steps, tc.lr, tc.min_lr_ratio);
    opt.step(lr);
    if (mc.balance == "bias")
      for (MoeLayer* m : task->moe_layers())
        router_update_bias(m->params().balance_bias, m->last_run().routing, mc.bias_rate);
    zero_grads(live, *mem);
    task->values_changed();
    tokens_seen += tc.tokens_per_step;
    if (rebalance_experts(task->moe_layers(), opt, rc, done)) slabs = state_slabs();

    // The step time, the MoE and all-to-all times and any preemption signal, agreed by all.
    double a2a = 0.0;
    for (MoeLayer* m : task->moe_layers()) a2a += m->last_run().alltoall_seconds();
    double agreed[4] = {now_seconds() - t0, task->take_moe_seconds(), a2a,
                        static_cast<double>(preemption_signal())};
    rc.coll->allreduce_max(Group::World, agreed, 4);
    last_step_seconds = now_seconds() - t0;
    ++interval_steps;
    StepMetrics sm{done,
                   r.loss,
                   r.aux,
                   r.z,
                   lr,
                   norm,
                   agreed[0],
                   tc.tokens_per_step / agreed[0],
                   agreed[1] / agreed[0],
                   agreed[2],
                   0,
                   -1,
                   1.0,
                   "",
                   {}};
    for (MoeLayer* m : task->moe_layers()) sm.dropped += m->last_run().routing.dropped_global;
    const bool logged = done % tc.log_every == 0 || done == tc.steps;
    if (logged) {
      for (MoeLayer* m : task->moe_layers()) {
        sm.loads.push_back(expert_load_of(m->last_run().routing));
        sm.loads.back().bias = m->params().balance_bias;
      }
      WaitSeconds waited = watchdog_take_wait_seconds();
      for (double& w : waited) w /= interval_steps;
      const double per_step = (now_seconds() - interval_start) / interval_steps;
      const StragglerReport sr = straggler_report(rc.grid->comm(Group::World), per_step, waited);
      interval_start = now_seconds();
      interval_steps = 0;
      sm.slowest_rank = sr.rank;
      sm.slowest_ratio = sr.ratio();
      sm.slowest_phase = sr.phase;
      progress.clear();
      const std::string warning = straggler_warning.observe(sr, sm.step_seconds, done);
      if (!warning.empty()) log_warn(warning);
      log_info(format_step_line(sm, tc.steps, cfg.moe.capacity_factor != 0));
    } else {
      progress.update(done);
    }
    metrics.step(sm);
    summary.losses.push_back(r.loss);
    summary.last_step = done;
    if (task->has_validation() && tc.val_every > 0 &&
        (done % tc.val_every == 0 || done == tc.steps)) {
      const Validation val = task->validate();
      progress.clear();
      char line[160];
      std::snprintf(line, sizeof line, "step %5d/%d | val loss %.6f (%d batches)", done, tc.steps,
                    val.loss, tc.val_batches);
      std::string text = line;
      if (!std::isnan(val.accuracy)) {
        std::snprintf(line, sizeof line, " | val accuracy %.2f%%", 100.0 * val.accuracy);
        text += line;
      }
      log_info(text);
      metrics.validation(done, val);
    }

    const int signal = static_cast<int>(agreed[3]);
    const bool periodic = cfg.checkpoint.every > 0 && done % cfg.checkpoint.every == 0;
    const bool exiting = cfg.checkpoint.exit_after > 0 &&
                         done - start.step == cfg.checkpoint.exit_after && done < tc.steps;
    if (checkpointing && (periodic || done == tc.steps || signal || exiting)) {
      opt.to_host();
      save(rc, done, tokens_seen, slabs);
    }
    if (exiting && !signal) {
      log_info("checkpoint.exit_after=" + std::to_string(cfg.checkpoint.exit_after) +
               ": stopping at step " + std::to_string(done) + " of " + std::to_string(tc.steps));
      return summary;
    }
    if (signal) {
      const std::string name = signal == SIGUSR1 ? "SIGUSR1" : "SIGTERM";
      if (checkpointing)
        log_info("preempted by " + name + ": checkpoint written at step " + std::to_string(done) +
                 "; exiting (resume with --resume latest)");
      else
        log_warn("preempted by " + name + " at step " + std::to_string(done) +
                 "; checkpoint.dir is not set, so no checkpoint was written");
      summary.preempted = true;
      return summary;
    }
  }
  if (!tc.traffic_csv.empty()) write_traffic(rc, *task);
  log_memory(rc, params, task->moe_layers(), rss_at_first_step);
  return summary;
}

}  // namespace paramoe
