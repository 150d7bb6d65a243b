#pragma once
// Data-centric execution's view of the experts: each rank's expert shard (its E/ep
// experts, its H/esp hidden slice) packed as one contiguous block, and the FFN of
// every expert run from the blocks of all ranks of the expert group, gathered in
// group-rank order (owner q = ep index major, ESP slice s minor).
//
// The hidden slices are never stitched back into whole experts: an FFN is a sum
// over its hidden slices, act(x·W1_s + b1_s)·W2_s, so each slice runs as it is and
// the slices' outputs are summed (b2 by slice 0 only), as model-centric execution's
// ESP reduction does. Weight gradients land in blocks laid out alike, which a
// reduce-scatter returns to their owners.
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "moe/expert_ffn.h"
#include "moe/moe_params.h"

namespace paramoe {

// Offsets (in floats) of each tensor in a packed block; w3, b3 only for SwiGLU.
struct ExpertBlock {
  ExpertDims dims;
  int64_t w1 = 0, b1 = 0, w3 = 0, b3 = 0, w2 = 0, b2 = 0;
  int64_t size = 0;
};

ExpertBlock expert_block(const ExpertDims& d);

// One tensor's place in a block: its offset and its floats.
struct BlockTensor {
  int64_t at = 0, size = 0;
};
// The block's tensors in ExpertWeights order (w1, b1, w3, b3, w2, b2); w3 and b3
// are empty (size 0) without SwiGLU.
std::array<BlockTensor, 6> expert_block_tensors(const ExpertBlock& b);
ExpertWeights expert_block_weights(const ExpertBlock& b, const float* base);
ExpertGrads expert_block_grads(const ExpertBlock& b, float* base);

// Where block b's tensors come from: each expert param's range [from, from + n)
// (in its values or gradients, in whatever memory a backend keeps them) against
// [at, at + n) of the block. With `first`, the block holds b.dims.experts of this
// rank's experts from local index `first` on (a shadowed expert: expert_shadow.h).
// A backend packs its expert values into a block, or adds a block of gradients
// into its expert gradients, with this.
struct BlockRange {
  Param* param;
  int64_t at, from, n;
};
std::vector<BlockRange> expert_block_ranges(MoeParams& p, const ExpertBlock& b, int64_t first = 0);

// All experts, gathered: owners × slices blocks of `block` layout.
struct GatheredExperts {
  int owners = 1;  // ep
  int slices = 1;  // esp
  ExpertBlock block;
  const float* blocks = nullptr;
};

// Calls f(block index, ESP slice, the owner's first row, its rows' offsets from
// there [E/ep + 1], the block's base) for every gathered block, owner-major. The
// base is g.blocks + index × block size, in whatever memory g.blocks is in.
template <class F>
void for_each_gathered_block(const GatheredExperts& g, const int64_t* offsets, F f) {
  const int64_t El = g.block.dims.experts;
  std::vector<int64_t> local(El + 1);
  for (int q = 0; q < g.owners; ++q) {
    const int64_t first = offsets[q * El];
    for (int64_t i = 0; i <= El; ++i) local[i] = offsets[q * El + i] - first;
    for (int s = 0; s < g.slices; ++s) {
      const int i = q * g.slices + s;
      f(i, s, first, local, g.blocks + i * g.block.size);
    }
  }
}

// The expert FFN of every gathered block on the device of `ops` (g.blocks, xs, out
// in its memory). xs: this rank's rows sorted by slot (owner-major); offsets [E + 1]
// in slot order. act gets owners × slices entries, which the backward reads. b2 is
// added by slice 0's blocks, unless add_b2 is false (an ESP rank other than 0
// running shadowed experts, whose outputs the ESP reduction sums).
void gathered_experts_forward(const ExpertOps<float>& ops, const GatheredExperts& g,
                              const float* xs, const int64_t* offsets,
                              std::vector<ExpertActivations>& act, float* out, bool add_b2 = true);
// grads: owners × slices gradient blocks, accumulated into (zero them first).
void gathered_experts_backward(const ExpertOps<float>& ops, const GatheredExperts& g,
                               const float* xs, std::vector<ExpertActivations>& act,
                               const float* dout, const int64_t* offsets, float* grads, float* dxs);

}  // namespace paramoe
