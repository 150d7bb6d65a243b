#include "moe/expert_ffn.h"

#include <algorithm>

#include "kernels/cpu/activation.h"
#include "kernels/cpu/expert_ops.h"

namespace paramoe {

namespace {

// The experts run one at a time, one block of rows at a time (GEMM, activation,
// GEMM back to back), so that the hidden activations one GEMM writes are still in
// cache when the next reads them, and the backward's scratch is one block's. Run
// phase by phase over all experts (each GEMM and the GELU over all N × hidden
// values in turn), the same FLOPs took 15-20% longer on one core at widths 64 to
// 1024; the blocks inside an expert add 2-5% over one block per expert below
// D = 256 (perf/bench_expert_ffn). Blocks of at least 256 rows keep OpenBLAS's
// GEMMs as efficient as whole ones (64-row blocks lost 15% at D = 1024, H = 4096).
constexpr int64_t kBlockBytes = int64_t{256} << 10;
constexpr int64_t kMinBlockRows = 256;

int64_t block_rows(const ExpertDims& d) {
  return d.block_rows > 0 ? d.block_rows : expert_ffn_block_rows(d.hidden);
}

// Calls f(first row, rows, expert) for each block of each expert's rows.
template <class F>
void each_row_block(const ExpertDims& d, const int64_t* offsets, F&& f) {
  const int64_t step = block_rows(d);
  for (int64_t e = 0; e < d.experts; ++e)
    for (int64_t r0 = offsets[e]; r0 < offsets[e + 1]; r0 += step)
      f(r0, std::min(step, offsets[e + 1] - r0), e);
}

// One expert's slice of a weight or bias array (null stays null).
const float* expert_slice(const float* p, int64_t e, int64_t size) {
  return p ? p + e * size : nullptr;
}
float* expert_slice(float* p, int64_t e, int64_t size) {
  return p ? p + e * size : nullptr;
}

}  // namespace

int64_t expert_ffn_block_rows(int64_t hidden) {
  return std::max(kMinBlockRows, kBlockBytes / (hidden * static_cast<int64_t>(sizeof(float))));
}

void expert_ffn_forward(const ExpertDims& d, const ExpertWeights& w, const float* xs,
                        const int64_t* offsets, bool add_b2, ExpertActivations& act, float* out,
                        bool accumulate, const std::function<void()>& between_blocks) {
  const int64_t N = offsets[d.experts], D = d.d_model, H = d.hidden;
  act.a.resize(N * H);  // every row is written below
  act.h.resize(N * H);
  if (d.swiglu) act.g.resize(N * H);
  each_row_block(d, offsets, [&](int64_t r0, int64_t rows, int64_t e) {
    const int64_t one[2] = {0, rows};  // the block as a one-expert problem
    float* a = act.a.data() + r0 * H;
    float* h = act.h.data() + r0 * H;
    cpu::esmm(xs + r0 * D, expert_slice(w.w1, e, D * H), expert_slice(w.b1, e, H), one, 1, D, H,
              false, false, a);
    if (d.swiglu) {
      float* g = act.g.data() + r0 * H;
      cpu::esmm(xs + r0 * D, expert_slice(w.w3, e, D * H), expert_slice(w.b3, e, H), one, 1, D, H,
                false, false, g);
      cpu::swiglu_forward(a, g, rows * H, h);
    } else {
      cpu::gelu_forward(a, rows * H, h);
    }
    cpu::esmm(h, expert_slice(w.w2, e, H * D), add_b2 ? expert_slice(w.b2, e, D) : nullptr, one, 1,
              H, D, false, accumulate, out + r0 * D);
    if (between_blocks) between_blocks();
  });
}

void expert_ffn_backward(const ExpertDims& d, const ExpertWeights& w, const float* xs,
                         const ExpertActivations& act, const float* dout, const int64_t* offsets,
                         ExpertGrads& g, float* dxs, bool accumulate,
                         const std::function<void()>& between_blocks) {
  const int64_t D = d.d_model, H = d.hidden;
  // Experts with no rows still get their (zero) gradient added: nothing to do.
  const int64_t block = std::min(block_rows(d), offsets[d.experts]);
  std::vector<float> dh(block * H), da(block * H), dg(d.swiglu ? block * H : 0);
  each_row_block(d, offsets, [&](int64_t r0, int64_t rows, int64_t e) {
    const int64_t one[2] = {0, rows};
    const float* x = xs + r0 * D;
    const float* dy = dout + r0 * D;
    const float* a = act.a.data() + r0 * H;
    cpu::estmm(act.h.data() + r0 * H, dy, one, 1, H, D, true, expert_slice(g.w2, e, H * D));
    cpu::ess(dy, one, 1, D, true, expert_slice(g.b2, e, D));
    cpu::esmm(dy, expert_slice(w.w2, e, H * D), nullptr, one, 1, D, H, true, false, dh.data());
    if (d.swiglu) {
      cpu::swiglu_backward(a, act.g.data() + r0 * H, dh.data(), rows * H, da.data(), dg.data());
      cpu::estmm(x, dg.data(), one, 1, D, H, true, expert_slice(g.w3, e, D * H));
      cpu::ess(dg.data(), one, 1, H, true, expert_slice(g.b3, e, H));
      cpu::esmm(dg.data(), expert_slice(w.w3, e, D * H), nullptr, one, 1, H, D, true, accumulate,
                dxs + r0 * D);
    } else {
      cpu::gelu_backward(a, dh.data(), rows * H, da.data());
    }
    cpu::estmm(x, da.data(), one, 1, D, H, true, expert_slice(g.w1, e, D * H));
    cpu::ess(da.data(), one, 1, H, true, expert_slice(g.b1, e, H));
    cpu::esmm(da.data(), expert_slice(w.w1, e, D * H), nullptr, one, 1, H, D, true,
              d.swiglu || accumulate, dxs + r0 * D);
    if (between_blocks) between_blocks();
  });
}

}  // namespace paramoe
