#pragma once
// The expert FFN's one composition (expert_ffn.h), included where it is
// instantiated: expert_ffn.cpp for fp32 on every device, bf16_expert_ffn.cpp for
// the GPU's bf16 (a type only the CUDA build has).
#include <algorithm>

#include "core/error.h"
#include "moe/expert_ffn.h"

namespace paramoe::expert_ffn_detail {

// One expert's slice of a weight or bias array (null stays null).
template <class P>
P* slice(P* p, int64_t e, int64_t size) {
  return p ? p + e * size : nullptr;
}

inline int64_t block_rows(int64_t (*device_rows)(int64_t), const ExpertDims& d) {
  return d.block_rows > 0 ? d.block_rows : device_rows(d.hidden);
}

// Calls f(first row, tile offsets, first expert, experts) per tile: with row
// blocks, each block of each expert's rows as a one-expert problem; without, all
// rows in one tile.
template <class F>
void each_tile(int64_t step, const ExpertDims& d, const int64_t* offsets, F&& f) {
  if (step == 0) {
    f(int64_t{0}, offsets, int64_t{0}, d.experts);
    return;
  }
  for (int64_t e = 0; e < d.experts; ++e)
    for (int64_t r0 = offsets[e]; r0 < offsets[e + 1]; r0 += step) {
      const int64_t one[2] = {0, std::min(step, offsets[e + 1] - r0)};
      f(r0, one, e, int64_t{1});
    }
}

}  // namespace paramoe::expert_ffn_detail

namespace paramoe {

template <class T>
void expert_ffn_forward(const ExpertOps<T>& ops, const ExpertDims& d, const ExpertWeightsOf<T>& w,
                        const T* xs, const int64_t* offsets, bool add_b2, ExpertScratch<T>& s,
                        T* out, bool accumulate, const std::function<void()>& between_blocks) {
  using expert_ffn_detail::slice;
  const int64_t N = offsets[d.experts], D = d.d_model, H = d.hidden;
  const DeviceMemory& m = ops.memory;
  T* a_all = s.a.fit(m, N * H);  // every row is written below
  T* h_all = s.h.fit(m, N * H);
  T* g_all = d.swiglu ? s.g.fit(m, N * H) : nullptr;
  const int64_t step = expert_ffn_detail::block_rows(ops.block_rows, d);
  expert_ffn_detail::each_tile(
      step, d, offsets, [&](int64_t r0, const int64_t* off, int64_t e, int64_t ne) {
        const int64_t rows = off[ne];  // off[0] is 0 in a block
        T* a = a_all + r0 * H;
        T* h = h_all + r0 * H;
        ops.esmm(xs + r0 * D, slice(w.w1, e, D * H), slice(w.b1, e, H), off, ne, D, H, false, false,
                 a);
        if (d.swiglu) {
          T* g = g_all + r0 * H;
          ops.esmm(xs + r0 * D, slice(w.w3, e, D * H), slice(w.b3, e, H), off, ne, D, H, false,
                   false, g);
          ops.swiglu_forward(a, g, rows * H, h);
        } else {
          ops.gelu_forward(a, rows * H, h);
        }
        ops.esmm(h, slice(w.w2, e, H * D), add_b2 ? slice(w.b2, e, D) : nullptr, off, ne, H, D,
                 false, accumulate, out + r0 * D);
        if (between_blocks) between_blocks();
      });
}

template <class T>
void expert_ffn_backward(const ExpertOps<T>& ops, const ExpertDims& d, const ExpertWeightsOf<T>& w,
                         const T* xs, ExpertScratch<T>& s, const T* dout, const int64_t* offsets,
                         const ExpertGradsOf<T>& g, T* dxs, bool accumulate_dx,
                         const std::function<void()>& between_blocks, bool accumulate_grads) {
  using expert_ffn_detail::slice;
  const int64_t N = offsets[d.experts], D = d.d_model, H = d.hidden;
  const int64_t step = expert_ffn_detail::block_rows(ops.block_rows, d);
  PARAMOE_REQUIRE(accumulate_grads || step == 0,
                  "expert_ffn_backward: written gradients need all rows in one call");
  const bool acc = accumulate_grads;
  // Experts with no rows still get their (zero) gradient added: nothing to do.
  const int64_t scratch = (step == 0 ? N : std::min(step, N)) * H;
  const DeviceMemory& m = ops.memory;
  T* dh = s.dh.fit(m, scratch);
  T* da = s.da.fit(m, scratch);
  T* dg = d.swiglu ? s.dg.fit(m, scratch) : nullptr;
  expert_ffn_detail::each_tile(
      step, d, offsets, [&](int64_t r0, const int64_t* off, int64_t e, int64_t ne) {
        const int64_t rows = off[ne];
        const T* x = xs + r0 * D;
        const T* dy = dout + r0 * D;
        const T* a = s.a.data() + r0 * H;
        ops.estmm(s.h.data() + r0 * H, dy, off, ne, H, D, acc, slice(g.w2, e, H * D));
        ops.ess(dy, off, ne, D, acc, slice(g.b2, e, D));
        ops.esmm(dy, slice(w.w2, e, H * D), nullptr, off, ne, D, H, true, false, dh);
        if (d.swiglu) {
          ops.swiglu_backward(a, s.g.data() + r0 * H, dh, rows * H, da, dg);
          ops.estmm(x, dg, off, ne, D, H, acc, slice(g.w3, e, D * H));
          ops.ess(dg, off, ne, H, acc, slice(g.b3, e, H));
          ops.esmm(dg, slice(w.w3, e, D * H), nullptr, off, ne, H, D, true, accumulate_dx,
                   dxs + r0 * D);
        } else {
          ops.gelu_backward(a, dh, rows * H, da);
        }
        ops.estmm(x, da, off, ne, D, H, acc, slice(g.w1, e, D * H));
        ops.ess(da, off, ne, H, acc, slice(g.b1, e, H));
        ops.esmm(da, slice(w.w1, e, D * H), nullptr, off, ne, H, D, true, d.swiglu || accumulate_dx,
                 dxs + r0 * D);
        if (between_blocks) between_blocks();
      });
}

}  // namespace paramoe
