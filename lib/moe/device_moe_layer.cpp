#include "moe/device_moe_layer.h"

#include <cmath>
#include <numeric>
#include <type_traits>

#include "core/error.h"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/dispatch_ops.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/router_ops.h"
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
void DeviceMoeLayer<T>::forward(const T* x, int64_t tokens, T* y) {
  const int64_t Tn = tokens, A = Tn * k_;
  tokens_ = Tn;
  // Router in fp32 on a saved fp32 copy of x (backward needs it for dWg).
  xf_.fit(Tn * D_);
  convert(x, Tn * D_, xf_.data());
  logits_.fit(Tn * E_);
  probs_.fit(Tn * E_);
  lse_.fit(Tn);
  cuda::gemm(false, false, Tn, E_, D_, 1.0f, xf_.data(), D_, wg_.data(), E_, 0.0f, logits_.data(),
             E_);
  cuda::softmax_lse_forward(logits_.data(), Tn, E_, probs_.data(), lse_.data());
  expert_.fit(A);
  topk_.fit(A);
  weight_.fit(A);
  cuda::topk_rows(probs_.data(), Tn, E_, k_, expert_.data(), topk_.data());
  if (cfg_.renormalize)
    cuda::topk_renormalize(topk_.data(), Tn, static_cast<int>(k_), weight_.data());
  else
    convert(topk_.data(), A, weight_.data());

  // Dispatch: dropless, so every assignment is kept; experts are their own slots.
  kept_.fit(A);
  send_pos_.fit(A);
  send_token_.fit(A);
  if (A) PARAMOE_CUDA_CHECK(cudaMemsetAsync(kept_.data(), 1, A));
  cuda::dispatch_positions(expert_.data(), kept_.data(), Tn, static_cast<int>(k_), identity_.data(),
                           static_cast<int>(E_), counts_.data(), send_pos_.data(),
                           send_token_.data());
  const std::vector<int64_t> counts = counts_.download();  // the GEMM shapes, on the host
  offsets_.assign(E_ + 1, 0);
  std::partial_sum(counts.begin(), counts.end(), offsets_.begin() + 1);
  const int64_t N = offsets_.back();

  xs_.fit(N * D_);
  cuda::gather_rows(x, send_token_.data(), N, D_, xs_.data());
  a_.fit(N * H_);
  h_.fit(N * H_);
  cuda::esmm(xs_.data(), v("w1"), v("b1"), offsets_.data(), E_, D_, H_, false, false, a_.data(),
             nullptr, how_);
  if (cfg_.swiglu()) {
    gate_.fit(N * H_);
    cuda::esmm(xs_.data(), v("w3"), v("b3"), offsets_.data(), E_, D_, H_, false, false,
               gate_.data(), nullptr, how_);
    cuda::swiglu_forward(a_.data(), gate_.data(), N * H_, h_.data());
  } else {
    cuda::gelu_forward(a_.data(), N * H_, h_.data());
  }
  out_.fit(N * D_);
  cuda::esmm(h_.data(), v("w2"), v("b2"), offsets_.data(), E_, H_, D_, false, false, out_.data(),
             nullptr, how_);
  if (Tn) PARAMOE_CUDA_CHECK(cudaMemsetAsync(y, 0, Tn * D_ * sizeof(T)));
  cuda::combine_rows(out_.data(), send_pos_.data(), weight_.data(), Tn, static_cast<int>(k_), D_,
                     y);

  // Losses from E per-expert sums and T log-sum-exps (small host work).
  psum_.fit(E_);
  const int64_t all[2] = {0, Tn};
  cuda::ess(probs_.data(), all, 1, E_, false, psum_.data());
  const std::vector<float> prob_sum = psum_.download(E_);
  const std::vector<float> lse = lse_.download(Tn);
  tokens_global_ = static_cast<float>(Tn);
  frac_.assign(E_, 0.0f);
  double aux = 0.0, z = 0.0;
  for (float l : lse) z += static_cast<double>(l) * l;
  for (int64_t e = 0; e < E_ && Tn; ++e) {
    frac_[e] = static_cast<float>(static_cast<double>(counts[e]) / (static_cast<double>(Tn) * k_));
    aux += static_cast<double>(frac_[e]) * prob_sum[e] / Tn;
  }
  aux_loss_ = Tn ? static_cast<float>(cfg_.aux_loss_coef * E_ * aux) : 0.0f;
  z_loss_ = Tn ? static_cast<float>(cfg_.z_loss_coef * z / Tn) : 0.0f;
}

