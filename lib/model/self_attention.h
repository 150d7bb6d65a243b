#pragma once
// Multi-head self-attention with the heads split over MP (Megatron): a
// column-parallel QKV projection gives each rank the queries, keys and values of its
// heads, attention runs per head with no communication, and a row-parallel output
// projection all-reduces the result. QKV's weight is stored [d_model, 3, heads,
// head_dim] so that a rank's heads are one hyperslab of it. Activations live in
// the backend's memory.
#include <memory>
#include <vector>

#include "core/config.h"
#include "kernels/cpu/attention.h"
#include "model/dense_backend.h"
#include "model/parallel_linear.h"

namespace paramoe {

class SelfAttention {
 public:
  SelfAttention(const std::string& prefix, int64_t d_model, int heads, bool causal,
                DenseBackend& be);
  // x, y: [batch·seq, d_model], replicated over MP; key_valid as attention.h
  // (nullable, host memory).
  void forward(const float* x, int64_t batch, int64_t seq, const uint8_t* key_valid, float* y);
  // Swin's window attention: sequences are windows, and bias [groups, this rank's
  // heads, seq, seq] (backend memory) is added to the scores, window b taking group
  // b % groups. The backward then also writes the bias's gradient, summed over the
  // windows, to dbias [heads, seq, seq].
  void forward_biased(const float* x, int64_t batch, int64_t seq, const float* bias, int64_t groups,
                      float* y);
  // dbias: required after forward_biased, ignored otherwise.
  void backward(const float* dy, float* dx, float* dbias = nullptr);
  int64_t local_heads() const { return shape_.heads; }
  // Decoding: start_decoding empties the KV cache and sizes it for `batch`
  // sequences of up to `capacity` positions; decode then runs x [batch·fresh,
  // d_model], the next `fresh` positions of each sequence, over it (causal).
  void start_decoding(int64_t batch, int64_t capacity);
  void decode(const float* x, int64_t fresh, float* y);
  std::vector<Param*> params() { return {&qkv_.w, &qkv_.b, &proj_.w, &proj_.b}; }
  ParallelLinear& qkv() { return qkv_; }
  ParallelLinear& proj() { return proj_; }

 private:
  DenseBackend* be_;
  ParallelLinear qkv_, proj_;
  // The shared part of forward and forward_biased: QKV, attention, projection.
  void run(const float* x, int64_t batch, int64_t seq, const uint8_t* key_valid, float* y);

  cpu::AttentionShape shape_{};
  const float* bias_ = nullptr;  // set by forward_biased
  int64_t groups_ = 0;
  std::unique_ptr<BackendBuffer> x_, qkv_out_, probs_, ctx_, dctx_, dqkv_;
  std::unique_ptr<BackendBuffer> kv_;  // decoding: [batch, capacity, 2, heads, head_dim]
  cpu::CachedAttentionShape cached_{};
};

}  // namespace paramoe
