#include "moe/cuda_step_backend.h"

#include "core/error.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/row_ops.h"

namespace paramoe {

namespace {

int64_t rows_of(const std::vector<int32_t>& index) {
  return static_cast<int64_t>(index.size());
}

template <class T>
std::vector<T> to_host(const T* device, int64_t n) {
  std::vector<T> host(n);
  if (n) PARAMOE_CUDA_CHECK(cudaMemcpy(host.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost));
  return host;
}

}  // namespace

CudaStepBackend::CudaStepBackend(const MoeConfig& cfg, MoeParams& params, cuda::ExpertGemm how)
    : cfg_(cfg), params_(params), how_(how) {
  for (Param* p : params_.all()) {
    DeviceParam d;
    d.value = cuda::DeviceBuffer<float>(p->value.size());
    d.grad = cuda::DeviceBuffer<float>(p->grad.size());
    d.grad.zero();
    dev_.emplace(p, std::move(d));
  }
  load_params();
}

void CudaStepBackend::load_params() {
  for (Param* p : params_.all()) dev_.at(p).value.upload(p->value);
}

void CudaStepBackend::store_grads() {
  for (Param* p : params_.all()) {
    DeviceParam& d = dev_.at(p);
    const std::vector<float> g = d.grad.download();
    cpu::accumulate(g.data(), static_cast<int64_t>(g.size()), p->grad.data());
    d.grad.zero();
  }
}

float* CudaStepBackend::out(const std::string& name, int64_t n) {
  auto& b = buf_[name];
  b.fit(static_cast<size_t>(n));
  if (n) PARAMOE_CUDA_CHECK(cudaMemsetAsync(b.data(), 0, n * sizeof(float)));
  size_[name] = n;
  return b.data();
}

float* CudaStepBackend::data(const std::string& name) {
  if (!size_.count(name))
    throw Error("schedule step reads buffer \"" + name + "\" that no earlier step wrote");
  return buf_.at(name).data();
}

int64_t CudaStepBackend::size(const std::string& name) const {
  auto it = size_.find(name);
  return it == size_.end() ? 0 : it->second;
}

void CudaStepBackend::copy(const float* src, int64_t n, float* dst) {
  if (n) PARAMOE_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice));
}

void CudaStepBackend::upload(const float* host, int64_t n, float* dst) {
  if (n) PARAMOE_CUDA_CHECK(cudaMemcpy(dst, host, n * sizeof(float), cudaMemcpyHostToDevice));
}

void CudaStepBackend::download(const float* src, int64_t n, float* host) {
  if (n) PARAMOE_CUDA_CHECK(cudaMemcpy(host, src, n * sizeof(float), cudaMemcpyDeviceToHost));
}

// A synchronous copy on the legacy default stream runs after the kernels queued
// before it, so one scratch buffer per kind is never overwritten while in use.
const int32_t* CudaStepBackend::upload(const std::vector<int32_t>& host) {
  index_.fit(host.size());
  if (!host.empty())
    PARAMOE_CUDA_CHECK(cudaMemcpy(index_.data(), host.data(), host.size() * sizeof(int32_t),
                                  cudaMemcpyHostToDevice));
  return index_.data();
}

const float* CudaStepBackend::upload(const std::vector<float>& host) {
  weight_.fit(host.size());
  if (!host.empty())
    PARAMOE_CUDA_CHECK(cudaMemcpy(weight_.data(), host.data(), host.size() * sizeof(float),
                                  cudaMemcpyHostToDevice));
  return weight_.data();
}

void CudaStepBackend::gather_rows(const float* src, const std::vector<int32_t>& index,
                                  int64_t row_len, float* dst) {
  cuda::gather_rows(src, upload(index), rows_of(index), row_len, dst);
}

void CudaStepBackend::scatter_rows(const float* src, const std::vector<int32_t>& index,
                                   int64_t row_len, float* dst) {
  cuda::scatter_rows(src, upload(index), rows_of(index), row_len, dst);
}

