#pragma once
// Where the dense parts of a transformer (embeddings, LayerNorms, attention, dense
// MLPs, the LM head) keep their activations and how they compute: the model-side
// twin of moe/step_backend.h. CpuDenseBackend (host vectors, kernels/cpu) is the
// reference; CudaDenseBackend (device buffers, kernels/cuda) mirrors it call for
// call. Every float pointer the modules pass is in the backend's memory, which is
// the one its Collectives move (MP all-reduces) and the MoE layers' StepBackend
// computes in, so activations cross between dense and MoE blocks without copies.
//
// A backend with memory of its own keeps a copy of each parameter it computes with
// (attach): the live copy (resident) that the backward accumulates into and the
// optimizer updates in place, as for the MoE layers. The host Params are the
// checkpoints' view; load_params copies their values in after they changed (the
// optimizer's to_host / from_host move values and moments during training).
//
// Token ids, targets and padding masks are passed in host memory: they come from
// the data loader, and a device backend copies them in where a kernel reads them.
#include <cstdint>
#include <functional>
#include <memory>

#include "comm/collectives.h"
#include "core/param.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/attention_cached.h"
#include "moe/backend_buffer.h"

namespace paramoe {

class DenseBackend {
 public:
  virtual ~DenseBackend() = default;

  // Moves this backend's memory: the model's MP all-reduces run on it.
  virtual Collectives& coll() = 0;
  virtual std::unique_ptr<BackendBuffer> new_buffer() = 0;

  // A parameter as this backend computes with it; attach before the first use.
  virtual void attach(Param& p) = 0;
  virtual ResidentParam resident(Param& p) = 0;
  const float* value(Param& p) { return resident(p).value; }
  float* grad(Param& p) { return resident(p).grad; }
  virtual void load_params() = 0;

  // Between host memory and this backend's; both finish before they return.
  virtual void upload(const float* host, int64_t n, float* dst) = 0;
  virtual void download(const float* src, int64_t n, float* host) = 0;
  virtual void copy(const float* src, int64_t n, float* dst) = 0;
  virtual void accumulate(const float* src, int64_t n, float* dst) = 0;  // dst += src

  // The kernels' operations (kernels/cpu/*.h give the contracts).
  virtual void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc) = 0;
  virtual void bias_add(const float* bias, int64_t n, int64_t dim, float* y) = 0;
  virtual void bias_backward(const float* dy, int64_t n, int64_t dim, float* dbias) = 0;
  virtual void layernorm_forward(const float* x, const float* gamma, const float* beta,
                                 int64_t rows, int64_t dim, float eps, float* y, float* mean,
                                 float* rstd) = 0;
  virtual void layernorm_backward(const float* x, const float* gamma, const float* mean,
                                  const float* rstd, const float* dy, int64_t rows, int64_t dim,
                                  float* dx, float* dgamma, float* dbeta) = 0;
  virtual void gelu_forward(const float* a, int64_t n, float* h) = 0;
  virtual void gelu_backward(const float* a, const float* dh, int64_t n, float* da) = 0;
  // key_valid: host memory, [batch, seq] (nullable).
  virtual void attention_forward(const cpu::AttentionShape& s, const float* qkv,
                                 const uint8_t* key_valid, float* probs, float* out) = 0;
  virtual void attention_backward(const cpu::AttentionShape& s, const float* qkv,
                                  const float* probs, const float* dout, float* dqkv) = 0;
  // Swin's window attention (attention.h's biased pair): bias [groups, heads, seq,
  // seq] and dbias [heads, seq, seq] in this backend's memory.
  virtual void attention_biased_forward(const cpu::AttentionShape& s, const float* qkv,
                                        const float* bias, int64_t groups, float* probs,
                                        float* out) = 0;
  virtual void attention_biased_backward(const cpu::AttentionShape& s, const float* qkv,
                                         const float* probs, const float* dout, float* dqkv,
                                         float* dbias) = 0;
  // dst[i] = src[index[i]] for rows of `dim` floats (Swin's window partition and
  // patch merging); index: host memory.
  virtual void gather_rows(const float* src, const int32_t* index, int64_t n, int64_t dim,
                           float* dst) = 0;
  // Decoding over a KV cache (kv in this backend's memory).
  virtual void attention_cached_forward(const cpu::CachedAttentionShape& s, const float* qkv,
                                        float* kv, float* out) = 0;
  // ids: host memory.
  virtual void embedding_forward(const int32_t* ids, int64_t n, const float* table, int64_t v0,
                                 int64_t rows, int64_t dim, float* out) = 0;
  virtual void embedding_backward(const int32_t* ids, int64_t n, const float* dout, int64_t v0,
                                  int64_t rows, int64_t dim, float* dtable) = 0;
  // targets: host memory.
  virtual void ce_row_max(const float* logits, int64_t n, int64_t V, float* row_max) = 0;
  virtual void ce_sum_exp_and_target(const float* logits, int64_t n, int64_t V, int64_t v0,
                                     const int32_t* targets, const float* row_max, float* sum_exp,
                                     float* target_logit) = 0;
  virtual void ce_backward(const float* logits, int64_t n, int64_t V, int64_t v0,
                           const int32_t* targets, const float* row_max, const float* sum_exp,
                           float scale, float* dlogits) = 0;
};

// Makes the backend of a model whose activations move over `coll`.
using DenseBackendMaker = std::function<std::unique_ptr<DenseBackend>(Collectives&)>;
std::unique_ptr<DenseBackend> make_cpu_dense_backend(Collectives& coll);

}  // namespace paramoe
