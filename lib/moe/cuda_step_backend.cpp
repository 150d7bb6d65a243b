#include "moe/cuda_step_backend.h"

#include "core/error.h"
#include "device/cuda_device_ops.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/row_ops.h"
#include "moe/device_backend_buffer.h"

namespace paramoe {

namespace {

int64_t rows_of(const std::vector<int32_t>& index) {
  return static_cast<int64_t>(index.size());
}

}  // namespace

CudaStepBackend::CudaStepBackend(const MoeConfig& cfg, MoeParams& params, Precision precision,
                                 cuda::ExpertGemm how)
    : cfg_(cfg), params_(params), ops_(cuda_device_ops(how)), precision_(precision), how_(how) {
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
  values_changed();
}

void CudaStepBackend::load_own_bf16() {
  if (bf16_holds_own_) return;
  bf16_.load(params_.dims(), weights());
  bf16_holds_own_ = true;
}

void CudaStepBackend::store_grads() {
  for (Param* p : params_.all()) {
    DeviceParam& d = dev_.at(p);
    const std::vector<float> g = d.grad.download();
    cpu::accumulate(g.data(), static_cast<int64_t>(g.size()), p->grad.data());
    d.grad.zero();
  }
}

float* CudaStepBackend::out(int slot, int64_t n) {
  if (slot >= std::ssize(buf_)) {
    buf_.resize(slot + 1);
    size_.resize(slot + 1, -1);
  }
  cuda::DeviceBuffer<float>& b = buf_[slot];
  b.fit(static_cast<size_t>(n));
  if (n) PARAMOE_CUDA_CHECK(cudaMemsetAsync(b.data(), 0, n * sizeof(float)));
  size_[slot] = n;
  return b.data();
}

void CudaStepBackend::copy(const float* src, int64_t n, float* dst) {
  cuda::copy_on_device(src, n, dst);
}

void CudaStepBackend::upload(const float* host, int64_t n, float* dst) {
  cuda::copy_to_device(host, n, dst);
}

void CudaStepBackend::download(const float* src, int64_t n, float* host) {
  cuda::copy_to_host(src, n, host);
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
  float* dweight = router_.dweight.fit(ops_.memory, r.tokens * r.k);
  cuda::combine_rows_backward(dy, rows, upload(pos), upload(r.weight), r.tokens, r.k, row_len,
                              drows, dweight);
}

// The host routing drives the dispatch plan, the capacity and the loss statistics
// exactly as on the CPU; the device keeps its tensors for the backward.
void CudaStepBackend::route(const float* x, int64_t T, Routing& r) {
  router_forward(ops_, x, T, cfg_.d_model, value(params_.gate), cfg_, router_);
  router_to_host(ops_, router_, cfg_, r);
}

void CudaStepBackend::router_backward(const Routing& r, const float* x, float* dx, float* dwg) {
  paramoe::router_backward(ops_, router_, r, x, cfg_.d_model, value(params_.gate), cfg_, dx, dwg);
}

void CudaStepBackend::add(const float* src, int64_t n, float* dst) {
  cuda::accumulate(src, n, dst);
}

void CudaStepBackend::accumulate_gate_grad(const float* dwg) {
  cuda::accumulate(dwg, static_cast<int64_t>(params_.gate.grad.size()), grad(params_.gate));
}

ExpertWeights CudaStepBackend::weights() {
  MoeParams& p = params_;
  const bool s = p.swiglu;
  return {value(p.w1), value(p.b1), s ? value(p.w3) : nullptr, s ? value(p.b3) : nullptr,
          value(p.w2), value(p.b2)};
}

ExpertGrads CudaStepBackend::grads() {
  MoeParams& p = params_;
  const bool s = p.swiglu;
  return {grad(p.w1), grad(p.b1), s ? grad(p.w3) : nullptr, s ? grad(p.b3) : nullptr,
          grad(p.w2), grad(p.b2)};
}

// The kernels run asynchronously on the stream and NCCL progresses on its own, so
// there is nothing to drive between blocks.
void CudaStepBackend::expert_forward(const float* xs, const std::vector<int64_t>& offsets,
                                     bool add_b2, float* out, const std::function<void()>&) {
  if (precision_ == Precision::bf16) {
    load_own_bf16();
    bf16_.forward(xs, offsets, add_b2, false, bf16_experts_, out, how_);
  } else {
    expert_ffn_forward(ops_.expert, params_.dims(), weights(), xs, offsets.data(), add_b2, experts_,
                       out);
  }
}

void CudaStepBackend::expert_backward(const float* dout, const float* xs,
                                      const std::vector<int64_t>& offsets, float* dxs,
                                      const std::function<void()>&) {
  if (precision_ == Precision::bf16) {
    load_own_bf16();
    bf16_.backward(xs, dout, offsets, bf16_experts_, grads(), false, dxs, how_);
  } else {
    expert_ffn_backward(ops_.expert, params_.dims(), weights(), xs, experts_, dout, offsets.data(),
                        grads(), dxs);
  }
}

std::unique_ptr<BackendBuffer> CudaStepBackend::new_buffer() {
  return make_device_buffer();
}

// Device to device on the compute stream, which the cache's gather waits for.
void CudaStepBackend::pack_experts(const ExpertBlock& b, float* dst) {
  for (auto [param, at] : expert_block_params(params_, b))
    copy(value(*param), static_cast<int64_t>(param->value.size()), dst + at);
}

void CudaStepBackend::add_expert_grads(const ExpertBlock& b, const float* src) {
  for (auto [param, at] : expert_block_params(params_, b))
    cuda::accumulate(src + at, static_cast<int64_t>(param->grad.size()), grad(*param));
}

// fp32 runs the gathered blocks as the CPU does (expert_blocks.h). The bf16 copy
// holds one block at a time, so each block is loaded before it runs, in the
// backward again.
void CudaStepBackend::gathered_expert_forward(const GatheredExperts& g, const float* xs,
                                              const std::vector<int64_t>& offsets, float* out) {
  if (precision_ == Precision::fp32) {
    gathered_experts_forward(ops_.expert, g, xs, offsets.data(), gathered_, out);
    return;
  }
  const int64_t D = g.block.dims.d_model;
  bf16_gathered_.resize(static_cast<size_t>(g.owners) * g.slices);
  for_each_gathered_block(
      g, offsets.data(),
      [&](int i, int s, int64_t first, const std::vector<int64_t>& local, const float* base) {
        const bool add_b2 = s == 0, accumulate = s > 0;  // the slices sum into one output
        bf16_.load(g.block.dims, expert_block_weights(g.block, base));
        bf16_holds_own_ = false;
        bf16_.forward(xs + first * D, local, add_b2, accumulate, bf16_gathered_[i], out + first * D,
                      how_);
      });
}

void CudaStepBackend::gathered_expert_backward(const GatheredExperts& g, const float* dout,
                                               const float* xs, const std::vector<int64_t>& offsets,
                                               float* grads, float* dxs) {
  if (precision_ == Precision::fp32) {
    gathered_experts_backward(ops_.expert, g, xs, gathered_, dout, offsets.data(), grads, dxs);
    return;
  }
  PARAMOE_REQUIRE(bf16_gathered_.size() == static_cast<size_t>(g.owners) * g.slices,
                  "gathered_expert_backward: no matching forward");
  const int64_t D = g.block.dims.d_model;
  for_each_gathered_block(
      g, offsets.data(),
      [&](int i, int s, int64_t first, const std::vector<int64_t>& local, const float* base) {
        bf16_.load(g.block.dims, expert_block_weights(g.block, base));
        bf16_holds_own_ = false;
        bf16_.backward(xs + first * D, dout + first * D, local, bf16_gathered_[i],
                       expert_block_grads(g.block, grads + i * g.block.size), s > 0,
                       dxs + first * D, how_);
      });
}

CudaStepBackend::Precision cuda_precision_from_string(const std::string& s) {
  if (s == "fp32") return CudaStepBackend::Precision::fp32;
  if (s == "bf16") return CudaStepBackend::Precision::bf16;
  throw Error("device.precision = \"" + s + "\": expected \"fp32\" or \"bf16\"");
}

StepBackendMaker cuda_step_backend_maker(CudaStepBackend::Precision precision,
                                         cuda::ExpertGemm how) {
  return [precision, how](const MoeConfig& cfg, MoeParams& params) -> std::unique_ptr<StepBackend> {
    return std::make_unique<CudaStepBackend>(cfg, params, precision, how);
  };
}

}  // namespace paramoe
