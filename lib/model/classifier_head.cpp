#include "model/classifier_head.h"

#include <cmath>

namespace paramoe {

ClassifierHead::ClassifierHead(int64_t d_model, int64_t classes, DenseBackend& be)
    : fc(ParallelLinear::replicated("head", d_model, classes, true, be)),
      be_(&be),
      average_(be.new_buffer()),
      pooled_(be.new_buffer()),
      logits_(be.new_buffer()),
      row_max_(be.new_buffer()),
      parts_(be.new_buffer()),
      dlogits_(be.new_buffer()),
      dpooled_(be.new_buffer()) {}

double ClassifierHead::forward(const float* x, int64_t images, int64_t tokens,
                               const int32_t* labels) {
  const int64_t D = fc.in(), V = fc.out(), n = images * tokens;
  if (images != images_ || tokens != tokens_) {  // [images, n]: 1/tokens on the diagonal blocks
    images_ = images;
    tokens_ = tokens;
    std::vector<float> avg(images * n, 0.0f);
    for (int64_t b = 0; b < images; ++b)
      for (int64_t t = 0; t < tokens; ++t)
        avg[b * n + b * tokens + t] = 1.0f / static_cast<float>(tokens);
    be_->upload(avg.data(), images * n, average_->fit(images * n));
  }
  labels_.assign(labels, labels + images);
  float* pooled = pooled_->fit(images * D);
  be_->gemm(false, false, images, D, n, 1.0f, average_->data(), n, x, D, 0.0f, pooled, D);
  float* logits = logits_->fit(images * V);
  fc.forward(pooled, images, logits);
  float* row_max = row_max_->fit(images);
  float* parts = parts_->fit(2 * images);
  be_->ce_row_max(logits, images, V, row_max);
  be_->ce_sum_exp_and_target(logits, images, V, 0, labels, row_max, parts, parts + images);
  host_.resize(3 * images);
  be_->download(row_max, images, host_.data());
  be_->download(parts, 2 * images, host_.data() + images);
  double loss = 0.0;
  for (int64_t i = 0; i < images; ++i)
    loss += std::log(static_cast<double>(host_[images + i])) + host_[i] - host_[2 * images + i];
  return loss;
}

void ClassifierHead::backward(float scale, float* dx) {
  const int64_t D = fc.in(), V = fc.out(), n = images_ * tokens_;
  float* dlogits = dlogits_->fit(images_ * V);
  be_->ce_backward(logits_->data(), images_, V, 0, labels_.data(), row_max_->data(), parts_->data(),
                   scale, dlogits);
  float* dpooled = dpooled_->fit(images_ * D);
  fc.backward(pooled_->data(), dlogits, images_, dpooled);
  be_->gemm(true, false, n, D, images_, 1.0f, average_->data(), n, dpooled, D, 0.0f, dx, D);
}

std::vector<float> ClassifierHead::logits() {
  std::vector<float> out(images_ * fc.out());
  be_->download(logits_->data(), static_cast<int64_t>(out.size()), out.data());
  return out;
}

int64_t ClassifierHead::correct() {
  const std::vector<float> l = logits();
  const int64_t V = fc.out();
  int64_t right = 0;
  for (int64_t i = 0; i < images_; ++i) {
    int64_t best = 0;
    for (int64_t v = 1; v < V; ++v)
      if (l[i * V + v] > l[i * V + best]) best = v;
    right += best == labels_[i];
  }
  return right;
}

}  // namespace paramoe
