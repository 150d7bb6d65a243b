#include "moe/expert_blocks.h"

#include <algorithm>

#include "core/error.h"

namespace paramoe {

ExpertBlock expert_block(const ExpertDims& d) {
  ExpertBlock b;
  b.dims = d;
  const int64_t E = d.experts, D = d.d_model, H = d.hidden;
  int64_t at = 0;
  auto take = [&](int64_t n) {
    const int64_t o = at;
    at += n;
    return o;
  };
  b.w1 = take(E * D * H);
  b.b1 = take(E * H);
  if (d.swiglu) {
    b.w3 = take(E * D * H);
    b.b3 = take(E * H);
  }
  b.w2 = take(E * H * D);
  b.b2 = take(E * D);
  b.size = at;
  return b;
}

ExpertWeights expert_block_weights(const ExpertBlock& b, const float* base) {
  const bool sw = b.dims.swiglu;
  return ExpertWeights{
      base + b.w1, base + b.b1, sw ? base + b.w3 : nullptr, sw ? base + b.b3 : nullptr,
      base + b.w2, base + b.b2};
}

ExpertGrads expert_block_grads(const ExpertBlock& b, float* base) {
  const bool sw = b.dims.swiglu;
  return ExpertGrads{
      base + b.w1, base + b.b1, sw ? base + b.w3 : nullptr, sw ? base + b.b3 : nullptr,
      base + b.w2, base + b.b2};
}

std::array<BlockTensor, 6> expert_block_tensors(const ExpertBlock& b) {
  const ExpertDims& d = b.dims;
  const int64_t E = d.experts, D = d.d_model, H = d.hidden, sw = d.swiglu ? 1 : 0;
  return {BlockTensor{b.w1, E * D * H},      BlockTensor{b.b1, E * H},
          BlockTensor{b.w3, sw * E * D * H}, BlockTensor{b.b3, sw * E * H},
          BlockTensor{b.w2, E * H * D},      BlockTensor{b.b2, E * D}};
}

std::vector<BlockRange> expert_block_ranges(MoeParams& p, const ExpertBlock& b, int64_t first) {
  const std::array<Param*, 6> params = {&p.w1, &p.b1, &p.w3, &p.b3, &p.w2, &p.b2};
  const std::array<BlockTensor, 6> t = expert_block_tensors(b);
  std::vector<BlockRange> v;
  for (size_t i = 0; i < t.size(); ++i) {
    if (!t[i].size) continue;
    const BlockRange r{params[i], t[i].at, first * t[i].size, t[i].size};
    PARAMOE_REQUIRE(r.from + r.n <= std::ssize(r.param->value),
                    "expert_block_ranges: past " + r.param->name);
    v.push_back(r);
  }
  return v;
}

void gathered_experts_forward(const ExpertOps<float>& ops, const GatheredExperts& g,
                              const float* xs, const int64_t* offsets,
                              std::vector<ExpertActivations>& act, float* out, bool add_b2) {
  const int64_t D = g.block.dims.d_model;
  act.resize(static_cast<size_t>(g.owners) * g.slices);
  for_each_gathered_block(
      g, offsets,
      [&](int i, int s, int64_t first, const std::vector<int64_t>& local, const float* base) {
        expert_ffn_forward(ops, g.block.dims, expert_block_weights(g.block, base), xs + first * D,
                           local.data(), s == 0 && add_b2, act[i], out + first * D,
                           /*accumulate=*/s > 0);
      });
}

void gathered_experts_backward(const ExpertOps<float>& ops, const GatheredExperts& g,
                               const float* xs, std::vector<ExpertActivations>& act,
                               const float* dout, const int64_t* offsets, float* grads,
                               float* dxs) {
  PARAMOE_REQUIRE(act.size() == static_cast<size_t>(g.owners) * g.slices,
                  "gathered_experts_backward: no matching forward");
  const int64_t D = g.block.dims.d_model;
  for_each_gathered_block(
      g, offsets,
      [&](int i, int s, int64_t first, const std::vector<int64_t>& local, const float* base) {
        expert_ffn_backward(ops, g.block.dims, expert_block_weights(g.block, base), xs + first * D,
                            act[i], dout + first * D, local.data(),
                            expert_block_grads(g.block, grads + i * g.block.size), dxs + first * D,
                            /*accumulate_dx=*/s > 0);
      });
}

}  // namespace paramoe
