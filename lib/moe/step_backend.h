#pragma once
// Where a schedule's buffers live and how its local steps compute, on one device,
// written once over its op table (device/device_ops.h): cpu_device_ops() is the
// reference, cuda_device_ops() the GPU (cuda_step_backend.h adds its bf16 expert
// FFN). The executor (executor.cpp) owns the control flow: shapes, the counts and
// the collectives. Every float pointer handed out is in the device's memory, which
// must be the one its Collectives backend moves rows in. The router's tensors and
// the dispatch plan's indices stay there too (router.h, dispatch_plan.h): only
// counts and statistics come to the host, as the collectives' counts and the
// expert GEMMs' shapes.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/routing_skew.h"
#include "device/backend_buffer.h"
#include "device/device_array.h"
#include "device/device_ops.h"
#include "device/param_mirrors.h"
#include "moe/dispatch_plan.h"
#include "moe/expert_blocks.h"
#include "moe/expert_ffn.h"
#include "moe/moe_params.h"
#include "moe/router.h"

namespace paramoe {

class StepBackend {
 public:
  // Throws on a bad cfg.routing_skew.
  StepBackend(const DeviceOps& ops, const MoeConfig& cfg, MoeParams& params);
  virtual ~StepBackend() = default;
  StepBackend(const StepBackend&) = delete;
  StepBackend& operator=(const StepBackend&) = delete;

  const DeviceOps& ops() const { return ops_; }

  // Float buffers by slot (Schedule::buffers). `out` makes (or remakes) one of n
  // zeros; `data` reads one that `has` says was written since the last clear (the
  // executor checks, naming the buffer).
  float* out(int slot, int64_t n);
  // The same for a step that writes every element: what was there may remain (no
  // zero fill, which cost about 2–4% of a layer on the CPU).
  float* out_overwritten(int slot, int64_t n);
  float* data(int slot) { return buf_[slot].data(); }
  int64_t size(int slot) const { return has(slot) ? size_[slot] : 0; }
  bool has(int slot) const { return slot >= 0 && slot < std::ssize(size_) && size_[slot] >= 0; }
  // Forgets every buffer (a new forward pass), keeping the memory for the next.
  void clear() { std::fill(size_.begin(), size_.end(), int64_t{-1}); }
  // Buffer `to` takes over `from`'s n floats, which no later step reads: the two
  // slots swap their memory (no copy), so each keeps a buffer of its size.
  void move(int from, int to, int64_t n);
  void copy(const float* src, int64_t n, float* dst) { paramoe::copy(ops_.memory, src, n, dst); }
  // Between host memory and the device's; both finish before they return.
  void upload(const float* host, int64_t n, float* dst) {
    paramoe::upload(ops_.memory, host, n, dst);
  }
  void download(const float* src, int64_t n, float* host) {
    paramoe::download(ops_.memory, src, n, host);
  }

  // Rows as bf16 on the wire (moe.a2a_precision = "bf16"): fp32 rows [rows, cols]
  // packed into wire rows of (cols + 1) / 2 floats, and back.
  void pack_bf16_rows(const float* x, int64_t rows, int64_t cols, float* wire);
  void unpack_bf16_rows(const float* wire, int64_t rows, int64_t cols, float* y);

  // The router (router_forward) on x [tokens, D] with this layer's gate; r gets
  // the pass's sizes.
  void route(const float* x, int64_t tokens, Routing& r);
  // Capacity by position (router.h): this pass's counts [k, E], and the drop.
  std::vector<int> choice_counts() { return router_choice_counts(ops_, router_, cfg_); }
  void apply_capacity(const std::vector<int>& before, const std::vector<int>& total,
                      int64_t capacity) {
    router_apply_capacity(ops_, router_, cfg_, before, total, capacity);
  }
  // The local sums of the losses' statistics (router_local_stats).
  std::vector<double> router_stats() { return router_local_stats(ops_, router_, cfg_); }
  // The dispatch plan (dispatch_plan.h) of this pass's routing: its counts in p,
  // its indices here, in the device's memory.
  void build_send_plan(int ep, int local_experts, const std::vector<int>& slot_of, DispatchPlan& p,
                       int64_t pad_rows = 0) {
    dispatch_plan_build_send(ops_, router_, ep, local_experts, slot_of, p, plan_, pad_rows);
  }
  void set_plan_layout(DispatchPlan& p, int blocks, std::vector<int> counts) {
    dispatch_plan_set_layout(ops_, p, plan_, blocks, std::move(counts));
  }

  // Rows of row_len floats moved by the plan's indices: token rows to send rows
  // and the adjoint (dx += …), and layout rows to expert-sorted rows and back.
  void permute_to_send(const float* x, const DispatchPlan& p, int64_t row_len, float* send);
  void scatter_add_from_send(const float* dsend, const DispatchPlan& p, int64_t row_len, float* dx);
  void permute_to_experts(const float* layout, const DispatchPlan& p, int64_t row_len,
                          float* sorted);
  void unpermute_from_experts(const float* sorted, const DispatchPlan& p, int64_t row_len,
                              float* layout);
  // y += the gate-weighted sum of each token's returned rows.
  void combine_rows(const float* rows, int64_t row_len, float* y);
  // Writes drows and the gate weights' gradient, which router_backward reads from
  // the router's tensors.
  void combine_rows_backward(const float* dy, const float* rows, int64_t row_len, float* drows);
  // dx += the router's input gradient; dwg += its gate gradient [D, E].
  void router_backward(const Routing& r, const float* x, float* dx, float* dwg);
  void accumulate_gate_grad(const float* dwg);

