#pragma once
// Embedding lookup over a vocabulary slice on the GPU, the mirror of
// kernels/cpu/embedding.h (ids, table and outputs are device pointers).
#include <cuda_runtime.h>

#include <cstdint>

namespace paramoe::cuda {

void embedding_forward(const int32_t* ids, int64_t n, const float* table, int64_t v0, int64_t rows,
                       int64_t dim, float* out, cudaStream_t stream = nullptr);
// Accumulates with atomics: ids may repeat.
void embedding_backward(const int32_t* ids, int64_t n, const float* dout, int64_t v0, int64_t rows,
                        int64_t dim, float* dtable, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
