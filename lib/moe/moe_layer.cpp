#include "moe/moe_layer.h"

#include <algorithm>

#include "core/error.h"
#include "core/shadow_mode.h"
#include "moe/executor.h"

namespace paramoe {

std::unique_ptr<StepBackend> make_cpu_step_backend(const MoeConfig& cfg, MoeParams& params) {
  return std::make_unique<StepBackend>(cpu_device_ops(), cfg, params);
}

MoeLayer::MoeLayer(const MoeConfig& cfg, Collectives& coll, const std::string& name_prefix,
                   uint64_t seed, const StepBackendMaker& make_backend)
    : cfg_(cfg),
      coll_(coll),
      params_(moe_params_make(cfg, coll.grid(), name_prefix)),
      placement_(placement_contiguous(cfg.num_experts, coll.grid().layout().ep)),
      expert_load_(cfg.num_experts, 0.0) {
  moe_params_init(params_, seed);
  ExpertDims one = params_.dims();
  one.experts = 1;
  shadow_block_ = expert_block(one);
  if (!shadow_parse(cfg_.shadow, cfg_.num_experts, shadow_mode_))  // the config checked it
    throw Error("moe.shadow: bad value \"" + cfg_.shadow + "\"");
  backend_ = make_backend(cfg_, params_);
  set_schedule(cfg.effective_schedule());
}

void MoeLayer::set_schedule(const std::string& name, int chunks) {
  if (chunks > 0) cfg_.chunks = chunks;
  MoeConfig probe = cfg_;
  probe.expert_mode = name == "dc" ? "data-centric" : "model-centric";
  if (name != "dc") probe.schedule = name;
  layout_validate(coll_.grid().layout(), probe);
  if (probe.data_centric() && !probe.esp_weights.empty())
    throw Error(
        "data-centric execution gathers equal ESP slices; this layer's hidden dimension was "
        "split by speed (model-centric parallel.split = \"speed\")");
  cfg_ = probe;
  const bool shadow = cfg_.shadow != "off" && !cfg_.data_centric();  // dc has no shadowing
  schedule_ = schedule_build(name, cfg_.chunks, cfg_.shared_experts > 0, shadow);
  if (cfg_.data_centric() && !cache_) {
    own_cache_ = std::make_unique<WeightCache>(coll_);
    cache_ = own_cache_.get();
    cache_id_ = cache_->attach(params_, *backend_);
  }
}

void MoeLayer::set_shadow(const std::string& mode) {
  ShadowMode parsed;
  if (!shadow_parse(mode, cfg_.num_experts, parsed))
    throw Error("moe.shadow: expected \"off\", \"auto\" or \"top:N\" with 1 <= N <= " +
                std::to_string(cfg_.num_experts) + ", got \"" + mode + "\"");
  if (parsed.on && parsed.top == 0 && cfg_.shadow_flops_per_s <= 0)
    throw Error("moe.shadow = \"auto\" needs plan.cluster (the rates it prices with)");
  cfg_.shadow = mode;
  shadow_mode_ = parsed;
  set_schedule(cfg_.effective_schedule());
}

void MoeLayer::use_weight_cache(WeightCache& shared) {
  own_cache_.reset();
  cache_ = &shared;
  cache_id_ = shared.attach(params_, *backend_);
}

std::vector<ResidentParam> MoeLayer::resident_params() {
  std::vector<ResidentParam> out;
  for (Param* p : params_.all()) out.push_back(backend_->resident(*p));
  return out;
}

void MoeLayer::values_changed() {
  if (cache_) cache_->invalidate();
  backend_->values_changed();
}

void MoeLayer::load_params() {
  backend_->load_params();
  if (cache_) cache_->invalidate();
}

// The forward pass reads buffer x and writes y; the backward reads dy and writes dx
// (slots of the schedule's buffers). The callers below fill and empty them from device or host
// memory.
float* MoeLayer::begin_forward(int64_t tokens) {
  run_ = MoeRun{};
  run_.tokens = tokens;
  backend_->clear();
  return backend_->out(schedule_.x, tokens * cfg_.d_model);
}

const float* MoeLayer::run_forward() {
  ExecContext ctx{schedule_, cfg_,   coll_,     *backend_,     placement_,
                  run_,      cache_, cache_id_, shadow_block_, shadow_mode_};
  schedule_execute(/*backward=*/false, ctx);
  const std::vector<int64_t>& rows = run_.plan.expert_rows;
  for (size_t e = 0; e < rows.size(); ++e) expert_load_[e] += static_cast<double>(rows[e]);
  return backend_->data(schedule_.y);
}

float* MoeLayer::begin_backward() {
  PARAMOE_REQUIRE(backend_->has(schedule_.y), "MoeLayer::backward called before forward");
  return backend_->out(schedule_.dy, run_.tokens * cfg_.d_model);
}

const float* MoeLayer::run_backward() {
  ExecContext ctx{schedule_, cfg_,   coll_,     *backend_,     placement_,
                  run_,      cache_, cache_id_, shadow_block_, shadow_mode_};
  schedule_execute(/*backward=*/true, ctx);
  return backend_->data(schedule_.dx);
}

void MoeLayer::forward(const float* x, int64_t tokens, float* y) {
  const int64_t n = tokens * cfg_.d_model;
  backend_->copy(x, n, begin_forward(tokens));
  backend_->copy(run_forward(), n, y);
}

void MoeLayer::backward(const float* dy, float* dx) {
  const int64_t n = run_.tokens * cfg_.d_model;
  backend_->copy(dy, n, begin_backward());
  backend_->copy(run_backward(), n, dx);
}

void MoeLayer::forward_host(const float* x, int64_t tokens, float* y) {
  const int64_t n = tokens * cfg_.d_model;
  backend_->upload(x, n, begin_forward(tokens));
  backend_->download(run_forward(), n, y);
}

void MoeLayer::backward_host(const float* dy, float* dx) {
  const int64_t n = run_.tokens * cfg_.d_model;
  backend_->upload(dy, n, begin_backward());
  backend_->download(run_backward(), n, dx);
}

void MoeLayer::apply_placement(const ExpertPlacement& to, const StateLookup& state_of) {
  PARAMOE_REQUIRE(to.num_experts() == cfg_.num_experts && to.ep == placement_.ep,
                  "apply_placement: the plan is for another expert count or EP size");
  std::vector<std::vector<float>*> tensors;
  std::vector<int64_t> row_elems;
  for (Param* p : params_.experts()) {
    const int64_t row = static_cast<int64_t>(p->value.size()) / p->shape[0];
    tensors.push_back(&p->value);
    row_elems.push_back(row);
    for (std::vector<float>* st : state_of(*p)) {
      tensors.push_back(st);
      row_elems.push_back(row);
    }
  }
  placement_move_rows(coll_.grid().comm(Group::Ep), placement_, to, tensors, row_elems);
  placement_ = to;
  moe_params_place(params_, placement_, coll_.grid().index().ep);
  for (Param* p : params_.experts()) p->zero_grad();
  load_params();
}

std::unique_ptr<WeightCache> weight_cache_share(Collectives& coll,
                                                const std::vector<MoeLayer*>& layers) {
  std::unique_ptr<WeightCache> cache;
  for (MoeLayer* m : layers) {
    if (!m->config().data_centric() || m->config().weight_cache != "shared") continue;
    if (!cache) cache = std::make_unique<WeightCache>(coll);
    m->use_weight_cache(*cache);
  }
  return cache;
}

void MoeLayer::reset_expert_load() {
  std::fill(expert_load_.begin(), expert_load_.end(), 0.0);
}

}  // namespace paramoe
