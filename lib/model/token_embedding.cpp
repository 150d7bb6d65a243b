#include "model/token_embedding.h"

#include "core/error.h"
#include "core/row_split.h"
#include "model/parallel_linear.h"

namespace paramoe {

namespace {
Param vocab_slice(int64_t vocab, int64_t D, const ProcessGrid& g) {
  int64_t v0 = 0, rows = 0;
  split_rows(vocab, g.size(Group::Mp), g.index().mp, v0, rows);
  return param_make("wte", {vocab, D}, {v0, 0}, {rows, D}, GradSync::Dp, false);
}
}  // namespace

TokenEmbedding::TokenEmbedding(int64_t vocab, int64_t seq_len, int64_t d_model, DenseBackend& be)
    : wte(vocab_slice(vocab, d_model, be.coll().grid())),
      wpe(param_make("wpe", {seq_len, d_model}, {0, 0}, {seq_len, d_model}, GradSync::Dp, false)),
      be_(&be),
      D_(d_model) {}

// The position rows are added one sequence at a time (seq contiguous rows of the
// table), so that a device backend launches per sequence, not per token.
void TokenEmbedding::forward(const int32_t* ids, int64_t batch, int64_t seq, float* x,
                             int64_t pos0) {
  PARAMOE_REQUIRE(pos0 >= 0 && pos0 + seq <= wpe.shape[0],
                  "TokenEmbedding: positions beyond the position table");
  batch_ = batch;
  seq_ = seq;
  pos0_ = pos0;
  const int64_t n = batch * seq;
  ids_.assign(ids, ids + n);
  be_->embedding_forward(ids, n, be_->value(wte), wte.offset[0], wte.shape[0], D_, x);
  mp_allreduce(be_->coll(), x, n * D_);
  const float* pos = be_->value(wpe) + pos0 * D_;
  for (int64_t b = 0; b < batch; ++b) be_->accumulate(pos, seq * D_, x + b * seq * D_);
}

void TokenEmbedding::backward(const float* dx) {
  be_->embedding_backward(ids_.data(), batch_ * seq_, dx, wte.offset[0], wte.shape[0], D_,
                          be_->grad(wte));
  for (int64_t b = 0; b < batch_; ++b)
    be_->accumulate(dx + b * seq_ * D_, seq_ * D_, be_->grad(wpe) + pos0_ * D_);
}

}  // namespace paramoe
