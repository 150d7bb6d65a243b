#pragma once
// Table entries for the routing steps that have a CPU kernel but no GPU kernel
// yet (none was written without a GPU to check it): the inputs come to the host,
// the CPU's kernel runs there, and its output goes back. Instantiated on the
// GPU's transfers (cuda_device_ops.cpp) and on the host's (the emulated GPU's
// table, cpu_device_ops.cpp), so that CI runs this composition too. Each moves
// what the whole routing moved before the plan lived in the device's memory; a
// GPU kernel pair replaces an entry without touching its callers.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cpu/dispatch_ops.h"
#include "kernels/cpu/router_ops.h"

namespace paramoe {

// Download and Upload: DeviceMemory's download and upload, as constants.
template <auto Download, auto Upload>
struct ViaHost {
  template <class T>
  static std::vector<T> get(const T* src, int64_t n) {
    std::vector<T> host(static_cast<size_t>(n));
    if (n > 0) Download(src, host.size() * sizeof(T), host.data());
    return host;
  }
  template <class T>
  static void put(const std::vector<T>& host, T* dst) {
    if (!host.empty()) Upload(host.data(), host.size() * sizeof(T), dst);
  }

  static void choice_counts(const int32_t* expert, int64_t tokens, int k, int num_experts,
                            int32_t* counts) {
    std::vector<int32_t> c(static_cast<size_t>(k) * num_experts);
    cpu::choice_counts(get(expert, tokens * k).data(), tokens, k, num_experts, c.data());
    put(c, counts);
  }
  static void apply_capacity(const int32_t* expert, int64_t tokens, int k, int num_experts,
                             const int64_t* first, int64_t capacity, uint8_t* kept) {
    std::vector<uint8_t> h(static_cast<size_t>(tokens * k));
    cpu::apply_capacity(get(expert, tokens * k).data(), tokens, k, num_experts,
                        get(first, int64_t{k} * num_experts).data(), capacity, h.data());
    put(h, kept);
  }
  static void router_stats(const float* probs, const float* lse, const int32_t* expert,
                           const uint8_t* kept, int64_t tokens, int k, int num_experts,
                           double* stats) {
    std::vector<double> s(2 * static_cast<size_t>(num_experts) + 3);
    cpu::router_stats(get(probs, tokens * num_experts).data(), get(lse, tokens).data(),
                      get(expert, tokens * k).data(), get(kept, tokens * k).data(), tokens, k,
                      num_experts, s.data());
    put(s, stats);
  }
  static void layout_order(const int32_t* counts, int blocks, int peers, int local_experts,
                           int32_t* sorted_from) {
    const std::vector<int32_t> c = get(counts, int64_t{blocks} * peers * local_experts);
    int64_t rows = 0;
    for (int32_t n : c) rows += n;
    std::vector<int32_t> from(static_cast<size_t>(rows));
    cpu::layout_order(c.data(), blocks, peers, local_experts, from.data());
    put(from, sorted_from);
  }
};

}  // namespace paramoe
