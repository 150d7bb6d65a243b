#pragma once
// A BackendBuffer in the current GPU's memory (the CUDA backends').
#include <memory>

#include "moe/backend_buffer.h"

namespace paramoe {

std::unique_ptr<BackendBuffer> make_device_buffer();

}  // namespace paramoe
