#pragma once
// The DenseBackend on one GPU: device activations, device copies of the dense
// parameters (values, and gradients that accumulate there until store_grads), and
// kernels/cuda, mirroring the CPU backend call for call in fp32 (no TF32), so that
// a model on the GPU follows the CPU reference. Its Collectives must move device
// memory: NcclCollectives, or StagedMpiCollectives when ranks share a GPU.
#include <memory>

#include "model/dense_backend.h"

namespace paramoe {

std::unique_ptr<DenseBackend> make_cuda_dense_backend(Collectives& coll);

}  // namespace paramoe
