#pragma once
// Causal self-attention of new positions over a KV cache, for decoding: the keys
// and values of every earlier position are kept, so a step projects and attends
// only its new rows (a prompt's rows once, then one row per generated token)
// instead of recomputing the whole sequence.
#include <cstdint>

namespace paramoe::cpu {

struct CachedAttentionShape {
  int64_t batch;     // sequences, each with its own cache
  int64_t past;      // positions already in the cache
  int64_t fresh;     // new positions past .. past + fresh − 1 of each sequence
  int64_t capacity;  // positions the cache holds per sequence (past + fresh ≤ capacity)
  int64_t heads, head_dim;
};

// qkv [batch·fresh, 3·heads·head_dim]: the new positions' rows, laid out as
// attention.h's. kv [batch, capacity, 2·heads·head_dim]: each position's keys then
// values; the new positions' are written from qkv. Each new position attends to
// itself and every earlier one. out [batch·fresh, heads·head_dim] is overwritten.
void attention_cached_forward(const CachedAttentionShape& s, const float* qkv, float* kv,
                              float* out);

}  // namespace paramoe::cpu
