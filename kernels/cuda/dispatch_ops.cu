#include <cub/block/block_scan.cuh>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/dispatch_ops.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

constexpr int kScanThreads = 256;

__global__ void count_kernel(const int32_t* expert, const uint8_t* kept, int64_t n,
                             const int32_t* slot_of, unsigned long long* counts) {
  for (int64_t a = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; a < n;
       a += int64_t{gridDim.x} * blockDim.x)
    if (kept[a]) atomicAdd(counts + slot_of[expert[a]], 1ull);
}

// One block per slot walks all assignments in order with a block-wide scan, so rows
// of a slot keep token-then-choice order (a stable counting sort). The slot's first
// row is the sum of the counts of the slots before it.
__global__ void position_kernel(const int32_t* expert, const uint8_t* kept, int64_t n, int k,
                                const int32_t* slot_of, const int64_t* counts, int32_t* send_pos,
                                int32_t* send_token) {
  using Scan = cub::BlockScan<int, kScanThreads>;
  __shared__ typename Scan::TempStorage temp;
  __shared__ int64_t base;
  const int slot = blockIdx.x;
  if (threadIdx.x == 0) {
    int64_t b = 0;
    for (int s = 0; s < slot; ++s) b += counts[s];
    base = b;
  }
  __syncthreads();
  int64_t next = base;
  for (int64_t a0 = 0; a0 < n; a0 += kScanThreads) {
    const int64_t a = a0 + threadIdx.x;
    const int mine = a < n && kept[a] && slot_of[expert[a]] == slot ? 1 : 0;
    int before = 0, total = 0;
    Scan(temp).ExclusiveSum(mine, before, total);
    if (mine) {
      send_pos[a] = static_cast<int32_t>(next + before);
      send_token[next + before] = static_cast<int32_t>(a / k);
    }
    next += total;
    __syncthreads();  // temp is reused by the next chunk's scan
  }
}

}  // namespace

void dispatch_positions(const int32_t* expert, const uint8_t* kept, int64_t tokens, int k,
                        const int32_t* slot_of, int num_slots, int64_t* counts, int32_t* send_pos,
                        int32_t* send_token, cudaStream_t stream) {
  const int64_t n = tokens * k;
  static_assert(sizeof(int64_t) == sizeof(unsigned long long));
  PARAMOE_CUDA_CHECK(cudaMemsetAsync(counts, 0, num_slots * sizeof(int64_t), stream));
  if (n == 0) return;
  // 0xFF bytes are −1: the "not kept" marker for every assignment no slot claims.
  PARAMOE_CUDA_CHECK(cudaMemsetAsync(send_pos, 0xFF, n * sizeof(int32_t), stream));
  count_kernel<<<detail::grid_for(n), detail::kThreads, 0, stream>>>(
      expert, kept, n, slot_of, reinterpret_cast<unsigned long long*>(counts));
  PARAMOE_CUDA_LAUNCHED();
  position_kernel<<<num_slots, kScanThreads, 0, stream>>>(expert, kept, n, k, slot_of, counts,
                                                          send_pos, send_token);
  PARAMOE_CUDA_LAUNCHED();
}

}  // namespace paramoe::cuda
