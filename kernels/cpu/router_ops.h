#pragma once
// Row-wise router math: softmax with its log-sum-exp, top-k selection, and the
// softmax backward.
#include <cstdint>

namespace paramoe::cpu {

// probs[t] = softmax(logits[t]); lse[t] = logsumexp(logits[t]). Both [T, E] / [T].
void softmax_lse_forward(const float* logits, int64_t rows, int64_t cols, float* probs, float* lse);

// The k largest values of each row, in descending order; ties go to the lower index
// (as torch.topk on distinct values). idx and val are [rows, k].
void topk_rows(const float* x, int64_t rows, int64_t cols, int64_t k, int32_t* idx, float* val);

// dlogits = p ⊙ (dp − Σ_e p·dp), row-wise.
void softmax_backward(const float* probs, const float* dprobs, int64_t rows, int64_t cols,
                      float* dlogits);

}  // namespace paramoe::cpu
