#pragma once
// Row movement of the MoE layer: permute rows to their experts and back, and the
// gate-weighted combine with its backward. Rows are `row_len` floats.
#include <cstdint>

namespace paramoe::cpu {

// dst[i] = src[index[i]] for i < n.
void gather_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len, float* dst);
// dst[index[i]] = src[i] for i < n.
void scatter_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len, float* dst);
// dst[index[i]] += src[i] for i < n (indices may repeat).
void scatter_add_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                      float* dst);

// y[t] += Σ_j weight[t, j] · rows[pos[t, j]] over choices with pos ≥ 0.
void combine_rows(const float* rows, const int32_t* pos, const float* weight, int64_t tokens, int k,
                  int64_t row_len, float* y);
// drows[pos[t, j]] = weight[t, j] · dy[t]; dweight[t, j] = dy[t] · rows[pos[t, j]]
// (0 where pos < 0, whose drows rows are not written).
void combine_rows_backward(const float* dy, const float* rows, const int32_t* pos,
                           const float* weight, int64_t tokens, int k, int64_t row_len,
                           float* drows, float* dweight);

}  // namespace paramoe::cpu
