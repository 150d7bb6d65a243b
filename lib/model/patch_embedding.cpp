#include "model/patch_embedding.h"

#include "core/error.h"

namespace paramoe {

PatchEmbedding::PatchEmbedding(int64_t channels, int64_t patch, int64_t d_model, DenseBackend& be)
    : proj(ParallelLinear::replicated("patch_embed/proj", channels * patch * patch, d_model, true,
                                      be)),
      norm("patch_embed/norm", d_model, be),
      be_(&be),
      channels_(channels),
      patch_(patch),
      patches_(be.new_buffer()),
      a_(be.new_buffer()),
      da_(be.new_buffer()) {}

void PatchEmbedding::forward(const ImageBatch& batch, float* y) {
  PARAMOE_REQUIRE(
      batch.channels == channels_ && batch.height % patch_ == 0 && batch.width % patch_ == 0,
      "PatchEmbedding: images of the wrong shape");
  const int64_t P = patch_, C = channels_, H = batch.height, W = batch.width;
  const int64_t ph = H / P, pw = W / P, K = C * P * P;
  n_ = batch.images * ph * pw;
  host_.resize(n_ * K);
  for (int64_t b = 0; b < batch.images; ++b)
    for (int64_t py = 0; py < ph; ++py)
      for (int64_t px = 0; px < pw; ++px) {
        float* row = host_.data() + ((b * ph + py) * pw + px) * K;
        for (int64_t c = 0; c < C; ++c)
          for (int64_t i = 0; i < P; ++i)
            for (int64_t j = 0; j < P; ++j) {
              const uint8_t v = batch.pixels[((b * H + py * P + i) * W + px * P + j) * C + c];
              row[(c * P + i) * P + j] = static_cast<float>(v) / 127.5f - 1.0f;
            }
      }
  float* patches = patches_->fit(n_ * K);
  be_->upload(host_.data(), n_ * K, patches);
  float* a = a_->fit(n_ * proj.out());
  proj.forward(patches, n_, a);
  norm.forward(a, n_, y);
}

void PatchEmbedding::backward(const float* dy) {
  float* da = da_->fit(n_ * proj.out());
  norm.backward(dy, da);
  proj.backward(patches_->data(), da, n_, nullptr);
}

}  // namespace paramoe
