#include "moe/device_router.h"

#include "kernels/cuda/gemm.h"
#include "kernels/cuda/router_ops.h"

namespace paramoe {

void DeviceRouter::forward(const float* x, int64_t T, const float* wg, const MoeConfig& cfg) {
  const int64_t D = cfg.d_model, E = cfg.num_experts, k = cfg.top_k;
  tokens_ = T;
  logits_.fit(T * E);
  probs_.fit(T * E);
  lse_.fit(T);
  expert_.fit(T * k);
  topk_.fit(T * k);
  weight_.fit(T * k);
  if (T == 0) return;
  cuda::gemm(false, false, T, E, D, 1.0f, x, D, wg, E, 0.0f, logits_.data(), E);
  cuda::softmax_lse_forward(logits_.data(), T, E, probs_.data(), lse_.data());
  cuda::topk_rows(probs_.data(), T, E, k, expert_.data(), topk_.data());
  if (cfg.renormalize) {
    cuda::topk_renormalize(topk_.data(), T, static_cast<int>(k), weight_.data());
  } else {
    PARAMOE_CUDA_CHECK(cudaMemcpyAsync(weight_.data(), topk_.data(), T * k * sizeof(float),
                                       cudaMemcpyDeviceToDevice));
  }
}

void DeviceRouter::backward(const float* x, const float* wg, const float* dweight,
                            const std::vector<float>& aux_grad, float z_scale, const MoeConfig& cfg,
                            bool accumulate, float* dx, float* dwg) {
  const int64_t T = tokens_, D = cfg.d_model, E = cfg.num_experts;
  const int k = cfg.top_k;
  const float beta = accumulate ? 1.0f : 0.0f;
  if (T == 0) {  // nothing routed here: the gate gradient is zero, dx is empty
    if (!accumulate) PARAMOE_CUDA_CHECK(cudaMemsetAsync(dwg, 0, D * E * sizeof(float)));
    return;
  }
  aux_grad_.fit(E);
  aux_grad_.upload(aux_grad);
  dprobs_.fit(T * E);
  dlogits_.fit(T * E);
  cuda::router_dprobs(dweight, expert_.data(), topk_.data(), weight_.data(), T, E, k,
                      cfg.renormalize, aux_grad_.data(), dprobs_.data());
  cuda::softmax_backward(probs_.data(), dprobs_.data(), T, E, dlogits_.data());
  cuda::zloss_backward(probs_.data(), lse_.data(), T, E, z_scale, dlogits_.data());
  cuda::gemm(false, true, T, D, E, 1.0f, dlogits_.data(), E, wg, E, beta, dx, D);
  cuda::gemm(true, false, D, E, T, 1.0f, x, D, dlogits_.data(), E, beta, dwg, E);
}

}  // namespace paramoe
