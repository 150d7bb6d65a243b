#pragma once
// Where a schedule's buffers live and how its local steps compute. The executor
// (executor.cpp) owns the control flow: shapes, the dispatch plan, the counts and
// the collectives. A backend owns the memory and the math: CpuStepBackend (host
// vectors, kernels/cpu) is the reference, and CudaStepBackend (device buffers,
// kernels/cuda) mirrors it call for call. Every float pointer a backend hands out is
// in its memory space, which must be the one its Collectives backend moves rows in.
// The routing decisions and the dispatch plan stay on the host for both: their
// sizes are the collectives' counts and the expert GEMMs' shapes.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "moe/backend_buffer.h"
#include "moe/expert_blocks.h"
#include "moe/router.h"

namespace paramoe {

class StepBackend {
 public:
  virtual ~StepBackend() = default;

  // Float buffers by slot (Schedule::buffers). `out` makes (or remakes) one of n
  // zeros; `data` reads one that `has` says was written since the last clear (the
  // executor checks, naming the buffer).
  virtual float* out(int slot, int64_t n) = 0;
  // The same for a step that writes every element: what was there may remain (the
  // CPU backend then skips the zero fill, which cost about 2–4% of a layer).
  virtual float* out_overwritten(int slot, int64_t n) { return out(slot, n); }
  virtual float* data(int slot) = 0;
  virtual int64_t size(int slot) const = 0;
  virtual bool has(int slot) const = 0;
  virtual void clear() = 0;  // forgets every buffer (a new forward pass)
  // Buffer `to` takes over `from`'s n floats, which no later step reads: the CPU
  // backend hands the memory on (no copy), others copy.
  virtual void move(int from, int to, int64_t n) { copy(data(from), n, out_overwritten(to, n)); }
  virtual void copy(const float* src, int64_t n, float* dst) = 0;
  // Between host memory and this backend's; both finish before they return.
  virtual void upload(const float* host, int64_t n, float* dst) = 0;
  virtual void download(const float* src, int64_t n, float* host) = 0;

  // Rows as bf16 on the wire (moe.a2a_precision = "bf16"): fp32 rows [rows, cols]
  // packed into wire rows of (cols + 1) / 2 floats, and back (kernels/*/wire_bf16.h).
  virtual void pack_bf16_rows(const float* x, int64_t rows, int64_t cols, float* wire) = 0;
  virtual void unpack_bf16_rows(const float* wire, int64_t rows, int64_t cols, float* y) = 0;

  // Rows of row_len floats; indices and gate weights come from the host plan.
  virtual void gather_rows(const float* src, const std::vector<int32_t>& index, int64_t row_len,
                           float* dst) = 0;
  virtual void scatter_rows(const float* src, const std::vector<int32_t>& index, int64_t row_len,
                            float* dst) = 0;
  virtual void scatter_add_rows(const float* src, const std::vector<int32_t>& index,
                                int64_t row_len, float* dst) = 0;
  // y += the gate-weighted sum of each token's returned rows (r.weight).
  virtual void combine_rows(const float* rows, const std::vector<int32_t>& pos, const Routing& r,
                            int64_t row_len, float* y) = 0;
  // Writes drows and the gate weights' gradient, which router_backward reads from
  // the router's tensors in this backend's memory (router.h: RouterTensors).
  virtual void combine_rows_backward(const float* dy, const float* rows,
                                     const std::vector<int32_t>& pos, Routing& r, int64_t row_len,
                                     float* drows) = 0;

  // The router (router_forward over this backend's op table) on x [tokens, D] with
  // this layer's gate, and its host view (router_to_host).
  virtual void route(const float* x, int64_t tokens, Routing& r) = 0;
  // dx += the router's input gradient; dwg += its gate gradient [D, E].
  virtual void router_backward(const Routing& r, const float* x, float* dx, float* dwg) = 0;
  virtual void accumulate_gate_grad(const float* dwg) = 0;

