#include "comm/staged_mpi_collectives.h"

#include <numeric>

namespace paramoe {

namespace {
size_t elements(const std::vector<int>& rows, int row_len) {
  return std::accumulate(rows.begin(), rows.end(), size_t{0}) * static_cast<size_t>(row_len);
}
}  // namespace

float* StagedMpiCollectives::to_host(const float* device, size_t n) {
  float* h = send_.fit(n);
  if (n) PARAMOE_CUDA_CHECK(cudaMemcpy(h, device, n * sizeof(float), cudaMemcpyDeviceToHost));
  return h;
}

void StagedMpiCollectives::to_device(size_t n, float* device) {
  if (n)
    PARAMOE_CUDA_CHECK(cudaMemcpy(device, recv_.fit(n), n * sizeof(float), cudaMemcpyHostToDevice));
}

void StagedMpiCollectives::alltoallv_rows(Group g, const float* send,
                                          const std::vector<int>& send_rows, float* recv,
                                          const std::vector<int>& recv_rows, int row_len) {
  const size_t ns = elements(send_rows, row_len), nr = elements(recv_rows, row_len);
  const float* hs = to_host(send, ns);
  host_.alltoallv_rows(g, hs, send_rows, recv_.fit(nr), recv_rows, row_len);
  to_device(nr, recv);
}

void StagedMpiCollectives::allgatherv_rows(Group g, const float* send, float* recv,
                                           const std::vector<int>& rows, int row_len) {
  const size_t mine = static_cast<size_t>(rows[grid().rank(g)]) * row_len;
  const size_t all = elements(rows, row_len);
  const float* hs = to_host(send, mine);
  host_.allgatherv_rows(g, hs, recv_.fit(all), rows, row_len);
  to_device(all, recv);
}

void StagedMpiCollectives::reduce_scatterv_rows(Group g, const float* send, float* recv,
                                                const std::vector<int>& rows, int row_len) {
  const size_t mine = static_cast<size_t>(rows[grid().rank(g)]) * row_len;
  const float* hs = to_host(send, elements(rows, row_len));
  host_.reduce_scatterv_rows(g, hs, recv_.fit(mine), rows, row_len);
  to_device(mine, recv);
}

void StagedMpiCollectives::allreduce_sum(Group g, float* buf, size_t count) {
  float* h = to_host(buf, count);
  host_.allreduce_sum(g, h, count);
  if (count) PARAMOE_CUDA_CHECK(cudaMemcpy(buf, h, count * sizeof(float), cudaMemcpyHostToDevice));
}

}  // namespace paramoe
