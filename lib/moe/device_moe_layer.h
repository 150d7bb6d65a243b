#pragma once
// The MoE layer on one GPU: router, dispatch, expert FFN and combine, forward and
// backward, built from kernels/cuda only (the same math as MoeLayer on the CPU at
// mp = ep = esp = 1, dropless). Storage type T is float (the tests' fp32 mode) or
// bf16 (training precision: bf16 activations and weight copies, fp32 accumulation,
// fp32 master weights and router). Inputs and outputs are device pointers.
//
// The distributed GPU layer is MoeLayer with a CudaStepBackend (cuda_step_backend.h),
// in fp32; this class is the single-GPU layer in both precisions.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "kernels/cuda/bf16.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/expert_ops.h"
#include "moe/device_expert_ffn.h"
#include "moe/device_router.h"
#include "moe/router.h"

namespace paramoe {

template <class T>
class DeviceMoeLayer {
 public:
  // Throws paramoe::Error for what it does not do: capacity dropping.
  explicit DeviceMoeLayer(const MoeConfig& cfg,
                          cuda::ExpertGemm how = cuda::ExpertGemm::per_expert);

  // fp32 host values by name: wg [D, E], w1 [E, D, H], b1 [E, H], w3, b3 (SwiGLU),
  // w2 [E, H, D], b2 [E, D]. Refreshes the T copies.
  void set_params(const std::map<std::string, std::vector<float>>& host);
  // Parameter gradients of the last backward, as fp32 host values named "d" + name.
  std::map<std::string, std::vector<float>> grads() const;

  void forward(const T* x, int64_t tokens, T* y);
  // Writes (does not accumulate) the parameter gradients of this step.
  void backward(const T* dy, T* dx);

  float aux_loss() const { return losses_.aux_loss; }
  float z_loss() const { return losses_.z_loss; }

 private:
  struct Weight {
    std::vector<int64_t> shape;
    cuda::DeviceBuffer<float> master;  // fp32
    cuda::DeviceBuffer<T> value;       // the copy the expert GEMMs read
    cuda::DeviceBuffer<T> grad;
  };
  const T* v(const std::string& name) { return weights_.at(name).value.data(); }
  DeviceExpertWeights<T> expert_weights();
  T* g(const std::string& name) { return weights_.at(name).grad.data(); }

  MoeConfig cfg_;
  cuda::ExpertGemm how_;
  int64_t D_, H_, E_, k_;
  std::map<std::string, Weight> weights_;
  cuda::DeviceBuffer<float> wg_, dwg_;  // the router stays fp32

  // Saved by forward for backward.
  int64_t tokens_ = 0;
  std::vector<int64_t> offsets_;  // host, [E + 1]
  Routing losses_;                // host: the loss statistics (frac, tokens) and the losses
  DeviceRouter router_;
  DeviceExpertScratch<T> experts_;
  cuda::DeviceBuffer<float> xf_, ones_, dweight_;
  cuda::DeviceBuffer<int32_t> send_pos_, send_token_, identity_;
  cuda::DeviceBuffer<uint8_t> kept_;
  cuda::DeviceBuffer<int64_t> counts_;
  cuda::DeviceBuffer<T> xs_, out_;
  // Backward scratch.
  cuda::DeviceBuffer<T> dout_, dxs_;
  cuda::DeviceBuffer<float> psum_, dxf_, dxs_f_;
};

}  // namespace paramoe
