#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "device/device_ops.h"
#include "device/via_host_ops.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/bias.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/dispatch_ops.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cpu/expert_ops.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/layernorm.h"
#include "kernels/cpu/router_ops.h"
#include "kernels/cpu/row_ops.h"
#include "kernels/cpu/wire_bf16.h"

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

void host_zero(void* p, size_t bytes) {
  if (bytes) std::memset(p, 0, bytes);
}

// upload, download and copy alike: the device's memory is the host's.
constexpr DeviceMemory kHostMemory = {host_allocate, host_release, host_copy,
                                      host_copy,     host_copy,    host_zero};

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
  // Designated and complete (-Wmissing-field-initializers), in the table's order.
  static const DeviceOps ops = {
      .name = "cpu",
      .host = true,
      .memory = kHostMemory,
      .gemm = cpu::gemm,
      .bias_add = cpu::bias_add,
      .bias_backward = cpu::bias_backward,
      .layernorm_forward = cpu::layernorm_forward,
      .layernorm_backward = cpu::layernorm_backward,
      .gelu_forward = cpu::gelu_forward,
      .gelu_backward = cpu::gelu_backward,
      .attention_forward = cpu::attention_forward,
      .attention_backward = cpu::attention_backward,
      .embedding_forward = cpu::embedding_forward,
      .embedding_backward = cpu::embedding_backward,
      .ce_row_max = cpu::ce_row_max,
      .ce_sum_exp_and_target = cpu::ce_sum_exp_and_target,
      .ce_backward = cpu::ce_backward,
      .accumulate = cpu::accumulate,
      .scale = cpu::scale,
      .sum_squares = cpu::sum_squares,
      .adamw_update = cpu::adamw_update,
      .gather_rows = cpu::gather_rows,
      .scatter_rows = cpu::scatter_rows,
      .scatter_add_rows = cpu::scatter_add_rows,
      .combine_rows = cpu::combine_rows,
      .combine_rows_backward = cpu::combine_rows_backward,
      .pack_bf16_rows = cpu::pack_bf16_rows,
      .unpack_bf16_rows = cpu::unpack_bf16_rows,
      .softmax_lse_forward = cpu::softmax_lse_forward,
      .topk_rows = cpu::topk_rows,
      .topk_renormalize = cpu::topk_renormalize,
      .router_dprobs = cpu::router_dprobs,
      .softmax_backward = cpu::softmax_backward,
      .zloss_backward = cpu::zloss_backward,
      .choice_counts = cpu::choice_counts,
      .apply_capacity = cpu::apply_capacity,
      .router_stats = cpu::router_stats,
      .dispatch_positions = cpu::dispatch_positions,
      .layout_order = cpu::layout_order,
      .expert =
          {
              .memory = kHostMemory,
              .block_rows = cpu_expert_block_rows,
              .esmm = cpu::esmm,
              .estmm = cpu::estmm,
              .ess = cpu::ess,
              .gelu_forward = cpu::gelu_forward,
              .gelu_backward = cpu::gelu_backward,
              .swiglu_forward = cpu::swiglu_forward,
              .swiglu_backward = cpu::swiglu_backward,
          },
  };
  return ops;
}

int64_t all_expert_rows(int64_t) {
  return 0;
}

const DeviceOps& emulated_gpu_device_ops() {
  static const DeviceOps ops = [] {
    DeviceOps o = cpu_device_ops();
    o.name = "emulated-gpu";
    o.host = false;
    o.expert.block_rows = all_expert_rows;
    // The routing steps the GPU runs through the host (via_host_ops.h).
    using Host = ViaHost<host_copy, host_copy>;
    o.choice_counts = Host::choice_counts;
    o.apply_capacity = Host::apply_capacity;
    o.router_stats = Host::router_stats;
    o.layout_order = Host::layout_order;
    return o;
  }();
  return ops;
}

}  // namespace paramoe
