#include "model/parallel_linear.h"

#include "core/row_split.h"
#include "kernels/cpu/bias.h"
#include "kernels/cpu/gemm.h"

namespace paramoe {

void mp_allreduce(Collectives& coll, float* buf, int64_t count) {
  if (coll.grid().size(Group::Mp) > 1)
    coll.allreduce_sum(Group::Mp, buf, static_cast<size_t>(count));
}

ParallelLinear::ParallelLinear(Param w_, Param b_, MpSplit split, Collectives& coll)
    : w(std::move(w_)), b(std::move(b_)), split_(split), coll_(&coll) {
  in_ = w.shape[0];
  out_ = static_cast<int64_t>(w.value.size()) / in_;
}

ParallelLinear ParallelLinear::column(const std::string& name, int64_t in, int64_t out,
                                      Collectives& coll) {
  const ProcessGrid& g = coll.grid();
  int64_t c0 = 0, cols = 0;
  split_rows(out, g.size(Group::Mp), g.index().mp, c0, cols);
  return ParallelLinear(param_make(name + "/w", {in, out}, {0, c0}, {in, cols}, GradSync::Dp, true),
                        param_make(name + "/b", {out}, {c0}, {cols}, GradSync::Dp, false),
                        MpSplit::Column, coll);
}

ParallelLinear ParallelLinear::row(const std::string& name, int64_t in, int64_t out,
                                   Collectives& coll) {
  const ProcessGrid& g = coll.grid();
  int64_t r0 = 0, rows = 0;
  split_rows(in, g.size(Group::Mp), g.index().mp, r0, rows);
  return ParallelLinear(
      param_make(name + "/w", {in, out}, {r0, 0}, {rows, out}, GradSync::Dp, true),
      param_make(name + "/b", {out}, {0}, {out}, GradSync::Dp, false), MpSplit::Row, coll);
}

void ParallelLinear::forward(const float* x, int64_t n, float* y) {
  cpu::gemm(false, false, n, out_, in_, 1.0f, x, in_, w.value.data(), out_, 0.0f, y, out_);
  if (split_ == MpSplit::Row) mp_allreduce(*coll_, y, n * out_);
  cpu::bias_add(b.value.data(), n, out_, y);
}

void ParallelLinear::backward(const float* x, const float* dy, int64_t n, float* dx) {
  cpu::gemm(true, false, in_, out_, n, 1.0f, x, in_, dy, out_, 1.0f, w.grad.data(), out_);
  cpu::bias_backward(dy, n, out_, b.grad.data());
  if (!dx) return;
  cpu::gemm(false, true, n, in_, out_, 1.0f, dy, out_, w.value.data(), out_, 0.0f, dx, in_);
  if (split_ == MpSplit::Column) mp_allreduce(*coll_, dx, n * in_);
}

}  // namespace paramoe
