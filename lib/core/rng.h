#pragma once
// Counter-based random numbers: a value depends only on (seed, stream, index), so
// every rank can draw its own slice of a global tensor and get exactly the values
// a single rank would have drawn for the whole tensor, whatever the layout.
#include <cmath>
#include <cstdint>
#include <string_view>

namespace paramoe {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t stream_id(std::string_view name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// Uniform in [0, 1).
inline double uniform01(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t h = splitmix64(seed ^ splitmix64(stream ^ splitmix64(index)));
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

// Standard normal (Box-Muller on two counter draws).
inline double normal01(uint64_t seed, uint64_t stream, uint64_t index) {
  double u1 = uniform01(seed, stream, 2 * index);
  double u2 = uniform01(seed, stream, 2 * index + 1);
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace paramoe
