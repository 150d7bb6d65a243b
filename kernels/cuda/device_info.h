#pragma once
#include <string>

namespace paramoe::cuda {

// Number of visible CUDA devices; 0 with `why` set when there is none or the driver
// is missing (the normal case on CPU-only CI machines).
int device_count(std::string& why);

}  // namespace paramoe::cuda
