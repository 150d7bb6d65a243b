#include "device/cuda_device_ops.h"

#include "core/error.h"
#include "device/via_host_ops.h"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/adamw_update.h"
#include "kernels/cuda/bias.h"
#include "kernels/cuda/cross_entropy.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/dispatch_ops.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/router_ops.h"
#include "kernels/cuda/row_ops.h"
#include "kernels/cuda/wire_bf16.h"

namespace paramoe {

namespace {

void* device_allocate(size_t bytes) {
  void* p = nullptr;
  if (bytes) PARAMOE_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}

// cudaFree waits for the work queued on the device, so scratch is never freed
// under a kernel still reading it. No throw: it runs in destructors.
void device_release(void* p) {
  cudaFree(p);
}

// Synchronous both ways: a copy on the legacy default stream starts after the
// kernels queued before it, and the host may read (or reuse) its side at once.
void device_upload(const void* host, size_t bytes, void* dst) {
  if (bytes) PARAMOE_CUDA_CHECK(cudaMemcpy(dst, host, bytes, cudaMemcpyHostToDevice));
}
void device_download(const void* src, size_t bytes, void* host) {
  if (bytes) PARAMOE_CUDA_CHECK(cudaMemcpy(host, src, bytes, cudaMemcpyDeviceToHost));
}
void device_copy(const void* src, size_t bytes, void* dst) {
  if (bytes) PARAMOE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice));
}
void device_zero(void* p, size_t bytes) {
  if (bytes) PARAMOE_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes));
}

