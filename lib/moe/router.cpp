#include "moe/router.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "moe/skewed_scores.h"

namespace paramoe {

namespace {

// Rows × floats in the device's memory (the arrays need not be zeroed: every
// kernel writing one writes all of it).
template <class T>
T* fit(const DeviceOps& ops, DeviceArray<T>& a, int64_t n) {
  return a.fit(ops.memory, static_cast<size_t>(n));
}

}  // namespace

void router_forward(const DeviceOps& ops, const float* x, int64_t T, int64_t D, const float* wg,
                    const MoeConfig& cfg, RouterTensors& t, const float* bias,
                    const RoutingSkew* skew) {
  const int64_t E = cfg.num_experts, k = cfg.top_k;
  t.tokens = T;
  t.k = static_cast<int>(k);
  t.capacity_applied = false;
  float* logits = fit(ops, t.logits, T * E);
  float* probs = fit(ops, t.probs, T * E);
  float* lse = fit(ops, t.lse, T);
  int32_t* expert = fit(ops, t.expert, T * k);
  float* topk = fit(ops, t.topk, T * k);
  float* weight = fit(ops, t.weight, T * k);
  if (T == 0) return;
  ops.gemm(false, false, T, E, D, 1.0f, x, D, wg, E, 0.0f, logits, E);
  ops.softmax_lse_forward(logits, T, E, probs, lse);
  const bool skewed = skew && skew->kind != RoutingSkew::Kind::Uniform;
  if (bias || skewed) {
    PARAMOE_REQUIRE(ops.host, "router_forward: a balance bias or skew needs host memory");
    float* scores = fit(ops, t.scores, T * E);
    ops.memory.copy(probs, T * E * sizeof(float), scores);
    if (bias) ops.bias_add(bias, T, E, scores);
    if (skewed) skew_scores(*skew, x, T, D, static_cast<int>(E), static_cast<int>(k), scores);
    ops.topk_rows(scores, T, E, k, expert, topk);
    for (int64_t i = 0; i < T * k; ++i) topk[i] = probs[(i / k) * E + expert[i]];
  } else {
    ops.topk_rows(probs, T, E, k, expert, topk);
  }
  if (cfg.renormalize)
    ops.topk_renormalize(topk, T, static_cast<int>(k), weight);
  else
    ops.memory.copy(topk, T * k * sizeof(float), weight);
}

void router_set_sizes(const RouterTensors& t, const MoeConfig& cfg, Routing& r) {
  r.tokens = t.tokens;
  r.k = cfg.top_k;
  r.num_experts = cfg.num_experts;
}

void router_to_host(const DeviceOps& ops, RouterTensors& t, const MoeConfig& cfg,
                    RoutedTokens& host) {
  const int64_t T = t.tokens, E = cfg.num_experts, k = cfg.top_k;
  const DeviceMemory& m = ops.memory;
  host.probs = to_host(m, t.probs.data(), T * E);
  host.lse = to_host(m, t.lse.data(), T);
  host.expert = to_host(m, t.expert.data(), T * k);
  host.topk_prob = to_host(m, t.topk.data(), T * k);
  host.weight = to_host(m, t.weight.data(), T * k);
  host.kept = to_host(m, router_kept(ops, t), T * k);
}

RoutedTokens router_forward_local(const float* x, int64_t T, int64_t D, const float* wg,
                                  const MoeConfig& cfg, Routing& r, const float* bias,
                                  const RoutingSkew* skew) {
  const DeviceOps& ops = cpu_device_ops();
  RouterTensors t;
  router_forward(ops, x, T, D, wg, cfg, t, bias, skew);
  router_set_sizes(t, cfg, r);
  router_set_losses(r, router_local_stats(ops, t, cfg), cfg);
  RoutedTokens host;
  router_to_host(ops, t, cfg, host);
  return host;
}

void router_update_bias(std::vector<float>& bias, const Routing& r, double rate) {
  const int E = r.num_experts;
  if (r.frac.size() != static_cast<size_t>(E) || r.tokens_global <= 0) return;
  const float target = 1.0f / static_cast<float>(E);
  for (int e = 0; e < E; ++e) {
    const float error = target - r.frac[e];
    if (error > 0) bias[e] += static_cast<float>(rate);
    if (error < 0) bias[e] -= static_cast<float>(rate);
  }
}

std::vector<int> router_choice_counts(const DeviceOps& ops, RouterTensors& t,
                                      const MoeConfig& cfg) {
  const int E = cfg.num_experts, k = cfg.top_k;
  int32_t* counts = fit(ops, t.counts, int64_t{k} * E);
  ops.choice_counts(t.expert.data(), t.tokens, k, E, counts);
  const std::vector<int32_t> host = to_host(ops.memory, counts, k * E);
  return {host.begin(), host.end()};
}

int64_t router_capacity(const MoeConfig& cfg, int64_t group_tokens, const std::vector<int>& total) {
  const int E = cfg.num_experts;
  const int64_t fixed = static_cast<int64_t>(
      std::ceil(std::abs(cfg.capacity_factor) * static_cast<double>(group_tokens) * cfg.top_k / E));
  if (cfg.capacity_factor > 0) return fixed;
  int64_t largest = 0;
  for (int e = 0; e < E; ++e) {
    int64_t load = 0;
    for (int j = 0; j < cfg.top_k; ++j) load += total[j * E + e];
    largest = std::max(largest, load);
  }
  return std::min(fixed, largest);
}

void router_apply_capacity(const DeviceOps& ops, RouterTensors& t, const MoeConfig& cfg,
                           const std::vector<int>& before, const std::vector<int>& total,
                           int64_t capacity) {
  const int E = cfg.num_experts, k = cfg.top_k;
  // The rank of this rank's first (j, e) assignment: the group's assignments to e
  // of earlier choices, then this choice's on the ranks before this one.
  std::vector<int64_t> first(static_cast<size_t>(k) * E);
  std::vector<int64_t> seen(E, 0);
  for (int j = 0; j < k; ++j)
    for (int e = 0; e < E; ++e) {
      first[j * E + e] = seen[e] + before[j * E + e];
      seen[e] += total[j * E + e];
    }
  int64_t* d_first = fit(ops, t.first, int64_t{k} * E);
  upload(ops.memory, first.data(), first.size(), d_first);
  ops.apply_capacity(t.expert.data(), t.tokens, k, E, d_first, capacity,
                     fit(ops, t.kept, t.tokens * k));
  t.capacity_applied = true;
  t.kept_all_ones = false;
}

const uint8_t* router_kept(const DeviceOps& ops, RouterTensors& t) {
  const int64_t n = t.tokens * t.k;
  if (t.capacity_applied) return t.kept.data();
  if (!t.kept_all_ones || t.kept.capacity() < static_cast<size_t>(n)) {
    // Once for the largest batch: dropless passes keep reading the same ones.
    uint8_t* kept = fit(ops, t.kept, n);
    const std::vector<uint8_t> ones(t.kept.capacity(), 1);
    upload(ops.memory, ones.data(), ones.size(), kept);
    t.kept_all_ones = true;
  }
  return t.kept.data();
}

std::vector<double> router_local_stats(const DeviceOps& ops, RouterTensors& t,
                                       const MoeConfig& cfg) {
  const int E = cfg.num_experts;
  const uint8_t* kept = router_kept(ops, t);
  double* stats = fit(ops, t.stats, 2 * E + 3);
  ops.router_stats(t.probs.data(), t.lse.data(), t.expert.data(), kept, t.tokens, cfg.top_k, E,
                   stats);
  return to_host(ops.memory, stats, 2 * E + 3);
}

void router_set_losses(Routing& r, const std::vector<double>& g, const MoeConfig& cfg) {
  const int E = r.num_experts;
  r.tokens_global = g[2 * E];
  r.dropped_global = static_cast<int64_t>(g[2 * E + 2]);
  r.frac.assign(E, 0.0f);
  if (r.tokens_global <= 0) {
    r.aux_loss = r.z_loss = 0.0f;
    return;
  }
  double aux = 0.0;
  for (int e = 0; e < E; ++e) {
    const double f = g[e] / (r.tokens_global * r.k);
    r.frac[e] = static_cast<float>(f);
    aux += f * g[E + e] / r.tokens_global;
  }
  r.aux_loss = static_cast<float>(cfg.aux_loss_coef * E * aux);
  r.z_loss = static_cast<float>(cfg.z_loss_coef * g[2 * E + 1] / r.tokens_global);
}

std::vector<float> router_aux_grad(const Routing& r, const MoeConfig& cfg) {
  const int E = r.num_experts;
  std::vector<float> g(E, 0.0f);
  if (r.tokens_global <= 0) return g;
  for (int e = 0; e < E; ++e)
    g[e] = static_cast<float>(r.loss_scale * cfg.aux_loss_coef * E * r.frac[e] / r.tokens_global);
  return g;
}

float router_zloss_scale(const Routing& r, const MoeConfig& cfg) {
  return r.tokens_global > 0
             ? static_cast<float>(r.loss_scale * 2.0 * cfg.z_loss_coef / r.tokens_global)
             : 0.0f;
}

void router_backward(const DeviceOps& ops, RouterTensors& t, const Routing& r, const float* x,
                     int64_t D, const float* wg, const MoeConfig& cfg, float* dx, float* dwg) {
  const int64_t T = t.tokens, E = cfg.num_experts;
  const int k = cfg.top_k;
  if (T == 0) return;  // nothing routed here: nothing to add
  const std::vector<float> aux_grad = router_aux_grad(r, cfg);
  ops.memory.upload(aux_grad.data(), E * sizeof(float), fit(ops, t.aux_grad, E));
  float* dprobs = fit(ops, t.dprobs, T * E);
  float* dlogits = fit(ops, t.dlogits, T * E);
  ops.router_dprobs(t.dweight.data(), t.expert.data(), t.topk.data(), t.weight.data(), T, E, k,
                    cfg.renormalize, t.aux_grad.data(), dprobs);
  ops.softmax_backward(t.probs.data(), dprobs, T, E, dlogits);
  ops.zloss_backward(t.probs.data(), t.lse.data(), T, E, router_zloss_scale(r, cfg), dlogits);
  ops.gemm(false, true, T, D, E, 1.0f, dlogits, E, wg, E, 1.0f, dx, D);
  ops.gemm(true, false, D, E, T, 1.0f, x, D, dlogits, E, 1.0f, dwg, E);
}

}  // namespace paramoe
