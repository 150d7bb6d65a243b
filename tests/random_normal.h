#pragma once
// Test inputs drawn at random (never zeros): n standard-normal floats from a seed.
#include <cstdint>
#include <random>
#include <vector>

namespace paramoe {

inline std::vector<float> randn(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

}  // namespace paramoe
