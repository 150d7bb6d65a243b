#include "ckpt/checksum.h"

#include <cstring>

#include "core/rng.h"
#include "core/slab.h"

namespace paramoe {

uint64_t fnv1a64(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t checksum_slab(const float* data, const std::vector<int64_t>& global_shape,
                       const std::vector<int64_t>& offset, const std::vector<int64_t>& shape,
                       const std::vector<int64_t>& dim0) {
  uint64_t sum = 0;
  for_each_slab_row(global_shape, offset, shape, dim0, [&](int64_t l, int64_t g, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      uint32_t bits;
      std::memcpy(&bits, data + l + i, sizeof bits);
      sum += splitmix64((static_cast<uint64_t>(g + i) * 0x9E3779B97F4A7C15ull) ^ bits);
    }
  });
  return sum;
}

}  // namespace paramoe
