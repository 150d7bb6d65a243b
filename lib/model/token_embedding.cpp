#include "model/token_embedding.h"

#include "core/row_split.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/embedding.h"
#include "model/parallel_linear.h"

namespace paramoe {

namespace {
Param vocab_slice(int64_t vocab, int64_t D, const ProcessGrid& g) {
  int64_t v0 = 0, rows = 0;
  split_rows(vocab, g.size(Group::Mp), g.index().mp, v0, rows);
  return param_make("wte", {vocab, D}, {v0, 0}, {rows, D}, GradSync::Dp, false);
}
}  // namespace

TokenEmbedding::TokenEmbedding(int64_t vocab, int64_t seq_len, int64_t d_model, Collectives& coll)
    : wte(vocab_slice(vocab, d_model, coll.grid())),
      wpe(param_make("wpe", {seq_len, d_model}, {0, 0}, {seq_len, d_model}, GradSync::Dp, false)),
      coll_(&coll),
      D_(d_model) {}

void TokenEmbedding::forward(const int32_t* ids, int64_t batch, int64_t seq, float* x) {
  batch_ = batch;
  seq_ = seq;
  const int64_t n = batch * seq;
  ids_.assign(ids, ids + n);
  cpu::embedding_forward(ids, n, wte.value.data(), wte.offset[0], wte.shape[0], D_, x);
  mp_allreduce(*coll_, x, n * D_);
  for (int64_t i = 0; i < n; ++i)  // position i % seq
    cpu::accumulate(wpe.value.data() + (i % seq) * D_, D_, x + i * D_);
}

void TokenEmbedding::backward(const float* dx) {
  const int64_t n = batch_ * seq_;
  cpu::embedding_backward(ids_.data(), n, dx, wte.offset[0], wte.shape[0], D_, wte.grad.data());
  for (int64_t i = 0; i < n; ++i)
    cpu::accumulate(dx + i * D_, D_, wpe.grad.data() + (i % seq_) * D_);
}

}  // namespace paramoe
