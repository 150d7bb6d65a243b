#include <string>

#include "core/error.h"
#include "kernels/cuda/cuda_check.h"

namespace paramoe::cuda {

void throw_cuda_error(const char* call, const char* file, int line, const char* why) {
  std::string msg = "CUDA: ";
  msg += call;
  msg += " failed at ";
  msg += file;
  msg += ':';
  msg += std::to_string(line);
  msg += ": ";
  msg += why;
  throw Error(msg);
}

}  // namespace paramoe::cuda
