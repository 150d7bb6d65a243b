#include "kernels/cpu/wire_bf16.h"

#include <cstring>

namespace paramoe::cpu {

namespace {

uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu))
    return static_cast<uint16_t>((u >> 16) | 0x0040u);  // NaN stays a (quiet) NaN
  u += 0x7fffu + ((u >> 16) & 1u);                      // round to nearest, ties to even
  return static_cast<uint16_t>(u >> 16);
}

float from_bf16(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

// Two bf16 per wire float, the first in the low half: on a little-endian host that
// is the first at the lower address, the layout of the GPU's bf16 array. memcpy
// keeps the bit copies clear of type-punning.
void pack_bf16_rows(const float* x, int64_t rows, int64_t cols, float* wire) {
  const int64_t w = wire_bf16_cols(cols);
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = x + r * cols;
    for (int64_t i = 0; i < w; ++i) {
      const uint32_t lo = to_bf16(src[2 * i]);
      const uint32_t hi = 2 * i + 1 < cols ? to_bf16(src[2 * i + 1]) : 0u;
      const uint32_t word = lo | (hi << 16);
      std::memcpy(wire + r * w + i, &word, 4);
    }
  }
}

void unpack_bf16_rows(const float* wire, int64_t rows, int64_t cols, float* y) {
  const int64_t w = wire_bf16_cols(cols);
  for (int64_t r = 0; r < rows; ++r) {
    float* dst = y + r * cols;
    for (int64_t i = 0; i < w; ++i) {
      uint32_t word;
      std::memcpy(&word, wire + r * w + i, 4);
      dst[2 * i] = from_bf16(static_cast<uint16_t>(word & 0xffffu));
      if (2 * i + 1 < cols) dst[2 * i + 1] = from_bf16(static_cast<uint16_t>(word >> 16));
    }
  }
}

}  // namespace paramoe::cpu
