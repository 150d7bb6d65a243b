#include "model/dense_backend.h"

#include <string>

#include "core/error.h"

namespace paramoe {

void DenseBackend::require_host(const char* what) const {
  if (!ops_.host)
    throw_collective(std::string(what) + " runs on device.type = \"cpu\" only (no " + ops_.name +
                     " kernel yet)");
}

// The GPU's attention is CudaDenseBackend's own (its table has none).
void DenseBackend::attention_forward(const cpu::AttentionShape& s, const float* qkv,
                                     const uint8_t* key_valid, float* probs, float* out) {
  PARAMOE_REQUIRE(ops_.attention_forward, "DenseBackend: no attention on this device");
  ops_.attention_forward(s, qkv, on_device(key_valid, s.batch * s.seq), probs, out);
}

void DenseBackend::attention_backward(const cpu::AttentionShape& s, const float* qkv,
                                      const float* probs, const float* dout, float* dqkv) {
  PARAMOE_REQUIRE(ops_.attention_backward, "DenseBackend: no attention on this device");
  ops_.attention_backward(s, qkv, probs, dout, dqkv);
}

void DenseBackend::attention_biased_forward(const cpu::AttentionShape& s, const float* qkv,
                                            const float* bias, int64_t groups, float* probs,
                                            float* out) {
  require_host("window attention (model.type = \"swin\")");
  cpu::attention_forward_biased(s, qkv, bias, groups, probs, out);
}

void DenseBackend::attention_biased_backward(const cpu::AttentionShape& s, const float* qkv,
                                             const float* probs, const float* dout, float* dqkv,
                                             float* dbias) {
  require_host("window attention (model.type = \"swin\")");
  cpu::attention_backward_biased(s, qkv, probs, dout, dqkv, dbias);
}

void DenseBackend::attention_cached_forward(const cpu::CachedAttentionShape& s, const float* qkv,
                                            float* kv, float* out) {
  require_host("decoding over a KV cache (paramoe generate)");
  cpu::attention_cached_forward(s, qkv, kv, out);
}

std::unique_ptr<DenseBackend> make_cpu_dense_backend(Collectives& coll) {
  return std::make_unique<DenseBackend>(cpu_device_ops(), coll);
}

}  // namespace paramoe
