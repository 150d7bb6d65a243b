#pragma once
// Where the dense parts of a transformer (embeddings, LayerNorms, attention, dense
// MLPs, the LM head) keep their activations and how they compute, on one device,
// written once over its op table (device/device_ops.h): the model-side twin of
// moe/step_backend.h. cpu_device_ops() is the reference; cuda_dense_backend.h adds
// the GPU's attention (its scratch) and bf16 GEMM operands. Every float pointer the
// modules pass is in the device's memory, which is the one its Collectives move (MP
// all-reduces) and the MoE layers' StepBackend computes in, so activations cross
// between dense and MoE blocks without copies.
//
// Off the host, the backend keeps a copy of each parameter it computes with
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
#include <vector>

#include "comm/collectives.h"
#include "core/param.h"
#include "device/backend_buffer.h"
#include "device/device_array.h"
#include "device/device_ops.h"
#include "device/param_mirrors.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/attention_cached.h"

namespace paramoe {

class DenseBackend {
 public:
  DenseBackend(const DeviceOps& ops, Collectives& coll) : ops_(ops), coll_(coll), mirrors_(ops) {}
  virtual ~DenseBackend() = default;
  DenseBackend(const DenseBackend&) = delete;
  DenseBackend& operator=(const DenseBackend&) = delete;

  const DeviceOps& ops() const { return ops_; }
  // Moves this backend's memory: the model's MP all-reduces run on it.
  Collectives& coll() { return coll_; }
  std::unique_ptr<BackendBuffer> new_buffer() { return make_buffer(ops_); }

  // A parameter as this backend computes with it; attach before the first use.
  void attach(Param& p) { mirrors_.add(p); }
  ResidentParam resident(Param& p) { return mirrors_.resident(p); }
  const float* value(Param& p) { return resident(p).value; }
  float* grad(Param& p) { return resident(p).grad; }
  void load_params() { mirrors_.load_values(); }

  // Between host memory and the device's; both finish before they return.
  void upload(const float* host, int64_t n, float* dst) {
    paramoe::upload(ops_.memory, host, n, dst);
  }
  void download(const float* src, int64_t n, float* host) {
    paramoe::download(ops_.memory, src, n, host);
  }
  void copy(const float* src, int64_t n, float* dst) { paramoe::copy(ops_.memory, src, n, dst); }
  void accumulate(const float* src, int64_t n, float* dst) { ops_.accumulate(src, n, dst); }

  // The kernels' operations (kernels/cpu/*.h give the contracts).
  virtual void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc) {
    ops_.gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  void bias_add(const float* bias, int64_t n, int64_t dim, float* y) {
    ops_.bias_add(bias, n, dim, y);
  }
  void bias_backward(const float* dy, int64_t n, int64_t dim, float* dbias) {
    ops_.bias_backward(dy, n, dim, dbias);
  }
  void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows,
                         int64_t dim, float eps, float* y, float* mean, float* rstd) {
    ops_.layernorm_forward(x, gamma, beta, rows, dim, eps, y, mean, rstd);
  }
  void layernorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd,
                          const float* dy, int64_t rows, int64_t dim, float* dx, float* dgamma,
                          float* dbeta) {
    ops_.layernorm_backward(x, gamma, mean, rstd, dy, rows, dim, dx, dgamma, dbeta);
  }
  void gelu_forward(const float* a, int64_t n, float* h) { ops_.gelu_forward(a, n, h); }
  void gelu_backward(const float* a, const float* dh, int64_t n, float* da) {
    ops_.gelu_backward(a, dh, n, da);
  }
  // key_valid: host memory, [batch, seq] (nullable).
  virtual void attention_forward(const cpu::AttentionShape& s, const float* qkv,
                                 const uint8_t* key_valid, float* probs, float* out);
  virtual void attention_backward(const cpu::AttentionShape& s, const float* qkv,
                                  const float* probs, const float* dout, float* dqkv);
  // Swin's window attention (attention.h's biased pair): bias [groups, heads, seq,
  // seq] and dbias [heads, seq, seq] in this backend's memory. Host memory only:
  // the config refuses model.type = "swin" on the GPU, which has no kernel yet.
  void attention_biased_forward(const cpu::AttentionShape& s, const float* qkv, const float* bias,
                                int64_t groups, float* probs, float* out);
  void attention_biased_backward(const cpu::AttentionShape& s, const float* qkv, const float* probs,
                                 const float* dout, float* dqkv, float* dbias);
  // dst[i] = src[index[i]] for rows of `dim` floats (Swin's window partition and
  // patch merging); index: host memory.
  void gather_rows(const float* src, const int32_t* index, int64_t n, int64_t dim, float* dst) {
    ops_.gather_rows(src, on_device(index, n), n, dim, dst);
  }
  // Decoding over a KV cache (kv in this backend's memory). Host memory only: the
  // GPU has no kernel yet.
  void attention_cached_forward(const cpu::CachedAttentionShape& s, const float* qkv, float* kv,
                                float* out);
  // ids: host memory.
  void embedding_forward(const int32_t* ids, int64_t n, const float* table, int64_t v0,
                         int64_t rows, int64_t dim, float* out) {
    ops_.embedding_forward(on_device(ids, n), n, table, v0, rows, dim, out);
  }
  void embedding_backward(const int32_t* ids, int64_t n, const float* dout, int64_t v0,
                          int64_t rows, int64_t dim, float* dtable) {
    ops_.embedding_backward(on_device(ids, n), n, dout, v0, rows, dim, dtable);
  }
  // targets: host memory.
  void ce_row_max(const float* logits, int64_t n, int64_t V, float* row_max) {
    ops_.ce_row_max(logits, n, V, row_max);
  }
  void ce_sum_exp_and_target(const float* logits, int64_t n, int64_t V, int64_t v0,
                             const int32_t* targets, const float* row_max, float* sum_exp,
                             float* target_logit) {
    ops_.ce_sum_exp_and_target(logits, n, V, v0, on_device(targets, n), row_max, sum_exp,
                               target_logit);
  }
  void ce_backward(const float* logits, int64_t n, int64_t V, int64_t v0, const int32_t* targets,
                   const float* row_max, const float* sum_exp, float scale, float* dlogits) {
    ops_.ce_backward(logits, n, V, v0, on_device(targets, n), row_max, sum_exp, scale, dlogits);
  }

 protected:
  // Host ids (or a mask) where the device's kernels read them (device_array.h).
  const int32_t* on_device(const int32_t* host, int64_t n) {
    return paramoe::on_device(ops_, host, static_cast<size_t>(n), ids_);
  }
  const uint8_t* on_device(const uint8_t* host, int64_t n) {
    return paramoe::on_device(ops_, host, static_cast<size_t>(n), mask_);
  }

 private:
  void require_host(const char* what) const;

  const DeviceOps& ops_;
  Collectives& coll_;
  ParamMirrors mirrors_;  // the parameters' live copies
  DeviceArray<int32_t> ids_;
  DeviceArray<uint8_t> mask_;
};

// Makes the backend of a model whose activations move over `coll`.
using DenseBackendMaker = std::function<std::unique_ptr<DenseBackend>(Collectives&)>;
std::unique_ptr<DenseBackend> make_cpu_dense_backend(Collectives& coll);

}  // namespace paramoe
