#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "device/device_ops.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/bias.h"
#include "kernels/cpu/expert_ops.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/router_ops.h"

namespace paramoe {

namespace {

// malloc, as std::vector's allocator does, so that buffers keep the alignment (and
// the OpenBLAS code paths) they had before the table.
void* host_allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = std::malloc(bytes);
  if (!p) throw std::bad_alloc();
  return p;
}

void host_release(void* p) {
  std::free(p);
}

void host_copy(const void* src, size_t bytes, void* dst) {
  if (bytes) std::memcpy(dst, src, bytes);
}

// The experts run one at a time, one block of rows at a time (GEMM, activation,
// GEMM back to back), so that the hidden activations one GEMM writes are still in
// cache when the next reads them, and the backward's scratch is one block's. Run
// phase by phase over all experts (each GEMM and the GELU over all N × hidden
// values in turn), the same FLOPs took 15-20% longer on one core at widths 64 to
// 1024; the blocks inside an expert add 2-5% over one block per expert below
// D = 256 (perf/bench_expert_ffn). Blocks of at least 256 rows keep OpenBLAS's
// GEMMs as efficient as whole ones (64-row blocks lost 15% at D = 1024, H = 4096).
constexpr int64_t kBlockBytes = int64_t{256} << 10;
constexpr int64_t kMinBlockRows = 256;

}  // namespace

int64_t cpu_expert_block_rows(int64_t hidden) {
  return std::max(kMinBlockRows, kBlockBytes / (hidden * static_cast<int64_t>(sizeof(float))));
}

const DeviceOps& cpu_device_ops() {
  static const DeviceOps ops = [] {
    DeviceOps o{};
    o.name = "cpu";
    o.host = true;
    o.memory = {host_allocate, host_release, host_copy, host_copy, host_copy};
    o.gemm = cpu::gemm;
    o.bias_add = cpu::bias_add;
    o.softmax_lse_forward = cpu::softmax_lse_forward;
    o.topk_rows = cpu::topk_rows;
    o.topk_renormalize = cpu::topk_renormalize;
    o.router_dprobs = cpu::router_dprobs;
    o.softmax_backward = cpu::softmax_backward;
    o.zloss_backward = cpu::zloss_backward;
    o.expert = {o.memory,
                cpu_expert_block_rows,
                cpu::esmm,
                cpu::estmm,
                cpu::ess,
                cpu::gelu_forward,
                cpu::gelu_backward,
                cpu::swiglu_forward,
                cpu::swiglu_backward};
    return o;
  }();
  return ops;
}

}  // namespace paramoe
