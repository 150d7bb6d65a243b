#pragma once
// Every CUDA and cuBLAS return code is checked; a failure becomes a paramoe::Error
// naming the call, the file and line, and the library's own message.
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace paramoe::cuda {

[[noreturn]] void throw_cuda_error(const char* call, const char* file, int line, const char* why);

}  // namespace paramoe::cuda

#define PARAMOE_CUDA_CHECK(call)                                                             \
  do {                                                                                       \
    const cudaError_t rc_ = (call);                                                          \
    if (rc_ != cudaSuccess)                                                                  \
      ::paramoe::cuda::throw_cuda_error(#call, __FILE__, __LINE__, cudaGetErrorString(rc_)); \
  } while (0)

#define PARAMOE_CUBLAS_CHECK(call)                                                              \
  do {                                                                                          \
    const cublasStatus_t rc_ = (call);                                                          \
    if (rc_ != CUBLAS_STATUS_SUCCESS)                                                           \
      ::paramoe::cuda::throw_cuda_error(#call, __FILE__, __LINE__, cublasGetStatusString(rc_)); \
  } while (0)

// After a kernel launch: launch-configuration errors surface here, not later.
#define PARAMOE_CUDA_LAUNCHED() PARAMOE_CUDA_CHECK(cudaGetLastError())
