#include <algorithm>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/expert_ops.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

// One expert's row-major GEMM C[m, n] = op(A)·op(B) + beta·C.
struct Problem {
  bool ta, tb;
  int m, n, k;
  const void* a;
  int lda;
  const void* b;
  int ldb;
  void* c;
  int ldc;
  float beta;
};

cublasOperation_t op(bool t) {
  return t ? CUBLAS_OP_T : CUBLAS_OP_N;
}

void gemm_one(cublasHandle_t h, const Problem& p, cudaDataType_t type) {
  const float one = 1.0f;
  PARAMOE_CUBLAS_CHECK(cublasGemmEx(h, op(p.tb), op(p.ta), p.n, p.m, p.k, &one, p.b, type, p.ldb,
                                    p.a, type, p.lda, &p.beta, p.c, type, p.ldc, CUBLAS_COMPUTE_32F,
                                    CUBLAS_GEMM_DEFAULT));
}

// Side streams for ExpertGemm::streams, one cuBLAS handle each (a handle's
// workspace must not be shared by concurrent streams). Per host thread, made once.
struct SideStreams {
  static constexpr int kCount = 4;
  cudaStream_t stream[kCount];
  cublasHandle_t handle[kCount];
  cudaEvent_t done[kCount];
  cudaEvent_t fork;
  SideStreams() {
    PARAMOE_CUDA_CHECK(cudaEventCreateWithFlags(&fork, cudaEventDisableTiming));
    for (int i = 0; i < kCount; ++i) {
      PARAMOE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream[i], cudaStreamNonBlocking));
      PARAMOE_CUDA_CHECK(cudaEventCreateWithFlags(&done[i], cudaEventDisableTiming));
      PARAMOE_CUBLAS_CHECK(cublasCreate(&handle[i]));
      PARAMOE_CUBLAS_CHECK(cublasSetStream(handle[i], stream[i]));
    }
  }
};

// Fork from `stream`, problem i on side stream i mod kCount, join back into `stream`.
void run_on_side_streams(const std::vector<Problem>& ps, cudaDataType_t type, cudaStream_t stream) {
  thread_local SideStreams side;
  PARAMOE_CUDA_CHECK(cudaEventRecord(side.fork, stream));
  const int used = std::min<int>(SideStreams::kCount, static_cast<int>(ps.size()));
  for (int i = 0; i < used; ++i) PARAMOE_CUDA_CHECK(cudaStreamWaitEvent(side.stream[i], side.fork));
  for (size_t i = 0; i < ps.size(); ++i)
    gemm_one(side.handle[i % SideStreams::kCount], ps[i], type);
  for (int i = 0; i < used; ++i) {
    PARAMOE_CUDA_CHECK(cudaEventRecord(side.done[i], side.stream[i]));
    PARAMOE_CUDA_CHECK(cudaStreamWaitEvent(stream, side.done[i]));
  }
}

// Column-major cuBLAS sees Cᵀ = op(B)ᵀ·op(A)ᵀ (see gemm.cu).
void run_problems(const std::vector<Problem>& ps, cudaDataType_t type, cudaStream_t stream,
                  ExpertGemm how) {
  if (ps.empty()) return;
  cublasHandle_t h = blas_handle(stream);
  if (how == ExpertGemm::per_expert) {
    for (const Problem& p : ps) gemm_one(h, p, type);
    return;
  }
  if (how == ExpertGemm::streams) {
    run_on_side_streams(ps, type, stream);
    return;
  }
  const size_t g = ps.size();
  std::vector<cublasOperation_t> opa(g), opb(g);
  std::vector<int> m(g), n(g), k(g), lda(g), ldb(g), ldc(g), group_size(g, 1);
  std::vector<float> alpha(g, 1.0f), beta(g);
  std::vector<const void*> ptrs(3 * g);  // [A..., B..., C...] in cuBLAS's naming
  for (size_t i = 0; i < g; ++i) {
    const Problem& p = ps[i];
    opa[i] = op(p.tb);
    opb[i] = op(p.ta);
    m[i] = p.n;
    n[i] = p.m;
    k[i] = p.k;
    lda[i] = p.ldb;
    ldb[i] = p.lda;
    ldc[i] = p.ldc;
    beta[i] = p.beta;
    ptrs[i] = p.b;
    ptrs[g + i] = p.a;
    ptrs[2 * g + i] = p.c;
  }
  const void** dev = nullptr;
  PARAMOE_CUDA_CHECK(
      cudaMallocAsync(reinterpret_cast<void**>(&dev), ptrs.size() * sizeof(void*), stream));
  PARAMOE_CUDA_CHECK(cudaMemcpyAsync(dev, ptrs.data(), ptrs.size() * sizeof(void*),
                                     cudaMemcpyHostToDevice, stream));
  PARAMOE_CUBLAS_CHECK(cublasGemmGroupedBatchedEx(
      h, opa.data(), opb.data(), m.data(), n.data(), k.data(), alpha.data(), dev, type, lda.data(),
      dev + g, type, ldb.data(), beta.data(), const_cast<void* const*>(dev + 2 * g), type,
      ldc.data(), static_cast<int>(g), group_size.data(), CUBLAS_COMPUTE_32F));
  PARAMOE_CUDA_CHECK(cudaFreeAsync(dev, stream));
}

