#pragma once
// Summaries of repeated measurements. Benchmarks on a shared, noisy machine
// report medians of repeats; simulations over random inputs report means.
#include <algorithm>
#include <vector>

namespace paramoe {

inline double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace paramoe
