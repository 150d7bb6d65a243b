// The host DenseBackend: parameters compute in place, activations are host
// vectors, every operation is its kernels/cpu function.
#include <algorithm>

#include "kernels/cpu/activation.h"
#include "kernels/cpu/bias.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/layernorm.h"
#include "kernels/cpu/row_ops.h"
#include "model/dense_backend.h"

namespace paramoe {

namespace {

class CpuDenseBackend final : public DenseBackend {
 public:
  explicit CpuDenseBackend(Collectives& coll) : coll_(coll) {}

  Collectives& coll() override { return coll_; }
  std::unique_ptr<BackendBuffer> new_buffer() override { return make_host_buffer(); }

  void attach(Param&) override {}
  ResidentParam resident(Param& p) override { return resident_on_host(p); }
  void load_params() override {}

  void upload(const float* host, int64_t n, float* dst) override { std::copy_n(host, n, dst); }
  void download(const float* src, int64_t n, float* host) override { std::copy_n(src, n, host); }
  void copy(const float* src, int64_t n, float* dst) override { std::copy_n(src, n, dst); }
  void accumulate(const float* src, int64_t n, float* dst) override {
    cpu::accumulate(src, n, dst);
  }

  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
            const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
            int64_t ldc) override {
    cpu::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  void bias_add(const float* bias, int64_t n, int64_t dim, float* y) override {
    cpu::bias_add(bias, n, dim, y);
  }
  void bias_backward(const float* dy, int64_t n, int64_t dim, float* dbias) override {
    cpu::bias_backward(dy, n, dim, dbias);
  }
  void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows,
                         int64_t dim, float eps, float* y, float* mean, float* rstd) override {
    cpu::layernorm_forward(x, gamma, beta, rows, dim, eps, y, mean, rstd);
  }
  void layernorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd,
                          const float* dy, int64_t rows, int64_t dim, float* dx, float* dgamma,
                          float* dbeta) override {
    cpu::layernorm_backward(x, gamma, mean, rstd, dy, rows, dim, dx, dgamma, dbeta);
  }
  void gelu_forward(const float* a, int64_t n, float* h) override { cpu::gelu_forward(a, n, h); }
  void gelu_backward(const float* a, const float* dh, int64_t n, float* da) override {
    cpu::gelu_backward(a, dh, n, da);
  }
  void attention_forward(const cpu::AttentionShape& s, const float* qkv, const uint8_t* key_valid,
                         float* probs, float* out) override {
    cpu::attention_forward(s, qkv, key_valid, probs, out);
  }
  void attention_backward(const cpu::AttentionShape& s, const float* qkv, const float* probs,
                          const float* dout, float* dqkv) override {
    cpu::attention_backward(s, qkv, probs, dout, dqkv);
  }
  void attention_biased_forward(const cpu::AttentionShape& s, const float* qkv, const float* bias,
                                int64_t groups, float* probs, float* out) override {
    cpu::attention_forward_biased(s, qkv, bias, groups, probs, out);
  }
  void attention_biased_backward(const cpu::AttentionShape& s, const float* qkv, const float* probs,
                                 const float* dout, float* dqkv, float* dbias) override {
    cpu::attention_backward_biased(s, qkv, probs, dout, dqkv, dbias);
  }
  void gather_rows(const float* src, const int32_t* index, int64_t n, int64_t dim,
                   float* dst) override {
    cpu::gather_rows(src, index, n, dim, dst);
  }
  void attention_cached_forward(const cpu::CachedAttentionShape& s, const float* qkv, float* kv,
                                float* out) override {
    cpu::attention_cached_forward(s, qkv, kv, out);
  }
  void embedding_forward(const int32_t* ids, int64_t n, const float* table, int64_t v0,
                         int64_t rows, int64_t dim, float* out) override {
    cpu::embedding_forward(ids, n, table, v0, rows, dim, out);
  }
  void embedding_backward(const int32_t* ids, int64_t n, const float* dout, int64_t v0,
                          int64_t rows, int64_t dim, float* dtable) override {
    cpu::embedding_backward(ids, n, dout, v0, rows, dim, dtable);
  }
  void ce_row_max(const float* logits, int64_t n, int64_t V, float* row_max) override {
    cpu::ce_row_max(logits, n, V, row_max);
  }
  void ce_sum_exp_and_target(const float* logits, int64_t n, int64_t V, int64_t v0,
                             const int32_t* targets, const float* row_max, float* sum_exp,
                             float* target_logit) override {
    cpu::ce_sum_exp_and_target(logits, n, V, v0, targets, row_max, sum_exp, target_logit);
  }
  void ce_backward(const float* logits, int64_t n, int64_t V, int64_t v0, const int32_t* targets,
                   const float* row_max, const float* sum_exp, float scale,
                   float* dlogits) override {
    cpu::ce_backward(logits, n, V, v0, targets, row_max, sum_exp, scale, dlogits);
  }

 private:
  Collectives& coll_;
};

}  // namespace

std::unique_ptr<DenseBackend> make_cpu_dense_backend(Collectives& coll) {
  return std::make_unique<CpuDenseBackend>(coll);
}

}  // namespace paramoe
