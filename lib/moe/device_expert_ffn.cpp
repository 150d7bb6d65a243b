#include "moe/device_expert_ffn.h"

#include "kernels/cuda/activation.h"

namespace paramoe {

template <class T>
void device_expert_ffn_forward(const ExpertDims& d, const DeviceExpertWeights<T>& w, const T* xs,
                               const std::vector<int64_t>& offsets, bool add_b2,
                               DeviceExpertScratch<T>& s, T* out, cuda::ExpertGemm how,
                               bool accumulate_out) {
  const int64_t N = offsets[d.experts], E = d.experts, D = d.d_model, H = d.hidden;
  const int64_t* off = offsets.data();
  s.a.fit(N * H);
  s.h.fit(N * H);
  cuda::esmm(xs, w.w1, w.b1, off, E, D, H, false, false, s.a.data(), nullptr, how);
  if (d.swiglu) {
    s.g.fit(N * H);
    cuda::esmm(xs, w.w3, w.b3, off, E, D, H, false, false, s.g.data(), nullptr, how);
    cuda::swiglu_forward(s.a.data(), s.g.data(), N * H, s.h.data());
  } else {
    cuda::gelu_forward(s.a.data(), N * H, s.h.data());
  }
  cuda::esmm(s.h.data(), w.w2, add_b2 ? w.b2 : nullptr, off, E, H, D, false, accumulate_out, out,
             nullptr, how);
}

template <class T>
void device_expert_ffn_backward(const ExpertDims& d, const DeviceExpertWeights<T>& w, const T* xs,
                                const T* dout, const std::vector<int64_t>& offsets, bool accumulate,
                                const DeviceExpertGrads<T>& g, DeviceExpertScratch<T>& s, T* dxs,
                                cuda::ExpertGemm how, bool accumulate_dx) {
  const int64_t N = offsets[d.experts], E = d.experts, D = d.d_model, H = d.hidden;
  const int64_t* off = offsets.data();
  const bool acc = accumulate;
  for (auto* b : {&s.dh, &s.da, &s.dg}) b->fit(N * H);
  T *dh = s.dh.data(), *da = s.da.data(), *dg = s.dg.data();
  cuda::estmm(s.h.data(), dout, off, E, H, D, acc, g.w2, nullptr, how);
  cuda::ess(dout, off, E, D, acc, g.b2);
  cuda::esmm(dout, w.w2, nullptr, off, E, D, H, true, false, dh, nullptr, how);
  if (d.swiglu) {
    cuda::swiglu_backward(s.a.data(), s.g.data(), dh, N * H, da, dg);
    cuda::estmm(xs, dg, off, E, D, H, acc, g.w3, nullptr, how);
    cuda::ess(dg, off, E, H, acc, g.b3);
    cuda::esmm(dg, w.w3, nullptr, off, E, H, D, true, accumulate_dx, dxs, nullptr, how);
  } else {
    cuda::gelu_backward(s.a.data(), dh, N * H, da);
  }
  cuda::estmm(xs, da, off, E, D, H, acc, g.w1, nullptr, how);
  cuda::ess(da, off, E, H, acc, g.b1);
  cuda::esmm(da, w.w1, nullptr, off, E, H, D, true, d.swiglu || accumulate_dx, dxs, nullptr, how);
}

template void device_expert_ffn_forward(const ExpertDims&, const DeviceExpertWeights<float>&,
                                        const float*, const std::vector<int64_t>&, bool,
                                        DeviceExpertScratch<float>&, float*, cuda::ExpertGemm,
                                        bool);
template void device_expert_ffn_forward(const ExpertDims&, const DeviceExpertWeights<cuda::bf16>&,
                                        const cuda::bf16*, const std::vector<int64_t>&, bool,
                                        DeviceExpertScratch<cuda::bf16>&, cuda::bf16*,
                                        cuda::ExpertGemm, bool);
template void device_expert_ffn_backward(const ExpertDims&, const DeviceExpertWeights<float>&,
                                         const float*, const float*, const std::vector<int64_t>&,
                                         bool, const DeviceExpertGrads<float>&,
                                         DeviceExpertScratch<float>&, float*, cuda::ExpertGemm,
                                         bool);
template void device_expert_ffn_backward(const ExpertDims&, const DeviceExpertWeights<cuda::bf16>&,
                                         const cuda::bf16*, const cuda::bf16*,
                                         const std::vector<int64_t>&, bool,
                                         const DeviceExpertGrads<cuda::bf16>&,
                                         DeviceExpertScratch<cuda::bf16>&, cuda::bf16*,
                                         cuda::ExpertGemm, bool);

}  // namespace paramoe
