#pragma once
// The reference StepBackend: host vectors and kernels/cpu, on the layer's own
// MoeParams.
#include <algorithm>
#include <vector>

#include "core/config.h"
#include "kernels/cpu/wire_bf16.h"
#include "moe/expert_ffn.h"
#include "moe/moe_params.h"
#include "moe/step_backend.h"

namespace paramoe {

class CpuStepBackend final : public StepBackend {
 public:
  CpuStepBackend(const MoeConfig& cfg, MoeParams& params);  // throws on a bad routing_skew

  float* out(int slot, int64_t n) override;
  float* out_overwritten(int slot, int64_t n) override;
  float* data(int slot) override { return buf_[slot].data(); }
  int64_t size(int slot) const override { return has(slot) ? std::ssize(buf_[slot]) : 0; }
  bool has(int slot) const override { return slot >= 0 && slot < std::ssize(live_) && live_[slot]; }
  // Keeps the vectors (and their pages) for the next pass: freeing and refaulting
  // every buffer each step costs more than the row copies themselves.
  void clear() override { std::fill(live_.begin(), live_.end(), false); }
  // Swaps the two slots' vectors, so each keeps a buffer of its size for the next pass.
  void move(int from, int to, int64_t n) override;
  void copy(const float* src, int64_t n, float* dst) override;
  void upload(const float* host, int64_t n, float* dst) override { copy(host, n, dst); }
  void download(const float* src, int64_t n, float* host) override { copy(src, n, host); }

  void pack_bf16_rows(const float* x, int64_t rows, int64_t cols, float* wire) override {
    cpu::pack_bf16_rows(x, rows, cols, wire);
  }
  void unpack_bf16_rows(const float* wire, int64_t rows, int64_t cols, float* y) override {
    cpu::unpack_bf16_rows(wire, rows, cols, y);
  }

  void gather_rows(const float* src, const std::vector<int32_t>& index, int64_t row_len,
                   float* dst) override;
  void scatter_rows(const float* src, const std::vector<int32_t>& index, int64_t row_len,
                    float* dst) override;
  void scatter_add_rows(const float* src, const std::vector<int32_t>& index, int64_t row_len,
                        float* dst) override;
  void combine_rows(const float* rows, const std::vector<int32_t>& pos, const Routing& r,
                    int64_t row_len, float* y) override;
  void combine_rows_backward(const float* dy, const float* rows, const std::vector<int32_t>& pos,
                             Routing& r, int64_t row_len, float* drows) override;

  void route(const float* x, int64_t tokens, Routing& r) override;
  void router_backward(const Routing& r, const float* x, float* dx, float* dwg) override;
  void accumulate_gate_grad(const float* dwg) override;

  void expert_forward(const float* xs, const std::vector<int64_t>& offsets, bool add_b2, float* out,
                      const std::function<void()>& between_blocks) override;
  void expert_backward(const float* dout, const float* xs, const std::vector<int64_t>& offsets,
                       float* dxs, const std::function<void()>& between_blocks) override;

  void shared_forward(const float* x, int64_t rows, bool add_b2, float* out,
                      const std::function<void()>& between_blocks) override;
  void shared_backward(const float* dout, const float* x, int64_t rows, float* dx,
                       const std::function<void()>& between_blocks) override;
  void add(const float* src, int64_t n, float* dst) override;

  void gathered_expert_forward(const GatheredExperts& g, const float* xs,
                               const std::vector<int64_t>& offsets, float* out) override;
  void gathered_expert_backward(const GatheredExperts& g, const float* dout, const float* xs,
                                const std::vector<int64_t>& offsets, float* grads,
                                float* dxs) override;

  void pack_expert(const ExpertBlock& one, int64_t local, float* dst) override {
    expert_block_pack(params_, one, dst, local);
  }
  void add_expert_grad(const ExpertBlock& one, int64_t local, const float* src) override {
    expert_block_add_grads(one, src, params_, local);
  }
  void shadow_expert_forward(const GatheredExperts& g, const float* xs, const int64_t* offsets,
                             bool add_b2, float* out) override {
    gathered_experts_forward(ops_.expert, g, xs, offsets, shadow_act_, out, add_b2);
  }
  void shadow_expert_backward(const GatheredExperts& g, const float* dout, const float* xs,
                              const int64_t* offsets, float* grads, float* dxs) override {
    gathered_experts_backward(ops_.expert, g, xs, shadow_act_, dout, offsets, grads, dxs);
  }

  std::unique_ptr<BackendBuffer> new_buffer() override;
  void pack_experts(const ExpertBlock& b, float* dst) override {
    expert_block_pack(params_, b, dst);
  }
  void add_expert_grads(const ExpertBlock& b, const float* src) override {
    expert_block_add_grads(b, src, params_);
  }

  ResidentParam resident(Param& p) override { return resident_on_host(p); }
  void values_changed() override {}
  void load_params() override {}
  void store_grads() override {}

 private:
  const DeviceOps& ops_;  // cpu_device_ops()
  const MoeConfig& cfg_;
  MoeParams& params_;
  std::vector<std::vector<float>> buf_;  // by slot
  std::vector<bool> live_;               // the buffers written since the last clear
  RouterTensors router_;
  ExpertActivations act_;
  ExpertActivations shared_act_;                 // the shared experts' (moe.shared_experts)
  std::vector<ExpertActivations> gathered_act_;  // per gathered block
  std::vector<ExpertActivations> shadow_act_;    // per shadowed expert (moe.shadow)
  RoutingSkew skew_;                             // cfg_.routing_skew (bench.routing), parsed
};

}  // namespace paramoe