  // The expert FFN of this rank's slice on expert-sorted rows (expert_ffn.h); the
  // forward saves the activations the backward reads. `between_blocks` runs after
  // each row block where the device computes on the calling thread (the CPU), to
  // drive the collectives in flight meanwhile (s2's other chunks).
  virtual void expert_forward(const float* xs, const std::vector<int64_t>& offsets, bool add_b2,
                              float* out, const std::function<void()>& between_blocks);
  virtual void expert_backward(const float* dout, const float* xs,
                               const std::vector<int64_t>& offsets, float* dxs,
                               const std::function<void()>& between_blocks);

  // The shared experts' FFN (moe.shared_experts) of this rank's MP slice on all
  // `rows` rows of the layer input (one expert: moe_params.h); the output and dx
  // are partial sums over MP. The forward saves what the backward reads.
  void shared_forward(const float* x, int64_t rows, bool add_b2, float* out,
                      const std::function<void()>& between_blocks);
  void shared_backward(const float* dout, const float* x, int64_t rows, float* dx,
                       const std::function<void()>& between_blocks);
  // dst += src (n floats).
  void add(const float* src, int64_t n, float* dst);

  // Data-centric: the FFN of every expert on this rank's slot-sorted rows, from the
  // gathered blocks (expert_blocks.h; `offsets` [E + 1] by slot). The backward adds
  // the weight gradients into `grads`, blocks laid out like g's.
  virtual void gathered_expert_forward(const GatheredExperts& g, const float* xs,
                                       const std::vector<int64_t>& offsets, float* out);
  virtual void gathered_expert_backward(const GatheredExperts& g, const float* dout,
                                        const float* xs, const std::vector<int64_t>& offsets,
                                        float* grads, float* dxs);

  // Hot-expert shadowing (moe.shadow, expert_shadow.h): `one` is a one-expert block
  // of this rank's hidden slice. pack_expert packs this rank's expert at local
  // index `local` into it; add_expert_grad adds such a block of gradients into that
  // expert's. The shadowed experts' FFN runs from g (one one-expert block per
  // shadowed expert, owners = |S|, slices = 1) on their rows, `offsets` [|S| + 1]
  // being rows of xs; the backward adds the weight gradients into `grads`, blocks
  // laid out like g's.
  void pack_expert(const ExpertBlock& one, int64_t local, float* dst);
  void add_expert_grad(const ExpertBlock& one, int64_t local, const float* src);
  void shadow_expert_forward(const GatheredExperts& g, const float* xs, const int64_t* offsets,
                             bool add_b2, float* out);
  void shadow_expert_backward(const GatheredExperts& g, const float* dout, const float* xs,
                              const int64_t* offsets, float* grads, float* dxs);

  // The weight cache's side of data-centric execution: a buffer in this device's
  // memory; this layer's expert shard (its values, as this backend computes with
  // them) packed into block b at dst; and a gradient block added into this layer's
  // expert gradients (where expert_backward would have put them).
  std::unique_ptr<BackendBuffer> new_buffer() { return make_buffer(ops_); }
  void pack_experts(const ExpertBlock& b, float* dst);
  void add_expert_grads(const ExpertBlock& b, const float* src);

  // The parameters' live copies, which the backward accumulates into and the
  // optimizer updates in place: the MoeParams' own vectors in host memory, device
  // copies otherwise.
  ResidentParam resident(Param& p) { return mirrors_.resident(p); }
  // The live values changed in place (an optimizer step): drop what was derived
  // from them (the GPU's bf16 expert copy).
  virtual void values_changed() {}
  // Between the host MoeParams and the live copies: load_params copies their values
  // in after the host's changed; store_grads adds the gradients accumulated here
  // into theirs and zeroes its own. Both are no-ops in host memory.
  void load_params();
  void store_grads() { mirrors_.store_grads(); }

 protected:
  // This layer's experts (or its shared experts' FFN) as the device holds them.
  ExpertWeights weights(bool shared = false);
  ExpertGrads grads(bool shared = false);
  float* value(Param& p) { return resident(p).value; }
  float* grad(Param& p) { return resident(p).grad; }
  const MoeConfig& cfg() const { return cfg_; }
  MoeParams& params() { return params_; }

 private:
  // The calling thread computes on the host only: elsewhere the kernels run
  // asynchronously and NCCL progresses on its own, so there is nothing to drive.
  const std::function<void()>& driven(const std::function<void()>& between_blocks) const;
  // Buffer b with room for n floats; memory that grows is zeroed once, which also
  // touches its pages (faulting them in during a pass cost more than the row
  // copies themselves).
  float* grow_touched(DeviceArray<float>& b, int64_t n);

  const DeviceOps& ops_;
  const MoeConfig& cfg_;
  MoeParams& params_;
  ParamMirrors mirrors_;                 // the parameters' live copies
  std::vector<DeviceArray<float>> buf_;  // by slot
  std::vector<int64_t> size_;            // -1: not written since the last clear
  RouterTensors router_;
  PlanIndices plan_;
  ExpertActivations act_;
  ExpertActivations shared_act_;                 // the shared experts' (moe.shared_experts)
  std::vector<ExpertActivations> gathered_act_;  // per gathered block
  std::vector<ExpertActivations> shadow_act_;    // per shadowed expert (moe.shadow)
  RoutingSkew skew_;                             // cfg_.routing_skew (bench.routing), parsed
};

}  // namespace paramoe
