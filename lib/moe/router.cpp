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

template <class T>
void download(const DeviceOps& ops, const DeviceArray<T>& a, int64_t n, std::vector<T>& host) {
  host.resize(n);
  ops.memory.download(a.data(), n * sizeof(T), host.data());
}

}  // namespace

void router_forward(const DeviceOps& ops, const float* x, int64_t T, int64_t D, const float* wg,
                    const MoeConfig& cfg, RouterTensors& t, const float* bias,
                    const RoutingSkew* skew) {
  const int64_t E = cfg.num_experts, k = cfg.top_k;
  t.tokens = T;
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

void router_to_host(const DeviceOps& ops, const RouterTensors& t, const MoeConfig& cfg,
                    Routing& r) {
  const int64_t T = t.tokens, E = cfg.num_experts, k = cfg.top_k;
  r.tokens = T;
  r.k = cfg.top_k;
  r.num_experts = cfg.num_experts;
  download(ops, t.probs, T * E, r.probs);
  download(ops, t.lse, T, r.lse);
  download(ops, t.expert, T * k, r.expert);
  download(ops, t.topk, T * k, r.topk_prob);
  download(ops, t.weight, T * k, r.weight);
  r.kept.assign(T * k, 1);
}

void router_forward_local(const float* x, int64_t T, int64_t D, const float* wg,
                          const MoeConfig& cfg, Routing& r, const float* bias,
                          const RoutingSkew* skew) {
  const DeviceOps& ops = cpu_device_ops();
  RouterTensors t;
  router_forward(ops, x, T, D, wg, cfg, t, bias, skew);
  router_to_host(ops, t, cfg, r);
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

std::vector<int> router_choice_counts(const Routing& r) {
  std::vector<int> c(r.k * r.num_experts, 0);
  for (int64_t t = 0; t < r.tokens; ++t)
    for (int j = 0; j < r.k; ++j) ++c[j * r.num_experts + r.expert[t * r.k + j]];
  return c;
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

void router_apply_capacity(Routing& r, const std::vector<int>& before,
                           const std::vector<int>& total, int64_t capacity) {
  const int E = r.num_experts, k = r.k;
  std::vector<int64_t> seen(E, 0);  // Σ_{j'<j} total[j'][e], built choice by choice
  for (int j = 0; j < k; ++j) {
    std::vector<int64_t> local(E, 0);
    for (int64_t t = 0; t < r.tokens; ++t) {
      const int e = r.expert[t * k + j];
      const int64_t position = seen[e] + before[j * E + e] + local[e]++;
      r.kept[t * k + j] = position < capacity ? 1 : 0;
    }
    for (int e = 0; e < E; ++e) seen[e] += total[j * E + e];
  }
}

std::vector<double> router_local_stats(const Routing& r) {
  const int E = r.num_experts;
  std::vector<double> s(2 * E + 3, 0.0);
  for (int64_t t = 0; t < r.tokens; ++t) {
    for (int j = 0; j < r.k; ++j) {
      s[r.expert[t * r.k + j]] += 1.0;
      if (!r.kept[t * r.k + j]) s[2 * E + 2] += 1.0;
    }
    for (int e = 0; e < E; ++e) s[E + e] += r.probs[t * E + e];
    s[2 * E + 1] += static_cast<double>(r.lse[t]) * r.lse[t];
  }
  s[2 * E] = static_cast<double>(r.tokens);
  return s;
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
