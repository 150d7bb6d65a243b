#include "model/self_attention.h"

#include "core/error.h"
#include "core/row_split.h"

namespace paramoe {

namespace {

ParallelLinear make_qkv(const std::string& name, int64_t D, int heads, DenseBackend& be) {
  const ProcessGrid& g = be.coll().grid();
  const int mp = g.size(Group::Mp);
  if (heads < mp)
    throw_collective("model.heads = " + std::to_string(heads) + ": expected >= parallel.mp = " +
                     std::to_string(mp) + " (attention heads are split over the MP ranks)");
  int64_t h0 = 0, hl = 0;
  split_rows(heads, mp, g.index().mp, h0, hl);
  const int64_t hd = D / heads;
  return ParallelLinear(
      param_make(name + "/w", {D, 3, heads, hd}, {0, 0, h0, 0}, {D, 3, hl, hd}, GradSync::Dp, true),
      param_make(name + "/b", {3, heads, hd}, {0, h0, 0}, {3, hl, hd}, GradSync::Dp, false),
      MpSplit::Column, be);
}

ParallelLinear make_proj(const std::string& name, int64_t D, int heads, DenseBackend& be) {
  // Row-parallel over this rank's heads: rows [h0·head_dim, (h0 + hl)·head_dim).
  const ProcessGrid& g = be.coll().grid();
  int64_t h0 = 0, hl = 0;
  split_rows(heads, g.size(Group::Mp), g.index().mp, h0, hl);
  const int64_t hd = D / heads;
  return ParallelLinear(
      param_make(name + "/w", {D, D}, {h0 * hd, 0}, {hl * hd, D}, GradSync::Dp, true),
      param_make(name + "/b", {D}, {0}, {D}, GradSync::Dp, false), MpSplit::Row, be);
}

}  // namespace

SelfAttention::SelfAttention(const std::string& prefix, int64_t d_model, int heads, bool causal,
                             DenseBackend& be)
    : be_(&be),
      qkv_(make_qkv(prefix + "/qkv", d_model, heads, be)),
      proj_(make_proj(prefix + "/proj", d_model, heads, be)),
      x_(be.new_buffer()),
      qkv_out_(be.new_buffer()),
      probs_(be.new_buffer()),
      ctx_(be.new_buffer()),
      dctx_(be.new_buffer()),
      dqkv_(be.new_buffer()),
      kv_(be.new_buffer()) {
  shape_.heads = qkv_.w.shape[2];
  shape_.head_dim = d_model / heads;
  shape_.causal = causal;
}

void SelfAttention::forward(const float* x, int64_t batch, int64_t seq, const uint8_t* key_valid,
                            float* y) {
  bias_ = nullptr;
  run(x, batch, seq, key_valid, y);
}

void SelfAttention::forward_biased(const float* x, int64_t batch, int64_t seq, const float* bias,
                                   int64_t groups, float* y) {
  bias_ = bias;
  groups_ = groups;
  run(x, batch, seq, nullptr, y);
}

void SelfAttention::run(const float* x, int64_t batch, int64_t seq, const uint8_t* key_valid,
                        float* y) {
  shape_.batch = batch;
  shape_.seq = seq;
  const int64_t n = batch * seq;
  be_->copy(x, n * qkv_.in(), x_->fit(n * qkv_.in()));
  float* qkv = qkv_out_->fit(n * qkv_.out());
  float* ctx = ctx_->fit(n * proj_.in());
  float* probs = probs_->fit(batch * shape_.heads * seq * seq);
  qkv_.forward(x, n, qkv);
  if (bias_)
    be_->attention_biased_forward(shape_, qkv, bias_, groups_, probs, ctx);
  else
    be_->attention_forward(shape_, qkv, key_valid, probs, ctx);
  proj_.forward(ctx, n, y);
}

void SelfAttention::backward(const float* dy, float* dx, float* dbias) {
  const int64_t n = shape_.batch * shape_.seq;
  float* dctx = dctx_->fit(n * proj_.in());
  float* dqkv = dqkv_->fit(n * qkv_.out());
  proj_.backward(ctx_->data(), dy, n, dctx);
  if (bias_) {
    PARAMOE_REQUIRE(dbias, "SelfAttention::backward: a biased forward needs dbias");
    be_->attention_biased_backward(shape_, qkv_out_->data(), probs_->data(), dctx, dqkv, dbias);
  } else {
    be_->attention_backward(shape_, qkv_out_->data(), probs_->data(), dctx, dqkv);
  }
  qkv_.backward(x_->data(), dqkv, n, dx);
}

void SelfAttention::start_decoding(int64_t batch, int64_t capacity) {
  cached_ = cpu::CachedAttentionShape{batch, 0, 0, capacity, shape_.heads, shape_.head_dim};
  kv_->fit(batch * capacity * 2 * shape_.heads * shape_.head_dim);
}

void SelfAttention::decode(const float* x, int64_t fresh, float* y) {
  PARAMOE_REQUIRE(cached_.past + fresh <= cached_.capacity,
                  "SelfAttention::decode: more positions than the KV cache holds");
  cached_.fresh = fresh;
  const int64_t n = cached_.batch * fresh;
  float* qkv = qkv_out_->fit(n * qkv_.out());
  float* ctx = ctx_->fit(n * proj_.in());
  qkv_.forward(x, n, qkv);
  be_->attention_cached_forward(cached_, qkv, kv_->data(), ctx);
  proj_.forward(ctx, n, y);
  cached_.past += fresh;
}

}  // namespace paramoe