  // The expert FFN of this rank's slice on expert-sorted rows (expert_ffn.h); the
  // forward saves the activations the backward reads. `between_blocks` runs after
  // each row block where the device computes on the calling thread (the CPU), to
  // drive the collectives in flight meanwhile (s2's other chunks).
  virtual void expert_forward(const float* xs, const std::vector<int64_t>& offsets, bool add_b2,
                              float* out, const std::function<void()>& between_blocks) = 0;
  virtual void expert_backward(const float* dout, const float* xs,
                               const std::vector<int64_t>& offsets, float* dxs,
                               const std::function<void()>& between_blocks) = 0;

  // The shared experts' FFN (moe.shared_experts) of this rank's MP slice on all
  // `rows` rows of the layer input (one expert: moe_params.h); the output and dx
  // are partial sums over MP. `between_blocks` runs after each row block, to drive
  // the collectives in flight. The forward saves what the backward reads. Only the
  // CPU backend has it (the config refuses shared experts on the GPU).
  virtual void shared_forward(const float*, int64_t, bool, float*, const std::function<void()>&) {
    throw Error("moe.shared_experts: this device has no shared-expert FFN");
  }
  virtual void shared_backward(const float*, const float*, int64_t, float*,
                               const std::function<void()>&) {
    throw Error("moe.shared_experts: this device has no shared-expert FFN");
  }
  // dst += src (n floats).
  virtual void add(const float* src, int64_t n, float* dst) = 0;

  // Data-centric: the FFN of every expert on this rank's slot-sorted rows, from the
  // gathered blocks (expert_blocks.h; `offsets` [E + 1] by slot). The backward adds
  // the weight gradients into `grads`, blocks laid out like g's.
  virtual void gathered_expert_forward(const GatheredExperts& g, const float* xs,
                                       const std::vector<int64_t>& offsets, float* out) = 0;
  virtual void gathered_expert_backward(const GatheredExperts& g, const float* dout,
                                        const float* xs, const std::vector<int64_t>& offsets,
                                        float* grads, float* dxs) = 0;

  // Hot-expert shadowing (moe.shadow, expert_shadow.h): `one` is a one-expert block
  // of this rank's hidden slice. pack_expert packs this rank's expert at local
  // index `local` into it; add_expert_grad adds such a block of gradients into that
  // expert's. The shadowed experts' FFN runs from g (one one-expert block per
  // shadowed expert, owners = |S|, slices = 1) on their rows, `offsets` [|S| + 1]
  // being rows of xs; the backward adds the weight gradients into `grads`, blocks
  // laid out like g's. Only the CPU backend has them (the config refuses
  // shadowing on the GPU).
  virtual void pack_expert(const ExpertBlock&, int64_t, float*) { no_shadow(); }
  virtual void add_expert_grad(const ExpertBlock&, int64_t, const float*) { no_shadow(); }
  virtual void shadow_expert_forward(const GatheredExperts&, const float*, const int64_t*, bool,
                                     float*) {
    no_shadow();
  }
  virtual void shadow_expert_backward(const GatheredExperts&, const float*, const float*,
                                      const int64_t*, float*, float*) {
    no_shadow();
  }

  // The weight cache's side of data-centric execution: a buffer in this backend's
  // memory; this layer's expert shard (its values, as this backend computes with
  // them) packed into block b at dst; and a gradient block added into this layer's
  // expert gradients (where expert_backward would have put them).
  virtual std::unique_ptr<BackendBuffer> new_buffer() = 0;
  virtual void pack_experts(const ExpertBlock& b, float* dst) = 0;
  virtual void add_expert_grads(const ExpertBlock& b, const float* src) = 0;

  // The parameters' live copies, which the backward accumulates into and the
  // optimizer updates in place (the MoeParams' own vectors on the host backend).
  virtual ResidentParam resident(Param& p) = 0;
  // The live values changed in place (an optimizer step): drop what was derived
  // from them (the bf16 expert copy).
  virtual void values_changed() = 0;
  // Between the host MoeParams and the live copies: load_params copies their values
  // in after the host's changed; store_grads adds the gradients accumulated here
  // into theirs and zeroes its own. Both are no-ops on the host backend.
  virtual void load_params() = 0;
  virtual void store_grads() = 0;

 private:
  [[noreturn]] static void no_shadow() {
    throw Error("moe.shadow: this device has no shadowed experts");
  }
};

}  // namespace paramoe
