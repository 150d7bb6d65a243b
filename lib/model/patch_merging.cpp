#include "model/patch_merging.h"

namespace paramoe {

PatchMerging::PatchMerging(const std::string& prefix, int64_t d_model, int64_t resolution,
                           DenseBackend& be)
    : norm(prefix + "/norm", 4 * d_model, be),
      reduction(
          ParallelLinear::replicated(prefix + "/reduction", 4 * d_model, 2 * d_model, false, be)),
      be_(&be),
      D_(d_model),
      R_(resolution),
      cat_(be.new_buffer()),
      normed_(be.new_buffer()),
      dnormed_(be.new_buffer()),
      dcat_(be.new_buffer()) {}

void PatchMerging::forward(const float* x, int64_t images, float* y) {
  const int64_t half = R_ / 2, n = images * R_ * R_, out = n / 4;
  if (images != images_) {
    images_ = images;
    gather_.resize(n);
    scatter_.resize(n);
    static constexpr int64_t kOffset[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
    for (int64_t b = 0; b < images; ++b)
      for (int64_t i = 0; i < half; ++i)
        for (int64_t j = 0; j < half; ++j)
          for (int64_t k = 0; k < 4; ++k) {
            const int64_t row = ((b * half + i) * half + j) * 4 + k;
            const int64_t src = (b * R_ + 2 * i + kOffset[k][0]) * R_ + 2 * j + kOffset[k][1];
            gather_[row] = static_cast<int32_t>(src);
            scatter_[src] = static_cast<int32_t>(row);
          }
  }
  float* cat = cat_->fit(n * D_);
  be_->gather_rows(x, gather_.data(), n, D_, cat);  // [out, 4·D] as rows
  float* normed = normed_->fit(n * D_);
  norm.forward(cat, out, normed);
  reduction.forward(normed, out, y);
}

void PatchMerging::backward(const float* dy, float* dx) {
  const int64_t n = images_ * R_ * R_, out = n / 4;
  float* dnormed = dnormed_->fit(n * D_);
  reduction.backward(normed_->data(), dy, out, dnormed);
  float* dcat = dcat_->fit(n * D_);
  norm.backward(dnormed, dcat);
  be_->gather_rows(dcat, scatter_.data(), n, D_, dx);
}

}  // namespace paramoe
