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

// weight[t] = val[t] / Σ_j val[t, j]: top-k probabilities renormalised to sum to 1.
void topk_renormalize(const float* val, int64_t rows, int k, float* weight);

// The router's dL/dprobs [rows, cols] from the gate-weight gradients dweight [rows, k]
// of the chosen experts (through the renormalisation when `renormalize`), plus
// aux_grad[e] on every row (the load-balancing loss's gradient, constant per expert).
void router_dprobs(const float* dweight, const int32_t* expert, const float* topk_prob,
                   const float* weight, int64_t rows, int64_t cols, int k, bool renormalize,
                   const float* aux_grad, float* dprobs);

// The z-loss gradient: dlogits[t, e] += scale · lse[t] · probs[t, e].
void zloss_backward(const float* probs, const float* lse, int64_t rows, int64_t cols, float scale,
                    float* dlogits);

// The routing decisions' counts, capacity and statistics. expert and kept are
// [tokens, k] (descending probability per token); E = num_experts.

// counts[j·E + e]: the tokens whose j-th choice is expert e ([k, E], the order in
// which capacity ranks assignments).
void choice_counts(const int32_t* expert, int64_t tokens, int k, int num_experts, int32_t* counts);

// kept[t·k + j] = 1 when assignment (t, j) is among its expert's first `capacity`,
// ranked by choice first and token second. first[j·E + e] is the rank of this
// rank's first (j, e) assignment: the group's assignments to e of earlier choices
// plus those of choice j on the ranks before this one.
void apply_capacity(const int32_t* expert, int64_t tokens, int k, int num_experts,
                    const int64_t* first, int64_t capacity, uint8_t* kept);

// The local sums the load-balancing and z losses need, stats [2E + 3]:
// assignments per expert, Σ_t probs[t, e] per expert, tokens, Σ_t lse[t]², and the
// assignments capacity dropped.
void router_stats(const float* probs, const float* lse, const int32_t* expert, const uint8_t* kept,
                  int64_t tokens, int k, int num_experts, double* stats);

}  // namespace paramoe::cpu
