#include "moe/expert_ffn.h"

#include "kernels/cpu/activation.h"
#include "kernels/cpu/expert_ops.h"

namespace paramoe {

void expert_ffn_forward(const ExpertDims& d, const ExpertWeights& w, const float* xs,
                        const int64_t* offsets, bool add_b2, ExpertActivations& act, float* out,
                        bool accumulate) {
  const int64_t N = offsets[d.experts];
  act.a.assign(N * d.hidden, 0.0f);
  act.h.assign(N * d.hidden, 0.0f);
  cpu::esmm(xs, w.w1, w.b1, offsets, d.experts, d.d_model, d.hidden, false, false, act.a.data());
  if (d.swiglu) {
    act.g.assign(N * d.hidden, 0.0f);
    cpu::esmm(xs, w.w3, w.b3, offsets, d.experts, d.d_model, d.hidden, false, false, act.g.data());
    cpu::swiglu_forward(act.a.data(), act.g.data(), N * d.hidden, act.h.data());
  } else {
    cpu::gelu_forward(act.a.data(), N * d.hidden, act.h.data());
  }
  cpu::esmm(act.h.data(), w.w2, add_b2 ? w.b2 : nullptr, offsets, d.experts, d.hidden, d.d_model,
            false, accumulate, out);
}

void expert_ffn_backward(const ExpertDims& d, const ExpertWeights& w, const float* xs,
                         const ExpertActivations& act, const float* dout, const int64_t* offsets,
                         ExpertGrads& g, float* dxs, bool accumulate) {
  const int64_t N = offsets[d.experts];
  const int64_t E = d.experts, D = d.d_model, H = d.hidden;
  cpu::estmm(act.h.data(), dout, offsets, E, H, D, true, g.w2);
  cpu::ess(dout, offsets, E, D, true, g.b2);
  std::vector<float> dh(N * H), da(N * H);
  cpu::esmm(dout, w.w2, nullptr, offsets, E, D, H, true, false, dh.data());
  if (d.swiglu) {
    std::vector<float> dg(N * H);
    cpu::swiglu_backward(act.a.data(), act.g.data(), dh.data(), N * H, da.data(), dg.data());
    cpu::estmm(xs, dg.data(), offsets, E, D, H, true, g.w3);
    cpu::ess(dg.data(), offsets, E, H, true, g.b3);
    cpu::esmm(dg.data(), w.w3, nullptr, offsets, E, H, D, true, accumulate, dxs);
  } else {
    cpu::gelu_backward(act.a.data(), dh.data(), N * H, da.data());
  }
  cpu::estmm(xs, da.data(), offsets, E, D, H, true, g.w1);
  cpu::ess(da.data(), offsets, E, H, true, g.b1);
  cpu::esmm(da.data(), w.w1, nullptr, offsets, E, H, D, true, d.swiglu || accumulate, dxs);
}

}  // namespace paramoe
