#pragma once
// The local pieces of a vocab-parallel cross-entropy: logits [n, V] are this rank's
// slice [v0, v0 + V) of the vocabulary. The caller reduces the row maxima (max) and
// the sums and target logits (sum) over the ranks that split the vocabulary, so no
// rank ever holds the full logits. Targets < 0 are ignored positions.
#include <cstdint>

namespace paramoe::cpu {

void ce_row_max(const float* logits, int64_t n, int64_t V, float* row_max);
// sum_exp[i] = Σ_j exp(logits[i, j] − row_max[i]); target_logit[i] = logits[i, t − v0]
// when the target t is in this slice, else 0.
void ce_sum_exp_and_target(const float* logits, int64_t n, int64_t V, int64_t v0,
                           const int32_t* targets, const float* row_max, float* sum_exp,
                           float* target_logit);
// dlogits = (softmax − onehot(target)) · scale, with the global row_max and sum_exp;
// rows without a target get zeros.
void ce_backward(const float* logits, int64_t n, int64_t V, int64_t v0, const int32_t* targets,
                 const float* row_max, const float* sum_exp, float scale, float* dlogits);

}  // namespace paramoe::cpu
