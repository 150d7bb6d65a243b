#pragma once
// The router on the GPU in fp32, the mirror of router_forward_local and
// router_backward (router.h): logits = x·Wg, softmax with log-sum-exp, top-k and
// gate weights, and the backward from the gate weights' gradient and the losses'
// gradients. It keeps its forward tensors on the device for the backward.
#include <cstdint>
#include <vector>

#include "core/config.h"
#include "kernels/cuda/device_buffer.h"

namespace paramoe {

class DeviceRouter {
 public:
  // x [T, D] and wg [D, E] are device pointers.
  void forward(const float* x, int64_t tokens, const float* wg, const MoeConfig& cfg);

  // dweight [T, k] is a device pointer, aux_grad [E] and z_scale come from
  // router_aux_grad / router_zloss_scale. dx [T, D] and dwg [D, E] are written, or
  // added to with `accumulate`.
  void backward(const float* x, const float* wg, const float* dweight,
                const std::vector<float>& aux_grad, float z_scale, const MoeConfig& cfg,
                bool accumulate, float* dx, float* dwg);

  int64_t tokens() const { return tokens_; }
  // Device tensors of the last forward.
  const float* probs() const { return probs_.data(); }      // [T, E]
  const float* lse() const { return lse_.data(); }          // [T]
  const int32_t* expert() const { return expert_.data(); }  // [T, k]
  const float* topk() const { return topk_.data(); }        // [T, k]
  const float* weight() const { return weight_.data(); }    // [T, k]

 private:
  int64_t tokens_ = 0;
  cuda::DeviceBuffer<float> logits_, probs_, lse_, topk_, weight_;
  cuda::DeviceBuffer<int32_t> expert_;
  cuda::DeviceBuffer<float> aux_grad_, dprobs_, dlogits_;
};

}  // namespace paramoe
