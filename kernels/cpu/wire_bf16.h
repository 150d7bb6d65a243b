#pragma once
// Rows in bf16 on the wire: fp32 rows of `cols` values packed as bf16 pairs into
// wire rows of wire_bf16_cols(cols) floats (the collectives move floats; an odd
// row gets one zero pad), and back. Rounding is to nearest, ties to even, as the
// GPU's __float2bfloat16, so both backends put the same bits on the wire (NaNs
// excepted, whose payloads may differ).
#include <cstdint>

namespace paramoe::cpu {

inline int64_t wire_bf16_cols(int64_t cols) {
  return (cols + 1) / 2;
}

void pack_bf16_rows(const float* x, int64_t rows, int64_t cols, float* wire);
void unpack_bf16_rows(const float* wire, int64_t rows, int64_t cols, float* y);

}  // namespace paramoe::cpu
