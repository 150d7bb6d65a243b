#include "model/cuda_dense_backend.h"

#include <map>

#include "core/error.h"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/attention.h"
#include "kernels/cuda/bf16.h"
#include "kernels/cuda/bias.h"
#include "kernels/cuda/cross_entropy.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/layernorm.h"
#include "moe/device_backend_buffer.h"

namespace paramoe {

namespace {

// Everything runs on the legacy default stream, as CudaStepBackend does: a
// synchronous copy there starts after the kernels queued before it, so the one
// scratch buffer for host ids (or masks) is never overwritten while a kernel
// still reads it.
class CudaDenseBackend final : public DenseBackend {
 public:
  CudaDenseBackend(Collectives& coll, CudaStepBackend::Precision precision)
      : coll_(coll), bf16_(precision == CudaStepBackend::Precision::bf16) {}

  Collectives& coll() override { return coll_; }
  std::unique_ptr<BackendBuffer> new_buffer() override { return make_device_buffer(); }

  void attach(Param& p) override {
    Mirror m{&p, cuda::DeviceBuffer<float>(p.value.size()),
             cuda::DeviceBuffer<float>(p.value.size())};
    m.value.upload(p.value);
    m.grad.zero();
    mirrors_.insert_or_assign(&p, std::move(m));
  }
  ResidentParam resident(Param& p) override {
    Mirror& m = mirror(p);
    return {&p, m.value.data(), m.grad.data()};
  }
  void load_params() override {
    for (auto& [param, m] : mirrors_) m.value.upload(m.host->value);
  }

