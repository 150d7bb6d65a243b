#pragma once
// The GPU's op table (kernels/cuda, cuBLAS), on the legacy default stream, as the
// CUDA backends queue their work. `how` launches the expert GEMM groups
// (kernels/cuda/expert_ops.h).
#include "device/device_ops.h"
#include "kernels/cuda/bf16.h"
#include "kernels/cuda/expert_ops.h"

namespace paramoe {

const DeviceOps& cuda_device_ops(cuda::ExpertGemm how = cuda::ExpertGemm::per_expert);

// The expert operators in bf16 storage with fp32 accumulation (device.precision =
// "bf16"), in the same device memory.
const ExpertOps<cuda::bf16>& cuda_bf16_expert_ops(
    cuda::ExpertGemm how = cuda::ExpertGemm::per_expert);

}  // namespace paramoe
