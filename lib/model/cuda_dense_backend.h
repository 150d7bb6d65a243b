#pragma once
// The DenseBackend on one GPU: the one DenseBackend (dense_backend.h) over
// cuda_device_ops(), with device activations and device copies of the dense
// parameters (values, and the gradients the backward accumulates into), in fp32
// (no TF32), so that a model on the GPU follows the CPU reference. Its Collectives must move device
// memory: NcclCollectives, or StagedMpiCollectives when ranks share a GPU.
//
// bf16 (device.precision = "bf16", as the MoE layers' expert FFNs): every GEMM, the
// linear layers', the LM head's and attention's, reads bf16 copies of its operands
// and accumulates in fp32 into fp32 outputs. The operands are cast as each GEMM
// runs: a weight costs 6 bytes of traffic per element per use against the 2·tokens
// flops it takes part in, so a cached copy would save little and need invalidating.
// Activations, gradients, LayerNorm, softmax and the loss stay fp32.
#include "model/dense_backend.h"
#include "moe/cuda_step_backend.h"

namespace paramoe {

DenseBackendMaker cuda_dense_backend_maker(
    CudaStepBackend::Precision precision = CudaStepBackend::Precision::fp32);

}  // namespace paramoe
