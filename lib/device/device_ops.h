#pragma once
// The device op table: what one device kind can do, as plain function pointers
// filled once from kernels/cpu or kernels/cuda (in the style of nccl-tests'
// function structs). The layers above it (the expert FFN first: moe/expert_ffn.h)
// are written once over a table, so every CPU test also checks how the GPU path
// composes its kernels. A device-specific composition is a choice inside the table
// (the CPU's row blocks: ExpertOps::block_rows), not a second layer.
#include <cstddef>
#include <cstdint>

namespace paramoe {

// Memory in the device's own address space. allocate throws on failure; both
// accept zero bytes (nullptr).
struct DeviceMemory {
  void* (*allocate)(size_t bytes);
  void (*release)(void* p);
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

struct DeviceOps {
  const char* name;  // "cpu", "cuda"
  DeviceMemory memory;
  ExpertOps<float> expert;  // fp32
};

// The host's table (kernels/cpu, OpenBLAS).
const DeviceOps& cpu_device_ops();

// The CPU's row block for a hidden width (cpu_device_ops.cpp says how it was chosen).
int64_t cpu_expert_block_rows(int64_t hidden);

}  // namespace paramoe
