#include "moe/step_backend.h"

#include <algorithm>
#include <array>

#include "core/error.h"

namespace paramoe {

StepBackend::StepBackend(const DeviceOps& ops, const MoeConfig& cfg, MoeParams& params)
    : ops_(ops), cfg_(cfg), params_(params), mirrors_(ops) {
  // The config checked it; a benchmark that sets it checked it there too.
  if (!routing_skew_parse(cfg.routing_skew, cfg.top_k, skew_))
    throw Error("bench.routing: expected " + std::string(kRoutingSkewExpected) + ", got \"" +
                cfg.routing_skew + "\"");
  for (Param* p : params_.all()) mirrors_.add(*p);
}

void StepBackend::load_params() {
  mirrors_.load_values();
  values_changed();
}

float* StepBackend::out(int slot, int64_t n) {
  float* p = out_overwritten(slot, n);
  ops_.memory.zero(p, n * sizeof(float));
  return p;
}

// Keeps the memory from the last pass (grow_touched).
float* StepBackend::out_overwritten(int slot, int64_t n) {
  if (slot >= std::ssize(buf_)) {
    buf_.resize(slot + 1);
    size_.resize(slot + 1, -1);
  }
  size_[slot] = n;
  return grow_touched(buf_[slot], n);
}

float* StepBackend::grow_touched(DeviceArray<float>& b, int64_t n) {
  if (b.capacity() < static_cast<size_t>(n))
    ops_.memory.zero(b.fit(ops_.memory, n), n * sizeof(float));
  return b.data();
}

void StepBackend::move(int from, int to, int64_t n) {
  PARAMOE_REQUIRE(has(from) && size(from) == n, "StepBackend::move: no such buffer");
  out_overwritten(to, 0);  // makes the slot
  std::swap(buf_[from], buf_[to]);
  size_[from] = -1;
  size_[to] = n;
  // The first pass swaps in an empty buffer: size it now, so that the next pass
  // finds its pages touched rather than faulting them in (32 MB a buffer at B).
  grow_touched(buf_[from], n);
}

void StepBackend::pack_bf16_rows(const float* x, int64_t rows, int64_t cols, float* wire) {
  ops_.pack_bf16_rows(x, rows, cols, wire);
}

void StepBackend::unpack_bf16_rows(const float* wire, int64_t rows, int64_t cols, float* y) {
  ops_.unpack_bf16_rows(wire, rows, cols, y);
}

void StepBackend::permute_to_send(const float* x, const DispatchPlan& p, int64_t row_len,
                                  float* send) {
  ops_.gather_rows(x, plan_.send_token.data(), p.send_rows(), row_len, send);
}

void StepBackend::scatter_add_from_send(const float* dsend, const DispatchPlan& p, int64_t row_len,
                                        float* dx) {
  ops_.scatter_add_rows(dsend, plan_.send_token.data(), p.send_rows(), row_len, dx);
}

void StepBackend::permute_to_experts(const float* layout, const DispatchPlan& p, int64_t row_len,
                                     float* sorted) {
  ops_.gather_rows(layout, plan_.sorted_from.data(), p.layout_rows(), row_len, sorted);
}

void StepBackend::unpermute_from_experts(const float* sorted, const DispatchPlan& p,
                                         int64_t row_len, float* layout) {
  ops_.scatter_rows(sorted, plan_.sorted_from.data(), p.layout_rows(), row_len, layout);
}

void StepBackend::combine_rows(const float* rows, int64_t row_len, float* y) {
  ops_.combine_rows(rows, plan_.send_pos.data(), router_.weight.data(), router_.tokens, router_.k,
                    row_len, y);
}

void StepBackend::combine_rows_backward(const float* dy, const float* rows, int64_t row_len,
                                        float* drows) {
  float* dweight = router_.dweight.fit(ops_.memory, router_.tokens * router_.k);
  ops_.combine_rows_backward(dy, rows, plan_.send_pos.data(), router_.weight.data(), router_.tokens,
                             router_.k, row_len, drows, dweight);
}

void StepBackend::route(const float* x, int64_t tokens, Routing& r) {
  const float* bias = params_.balance_bias.empty() ? nullptr : params_.balance_bias.data();
  router_forward(ops_, x, tokens, cfg_.d_model, value(params_.gate), cfg_, router_, bias, &skew_);
  router_set_sizes(router_, cfg_, r);
}

void StepBackend::router_backward(const Routing& r, const float* x, float* dx, float* dwg) {
  paramoe::router_backward(ops_, router_, r, x, cfg_.d_model, value(params_.gate), cfg_, dx, dwg);
}

void StepBackend::accumulate_gate_grad(const float* dwg) {
  ops_.accumulate(dwg, static_cast<int64_t>(params_.gate.grad.size()), grad(params_.gate));
}

void StepBackend::add(const float* src, int64_t n, float* dst) {
  ops_.accumulate(src, n, dst);
}

const std::function<void()>& StepBackend::driven(
    const std::function<void()>& between_blocks) const {
  static const std::function<void()> none;
  return ops_.host ? between_blocks : none;
}

namespace {
// The six tensors of the routed experts' FFN, or of the shared experts' (w3, b3
// only with SwiGLU).
std::array<Param*, 6> ffn_params(MoeParams& p, bool shared) {
  if (shared)
    return {&p.shared_w1, &p.shared_b1, &p.shared_w3, &p.shared_b3, &p.shared_w2, &p.shared_b2};
  return {&p.w1, &p.b1, &p.w3, &p.b3, &p.w2, &p.b2};
}
}  // namespace

ExpertWeights StepBackend::weights(bool shared) {
  const std::array<Param*, 6> q = ffn_params(params_, shared);
  const bool s = params_.swiglu;
  return {value(*q[0]), value(*q[1]), s ? value(*q[2]) : nullptr, s ? value(*q[3]) : nullptr,
          value(*q[4]), value(*q[5])};
}

ExpertGrads StepBackend::grads(bool shared) {
  const std::array<Param*, 6> q = ffn_params(params_, shared);
  const bool s = params_.swiglu;
  return {grad(*q[0]), grad(*q[1]), s ? grad(*q[2]) : nullptr, s ? grad(*q[3]) : nullptr,
          grad(*q[4]), grad(*q[5])};
}

void StepBackend::expert_forward(const float* xs, const std::vector<int64_t>& offsets, bool add_b2,
                                 float* out, const std::function<void()>& between_blocks) {
  expert_ffn_forward(ops_.expert, params_.dims(), weights(), xs, offsets.data(), add_b2, act_, out,
                     false, driven(between_blocks));
}

void StepBackend::expert_backward(const float* dout, const float* xs,
                                  const std::vector<int64_t>& offsets, float* dxs,
                                  const std::function<void()>& between_blocks) {
  expert_ffn_backward(ops_.expert, params_.dims(), weights(), xs, act_, dout, offsets.data(),
                      grads(), dxs, false, driven(between_blocks));
}

void StepBackend::shared_forward(const float* x, int64_t rows, bool add_b2, float* out,
                                 const std::function<void()>& between_blocks) {
  const int64_t offsets[2] = {0, rows};
  expert_ffn_forward(ops_.expert, params_.shared_dims(), weights(true), x, offsets, add_b2,
                     shared_act_, out, false, driven(between_blocks));
}

void StepBackend::shared_backward(const float* dout, const float* x, int64_t rows, float* dx,
                                  const std::function<void()>& between_blocks) {
  const int64_t offsets[2] = {0, rows};
  expert_ffn_backward(ops_.expert, params_.shared_dims(), weights(true), x, shared_act_, dout,
                      offsets, grads(true), dx, false, driven(between_blocks));
}

void StepBackend::gathered_expert_forward(const GatheredExperts& g, const float* xs,
                                          const std::vector<int64_t>& offsets, float* out) {
  gathered_experts_forward(ops_.expert, g, xs, offsets.data(), gathered_act_, out);
}

void StepBackend::gathered_expert_backward(const GatheredExperts& g, const float* dout,
                                           const float* xs, const std::vector<int64_t>& offsets,
                                           float* grads, float* dxs) {
  gathered_experts_backward(ops_.expert, g, xs, gathered_act_, dout, offsets.data(), grads, dxs);
}

void StepBackend::pack_expert(const ExpertBlock& one, int64_t local, float* dst) {
  for (const BlockRange& r : expert_block_ranges(params_, one, local))
    copy(value(*r.param) + r.from, r.n, dst + r.at);
}

void StepBackend::add_expert_grad(const ExpertBlock& one, int64_t local, const float* src) {
  for (const BlockRange& r : expert_block_ranges(params_, one, local))
    ops_.accumulate(src + r.at, r.n, grad(*r.param) + r.from);
}

void StepBackend::shadow_expert_forward(const GatheredExperts& g, const float* xs,
                                        const int64_t* offsets, bool add_b2, float* out) {
  gathered_experts_forward(ops_.expert, g, xs, offsets, shadow_act_, out, add_b2);
}

void StepBackend::shadow_expert_backward(const GatheredExperts& g, const float* dout,
                                         const float* xs, const int64_t* offsets, float* grads,
                                         float* dxs) {
  gathered_experts_backward(ops_.expert, g, xs, shadow_act_, dout, offsets, grads, dxs);
}

// Within the device's memory, queued after the compute that the cache's gather
// waits for.
void StepBackend::pack_experts(const ExpertBlock& b, float* dst) {
  pack_expert(b, 0, dst);
}

void StepBackend::add_expert_grads(const ExpertBlock& b, const float* src) {
  add_expert_grad(b, 0, src);
}

}  // namespace paramoe