void CudaStepBackend::scatter_add_rows(const float* src, const std::vector<int32_t>& index,
                                       int64_t row_len, float* dst) {
  cuda::scatter_add_rows(src, upload(index), rows_of(index), row_len, dst);
}

void CudaStepBackend::combine_rows(const float* rows, const std::vector<int32_t>& pos,
                                   const Routing& r, int64_t row_len, float* y) {
  cuda::combine_rows(rows, upload(pos), upload(r.weight), r.tokens, r.k, row_len, y);
}

void CudaStepBackend::combine_rows_backward(const float* dy, const float* rows,
                                            const std::vector<int32_t>& pos, Routing& r,
                                            int64_t row_len, float* drows) {
  const int64_t A = r.tokens * r.k;
  dweight_.fit(A);
  cuda::combine_rows_backward(dy, rows, upload(pos), upload(r.weight), r.tokens, r.k, row_len,
                              drows, dweight_.data());
}

void CudaStepBackend::route(const float* x, int64_t T, Routing& r) {
  router_.forward(x, T, value(params_.gate), cfg_);
  const int E = cfg_.num_experts, k = cfg_.top_k;
  r.tokens = T;
  r.k = k;
  r.num_experts = E;
  // The host routing drives the dispatch plan, the capacity and the loss statistics
  // exactly as on the CPU; the device keeps its own copy for the backward.
  r.probs = to_host(router_.probs(), T * E);
  r.lse = to_host(router_.lse(), T);
  r.expert = to_host(router_.expert(), T * k);
  r.topk_prob = to_host(router_.topk(), T * k);
  r.weight = to_host(router_.weight(), T * k);
  r.kept.assign(T * k, 1);
  r.dweight.clear();  // kept on the device (combine_rows_backward)
}

void CudaStepBackend::router_backward(const Routing& r, const float* x, float* dx, float* dwg) {
  router_.backward(x, value(params_.gate), dweight_.data(), router_aux_grad(r, cfg_),
                   router_zloss_scale(r, cfg_), cfg_, true, dx, dwg);
}

void CudaStepBackend::accumulate_gate_grad(const float* dwg) {
  cuda::accumulate(dwg, static_cast<int64_t>(params_.gate.grad.size()), grad(params_.gate));
}

DeviceExpertWeights<float> CudaStepBackend::weights() {
  MoeParams& p = params_;
  const bool s = p.swiglu;
  return {value(p.w1), value(p.b1), s ? value(p.w3) : nullptr, s ? value(p.b3) : nullptr,
          value(p.w2), value(p.b2)};
}

void CudaStepBackend::expert_forward(const float* xs, const std::vector<int64_t>& offsets,
                                     bool add_b2, float* out) {
  device_expert_ffn_forward(params_.dims(), weights(), xs, offsets, add_b2, experts_, out, how_);
}

void CudaStepBackend::expert_backward(const float* dout, const float* xs,
                                      const std::vector<int64_t>& offsets, float* dxs) {
  MoeParams& p = params_;
  const bool s = p.swiglu;
  const DeviceExpertGrads<float> g{
      grad(p.w1), grad(p.b1), s ? grad(p.w3) : nullptr, s ? grad(p.b3) : nullptr,
      grad(p.w2), grad(p.b2)};
  device_expert_ffn_backward(p.dims(), weights(), xs, dout, offsets, true, g, experts_, dxs, how_);
}

void CudaStepBackend::gathered_expert_forward(const GatheredExperts&, const float*,
                                              const std::vector<int64_t>&, float*) {
  throw Error("moe.expert_mode = \"data-centric\" is not implemented on the CUDA backend");
}

void CudaStepBackend::gathered_expert_backward(const GatheredExperts&, const float*, const float*,
                                               const std::vector<int64_t>&, float*, float*) {
  throw Error("moe.expert_mode = \"data-centric\" is not implemented on the CUDA backend");
}

std::unique_ptr<StepBackend> make_cuda_step_backend(const MoeConfig& cfg, MoeParams& params) {
  return std::make_unique<CudaStepBackend>(cfg, params);
}

}  // namespace paramoe
