#pragma once
// The router: logits = X·Wg, softmax, top-k, optional renormalisation, capacity
// dropping by position, the load-balancing loss and the z-loss. Written once over
// a device's op table (device/device_ops.h) on tensors in its memory
// (RouterTensors): the per-token decisions stay there, and only counts and
// statistics come to the host (Routing). The functions here are local; the layer
// supplies the group-wide counts they need.
#include <cstdint>
#include <vector>

#include "core/config.h"
#include "core/routing_skew.h"
#include "device/device_array.h"
#include "device/device_ops.h"

namespace paramoe {

// The host's side of one pass's routing: its sizes and the group-wide statistics.
struct Routing {
  int64_t tokens = 0;  // local tokens T
  int k = 1;
  int num_experts = 1;
  // Global (all data-parallel tokens) statistics for the losses and their gradients.
  std::vector<float> frac;  // [E] fraction of top-k assignments per expert
  double tokens_global = 0;
  float aux_loss = 0;  // already multiplied by its coefficient
  float z_loss = 0;    // already multiplied by its coefficient
  // The weight of this pass's aux and z losses in the loss that backward
  // differentiates (1 / micro-batches under gradient accumulation).
  float loss_scale = 1;
  int64_t dropped_global = 0;
};

// The router's tensors in a device's memory: the forward's, which capacity, the
// dispatch plan and the backward read, and their scratch. They grow to the largest
// batch and are reused.
struct RouterTensors {
  int64_t tokens = 0;
  int k = 1;
  DeviceArray<float> logits, scores, probs, lse;  // [T, E], [T, E], [T, E], [T]
  DeviceArray<int32_t> expert;                    // [T, k], descending probability
  DeviceArray<float> topk, weight;  // [T, k] top-k probabilities; gate weights in the combine
  DeviceArray<uint8_t> kept;        // [T, k] 0 if dropped by capacity (router_kept)
  DeviceArray<float> dweight;       // [T, k] the gate weights' gradient (combine_rows_backward's)
  DeviceArray<float> aux_grad, dprobs, dlogits;
  DeviceArray<int32_t> counts;    // [k, E] router_choice_counts'
  DeviceArray<int64_t> first;     // [k, E] router_apply_capacity's
  DeviceArray<double> stats;      // [2E + 3] router_local_stats'
  bool capacity_applied = false;  // this pass's kept was written by a capacity
  bool kept_all_ones = false;     // kept holds ones for every assignment it has room for
};

// The per-token tensors on the host, for tests and tools.
struct RoutedTokens {
  std::vector<float> probs;      // [T, E]
  std::vector<float> lse;        // [T] log-sum-exp of the logits
  std::vector<int32_t> expert;   // [T, k], descending probability
  std::vector<float> topk_prob;  // [T, k]
  std::vector<float> weight;     // [T, k] gate weight applied in the combine
  std::vector<uint8_t> kept;     // [T, k]
};

// Logits, softmax, top-k and gate weights for T local tokens x [T, D] into t; wg is
// [D, E]; x, wg and bias in the device's memory. With `bias` ([E], moe.balance =
// "bias") the top-k is chosen on probs + bias, and the chosen experts' gate weights
// are their unbiased probabilities; a `skew` (bench.routing) offsets the same
// selection scores per token. Both run on host memory only (the config refuses
// them on the GPU).
void router_forward(const DeviceOps& ops, const float* x, int64_t tokens, int64_t d_model,
                    const float* wg, const MoeConfig& cfg, RouterTensors& t,
                    const float* bias = nullptr, const RoutingSkew* skew = nullptr);
// r's sizes for the forward in t.
void router_set_sizes(const RouterTensors& t, const MoeConfig& cfg, Routing& r);
// The per-token tensors copied to the host.
void router_to_host(const DeviceOps& ops, RouterTensors& t, const MoeConfig& cfg,
                    RoutedTokens& host);
// On the host (cpu_device_ops), for the tests and tools: routes T tokens, with no
// capacity, and sets r's statistics as if these were all the group's tokens.
RoutedTokens router_forward_local(const float* x, int64_t tokens, int64_t d_model, const float* wg,
                                  const MoeConfig& cfg, Routing& r, const float* bias = nullptr,
                                  const RoutingSkew* skew = nullptr);

// Aux-loss-free balancing (DeepSeek-V3): bias_e += rate · sign(1/E − frac_e), where
// frac is the global share of top-k assignments (r.frac, the same on every rank),
// so an overloaded expert is chosen less next step and an idle one more.
void router_update_bias(std::vector<float>& bias, const Routing& r, double rate);

// Assignment counts per (choice j, expert e), [k, E], in the order capacity uses
// (downloaded from the device).
std::vector<int> router_choice_counts(const DeviceOps& ops, RouterTensors& t, const MoeConfig& cfg);

// Drops assignments past `capacity` per expert. Assignments are ranked by choice
// first and token position second (all first choices before any second choice).
// `before` counts [k, E] of the tokens that precede this rank's in the MP group,
// `total` counts [k, E] over the whole MP group. Only they cross to the device.
void router_apply_capacity(const DeviceOps& ops, RouterTensors& t, const MoeConfig& cfg,
                           const std::vector<int>& before, const std::vector<int>& total,
                           int64_t capacity);
// The kept mask [T, k] in the device's memory: capacity's, or all ones when no
// capacity ran on this pass.
const uint8_t* router_kept(const DeviceOps& ops, RouterTensors& t);

// Capacity of each expert for an MP group of `group_tokens` tokens:
// ceil(|f| · T · k / E) for moe.capacity_factor f; for a dynamic capacity (f < 0,
// Tutel's convention) no more than the busiest expert's assignments in `total`
// (the MP group's [k, E] counts, router_choice_counts summed), so that the
// capacity is never larger than what is needed.
int64_t router_capacity(const MoeConfig& cfg, int64_t group_tokens, const std::vector<int>& total);

// Local sums [counts(E), prob sums(E), tokens, Σ lse², dropped] to be summed over the
// ranks that own distinct tokens (kernels/cpu/router_ops.h: router_stats).
std::vector<double> router_local_stats(const DeviceOps& ops, RouterTensors& t,
                                       const MoeConfig& cfg);
void router_set_losses(Routing& r, const std::vector<double>& global_stats, const MoeConfig& cfg);

// The losses' gradients: d(aux)/dP_e per expert [E] (P_e the mean probability; the
// assignment fraction is a constant), and the z-loss scale d(z)/d(lse_t) / lse_t.
std::vector<float> router_aux_grad(const Routing& r, const MoeConfig& cfg);
float router_zloss_scale(const Routing& r, const MoeConfig& cfg);

// From t.dweight and the loss gradients (r's statistics): dx += dlogits·Wgᵀ,
// dwg += xᵀ·dlogits, in the device's memory.
void router_backward(const DeviceOps& ops, RouterTensors& t, const Routing& r, const float* x,
                     int64_t d_model, const float* wg, const MoeConfig& cfg, float* dx, float* dwg);

}  // namespace paramoe
