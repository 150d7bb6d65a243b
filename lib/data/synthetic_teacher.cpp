#include "data/synthetic_teacher.h"

#include <cmath>

#include "core/rng.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/gemm.h"

namespace paramoe {

SyntheticTeacher::SyntheticTeacher(int64_t d_model, uint64_t seed)
    : D_(d_model), H_(2 * d_model), seed_(seed), a_(D_ * H_), b_(H_ * D_) {
  const uint64_t sa = stream_id("teacher/a"), sb = stream_id("teacher/b");
  const double ka = 1.0 / std::sqrt(static_cast<double>(D_));
  const double kb = 1.0 / std::sqrt(static_cast<double>(H_));
  for (int64_t i = 0; i < D_ * H_; ++i) {
    a_[i] = static_cast<float>(ka * normal01(seed_, sa, i));
    b_[i] = static_cast<float>(kb * normal01(seed_, sb, i));
  }
}

void SyntheticTeacher::batch(int64_t first_token, int64_t row0, int64_t rows, std::vector<float>& x,
                             std::vector<float>& target) const {
  const uint64_t sx = stream_id("teacher/x");
  x.assign(rows * D_, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < D_; ++i) {
      const int64_t g = (first_token + row0 + r) * D_ + i;
      x[r * D_ + i] = static_cast<float>(normal01(seed_, sx, g));
    }
  std::vector<float> pre(rows * H_), h(rows * H_);
  cpu::gemm(false, false, rows, H_, D_, 1.0f, x.data(), D_, a_.data(), H_, 0.0f, pre.data(), H_);
  cpu::gelu_forward(pre.data(), rows * H_, h.data());
  target = x;
  cpu::gemm(false, false, rows, D_, H_, 1.0f, h.data(), H_, b_.data(), D_, 1.0f, target.data(), D_);
}

}  // namespace paramoe