  void upload(const float* host, int64_t n, float* dst) override {
    cuda::copy_to_device(host, n, dst);
  }
  void download(const float* src, int64_t n, float* host) override {
    cuda::copy_to_host(src, n, host);
  }
  void copy(const float* src, int64_t n, float* dst) override { cuda::copy_on_device(src, n, dst); }
  void accumulate(const float* src, int64_t n, float* dst) override {
    cuda::accumulate(src, n, dst);
  }

  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
            const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
            int64_t ldc) override {
    if (bf16_ && k > 0) {
      cuda::gemm(trans_a, trans_b, m, n, k, alpha,
                 cuda::cast_into(a, cuda::stored_extent(trans_a, m, k, lda), a16_), lda,
                 cuda::cast_into(b, cuda::stored_extent(trans_b, k, n, ldb), b16_), ldb, beta, c,
                 ldc);
    } else {
      cuda::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
  }
  void bias_add(const float* bias, int64_t n, int64_t dim, float* y) override {
    cuda::bias_add(bias, n, dim, y);
  }
  void bias_backward(const float* dy, int64_t n, int64_t dim, float* dbias) override {
    cuda::bias_backward(dy, n, dim, dbias);
  }
  void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows,
                         int64_t dim, float eps, float* y, float* mean, float* rstd) override {
    cuda::layernorm_forward(x, gamma, beta, rows, dim, eps, y, mean, rstd);
  }
  void layernorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd,
                          const float* dy, int64_t rows, int64_t dim, float* dx, float* dgamma,
                          float* dbeta) override {
    cuda::layernorm_backward(x, gamma, mean, rstd, dy, rows, dim, dx, dgamma, dbeta);
  }
  void gelu_forward(const float* a, int64_t n, float* h) override { cuda::gelu_forward(a, n, h); }
  void gelu_backward(const float* a, const float* dh, int64_t n, float* da) override {
    cuda::gelu_backward(a, dh, n, da);
  }
  void attention_forward(const cpu::AttentionShape& s, const float* qkv, const uint8_t* key_valid,
                         float* probs, float* out) override {
    const uint8_t* mask = nullptr;
    const int64_t keys = s.batch * s.seq;
    if (key_valid && keys > 0) {
      mask_.fit(static_cast<size_t>(keys));
      PARAMOE_CUDA_CHECK(cudaMemcpy(mask_.data(), key_valid, keys, cudaMemcpyHostToDevice));
      mask = mask_.data();
    }
    cuda::attention_forward(s, qkv, mask, probs, out, bf16_ ? &attention16_ : nullptr);
  }
  void attention_backward(const cpu::AttentionShape& s, const float* qkv, const float* probs,
                          const float* dout, float* dqkv) override {
    scores_.fit(static_cast<size_t>(s.heads * s.seq * s.seq));
    cuda::attention_backward(s, qkv, probs, dout, dqkv, scores_.data(),
                             bf16_ ? &attention16_ : nullptr);
  }
  // Swin's operations have no CUDA path yet: it could not be run here (no GPU was
  // lent to this work), and the config refuses model.type = "swin" on the GPU.
  void attention_biased_forward(const cpu::AttentionShape&, const float*, const float*, int64_t,
                                float*, float*) override {
    throw_collective("window attention (model.type = \"swin\") runs on device.type = \"cpu\" only");
  }
  void attention_biased_backward(const cpu::AttentionShape&, const float*, const float*,
                                 const float*, float*, float*) override {
    throw_collective("window attention (model.type = \"swin\") runs on device.type = \"cpu\" only");
  }
  void gather_rows(const float*, const int32_t*, int64_t, int64_t, float*) override {
    throw_collective("row gathers (model.type = \"swin\") run on device.type = \"cpu\" only");
  }
  void attention_cached_forward(const cpu::CachedAttentionShape&, const float*, float*,
                                float*) override {
    // No CUDA kernel yet: one could not be run here (no GPU was lent to this work).
    throw_collective(
        "decoding over a KV cache (paramoe generate) runs on device.type = \"cpu\" only");
  }
  void embedding_forward(const int32_t* ids, int64_t n, const float* table, int64_t v0,
                         int64_t rows, int64_t dim, float* out) override {
    cuda::embedding_forward(device_ids(ids, n), n, table, v0, rows, dim, out);
  }
  void embedding_backward(const int32_t* ids, int64_t n, const float* dout, int64_t v0,
                          int64_t rows, int64_t dim, float* dtable) override {
    cuda::embedding_backward(device_ids(ids, n), n, dout, v0, rows, dim, dtable);
  }
  void ce_row_max(const float* logits, int64_t n, int64_t V, float* row_max) override {
    cuda::ce_row_max(logits, n, V, row_max);
  }
  void ce_sum_exp_and_target(const float* logits, int64_t n, int64_t V, int64_t v0,
                             const int32_t* targets, const float* row_max, float* sum_exp,
                             float* target_logit) override {
    cuda::ce_sum_exp_and_target(logits, n, V, v0, device_ids(targets, n), row_max, sum_exp,
                                target_logit);
  }
  void ce_backward(const float* logits, int64_t n, int64_t V, int64_t v0, const int32_t* targets,
                   const float* row_max, const float* sum_exp, float scale,
                   float* dlogits) override {
    cuda::ce_backward(logits, n, V, v0, device_ids(targets, n), row_max, sum_exp, scale, dlogits);
  }

 private:
  struct Mirror {
    Param* host;
    cuda::DeviceBuffer<float> value, grad;
  };

  Mirror& mirror(const Param& p) {
    auto it = mirrors_.find(&p);
    if (it == mirrors_.end())
      throw Error("CUDA dense backend: parameter " + p.name + " was not attached");
    return it->second;
  }
  const int32_t* device_ids(const int32_t* host, int64_t n) {
    ids_.fit(static_cast<size_t>(n));
    if (n)
      PARAMOE_CUDA_CHECK(
          cudaMemcpy(ids_.data(), host, n * sizeof(int32_t), cudaMemcpyHostToDevice));
    return ids_.data();
  }

  Collectives& coll_;
  const bool bf16_;  // GEMMs on bf16 copies of their operands
  std::map<const Param*, Mirror> mirrors_;
  cuda::DeviceBuffer<int32_t> ids_;
  cuda::DeviceBuffer<uint8_t> mask_;
  cuda::DeviceBuffer<float> scores_;          // one sequence's dP in the attention backward
  cuda::DeviceBuffer<cuda::bf16> a16_, b16_;  // bf16: the operands of the GEMM running
  cuda::AttentionBf16Scratch attention16_;
};

}  // namespace

DenseBackendMaker cuda_dense_backend_maker(CudaStepBackend::Precision precision) {
  return [precision](Collectives& coll) -> std::unique_ptr<DenseBackend> {
    return std::make_unique<CudaDenseBackend>(coll, precision);
  };
}

}  // namespace paramoe
