#pragma once
// The device op table: what one device kind can do, as plain function pointers
// filled once from kernels/cpu or kernels/cuda (in the style of nccl-tests'
// function structs). The layers above it (the router, the expert FFN, the MoE
// layer's StepBackend, the dense layers' DenseBackend, the optimizer's memory) are
// written once over a table, so every CPU test also checks how the GPU path
// composes its kernels (and emulated_gpu_device_ops() runs the GPU's code paths on
// the CPU's kernels). A device-specific composition is a choice inside the table
// (the CPU's row blocks: ExpertOps::block_rows), not a second layer.
#include <cstddef>
#include <cstdint>

#include "kernels/cpu/adamw_update.h"
#include "kernels/cpu/attention.h"

namespace paramoe {

// Memory in the device's own address space. allocate throws on failure; all accept
// zero bytes. upload and download (between host memory and the device's) finish
// before they return; copy (within the device) is queued after the work before it.
struct DeviceMemory {
  void* (*allocate)(size_t bytes);
  void (*release)(void* p);
  void (*upload)(const void* host, size_t bytes, void* dst);
  void (*download)(const void* src, size_t bytes, void* host);
  void (*copy)(const void* src, size_t bytes, void* dst);
  void (*zero)(void* p, size_t bytes);  // queued as copy is
};

// The expert-specific operators (kernels/*/expert_ops.h, activation.h) on element
// type T, and how the expert FFN cuts its rows. Offsets are host arrays: they are
// the GEMM shapes.
template <class T>
struct ExpertOps {
  DeviceMemory memory;  // where the FFN's scratch lives
  // Rows the FFN runs at a time for a hidden width: GEMM, activation, GEMM on one
  // block of one expert, so that the activations stay in cache (the CPU); 0 runs
  // every expert's rows in one grouped call per operator (the GPU).
  int64_t (*block_rows)(int64_t hidden);
  void (*esmm)(const T* x, const T* w, const T* bias, const int64_t* offsets, int64_t experts,
               int64_t k, int64_t n, bool trans_w, bool accumulate, T* y);
  void (*estmm)(const T* a, const T* b, const int64_t* offsets, int64_t experts, int64_t k,
                int64_t n, bool accumulate, T* dw);
  void (*ess)(const T* x, const int64_t* offsets, int64_t experts, int64_t n, bool accumulate,
              T* db);
  void (*gelu_forward)(const T* a, int64_t n, T* h);
  void (*gelu_backward)(const T* a, const T* dh, int64_t n, T* da);
  void (*swiglu_forward)(const T* a, const T* g, int64_t n, T* h);
  void (*swiglu_backward)(const T* a, const T* g, const T* dh, int64_t n, T* da, T* dg);
};

// fp32 operations (kernels/*/<file>.h give the contracts).
struct DeviceOps {
  const char* name;  // "cpu", "cuda"
  // The memory is the host's: steps that only the host has (the router's balance
  // bias and benchmark skew, refused on the GPU by the config) may run on it.
  bool host;
  DeviceMemory memory;

  // gemm.h, bias.h
  void (*gemm)(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
               int64_t ldc);
  void (*bias_add)(const float* bias, int64_t n, int64_t dim, float* y);
  void (*bias_backward)(const float* dy, int64_t n, int64_t dim, float* dbias);
  // layernorm.h, activation.h
  void (*layernorm_forward)(const float* x, const float* gamma, const float* beta, int64_t rows,
                            int64_t dim, float eps, float* y, float* mean, float* rstd);
  void (*layernorm_backward)(const float* x, const float* gamma, const float* mean,
                             const float* rstd, const float* dy, int64_t rows, int64_t dim,
                             float* dx, float* dgamma, float* dbeta);
  void (*gelu_forward)(const float* a, int64_t n, float* h);
  void (*gelu_backward)(const float* a, const float* dh, int64_t n, float* da);
  // attention.h (key_valid in the device's memory, nullable). Null in the GPU's
  // table: its attention needs scratch of its own (model/cuda_dense_backend.cpp).
  void (*attention_forward)(const cpu::AttentionShape& s, const float* qkv,
                            const uint8_t* key_valid, float* probs, float* out);
  void (*attention_backward)(const cpu::AttentionShape& s, const float* qkv, const float* probs,
                             const float* dout, float* dqkv);
  // embedding.h, cross_entropy.h (ids and targets in the device's memory)
  void (*embedding_forward)(const int32_t* ids, int64_t n, const float* table, int64_t v0,
                            int64_t rows, int64_t dim, float* out);
  void (*embedding_backward)(const int32_t* ids, int64_t n, const float* dout, int64_t v0,
                             int64_t rows, int64_t dim, float* dtable);
  void (*ce_row_max)(const float* logits, int64_t n, int64_t V, float* row_max);
  void (*ce_sum_exp_and_target)(const float* logits, int64_t n, int64_t V, int64_t v0,
                                const int32_t* targets, const float* row_max, float* sum_exp,
                                float* target_logit);
  void (*ce_backward)(const float* logits, int64_t n, int64_t V, int64_t v0, const int32_t* targets,
                      const float* row_max, const float* sum_exp, float scale, float* dlogits);
  // elementwise.h: y += x; x *= a; *result = Σ x² (in the device's memory)
  void (*accumulate)(const float* x, int64_t n, float* y);
  void (*scale)(float* x, int64_t n, float a);
  void (*sum_squares)(const float* x, int64_t n, double* result);
  // adamw_update.h
  void (*adamw_update)(float* value, const float* grad, float* m, float* v, int64_t n,
                       const cpu::AdamWStep& s);