template <class T>
cudaDataType_t type_of();
template <>
cudaDataType_t type_of<float>() {
  return CUDA_R_32F;
}
template <>
cudaDataType_t type_of<bf16>() {
  return CUDA_R_16BF;
}

// Up to 256 experts' row offsets (absolute rows of x or y), passed to a kernel by
// value (2 KiB of the 4 KiB of kernel parameters): one launch serves all those
// experts, with no host-to-device copy before it.
constexpr int kMaxExpertsPerLaunch = 256;
struct ExpertRows {
  int64_t row[kMaxExpertsPerLaunch + 1];
  int count;
};

// Calls launch(first, rows) for each run of up to 256 experts from `offsets`.
template <class Launch>
void for_expert_runs(const int64_t* offsets, int64_t E, Launch launch) {
  for (int64_t first = 0; first < E; first += kMaxExpertsPerLaunch) {
    ExpertRows r;
    r.count = static_cast<int>(std::min<int64_t>(kMaxExpertsPerLaunch, E - first));
    for (int i = 0; i <= r.count; ++i) r.row[i] = offsets[first + i];
    launch(first, r);
  }
}

// y (rows r.row[0] to r.row[count]) = beta·y + each row's expert's bias, all experts in
// one launch. A row's expert is the last e with r.row[e] <= row (empty experts are
// passed over); a warp's elements mostly share a row, so their search agrees.
template <class T>
__global__ void expert_bias_rows_kernel(T* y, const T* bias, ExpertRows r, int64_t n, float beta) {
  const int64_t last = r.row[r.count] * n;
  for (int64_t i = r.row[0] * n + blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < last;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = i / n;
    int lo = 0, hi = r.count - 1;
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (r.row[mid] <= row)
        lo = mid;
      else
        hi = mid - 1;
    }
    const float prev = beta != 0.0f ? beta * detail::load(y + i) : 0.0f;
    detail::store(y + i, prev + detail::load(bias + lo * n + i % n));
  }
}

// ESS over all experts in one launch: block (x, y) sums columns [32x, 32x + 32) of
// expert y, eight row lanes walking that expert's rows in strides of 8 and then
// added lane by lane: reads coalesced along rows, work for every SM even when each
// expert has few columns (one thread per column per expert left most of the GPU
// idle and took a launch per expert), and the same order on every run.
constexpr int kEssColumns = 32, kEssLanes = 8;

template <class T>
__global__ void expert_column_sums_kernel(const T* x, ExpertRows r, int64_t n, bool accumulate,
                                          T* db) {
  __shared__ float lanes[kEssLanes][kEssColumns];
  const int64_t e = blockIdx.y, j = blockIdx.x * int64_t{kEssColumns} + threadIdx.x;
  float s = 0.0f;
  if (j < n)
    for (int64_t i = r.row[e] + threadIdx.y; i < r.row[e + 1]; i += kEssLanes)
      s += detail::load(x + i * n + j);
  lanes[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y != 0 || j >= n) return;
  float sum = accumulate ? detail::load(db + e * n + j) : 0.0f;
  for (int l = 0; l < kEssLanes; ++l) sum += lanes[l][threadIdx.x];
  detail::store(db + e * n + j, sum);
}

