#pragma once
// A model's parameters with their live copies (core/param.h), for the optimizer:
// each MoE layer's in its StepBackend, every other one in the dense backend.
#include <vector>

#include "model/dense_backend.h"
#include "moe/moe_layer.h"

namespace paramoe {

// `order` (the model's params()) with each one's live copy.
std::vector<ResidentParam> resident_params_of(const std::vector<Param*>& order, DenseBackend& dense,
                                              const std::vector<MoeLayer*>& layers);

}  // namespace paramoe
