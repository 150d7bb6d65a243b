#include "moe/bf16_expert_ffn.h"

#include <array>

#include "device/cuda_device_ops.h"
#include "kernels/cuda/elementwise.h"
#include "moe/expert_ffn_impl.h"

namespace paramoe {

void Bf16ExpertFfn::load(const ExpertDims& d, const ExpertWeights& w) {
  layout_ = expert_block(d);
  value_.fit(layout_.size);
  grad_.fit(layout_.size);
  const std::array<const float*, 6> src = {w.w1, w.b1, w.w3, w.b3, w.w2, w.b2};
  const std::array<BlockTensor, 6> t = expert_block_tensors(layout_);
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].size) cuda::cast(src[i], t[i].size, value_.data() + t[i].at);
}

// Pointers into a packed block (expert_blocks.h), in bf16.
ExpertWeightsOf<cuda::bf16> Bf16ExpertFfn::weights() const {
  const cuda::bf16* v = value_.data();
  const bool sw = layout_.dims.swiglu;
  return {
      v + layout_.w1, v + layout_.b1, sw ? v + layout_.w3 : nullptr, sw ? v + layout_.b3 : nullptr,
      v + layout_.w2, v + layout_.b2};
}

ExpertGradsOf<cuda::bf16> Bf16ExpertFfn::grads() {
  cuda::bf16* g = grad_.data();
  const bool sw = layout_.dims.swiglu;
  return {
      g + layout_.w1, g + layout_.b1, sw ? g + layout_.w3 : nullptr, sw ? g + layout_.b3 : nullptr,
      g + layout_.w2, g + layout_.b2};
}

void Bf16ExpertFfn::rows_out(const cuda::bf16* rows, int64_t n, bool accumulate, float* to) {
  if (n == 0) return;
  if (accumulate)
    cuda::accumulate(rows, n, to);
  else
    cuda::cast(rows, n, to);
}

void Bf16ExpertFfn::forward(const float* xs, const std::vector<int64_t>& offsets, bool add_b2,
                            bool accumulate_out, ExpertScratch<cuda::bf16>& act, float* out,
                            cuda::ExpertGemm how) {
  const ExpertDims& d = layout_.dims;
  const int64_t n = offsets[d.experts] * d.d_model;
  const cuda::bf16* x = cuda::cast_into(xs, n, xs_);
  result_.fit(n);
  expert_ffn_forward(cuda_bf16_expert_ops(how), d, weights(), x, offsets.data(), add_b2, act,
                     result_.data());
  rows_out(result_.data(), n, accumulate_out, out);
}

void Bf16ExpertFfn::backward(const float* xs, const float* dout,
                             const std::vector<int64_t>& offsets, ExpertScratch<cuda::bf16>& act,
                             const ExpertGrads& g, bool accumulate_dx, float* dxs,
                             cuda::ExpertGemm how) {
  const ExpertDims& d = layout_.dims;
  const int64_t n = offsets[d.experts] * d.d_model;
  const cuda::bf16* x = cuda::cast_into(xs, n, xs_);
  const cuda::bf16* dy = cuda::cast_into(dout, n, dout_);
  result_.fit(n);
  // Written, not accumulated, in bf16 (empty experts get zeros); summed in fp32 below.
  expert_ffn_backward(cuda_bf16_expert_ops(how), d, weights(), x, act, dy, offsets.data(), grads(),
                      result_.data(), /*accumulate_dx=*/false, {},
                      /*accumulate_grads=*/false);
  const std::array<float*, 6> dst = {g.w1, g.b1, g.w3, g.b3, g.w2, g.b2};
  const std::array<BlockTensor, 6> t = expert_block_tensors(layout_);
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].size) cuda::accumulate(grad_.data() + t[i].at, t[i].size, dst[i]);
  rows_out(result_.data(), n, accumulate_dx, dxs);
}

}  // namespace paramoe

// The expert FFN's one composition (expert_ffn_impl.h) in bf16.
namespace paramoe {
template void expert_ffn_forward(const ExpertOps<cuda::bf16>&, const ExpertDims&,
                                 const ExpertWeightsOf<cuda::bf16>&, const cuda::bf16*,
                                 const int64_t*, bool, ExpertScratch<cuda::bf16>&, cuda::bf16*,
                                 bool, const std::function<void()>&);
template void expert_ffn_backward(const ExpertOps<cuda::bf16>&, const ExpertDims&,
                                  const ExpertWeightsOf<cuda::bf16>&, const cuda::bf16*,
                                  ExpertScratch<cuda::bf16>&, const cuda::bf16*, const int64_t*,
                                  const ExpertGradsOf<cuda::bf16>&, cuda::bf16*, bool,
                                  const std::function<void()>&, bool);
}  // namespace paramoe
