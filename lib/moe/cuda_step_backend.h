#pragma once
// The StepBackend on one GPU: device buffers and kernels/cuda, mirroring
// CpuStepBackend call for call. It holds fp32 device copies of the layer's
// MoeParams (values, and gradients that accumulate here until store_grads). Its
// Collectives must move device rows: NcclCollectives, or StagedMpiCollectives when
// ranks share a GPU.
//
// Precision: fp32 throughout (the tests' mode), or bf16 expert FFNs
// (bf16_expert_ffn.h: bf16 GEMM inputs, fp32 accumulation) inside an otherwise fp32
// layer: router, rows on the wire, combine and gradients stay fp32.
#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "core/config.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/wire_bf16.h"
#include "moe/bf16_expert_ffn.h"
#include "moe/expert_ffn.h"
#include "moe/moe_layer.h"
#include "moe/moe_params.h"
#include "moe/step_backend.h"

namespace paramoe {

class CudaStepBackend final : public StepBackend {
 public:
  enum class Precision { fp32, bf16 };
  CudaStepBackend(const MoeConfig& cfg, MoeParams& params, Precision precision = Precision::fp32,
                  cuda::ExpertGemm how = cuda::ExpertGemm::per_expert);

  float* out(int slot, int64_t n) override;
  float* data(int slot) override { return buf_[slot].data(); }
  int64_t size(int slot) const override { return has(slot) ? size_[slot] : 0; }
  bool has(int slot) const override {
    return slot >= 0 && slot < std::ssize(size_) && size_[slot] >= 0;
  }
  // Keeps the allocations for the next pass.
  void clear() override { std::fill(size_.begin(), size_.end(), int64_t{-1}); }
  void copy(const float* src, int64_t n, float* dst) override;
  void upload(const float* host, int64_t n, float* dst) override;
  void download(const float* src, int64_t n, float* host) override;

  void pack_bf16_rows(const float* x, int64_t rows, int64_t cols, float* wire) override {
    cuda::pack_bf16_rows(x, rows, cols, wire);
  }
  void unpack_bf16_rows(const float* wire, int64_t rows, int64_t cols, float* y) override {
    cuda::unpack_bf16_rows(wire, rows, cols, y);
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
  void add(const float* src, int64_t n, float* dst) override;

  void expert_forward(const float* xs, const std::vector<int64_t>& offsets, bool add_b2, float* out,
                      const std::function<void()>& between_blocks) override;
  void expert_backward(const float* dout, const float* xs, const std::vector<int64_t>& offsets,
                       float* dxs, const std::function<void()>& between_blocks) override;
  // Data-centric: each gathered block runs the device FFN on its owner's rows, the
  // ESP slices adding into one output, as on the CPU.
  void gathered_expert_forward(const GatheredExperts& g, const float* xs,
                               const std::vector<int64_t>& offsets, float* out) override;
  void gathered_expert_backward(const GatheredExperts& g, const float* dout, const float* xs,
                                const std::vector<int64_t>& offsets, float* grads,
                                float* dxs) override;

  std::unique_ptr<BackendBuffer> new_buffer() override;
  void pack_experts(const ExpertBlock& b, float* dst) override;
  void add_expert_grads(const ExpertBlock& b, const float* src) override;

  ResidentParam resident(Param& p) override { return {&p, value(p), grad(p)}; }
  void values_changed() override { bf16_holds_own_ = false; }  // recast when next run
  void load_params() override;
  void store_grads() override;

 private:
  struct DeviceParam {
    cuda::DeviceBuffer<float> value, grad;
  };
  float* value(Param& p) { return dev_.at(&p).value.data(); }
  float* grad(Param& p) { return dev_.at(&p).grad.data(); }
  ExpertWeights weights();
  ExpertGrads grads();
  void load_own_bf16();  // this layer's experts into bf16_, unless already there
  // Uploads a host index or weight array into reusable device scratch.
  const int32_t* upload(const std::vector<int32_t>& host);
  const float* upload(const std::vector<float>& host);

  const MoeConfig& cfg_;
  MoeParams& params_;
  const DeviceOps& ops_;  // cuda_device_ops(how)
  Precision precision_;
  cuda::ExpertGemm how_;
  std::map<const Param*, DeviceParam> dev_;
  std::vector<cuda::DeviceBuffer<float>> buf_;  // by slot
  std::vector<int64_t> size_;                   // -1: not written since the last clear
  RouterTensors router_;
  ExpertScratch<float> experts_;
  std::vector<ExpertScratch<float>> gathered_;  // per gathered block (data-centric)
  // bf16: the expert copy (this layer's experts, or the gathered block running) and
  // the activations, as above.
  Bf16ExpertFfn bf16_;
  bool bf16_holds_own_ = false;  // bf16_ holds this layer's experts, not a gathered block
  ExpertScratch<cuda::bf16> bf16_experts_;
  std::vector<ExpertScratch<cuda::bf16>> bf16_gathered_;
  cuda::DeviceBuffer<int32_t> index_;
  cuda::DeviceBuffer<float> weight_;
};

// device.precision's value ("fp32" or "bf16", validated by the config) as a Precision.
CudaStepBackend::Precision cuda_precision_from_string(const std::string& s);
// A StepBackendMaker (moe_layer.h) for MoeLayers on this rank's current GPU; `how`
// launches the expert GEMM groups (kernels/cuda/expert_ops.h).
StepBackendMaker cuda_step_backend_maker(
    CudaStepBackend::Precision precision = CudaStepBackend::Precision::fp32,
    cuda::ExpertGemm how = cuda::ExpertGemm::per_expert);

}  // namespace paramoe
