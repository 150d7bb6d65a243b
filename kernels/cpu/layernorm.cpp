#include "kernels/cpu/layernorm.h"

#include <cmath>

namespace paramoe::cpu {

void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows,
                       int64_t dim, float eps, float* y, float* mean, float* rstd) {
  for (int64_t t = 0; t < rows; ++t) {
    const float* xr = x + t * dim;
    double m = 0.0;
    for (int64_t i = 0; i < dim; ++i) m += xr[i];
    m /= dim;
    double v = 0.0;
    for (int64_t i = 0; i < dim; ++i) v += (xr[i] - m) * (xr[i] - m);
    v /= dim;
    const float rs = static_cast<float>(1.0 / std::sqrt(v + eps));
    mean[t] = static_cast<float>(m);
    rstd[t] = rs;
    for (int64_t i = 0; i < dim; ++i) y[t * dim + i] = (xr[i] - mean[t]) * rs * gamma[i] + beta[i];
  }
}

void layernorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd,
                        const float* dy, int64_t rows, int64_t dim, float* dx, float* dgamma,
                        float* dbeta) {
  for (int64_t t = 0; t < rows; ++t) {
    const float* xr = x + t * dim;
    const float* dyr = dy + t * dim;
    double sum_g = 0.0, sum_gx = 0.0;
    for (int64_t i = 0; i < dim; ++i) {
      const float xhat = (xr[i] - mean[t]) * rstd[t];
      const float g = dyr[i] * gamma[i];
      sum_g += g;
      sum_gx += g * xhat;
      dgamma[i] += dyr[i] * xhat;
      dbeta[i] += dyr[i];
    }
    const float mg = static_cast<float>(sum_g / dim), mgx = static_cast<float>(sum_gx / dim);
    for (int64_t i = 0; i < dim; ++i) {
      const float xhat = (xr[i] - mean[t]) * rstd[t];
      dx[t * dim + i] = rstd[t] * (dyr[i] * gamma[i] - mg - xhat * mgx);
    }
  }
}

}  // namespace paramoe::cpu
