#pragma once
// The dispatch plan's positions on the GPU, the mirror of kernels/cpu/dispatch_ops.h:
// the same order (slot-major, then token, then choice), built without a host
// round trip. `counts` is a device array; the caller copies it to the host when it
// needs the sizes (the counts exchange, the GEMM shapes).
#include <cuda_runtime.h>

#include <cstdint>

namespace paramoe::cuda {

void dispatch_positions(const int32_t* expert, const uint8_t* kept, int64_t tokens, int k,
                        const int32_t* slot_of, int num_slots, int64_t* counts, int32_t* send_pos,
                        int32_t* send_token, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
