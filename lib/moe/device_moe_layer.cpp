#include "moe/device_moe_layer.h"

#include <cmath>
#include <numeric>
#include <type_traits>

#include "core/error.h"
#include "kernels/cuda/dispatch_ops.h"
#include "kernels/cuda/row_ops.h"

namespace paramoe {

namespace {

// Copies or casts n values between storage types on the device.
template <class A, class B>
void convert(const A* from, int64_t n, B* to) {
  if constexpr (std::is_same_v<A, B>) {
    PARAMOE_CUDA_CHECK(cudaMemcpyAsync(to, from, n * sizeof(A), cudaMemcpyDeviceToDevice));
  } else {
    cuda::cast(from, n, to);
  }
}

}  // namespace

template <class T>
DeviceMoeLayer<T>::DeviceMoeLayer(const MoeConfig& cfg, cuda::ExpertGemm how)
    : cfg_(cfg), how_(how), D_(cfg.d_model), H_(cfg.d_hidden), E_(cfg.num_experts), k_(cfg.top_k) {
  if (cfg.capacity_factor > 0)
    throw Error("moe.capacity_factor: the GPU layer is dropless; expected 0, got " +
                std::to_string(cfg.capacity_factor));
  std::vector<int32_t> identity(E_);
  std::iota(identity.begin(), identity.end(), 0);
  identity_ = cuda::DeviceBuffer<int32_t>(identity);
  counts_ = cuda::DeviceBuffer<int64_t>(E_);
  dwg_ = cuda::DeviceBuffer<float>(D_ * E_);
}

template <class T>
void DeviceMoeLayer<T>::set_params(const std::map<std::string, std::vector<float>>& host) {
  std::map<std::string, std::vector<int64_t>> shapes = {{"wg", {D_, E_}},
                                                        {"w1", {E_, D_, H_}},
                                                        {"b1", {E_, H_}},
                                                        {"w2", {E_, H_, D_}},
                                                        {"b2", {E_, D_}}};
  if (cfg_.swiglu()) {
    shapes["w3"] = {E_, D_, H_};
    shapes["b3"] = {E_, H_};
  }
  for (const auto& [name, shape] : shapes) {
    auto it = host.find(name);
    const int64_t n = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
    if (it == host.end()) throw Error("GPU MoE layer: parameter " + name + " is missing");
    if (static_cast<int64_t>(it->second.size()) != n)
      throw Error("GPU MoE layer: parameter " + name + " has " + std::to_string(it->second.size()) +
                  " values, expected " + std::to_string(n));
    if (name == "wg") {
      wg_ = cuda::DeviceBuffer<float>(it->second);
      continue;
    }
    Weight wt;
    wt.shape = shape;
    wt.master = cuda::DeviceBuffer<float>(it->second);
    wt.value = cuda::DeviceBuffer<T>(n);
    wt.grad = cuda::DeviceBuffer<T>(n);
    convert(wt.master.data(), n, wt.value.data());
    weights_[name] = std::move(wt);
  }
}

template <class T>
std::map<std::string, std::vector<float>> DeviceMoeLayer<T>::grads() const {
  std::map<std::string, std::vector<float>> out;
  out["dwg"] = dwg_.download();
  for (const auto& [name, wt] : weights_) {
    cuda::DeviceBuffer<float> f(wt.grad.size());
    convert(wt.grad.data(), static_cast<int64_t>(wt.grad.size()), f.data());
    out["d" + name] = f.download();
  }
  return out;
}

template <class T>
DeviceExpertWeights<T> DeviceMoeLayer<T>::expert_weights() {
  const bool s = cfg_.swiglu();
  return {v("w1"), v("b1"), s ? v("w3") : nullptr, s ? v("b3") : nullptr, v("w2"), v("b2")};
}

template <class T>
void DeviceMoeLayer<T>::forward(const T* x, int64_t tokens, T* y) {
  const int64_t Tn = tokens, A = Tn * k_;
  tokens_ = Tn;
  // Router in fp32 on a saved fp32 copy of x (backward needs it for dWg).
  xf_.fit(Tn * D_);
  convert(x, Tn * D_, xf_.data());
  router_.forward(xf_.data(), Tn, wg_.data(), cfg_);

  // Dispatch: dropless, so every assignment is kept; experts are their own slots.
  kept_.fit(A);
  send_pos_.fit(A);
  send_token_.fit(A);
  if (A) PARAMOE_CUDA_CHECK(cudaMemsetAsync(kept_.data(), 1, A));
  cuda::dispatch_positions(router_.expert(), kept_.data(), Tn, static_cast<int>(k_),
                           identity_.data(), static_cast<int>(E_), counts_.data(), send_pos_.data(),
                           send_token_.data());
  const std::vector<int64_t> counts = counts_.download();  // the GEMM shapes, on the host
  offsets_.assign(E_ + 1, 0);
  std::partial_sum(counts.begin(), counts.end(), offsets_.begin() + 1);
  const int64_t N = offsets_.back();

  xs_.fit(N * D_);
  cuda::gather_rows(x, send_token_.data(), N, D_, xs_.data());
  out_.fit(N * D_);
  const ExpertDims dims{E_, D_, H_, cfg_.swiglu()};
  device_expert_ffn_forward(dims, expert_weights(), xs_.data(), offsets_, true, experts_,
                            out_.data(), how_);
  if (Tn) PARAMOE_CUDA_CHECK(cudaMemsetAsync(y, 0, Tn * D_ * sizeof(T)));
  cuda::combine_rows(out_.data(), send_pos_.data(), router_.weight(), Tn, static_cast<int>(k_), D_,
                     y);

  // Losses from E per-expert sums and T log-sum-exps (small host work).
  psum_.fit(E_);
  const int64_t all[2] = {0, Tn};
  cuda::ess(router_.probs(), all, 1, E_, false, psum_.data());
  const std::vector<float> prob_sum = psum_.download(E_);
  std::vector<float> lse(Tn);
  if (Tn)
    PARAMOE_CUDA_CHECK(
        cudaMemcpy(lse.data(), router_.lse(), Tn * sizeof(float), cudaMemcpyDeviceToHost));
  // The router's global statistics (router_local_stats' layout; nothing dropped),
  // and the losses from them as the distributed layer computes them.
  std::vector<double> stats(2 * E_ + 3, 0.0);
  for (int64_t e = 0; e < E_; ++e) {
    stats[e] = static_cast<double>(counts[e]);
    stats[E_ + e] = prob_sum[e];
  }
  stats[2 * E_] = static_cast<double>(Tn);
  for (float l : lse) stats[2 * E_ + 1] += static_cast<double>(l) * l;
  losses_.num_experts = static_cast<int>(E_);
  losses_.k = static_cast<int>(k_);
  router_set_losses(losses_, stats, cfg_);
}

template <class T>
void DeviceMoeLayer<T>::backward(const T* dy, T* dx) {
  const int64_t Tn = tokens_, A = Tn * k_, N = offsets_.back();
  const int k = static_cast<int>(k_);
  // Scratch grows to the largest batch and is reused: no cudaMalloc/cudaFree (which
  // synchronise the device) per step once the sizes settle.
  for (auto* b : {&dout_, &dxs_}) b->fit(N * D_);
  dweight_.fit(A);
  cuda::combine_rows_backward(dy, out_.data(), send_pos_.data(), router_.weight(), Tn, k, D_,
                              dout_.data(), dweight_.data());
  const ExpertDims dims{E_, D_, H_, cfg_.swiglu()};
  const bool s = cfg_.swiglu();
  const DeviceExpertGrads<T> grads{g("w1"), g("b1"), s ? g("w3") : nullptr, s ? g("b3") : nullptr,
                                   g("w2"), g("b2")};
  device_expert_ffn_backward(dims, expert_weights(), xs_.data(), dout_.data(), offsets_, false,
                             grads, experts_, dxs_.data(), how_);

  // Router backward in fp32: gate weights, load-balancing and z losses.
  dxf_.fit(Tn * D_);
  router_.backward(xf_.data(), wg_.data(), dweight_.data(), router_aux_grad(losses_, cfg_),
                   router_zloss_scale(losses_, cfg_), cfg_, false, dxf_.data(), dwg_.data());
  // dx = router part + Σ over each token's choices of its rows' input gradients
  // (a combine with unit weights: deterministic, no atomics).
  dxs_f_.fit(N * D_);
  convert(dxs_.data(), N * D_, dxs_f_.data());
  if (ones_.size() < static_cast<size_t>(A))
    ones_ = cuda::DeviceBuffer<float>(std::vector<float>(A, 1.0f));
  cuda::combine_rows(dxs_f_.data(), send_pos_.data(), ones_.data(), Tn, k, D_, dxf_.data());
  convert(dxf_.data(), Tn * D_, dx);
}

template class DeviceMoeLayer<float>;
template class DeviceMoeLayer<cuda::bf16>;

}  // namespace paramoe
