#include "comm/gpu_binding.h"

#include <cuda_runtime.h>

#include <cstring>
#include <vector>

#include "comm/agreement.h"
#include "core/error.h"
#include "device/cuda_device_info.h"
#include "kernels/cuda/cuda_check.h"

namespace paramoe {

int gpu_bind(const ProcessGrid& grid) {
  std::string why;
  const int count = cuda::device_count(why);
  std::string mine;
  if (count == 0) {
    mine = "rank ";
    mine += std::to_string(grid.world_rank());
    mine += " sees no GPU: ";
    mine += why;
  }
  agree(grid.comm(Group::World), count > 0, mine);
  const int device = grid.rank(Group::Node) % count;
  PARAMOE_CUDA_CHECK(cudaSetDevice(device));
  return device;
}

bool gpu_shared_within_node(const ProcessGrid& grid, std::string& detail) {
  constexpr int kLen = 32;  // PCI bus ids are "dddd:bb:dd.f"
  char mine[kLen] = {};
  int device = 0;
  PARAMOE_CUDA_CHECK(cudaGetDevice(&device));
  PARAMOE_CUDA_CHECK(cudaDeviceGetPCIBusId(mine, kLen, device));
  const int n = grid.size(Group::Node);
  std::vector<char> all(static_cast<size_t>(kLen) * n);
  MPI_CHECK(
      MPI_Allgather(mine, kLen, MPI_CHAR, all.data(), kLen, MPI_CHAR, grid.comm(Group::Node)));
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b)
      if (std::strncmp(&all[a * kLen], &all[b * kLen], kLen) == 0) {
        detail = "node ranks ";
        detail += std::to_string(a);
        detail += " and ";
        detail += std::to_string(b);
        detail += " share the GPU at PCI ";
        detail += &all[a * kLen];
        return true;
      }
  return false;
}

}  // namespace paramoe
