#include "model/parallel_linear.h"

#include "core/row_split.h"

namespace paramoe {

void mp_allreduce(Collectives& coll, float* buf, int64_t count) {
  if (coll.grid().size(Group::Mp) > 1)
    coll.allreduce_sum(Group::Mp, buf, static_cast<size_t>(count));
}

ParallelLinear::ParallelLinear(Param w_, Param b_, MpSplit split, DenseBackend& be)
    : w(std::move(w_)), b(std::move(b_)), split_(split), be_(&be) {
  in_ = w.shape[0];
  out_ = static_cast<int64_t>(w.value.size()) / in_;
}

ParallelLinear ParallelLinear::column(const std::string& name, int64_t in, int64_t out,
                                      DenseBackend& be) {
  const ProcessGrid& g = be.coll().grid();
  int64_t c0 = 0, cols = 0;
  split_rows(out, g.size(Group::Mp), g.index().mp, c0, cols);
  return ParallelLinear(param_make(name + "/w", {in, out}, {0, c0}, {in, cols}, GradSync::Dp, true),
                        param_make(name + "/b", {out}, {c0}, {cols}, GradSync::Dp, false),
                        MpSplit::Column, be);
}

ParallelLinear ParallelLinear::row(const std::string& name, int64_t in, int64_t out,
                                   DenseBackend& be) {
  const ProcessGrid& g = be.coll().grid();
  int64_t r0 = 0, rows = 0;
  split_rows(in, g.size(Group::Mp), g.index().mp, r0, rows);
  return ParallelLinear(
      param_make(name + "/w", {in, out}, {r0, 0}, {rows, out}, GradSync::Dp, true),
      param_make(name + "/b", {out}, {0}, {out}, GradSync::Dp, false), MpSplit::Row, be);
}

ParallelLinear ParallelLinear::replicated(const std::string& name, int64_t in, int64_t out,
                                          bool bias, DenseBackend& be) {
  return ParallelLinear(
      param_make(name + "/w", {in, out}, {0, 0}, {in, out}, GradSync::Dp, true),
      bias ? param_make(name + "/b", {out}, {0}, {out}, GradSync::Dp, false) : Param{},
      MpSplit::None, be);
}

void ParallelLinear::forward(const float* x, int64_t n, float* y) {
  be_->gemm(false, false, n, out_, in_, 1.0f, x, in_, be_->value(w), out_, 0.0f, y, out_);
  if (split_ == MpSplit::Row) mp_allreduce(be_->coll(), y, n * out_);
  if (has_bias()) be_->bias_add(be_->value(b), n, out_, y);
}

void ParallelLinear::backward(const float* x, const float* dy, int64_t n, float* dx) {
  be_->gemm(true, false, in_, out_, n, 1.0f, x, in_, dy, out_, 1.0f, be_->grad(w), out_);
  if (has_bias()) be_->bias_backward(dy, n, out_, be_->grad(b));
  if (!dx) return;
  be_->gemm(false, true, n, in_, out_, 1.0f, dy, out_, be_->value(w), out_, 0.0f, dx, in_);
  if (split_ == MpSplit::Column) mp_allreduce(be_->coll(), dx, n * in_);
}

}  // namespace paramoe
