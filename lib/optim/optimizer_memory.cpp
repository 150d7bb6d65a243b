#include "optim/optimizer_memory.h"

#include <algorithm>

namespace paramoe {

float* OptimizerMemory::mirror(std::vector<float>& host) {
  if (ops_.host) return host.data();
  float* d = owned_.emplace_back().fit(ops_.memory, host.size());
  upload(host.data(), static_cast<int64_t>(host.size()), d);
  return d;
}

void OptimizerMemory::upload(const float* host, int64_t n, float* dst) {
  if (dst != host) paramoe::upload(ops_.memory, host, n, dst);
}

void OptimizerMemory::download(const float* src, int64_t n, float* host) {
  if (host != src) paramoe::download(ops_.memory, src, n, host);
}

void OptimizerMemory::copy(const float* src, int64_t n, float* dst) {
  paramoe::copy(ops_.memory, src, n, dst);
}

void OptimizerMemory::zero(float* x, int64_t n) {
  paramoe::zero(ops_.memory, x, n);
}

std::vector<double> OptimizerMemory::sum_squares(const std::vector<const float*>& x,
                                                 const std::vector<int64_t>& n) {
  std::vector<double> out(x.size());
  double* sums = ops_.host ? out.data() : sums_.fit(ops_.memory, x.size());
  for (size_t i = 0; i < x.size(); ++i) ops_.sum_squares(x[i], n[i], sums + i);
  if (!ops_.host) paramoe::download(ops_.memory, sums, x.size(), out.data());
  return out;
}

std::unique_ptr<OptimizerMemory> make_host_optimizer_memory() {
  return std::make_unique<OptimizerMemory>(cpu_device_ops());
}

void zero_grads(const std::vector<ResidentParam>& params, OptimizerMemory& mem) {
  for (const ResidentParam& r : params)
    mem.zero(r.grad, static_cast<int64_t>(r.param->grad.size()));
}

}  // namespace paramoe