template <class T>
void esmm_t(const T* x, const T* w, const T* bias, const int64_t* offsets, int64_t E, int64_t k,
            int64_t n, bool trans_w, bool accumulate, T* y, cudaStream_t stream, ExpertGemm how) {
  // With a bias, y starts as (y +) bias, and the GEMMs add to it.
  if (bias && n > 0)
    for_expert_runs(offsets, E, [&](int64_t first, const ExpertRows& r) {
      const int64_t elements = (r.row[r.count] - r.row[0]) * n;
      expert_bias_rows_kernel<<<detail::grid_for(elements), detail::kThreads, 0, stream>>>(
          y, bias + first * n, r, n, accumulate ? 1.0f : 0.0f);
      PARAMOE_CUDA_LAUNCHED();
    });
  const float beta = accumulate || bias ? 1.0f : 0.0f;
  std::vector<Problem> ps;
  for (int64_t e = 0; e < E; ++e) {
    const int64_t r0 = offsets[e], rows = offsets[e + 1] - offsets[e];
    if (rows == 0) continue;
    T* ye = y + r0 * n;
    ps.push_back(Problem{false, trans_w, static_cast<int>(rows), static_cast<int>(n),
                         static_cast<int>(k), x + r0 * k, static_cast<int>(k), w + e * k * n,
                         static_cast<int>(trans_w ? k : n), ye, static_cast<int>(n), beta});
  }
  run_problems(ps, type_of<T>(), stream, how);
}

template <class T>
void estmm_t(const T* a, const T* b, const int64_t* offsets, int64_t E, int64_t k, int64_t n,
             bool accumulate, T* dw, cudaStream_t stream, ExpertGemm how) {
  std::vector<Problem> ps;
  for (int64_t e = 0; e < E; ++e) {
    const int64_t r0 = offsets[e], rows = offsets[e + 1] - offsets[e];
    T* dwe = dw + e * k * n;
    if (rows == 0) {
      if (!accumulate) PARAMOE_CUDA_CHECK(cudaMemsetAsync(dwe, 0, k * n * sizeof(T), stream));
      continue;
    }
    ps.push_back(Problem{true, false, static_cast<int>(k), static_cast<int>(n),
                         static_cast<int>(rows), a + r0 * k, static_cast<int>(k), b + r0 * n,
                         static_cast<int>(n), dwe, static_cast<int>(n), accumulate ? 1.0f : 0.0f});
  }
  run_problems(ps, type_of<T>(), stream, how);
}

template <class T>
void ess_t(const T* x, const int64_t* offsets, int64_t E, int64_t n, bool accumulate, T* db,
           cudaStream_t stream) {
  if (n == 0) return;
  for_expert_runs(offsets, E, [&](int64_t first, const ExpertRows& r) {
    const dim3 grid(static_cast<unsigned>((n + kEssColumns - 1) / kEssColumns),
                    static_cast<unsigned>(r.count));
    expert_column_sums_kernel<<<grid, dim3(kEssColumns, kEssLanes), 0, stream>>>(
        x, r, n, accumulate, db + first * n);
    PARAMOE_CUDA_LAUNCHED();
  });
}

}  // namespace

void esmm(const float* x, const float* w, const float* bias, const int64_t* offsets,
          int64_t num_experts, int64_t k, int64_t n, bool trans_w, bool accumulate, float* y,
          cudaStream_t stream, ExpertGemm how) {
  esmm_t(x, w, bias, offsets, num_experts, k, n, trans_w, accumulate, y, stream, how);
}
void esmm(const bf16* x, const bf16* w, const bf16* bias, const int64_t* offsets,
          int64_t num_experts, int64_t k, int64_t n, bool trans_w, bool accumulate, bf16* y,
          cudaStream_t stream, ExpertGemm how) {
  esmm_t(x, w, bias, offsets, num_experts, k, n, trans_w, accumulate, y, stream, how);
}
void estmm(const float* a, const float* b, const int64_t* offsets, int64_t num_experts, int64_t k,
           int64_t n, bool accumulate, float* dw, cudaStream_t stream, ExpertGemm how) {
  estmm_t(a, b, offsets, num_experts, k, n, accumulate, dw, stream, how);
}
void estmm(const bf16* a, const bf16* b, const int64_t* offsets, int64_t num_experts, int64_t k,
           int64_t n, bool accumulate, bf16* dw, cudaStream_t stream, ExpertGemm how) {
  estmm_t(a, b, offsets, num_experts, k, n, accumulate, dw, stream, how);
}
void ess(const float* x, const int64_t* offsets, int64_t num_experts, int64_t n, bool accumulate,
         float* db, cudaStream_t stream) {
  ess_t(x, offsets, num_experts, n, accumulate, db, stream);
}
void ess(const bf16* x, const int64_t* offsets, int64_t num_experts, int64_t n, bool accumulate,
         bf16* db, cudaStream_t stream) {
  ess_t(x, offsets, num_experts, n, accumulate, db, stream);
}

}  // namespace paramoe::cuda