template <class T>
void DeviceMoeLayer<T>::backward(const T* dy, T* dx) {
  const int64_t Tn = tokens_, A = Tn * k_, N = offsets_.back();
  const int64_t* off = offsets_.data();
  const int k = static_cast<int>(k_);
  // Scratch grows to the largest batch and is reused: no cudaMalloc/cudaFree (which
  // synchronise the device) per step once the sizes settle.
  for (auto* b : {&dout_, &dxs_}) b->fit(N * D_);
  for (auto* b : {&dh_, &da_, &dg_}) b->fit(N * H_);
  T *dout = dout_.data(), *dh = dh_.data(), *da = da_.data(), *dg = dg_.data(), *dxs = dxs_.data();
  dweight_.fit(A);
  cuda::combine_rows_backward(dy, out_.data(), send_pos_.data(), weight_.data(), Tn, k, D_, dout,
                              dweight_.data());
  // The expert FFN backward, as expert_ffn_backward on the CPU.
  cuda::estmm(h_.data(), dout, off, E_, H_, D_, false, g("w2"), nullptr, how_);
  cuda::ess(dout, off, E_, D_, false, g("b2"));
  cuda::esmm(dout, v("w2"), nullptr, off, E_, D_, H_, true, false, dh, nullptr, how_);
  if (cfg_.swiglu()) {
    cuda::swiglu_backward(a_.data(), gate_.data(), dh, N * H_, da, dg);
    cuda::estmm(xs_.data(), dg, off, E_, D_, H_, false, g("w3"), nullptr, how_);
    cuda::ess(dg, off, E_, H_, false, g("b3"));
    cuda::esmm(dg, v("w3"), nullptr, off, E_, H_, D_, true, false, dxs, nullptr, how_);
  } else {
    cuda::gelu_backward(a_.data(), dh, N * H_, da);
  }
  cuda::estmm(xs_.data(), da, off, E_, D_, H_, false, g("w1"), nullptr, how_);
  cuda::ess(da, off, E_, H_, false, g("b1"));
  cuda::esmm(da, v("w1"), nullptr, off, E_, H_, D_, true, cfg_.swiglu(), dxs, nullptr, how_);

  // Router backward in fp32: gate weights, load-balancing and z losses.
  std::vector<float> aux_grad(E_);
  for (int64_t e = 0; e < E_; ++e)
    aux_grad[e] = static_cast<float>(cfg_.aux_loss_coef * E_ * frac_[e] / tokens_global_);
  daux_.fit(E_);
  daux_.upload(aux_grad);
  for (auto* b : {&dprobs_, &dlogits_}) b->fit(Tn * E_);
  dxf_.fit(Tn * D_);
  float *dprobs = dprobs_.data(), *dlogits = dlogits_.data(), *dxf = dxf_.data();
  cuda::router_dprobs(dweight_.data(), expert_.data(), topk_.data(), weight_.data(), Tn, E_, k,
                      cfg_.renormalize, daux_.data(), dprobs);
  cuda::softmax_backward(probs_.data(), dprobs, Tn, E_, dlogits);
  cuda::zloss_backward(probs_.data(), lse_.data(), Tn, E_,
                       static_cast<float>(2.0 * cfg_.z_loss_coef / tokens_global_), dlogits);
  cuda::gemm(false, true, Tn, D_, E_, 1.0f, dlogits, E_, wg_.data(), E_, 0.0f, dxf, D_);
  cuda::gemm(true, false, D_, E_, Tn, 1.0f, xf_.data(), D_, dlogits, E_, 0.0f, dwg_.data(), E_);
  // dx = router part + Σ over each token's choices of its rows' input gradients
  // (a combine with unit weights: deterministic, no atomics).
  dxs_f_.fit(N * D_);
  convert(dxs, N * D_, dxs_f_.data());
  if (ones_.size() < static_cast<size_t>(A))
    ones_ = cuda::DeviceBuffer<float>(std::vector<float>(A, 1.0f));
  cuda::combine_rows(dxs_f_.data(), send_pos_.data(), ones_.data(), Tn, k, D_, dxf);
  convert(dxf, Tn * D_, dx);
}

template class DeviceMoeLayer<float>;
template class DeviceMoeLayer<cuda::bf16>;

}  // namespace paramoe
