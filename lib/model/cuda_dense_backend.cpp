#include "model/cuda_dense_backend.h"

#include "device/cuda_device_ops.h"
#include "kernels/cuda/attention.h"
#include "kernels/cuda/bf16.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/gemm.h"

namespace paramoe {

namespace {

// The one DenseBackend over cuda_device_ops(), with what the GPU adds: attention's
// scratch, and bf16 operands for every GEMM in bf16 mode. Everything runs on the
// legacy default stream, as the MoE layers' StepBackend does.
class CudaDenseBackend final : public DenseBackend {
 public:
  CudaDenseBackend(Collectives& coll, CudaStepBackend::Precision precision)
      : DenseBackend(cuda_device_ops(), coll),
        bf16_(precision == CudaStepBackend::Precision::bf16) {}

  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
            const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
            int64_t ldc) override {
    if (bf16_ && k > 0) {
      cuda::gemm(trans_a, trans_b, m, n, k, alpha,
                 cuda::cast_into(a, cuda::stored_extent(trans_a, m, k, lda), a16_), lda,
                 cuda::cast_into(b, cuda::stored_extent(trans_b, k, n, ldb), b16_), ldb, beta, c,
                 ldc);
    } else {
      DenseBackend::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
  }
  void attention_forward(const cpu::AttentionShape& s, const float* qkv, const uint8_t* key_valid,
                         float* probs, float* out) override {
    const uint8_t* mask = s.batch * s.seq > 0 ? on_device(key_valid, s.batch * s.seq) : nullptr;
    cuda::attention_forward(s, qkv, mask, probs, out, bf16_ ? &attention16_ : nullptr);
  }
  void attention_backward(const cpu::AttentionShape& s, const float* qkv, const float* probs,
                          const float* dout, float* dqkv) override {
    scores_.fit(static_cast<size_t>(s.heads * s.seq * s.seq));
    cuda::attention_backward(s, qkv, probs, dout, dqkv, scores_.data(),
                             bf16_ ? &attention16_ : nullptr);
  }

 private:
  const bool bf16_;                           // GEMMs on bf16 copies of their operands
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
