#pragma once
// Multi-head scaled dot-product self-attention over `heads` heads of `head_dim`.
// qkv holds one row per token (batch-major, then position): the queries of every
// head, then the keys, then the values, each head's head_dim columns contiguous, as
// a column-parallel QKV projection over a slice of heads produces them. out is
// [batch·seq, heads·head_dim]. probs [batch, heads, seq, seq] is saved for backward.
#include <cstdint>

namespace paramoe::cpu {

struct AttentionShape {
  int64_t batch, seq, heads, head_dim;
  bool causal;  // GPT: position i attends to j <= i
};

// key_valid [batch, seq] (may be null): keys with 0 are padding and get no weight
// (BERT). A query with no key to attend to gets a zero output.
void attention_forward(const AttentionShape& s, const float* qkv, const uint8_t* key_valid,
                       float* probs, float* out);
// dqkv (same layout as qkv) is overwritten.
void attention_backward(const AttentionShape& s, const float* qkv, const float* probs,
                        const float* dout, float* dqkv);

// Swin's window attention: bias [groups, heads, seq, seq] is added to the scaled
// scores before the softmax (the relative-position bias, plus the shifted windows'
// mask); sequence b uses group b % groups.
void attention_forward_biased(const AttentionShape& s, const float* qkv, const float* bias,
                              int64_t groups, float* probs, float* out);
// As attention_backward; dbias [heads, seq, seq] (overwritten) is the scores'
// gradient summed over the sequences.
void attention_backward_biased(const AttentionShape& s, const float* qkv, const float* probs,
                               const float* dout, float* dqkv, float* dbias);

}  // namespace paramoe::cpu
