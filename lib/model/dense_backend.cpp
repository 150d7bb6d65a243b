#include "model/dense_backend.h"

#include <string>

#include "core/error.h"

namespace paramoe {

void DenseBackend::attach(Param& p) {
  if (ops_.host) return;  // the Param's own vectors are the live copy
  Mirror m{&p, {}, {}};
  ops_.memory.upload(p.value.data(), p.value.size() * sizeof(float),
                     m.value.fit(ops_.memory, p.value.size()));
  ops_.memory.zero(m.grad.fit(ops_.memory, p.value.size()), p.value.size() * sizeof(float));
  mirrors_.insert_or_assign(&p, std::move(m));
}

DenseBackend::Mirror& DenseBackend::mirror(const Param& p) {
  auto it = mirrors_.find(&p);
  if (it == mirrors_.end())
    throw Error(std::string(ops_.name) + " dense backend: parameter " + p.name +
                " was not attached");
  return it->second;
}

ResidentParam DenseBackend::resident(Param& p) {
  if (ops_.host) return resident_on_host(p);
  Mirror& m = mirror(p);
  return {&p, m.value.data(), m.grad.data()};
}

void DenseBackend::load_params() {
  for (auto& [param, m] : mirrors_)
    ops_.memory.upload(m.host->value.data(), m.host->value.size() * sizeof(float), m.value.data());
}

void DenseBackend::upload(const float* host, int64_t n, float* dst) {
  ops_.memory.upload(host, n * sizeof(float), dst);
}

void DenseBackend::download(const float* src, int64_t n, float* host) {
  ops_.memory.download(src, n * sizeof(float), host);
}

void DenseBackend::copy(const float* src, int64_t n, float* dst) {
  ops_.memory.copy(src, n * sizeof(float), dst);
}

const int32_t* DenseBackend::on_device(const int32_t* host, int64_t n) {
  if (ops_.host) return host;
  int32_t* d = ids_.fit(ops_.memory, static_cast<size_t>(n));
  ops_.memory.upload(host, n * sizeof(int32_t), d);
  return d;
}

const uint8_t* DenseBackend::on_device(const uint8_t* host, int64_t n) {
  if (ops_.host || host == nullptr) return host;
  uint8_t* d = mask_.fit(ops_.memory, static_cast<size_t>(n));
  ops_.memory.upload(host, n, d);
  return d;
}

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
