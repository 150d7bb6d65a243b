#pragma once
#include <cstddef>
#include <string>

namespace paramoe::cuda {

// Number of visible CUDA devices; 0 with `why` set when there is none or the driver
// is missing (the normal case on CPU-only CI machines).
int device_count(std::string& why);

// The current device's memory: bytes in use (total − free, so every process and
// context on the device counts) and its total.
void memory_in_use(size_t& used, size_t& total);

}  // namespace paramoe::cuda