  // row_ops.h: rows of row_len floats; indices in the device's memory.
  void (*gather_rows)(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                      float* dst);
  void (*scatter_rows)(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                       float* dst);
  void (*scatter_add_rows)(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                           float* dst);
  void (*combine_rows)(const float* rows, const int32_t* pos, const float* weight, int64_t tokens,
                       int k, int64_t row_len, float* y);
  void (*combine_rows_backward)(const float* dy, const float* rows, const int32_t* pos,
                                const float* weight, int64_t tokens, int k, int64_t row_len,
                                float* drows, float* dweight);
  // wire_bf16.h: fp32 rows as bf16 on the wire, and back.
  void (*pack_bf16_rows)(const float* x, int64_t rows, int64_t cols, float* wire);
  void (*unpack_bf16_rows)(const float* wire, int64_t rows, int64_t cols, float* y);

  // router_ops.h
  void (*softmax_lse_forward)(const float* logits, int64_t rows, int64_t cols, float* probs,
                              float* lse);
  void (*topk_rows)(const float* x, int64_t rows, int64_t cols, int64_t k, int32_t* idx,
                    float* val);
  void (*topk_renormalize)(const float* val, int64_t rows, int k, float* weight);
  void (*router_dprobs)(const float* dweight, const int32_t* expert, const float* topk_prob,
                        const float* weight, int64_t rows, int64_t cols, int k, bool renormalize,
                        const float* aux_grad, float* dprobs);
  void (*softmax_backward)(const float* probs, const float* dprobs, int64_t rows, int64_t cols,
                           float* dlogits);
  void (*zloss_backward)(const float* probs, const float* lse, int64_t rows, int64_t cols,
                         float scale, float* dlogits);
  // router_ops.h, dispatch_ops.h: the routing decisions' counts, capacity and
  // statistics, and the dispatch plan's indices, all in the device's memory (the
  // caller downloads the counts and statistics: only they cross to the host).
  void (*choice_counts)(const int32_t* expert, int64_t tokens, int k, int num_experts,
                        int32_t* counts);
  void (*apply_capacity)(const int32_t* expert, int64_t tokens, int k, int num_experts,
                         const int64_t* first, int64_t capacity, uint8_t* kept);
  void (*router_stats)(const float* probs, const float* lse, const int32_t* expert,
                       const uint8_t* kept, int64_t tokens, int k, int num_experts, double* stats);
  void (*dispatch_positions)(const int32_t* expert, const uint8_t* kept, int64_t tokens, int k,
                             const int32_t* slot_of, int num_slots, int64_t* counts,
                             int32_t* send_pos, int32_t* send_token);
  void (*layout_order)(const int32_t* counts, int blocks, int peers, int local_experts,
                       int32_t* sorted_from);

  ExpertOps<float> expert;
};

// The host's table (kernels/cpu, OpenBLAS).
const DeviceOps& cpu_device_ops();

// The CPU's kernels composed as the GPU composes them (device.type =
// "emulated-gpu"): the memory counts as a device's (parameters mirrored, indices
// and ids uploaded, host steps refused) and the experts run in grouped calls, so
// that the GPU's code paths run, and are tested, where there is no GPU.
const DeviceOps& emulated_gpu_device_ops();

// ExpertOps::block_rows choices: the CPU's row block for a hidden width
// (cpu_device_ops.cpp says how it was chosen), and the GPU's 0 (all rows at once).
int64_t cpu_expert_block_rows(int64_t hidden);
int64_t all_expert_rows(int64_t hidden);

}  // namespace paramoe
