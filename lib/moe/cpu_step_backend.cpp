#include "moe/cpu_step_backend.h"

#include <algorithm>

#include "core/error.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/row_ops.h"

namespace paramoe {

namespace {
int64_t rows_of(const std::vector<int32_t>& index) {
  return static_cast<int64_t>(index.size());
}
}  // namespace

float* CpuStepBackend::out(int slot, int64_t n) {
  float* p = out_overwritten(slot, n);
  std::fill_n(p, n, 0.0f);
  return p;
}

// Keeps the vector's pages from the last pass (resize zeroes only what it adds).
float* CpuStepBackend::out_overwritten(int slot, int64_t n) {
  if (slot >= std::ssize(buf_)) {
    buf_.resize(slot + 1);
    live_.resize(slot + 1, false);
  }
  buf_[slot].resize(n);
  live_[slot] = true;
  return buf_[slot].data();
}

void CpuStepBackend::move(int from, int to, int64_t n) {
  PARAMOE_REQUIRE(has(from) && size(from) == n, "CpuStepBackend::move: no such buffer");
  out_overwritten(to, 0);  // makes the slot
  std::swap(buf_[from], buf_[to]);
  live_[from] = false;
  live_[to] = true;
  // The first pass swaps in an empty vector: size it now, so that the next pass
  // finds its pages touched rather than faulting them in (32 MB a buffer at B).
  if (std::ssize(buf_[from]) < n) buf_[from].resize(n);
}

void CpuStepBackend::copy(const float* src, int64_t n, float* dst) {
  std::copy_n(src, n, dst);
}

void CpuStepBackend::gather_rows(const float* src, const std::vector<int32_t>& index,
                                 int64_t row_len, float* dst) {
  cpu::gather_rows(src, index.data(), rows_of(index), row_len, dst);
}

void CpuStepBackend::scatter_rows(const float* src, const std::vector<int32_t>& index,
                                  int64_t row_len, float* dst) {
  cpu::scatter_rows(src, index.data(), rows_of(index), row_len, dst);
}

void CpuStepBackend::scatter_add_rows(const float* src, const std::vector<int32_t>& index,
                                      int64_t row_len, float* dst) {
  cpu::scatter_add_rows(src, index.data(), rows_of(index), row_len, dst);
}

void CpuStepBackend::combine_rows(const float* rows, const std::vector<int32_t>& pos,
                                  const Routing& r, int64_t row_len, float* y) {
  cpu::combine_rows(rows, pos.data(), r.weight.data(), r.tokens, r.k, row_len, y);
}

void CpuStepBackend::combine_rows_backward(const float* dy, const float* rows,
                                           const std::vector<int32_t>& pos, Routing& r,
                                           int64_t row_len, float* drows) {
  float* dweight = router_.dweight.fit(ops_.memory, r.tokens * r.k);
  cpu::combine_rows_backward(dy, rows, pos.data(), r.weight.data(), r.tokens, r.k, row_len, drows,
                             dweight);
}

CpuStepBackend::CpuStepBackend(const MoeConfig& cfg, MoeParams& params)
    : ops_(cpu_device_ops()), cfg_(cfg), params_(params) {
  // The config checked it; a benchmark that sets it checked it there too.
  if (!routing_skew_parse(cfg.routing_skew, cfg.top_k, skew_))
    throw Error("bench.routing: expected " + std::string(kRoutingSkewExpected) + ", got \"" +
                cfg.routing_skew + "\"");
}

void CpuStepBackend::route(const float* x, int64_t tokens, Routing& r) {
  router_forward(ops_, x, tokens, cfg_.d_model, params_.gate.value.data(), cfg_, router_,
                 params_.balance_bias.empty() ? nullptr : params_.balance_bias.data(), &skew_);
  router_to_host(ops_, router_, cfg_, r);
}

void CpuStepBackend::router_backward(const Routing& r, const float* x, float* dx, float* dwg) {
  paramoe::router_backward(ops_, router_, r, x, cfg_.d_model, params_.gate.value.data(), cfg_, dx,
                           dwg);
}

void CpuStepBackend::accumulate_gate_grad(const float* dwg) {
  auto& g = params_.gate.grad;
  cpu::accumulate(dwg, static_cast<int64_t>(g.size()), g.data());
}

void CpuStepBackend::expert_forward(const float* xs, const std::vector<int64_t>& offsets,
                                    bool add_b2, float* out,
                                    const std::function<void()>& between_blocks) {
  expert_ffn_forward(ops_.expert, params_.dims(), params_.weights(), xs, offsets.data(), add_b2,
                     act_, out, false, between_blocks);
}

void CpuStepBackend::expert_backward(const float* dout, const float* xs,
                                     const std::vector<int64_t>& offsets, float* dxs,
                                     const std::function<void()>& between_blocks) {
  expert_ffn_backward(ops_.expert, params_.dims(), params_.weights(), xs, act_, dout,
                      offsets.data(), params_.grads(), dxs, false, between_blocks);
}

void CpuStepBackend::shared_forward(const float* x, int64_t rows, bool add_b2, float* out,
                                    const std::function<void()>& between_blocks) {
  const int64_t offsets[2] = {0, rows};
  expert_ffn_forward(ops_.expert, params_.shared_dims(), params_.shared_weights(), x, offsets,
                     add_b2, shared_act_, out, false, between_blocks);
}

void CpuStepBackend::shared_backward(const float* dout, const float* x, int64_t rows, float* dx,
                                     const std::function<void()>& between_blocks) {
  const int64_t offsets[2] = {0, rows};
  expert_ffn_backward(ops_.expert, params_.shared_dims(), params_.shared_weights(), x, shared_act_,
                      dout, offsets, params_.shared_grads(), dx, false, between_blocks);
}

void CpuStepBackend::add(const float* src, int64_t n, float* dst) {
  cpu::accumulate(src, n, dst);
}

std::unique_ptr<BackendBuffer> CpuStepBackend::new_buffer() {
  return make_host_buffer();
}

void CpuStepBackend::gathered_expert_forward(const GatheredExperts& g, const float* xs,
                                             const std::vector<int64_t>& offsets, float* out) {
  gathered_experts_forward(ops_.expert, g, xs, offsets.data(), gathered_act_, out);
}

void CpuStepBackend::gathered_expert_backward(const GatheredExperts& g, const float* dout,
                                              const float* xs, const std::vector<int64_t>& offsets,
                                              float* grads, float* dxs) {
  gathered_experts_backward(ops_.expert, g, xs, gathered_act_, dout, offsets.data(), grads, dxs);
}

}  // namespace paramoe
