#pragma once
#include <chrono>
#include <vector>

namespace paramoe {

inline double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// Runs f once to warm up, then `repeats` times; the seconds of each timed run.
template <class F>
std::vector<double> time_repeats(int repeats, F&& f) {
  f();
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const double t0 = now_seconds();
    f();
    t.push_back(now_seconds() - t0);
  }
  return t;
}

}  // namespace paramoe