// The fp32 kernels on the default stream, without the stream argument.
void gemm_f32(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
              int64_t ldc) {
  cuda::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void bias_add_f32(const float* bias, int64_t n, int64_t dim, float* y) {
  cuda::bias_add(bias, n, dim, y);
}
void bias_backward_f32(const float* dy, int64_t n, int64_t dim, float* dbias) {
  cuda::bias_backward(dy, n, dim, dbias);
}
void layernorm_forward_f32(const float* x, const float* gamma, const float* beta, int64_t rows,
                           int64_t dim, float eps, float* y, float* mean, float* rstd) {
  cuda::layernorm_forward(x, gamma, beta, rows, dim, eps, y, mean, rstd);
}
void layernorm_backward_f32(const float* x, const float* gamma, const float* mean,
                            const float* rstd, const float* dy, int64_t rows, int64_t dim,
                            float* dx, float* dgamma, float* dbeta) {
  cuda::layernorm_backward(x, gamma, mean, rstd, dy, rows, dim, dx, dgamma, dbeta);
}
void embedding_forward_f32(const int32_t* ids, int64_t n, const float* table, int64_t v0,
                           int64_t rows, int64_t dim, float* out) {
  cuda::embedding_forward(ids, n, table, v0, rows, dim, out);
}
void embedding_backward_f32(const int32_t* ids, int64_t n, const float* dout, int64_t v0,
                            int64_t rows, int64_t dim, float* dtable) {
  cuda::embedding_backward(ids, n, dout, v0, rows, dim, dtable);
}
void ce_row_max_f32(const float* logits, int64_t n, int64_t V, float* row_max) {
  cuda::ce_row_max(logits, n, V, row_max);
}
void ce_sum_exp_and_target_f32(const float* logits, int64_t n, int64_t V, int64_t v0,
                               const int32_t* targets, const float* row_max, float* sum_exp,
                               float* target_logit) {
  cuda::ce_sum_exp_and_target(logits, n, V, v0, targets, row_max, sum_exp, target_logit);
}
void ce_backward_f32(const float* logits, int64_t n, int64_t V, int64_t v0, const int32_t* targets,
                     const float* row_max, const float* sum_exp, float scale, float* dlogits) {
  cuda::ce_backward(logits, n, V, v0, targets, row_max, sum_exp, scale, dlogits);
}
void accumulate_f32(const float* x, int64_t n, float* y) {
  cuda::accumulate(x, n, y);
}
void scale_f32(float* x, int64_t n, float a) {
  cuda::scale(x, n, a);
}
void sum_squares_f32(const float* x, int64_t n, double* result) {
  cuda::sum_squares(x, n, result);
}
void adamw_update_f32(float* value, const float* grad, float* m, float* v, int64_t n,
                      const cpu::AdamWStep& s) {
  cuda::adamw_update(value, grad, m, v, n, s);
}
void gather_rows_f32(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                     float* dst) {
  cuda::gather_rows(src, index, n, row_len, dst);
}
void scatter_rows_f32(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                      float* dst) {
  cuda::scatter_rows(src, index, n, row_len, dst);
}
void scatter_add_rows_f32(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                          float* dst) {
  cuda::scatter_add_rows(src, index, n, row_len, dst);
}
void combine_rows_f32(const float* rows, const int32_t* pos, const float* weight, int64_t tokens,
                      int k, int64_t row_len, float* y) {
  cuda::combine_rows(rows, pos, weight, tokens, k, row_len, y);
}
void combine_rows_backward_f32(const float* dy, const float* rows, const int32_t* pos,
                               const float* weight, int64_t tokens, int k, int64_t row_len,
                               float* drows, float* dweight) {
  cuda::combine_rows_backward(dy, rows, pos, weight, tokens, k, row_len, drows, dweight);
}
void pack_bf16_rows_f32(const float* x, int64_t rows, int64_t cols, float* wire) {
  cuda::pack_bf16_rows(x, rows, cols, wire);
}
void unpack_bf16_rows_f32(const float* wire, int64_t rows, int64_t cols, float* y) {
  cuda::unpack_bf16_rows(wire, rows, cols, y);
}
void softmax_lse_forward_f32(const float* logits, int64_t rows, int64_t cols, float* probs,
                             float* lse) {
  cuda::softmax_lse_forward(logits, rows, cols, probs, lse);
}
void topk_rows_f32(const float* x, int64_t rows, int64_t cols, int64_t k, int32_t* idx,
                   float* val) {
  cuda::topk_rows(x, rows, cols, k, idx, val);
}
void topk_renormalize_f32(const float* val, int64_t rows, int k, float* weight) {
  cuda::topk_renormalize(val, rows, k, weight);
}
void router_dprobs_f32(const float* dweight, const int32_t* expert, const float* topk_prob,
                       const float* weight, int64_t rows, int64_t cols, int k, bool renormalize,
                       const float* aux_grad, float* dprobs) {
  cuda::router_dprobs(dweight, expert, topk_prob, weight, rows, cols, k, renormalize, aux_grad,
                      dprobs);
}
void softmax_backward_f32(const float* probs, const float* dprobs, int64_t rows, int64_t cols,
                          float* dlogits) {
  cuda::softmax_backward(probs, dprobs, rows, cols, dlogits);
}
void zloss_backward_f32(const float* probs, const float* lse, int64_t rows, int64_t cols,
                        float scale, float* dlogits) {
  cuda::zloss_backward(probs, lse, rows, cols, scale, dlogits);
}

void dispatch_positions_on(const int32_t* expert, const uint8_t* kept, int64_t tokens, int k,
                           const int32_t* slot_of, int num_slots, int64_t* counts,
                           int32_t* send_pos, int32_t* send_token) {
  cuda::dispatch_positions(expert, kept, tokens, k, slot_of, num_slots, counts, send_pos,
                           send_token);
}

// The kernels with the stream and the GEMM launch bound, so that the table's
// signatures are the CPU's.
template <class T, cuda::ExpertGemm How>
void esmm_with(const T* x, const T* w, const T* bias, const int64_t* offsets, int64_t experts,
               int64_t k, int64_t n, bool trans_w, bool accumulate, T* y) {
  cuda::esmm(x, w, bias, offsets, experts, k, n, trans_w, accumulate, y, nullptr, How);
}
template <class T, cuda::ExpertGemm How>
void estmm_with(const T* a, const T* b, const int64_t* offsets, int64_t experts, int64_t k,
                int64_t n, bool accumulate, T* dw) {
  cuda::estmm(a, b, offsets, experts, k, n, accumulate, dw, nullptr, How);
}
template <class T>
void ess_on(const T* x, const int64_t* offsets, int64_t experts, int64_t n, bool accumulate,
            T* db) {
  cuda::ess(x, offsets, experts, n, accumulate, db);
}
template <class T>
void gelu_forward_on(const T* a, int64_t n, T* h) {
  cuda::gelu_forward(a, n, h);
}
template <class T>
void gelu_backward_on(const T* a, const T* dh, int64_t n, T* da) {
  cuda::gelu_backward(a, dh, n, da);
}
template <class T>
void swiglu_forward_on(const T* a, const T* g, int64_t n, T* h) {
  cuda::swiglu_forward(a, g, n, h);
}
template <class T>
void swiglu_backward_on(const T* a, const T* g, const T* dh, int64_t n, T* da, T* dg) {
  cuda::swiglu_backward(a, g, dh, n, da, dg);
}

constexpr DeviceMemory kDeviceMemory = {device_allocate, device_release, device_upload,
                                        device_download, device_copy,    device_zero};

template <class T, cuda::ExpertGemm How>
const ExpertOps<T>& expert_ops() {
  static const ExpertOps<T> o = {
      .memory = kDeviceMemory,
      .block_rows = all_expert_rows,  // one grouped call per operator
      .esmm = esmm_with<T, How>,
      .estmm = estmm_with<T, How>,
      .ess = ess_on<T>,
      .gelu_forward = gelu_forward_on<T>,
      .gelu_backward = gelu_backward_on<T>,
      .swiglu_forward = swiglu_forward_on<T>,
      .swiglu_backward = swiglu_backward_on<T>,
  };
  return o;
}

template <cuda::ExpertGemm How>
const DeviceOps& device_ops() {
  // Designated, so that the compiler checks each entry against the table's order.
  static const DeviceOps o = {
      .name = "cuda",
      .host = false,
      .memory = kDeviceMemory,
      .gemm = gemm_f32,
      .bias_add = bias_add_f32,
      .bias_backward = bias_backward_f32,
      .layernorm_forward = layernorm_forward_f32,
      .layernorm_backward = layernorm_backward_f32,
      .gelu_forward = gelu_forward_on<float>,
      .gelu_backward = gelu_backward_on<float>,
      .attention_forward = nullptr,  // CudaDenseBackend's own
      .attention_backward = nullptr,
      .embedding_forward = embedding_forward_f32,
      .embedding_backward = embedding_backward_f32,
      .ce_row_max = ce_row_max_f32,
      .ce_sum_exp_and_target = ce_sum_exp_and_target_f32,
      .ce_backward = ce_backward_f32,
      .accumulate = accumulate_f32,
      .scale = scale_f32,
      .sum_squares = sum_squares_f32,
      .adamw_update = adamw_update_f32,
      .gather_rows = gather_rows_f32,
      .scatter_rows = scatter_rows_f32,
      .scatter_add_rows = scatter_add_rows_f32,
      .combine_rows = combine_rows_f32,
      .combine_rows_backward = combine_rows_backward_f32,
      .pack_bf16_rows = pack_bf16_rows_f32,
      .unpack_bf16_rows = unpack_bf16_rows_f32,
      .softmax_lse_forward = softmax_lse_forward_f32,
      .topk_rows = topk_rows_f32,
      .topk_renormalize = topk_renormalize_f32,
      .router_dprobs = router_dprobs_f32,
      .softmax_backward = softmax_backward_f32,
      .zloss_backward = zloss_backward_f32,
      .choice_counts = ViaHost<device_download, device_upload>::choice_counts,
      .apply_capacity = ViaHost<device_download, device_upload>::apply_capacity,
      .router_stats = ViaHost<device_download, device_upload>::router_stats,
      .dispatch_positions = dispatch_positions_on,
      .layout_order = ViaHost<device_download, device_upload>::layout_order,
      .expert = expert_ops<float, How>(),
  };
  return o;
}

// One table per launch mode: function pointers cannot carry it.
template <class Ops>
const Ops& by_how(cuda::ExpertGemm how, const Ops& per_expert, const Ops& streams,
                  const Ops& grouped) {
  switch (how) {
    case cuda::ExpertGemm::per_expert:
      return per_expert;
    case cuda::ExpertGemm::streams:
      return streams;
    case cuda::ExpertGemm::grouped:
      return grouped;
  }
  throw Error("cuda_device_ops: unknown expert GEMM launch");
}

}  // namespace

const DeviceOps& cuda_device_ops(cuda::ExpertGemm how) {
  using G = cuda::ExpertGemm;
  return by_how(how, device_ops<G::per_expert>(), device_ops<G::streams>(),
                device_ops<G::grouped>());
}

const ExpertOps<cuda::bf16>& cuda_bf16_expert_ops(cuda::ExpertGemm how) {
  using G = cuda::ExpertGemm;
  using T = cuda::bf16;
  return by_how(how, expert_ops<T, G::per_expert>(), expert_ops<T, G::streams>(),
                expert_ops<T, G::grouped>());
}

}  // namespace paramoe
