#pragma once
// A distributed MoE layer. Input and output are [T, D] rows of one data-parallel
// shard, replicated over the MP group (as the dense parts of the model hold them).
// Parameter gradients accumulate; they are complete for this shard's tokens and are
// summed over dp (gate) or edp (experts) by the optimizer's gradient sync.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "comm/collectives.h"
#include "core/config.h"
#include "core/shadow_mode.h"
#include "moe/moe_params.h"
#include "moe/moe_run.h"
#include "moe/schedule.h"
#include "moe/step_backend.h"
#include "moe/weight_cache.h"

namespace paramoe {

// Makes the StepBackend a layer computes with, on the layer's config and params.
using StepBackendMaker = std::function<std::unique_ptr<StepBackend>(const MoeConfig&, MoeParams&)>;
std::unique_ptr<StepBackend> make_cpu_step_backend(const MoeConfig& cfg, MoeParams& params);

class MoeLayer {
 public:
  // x, y, dy and dx live in the backend's memory space (host for the CPU backend,
  // the device for CUDA), as do the row payloads `coll` moves.
  MoeLayer(const MoeConfig& cfg, Collectives& coll, const std::string& name_prefix, uint64_t seed,
           const StepBackendMaker& make_backend = make_cpu_step_backend);

  void forward(const float* x, int64_t tokens, float* y);
  void backward(const float* dy, float* dx);
  // The same with host x, y, dy and dx on any backend (copied in and out).
  void forward_host(const float* x, int64_t tokens, float* y);
  void backward_host(const float* dy, float* dx);

  // params() with their live copies in the backend (the optimizer's view).
  std::vector<ResidentParam> resident_params();
  // After the optimizer changed the live values in place: drops the copies made
  // from them (weight cache, bf16 experts).
  void values_changed();
  // For a backend with memory of its own: after the host params() values change,
  // load them; before reading params() gradients, store them (adds and zeroes the
  // backend's). Both are no-ops on the CPU.
  void load_params();
  void store_grads() { backend_->store_grads(); }

  // Switches the schedule (e.g. for benchmarks); validated like the config key.
  // "dc" switches to data-centric execution, any other name to model-centric.
  void set_schedule(const std::string& name, int chunks = 0);  // chunks 0: keep moe.chunks
  // Switches moe.shadow (e.g. for benchmarks); validated like the config key.
  void set_shadow(const std::string& mode);
  // Data-centric: gather this layer's expert weights into `shared` (which the
  // model's other MoE layers attach to, in execution order) rather than into a
  // cache of its own.
  void use_weight_cache(WeightCache& shared);
  const WeightCache* weight_cache() const { return cache_; }
  const Schedule& schedule() const { return schedule_; }
  MoeParams& params() { return params_; }

  const ExpertPlacement& placement() const { return placement_; }
  // Moves this layer's experts to the owners `to` gives them, between steps:
  // values, and the optimizer state that `state_of(param)` lists for each expert
  // param (AdamW's moments), travel over EP. Gradients must be zero (they are,
  // between steps). Collective over the world; the layer's outputs do not change.
  using StateLookup = std::function<std::vector<std::vector<float>*>(const Param&)>;
  void apply_placement(const ExpertPlacement& to, const StateLookup& state_of);
  // Routed rows per expert (kept assignments of this rank's tokens), summed over
  // the forward passes since the last reset: the load a placement plan balances.
  const std::vector<double>& expert_load() const { return expert_load_; }
  void reset_expert_load();
  const MoeRun& last_run() const { return run_; }
  const MoeConfig& config() const { return cfg_; }  // as it runs (schedule, mode, chunks)
  // The weight of the last forward's aux and z losses in the loss the next backward
  // differentiates: 1 / micro-batches under gradient accumulation.
  void set_loss_scale(float s) { run_.routing.loss_scale = s; }
  float aux_loss() const { return run_.routing.aux_loss; }
  float z_loss() const { return run_.routing.z_loss; }

 private:
  float* begin_forward(int64_t tokens);  // returns the input buffer to fill
  const float* run_forward();            // returns the output
  float* begin_backward();
  const float* run_backward();

  MoeConfig cfg_;
  Collectives& coll_;
  MoeParams params_;
  std::unique_ptr<StepBackend> backend_;
  Schedule schedule_;
  ExpertPlacement placement_;
  std::vector<double> expert_load_;
  MoeRun run_;
  ExpertBlock shadow_block_;                // one expert of this rank's slice (moe.shadow)
  ShadowMode shadow_mode_;                  // cfg_.shadow, parsed when it is set
  std::unique_ptr<WeightCache> own_cache_;  // data-centric without a shared cache
  WeightCache* cache_ = nullptr;
  int cache_id_ = 0;
};

// The data-centric layers of `layers` (in execution order) with moe.weight_cache =
// "shared": one cache that they all gather into, which the caller keeps alive while
// they run; null when there are none (each other data-centric layer keeps its own).
std::unique_ptr<WeightCache> weight_cache_share(Collectives& coll,
                                                const std::vector<MoeLayer*>& layers);

}  // namespace paramoe
