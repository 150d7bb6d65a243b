#include "moe/cuda_step_backend.h"

#include "core/error.h"
#include "device/cuda_device_ops.h"

namespace paramoe {

CudaStepBackend::CudaStepBackend(const MoeConfig& cfg, MoeParams& params, Precision precision,
                                 cuda::ExpertGemm how)
    : StepBackend(cuda_device_ops(how), cfg, params), precision_(precision), how_(how) {}

void CudaStepBackend::load_own_bf16() {
  if (bf16_holds_own_) return;
  bf16_.load(params().dims(), weights());
  bf16_holds_own_ = true;
}

void CudaStepBackend::expert_forward(const float* xs, const std::vector<int64_t>& offsets,
                                     bool add_b2, float* out,
                                     const std::function<void()>& between_blocks) {
  if (precision_ == Precision::fp32) {
    StepBackend::expert_forward(xs, offsets, add_b2, out, between_blocks);
    return;
  }
  load_own_bf16();
  bf16_.forward(xs, offsets, add_b2, false, bf16_experts_, out, how_);
}

void CudaStepBackend::expert_backward(const float* dout, const float* xs,
                                      const std::vector<int64_t>& offsets, float* dxs,
                                      const std::function<void()>& between_blocks) {
  if (precision_ == Precision::fp32) {
    StepBackend::expert_backward(dout, xs, offsets, dxs, between_blocks);
    return;
  }
  load_own_bf16();
  bf16_.backward(xs, dout, offsets, bf16_experts_, grads(), false, dxs, how_);
}

// The bf16 copy holds one block at a time, so each block is loaded before it runs,
// in the backward again.
void CudaStepBackend::gathered_expert_forward(const GatheredExperts& g, const float* xs,
                                              const std::vector<int64_t>& offsets, float* out) {
  if (precision_ == Precision::fp32) {
    StepBackend::gathered_expert_forward(g, xs, offsets, out);
    return;
  }
  const int64_t D = g.block.dims.d_model;
  bf16_gathered_.resize(static_cast<size_t>(g.owners) * g.slices);
  for_each_gathered_block(
      g, offsets.data(),
      [&](int i, int s, int64_t first, const std::vector<int64_t>& local, const float* base) {
        const bool add_b2 = s == 0, accumulate = s > 0;  // the slices sum into one output
        bf16_.load(g.block.dims, expert_block_weights(g.block, base));
        bf16_holds_own_ = false;
        bf16_.forward(xs + first * D, local, add_b2, accumulate, bf16_gathered_[i], out + first * D,
                      how_);
      });
}

void CudaStepBackend::gathered_expert_backward(const GatheredExperts& g, const float* dout,
                                               const float* xs, const std::vector<int64_t>& offsets,
                                               float* grads, float* dxs) {
  if (precision_ == Precision::fp32) {
    StepBackend::gathered_expert_backward(g, dout, xs, offsets, grads, dxs);
    return;
  }
  PARAMOE_REQUIRE(bf16_gathered_.size() == static_cast<size_t>(g.owners) * g.slices,
                  "gathered_expert_backward: no matching forward");
  const int64_t D = g.block.dims.d_model;
  for_each_gathered_block(
      g, offsets.data(),
      [&](int i, int s, int64_t first, const std::vector<int64_t>& local, const float* base) {
        bf16_.load(g.block.dims, expert_block_weights(g.block, base));
        bf16_holds_own_ = false;
        bf16_.backward(xs + first * D, dout + first * D, local, bf16_gathered_[i],
                       expert_block_grads(g.block, grads + i * g.block.size), s > 0,
                       dxs + first * D, how_);
      });
}

CudaStepBackend::Precision cuda_precision_from_string(const std::string& s) {
  if (s == "fp32") return CudaStepBackend::Precision::fp32;
  if (s == "bf16") return CudaStepBackend::Precision::bf16;
  throw Error("device.precision = \"" + s + "\": expected \"fp32\" or \"bf16\"");
}

StepBackendMaker cuda_step_backend_maker(CudaStepBackend::Precision precision,
                                         cuda::ExpertGemm how) {
  return [precision, how](const MoeConfig& cfg, MoeParams& params) -> std::unique_ptr<StepBackend> {
    return std::make_unique<CudaStepBackend>(cfg, params, precision, how);
  };
}

}  // namespace paramoe
