#pragma once
// Embedding lookup over a vocabulary slice: this rank holds rows [v0, v0 + rows) of
// the table. Ids outside the slice give zero rows, so summing the outputs over the
// ranks that split the vocabulary gives the full lookup (Megatron's vocab-parallel
// embedding). With v0 = 0 and the whole table it is a plain lookup.
#include <cstdint>

namespace paramoe::cpu {

// out[i] = table[ids[i] - v0] if v0 <= ids[i] < v0 + rows, else 0. out is [n, dim].
void embedding_forward(const int32_t* ids, int64_t n, const float* table, int64_t v0, int64_t rows,
                       int64_t dim, float* out);
// dtable[ids[i] - v0] += dout[i] for ids in the slice (accumulates).
void embedding_backward(const int32_t* ids, int64_t n, const float* dout, int64_t v0, int64_t rows,
                        int64_t dim, float* dtable);

}  // namespace paramoe::cpu
