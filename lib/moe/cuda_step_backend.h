#pragma once
// The StepBackend on one GPU: the one StepBackend (step_backend.h) over
// cuda_device_ops(), holding fp32 device copies of the layer's MoeParams. Its
// Collectives must move device rows: NcclCollectives, or StagedMpiCollectives when
// ranks share a GPU.
//
// Precision: fp32 throughout (the tests' mode), or bf16 expert FFNs
// (bf16_expert_ffn.h: bf16 GEMM inputs, fp32 accumulation) inside an otherwise fp32
// layer: router, rows on the wire, combine and gradients stay fp32. bf16 is the one
// thing this class adds to StepBackend.
#include <string>
#include <vector>

#include "kernels/cuda/expert_ops.h"
#include "moe/bf16_expert_ffn.h"
#include "moe/moe_layer.h"
#include "moe/step_backend.h"

namespace paramoe {

class CudaStepBackend final : public StepBackend {
 public:
  enum class Precision { fp32, bf16 };
  CudaStepBackend(const MoeConfig& cfg, MoeParams& params, Precision precision = Precision::fp32,
                  cuda::ExpertGemm how = cuda::ExpertGemm::per_expert);

  void expert_forward(const float* xs, const std::vector<int64_t>& offsets, bool add_b2, float* out,
                      const std::function<void()>& between_blocks) override;
  void expert_backward(const float* dout, const float* xs, const std::vector<int64_t>& offsets,
                       float* dxs, const std::function<void()>& between_blocks) override;
  // Data-centric: each gathered block runs the bf16 FFN on its owner's rows, the
  // ESP slices adding into one output, as on the CPU.
  void gathered_expert_forward(const GatheredExperts& g, const float* xs,
                               const std::vector<int64_t>& offsets, float* out) override;
  void gathered_expert_backward(const GatheredExperts& g, const float* dout, const float* xs,
                                const std::vector<int64_t>& offsets, float* grads,
                                float* dxs) override;
  void values_changed() override { bf16_holds_own_ = false; }  // recast when next run

 private:
  void load_own_bf16();  // this layer's experts into bf16_, unless already there

  Precision precision_;
  cuda::ExpertGemm how_;
  // bf16: the expert copy (this layer's experts, or the gathered block running) and
  // the activations, per gathered block in data-centric execution.
  Bf16ExpertFfn bf16_;
  bool bf16_holds_own_ = false;  // bf16_ holds this layer's experts, not a gathered block
  ExpertScratch<cuda::bf16> bf16_experts_;
  std::vector<ExpertScratch<cuda::bf16>> bf16_gathered_;
};

// device.precision's value ("fp32" or "bf16", validated by the config) as a Precision.
CudaStepBackend::Precision cuda_precision_from_string(const std::string& s);
// A StepBackendMaker (moe_layer.h) for MoeLayers on this rank's current GPU; `how`
// launches the expert GEMM groups (kernels/cuda/expert_ops.h).
StepBackendMaker cuda_step_backend_maker(
    CudaStepBackend::Precision precision = CudaStepBackend::Precision::fp32,
    cuda::ExpertGemm how = cuda::ExpertGemm::per_expert);

}  // namespace paramoe
