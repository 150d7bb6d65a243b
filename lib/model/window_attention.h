#pragma once
// Swin's (shifted) window attention over a square feature map: the tokens of each
// image, in raster order, are cyclically shifted up and left by `shift`, cut into
// window × window windows, attended within each window with a learned
// relative-position bias (and, when shifted, a mask that keeps tokens which were
// not neighbours before the shift apart), then put back. The shift, partition and
// reverse are one row permutation each way; the attention itself is the block's
// SelfAttention (MP-split heads) over windows as sequences.
#include <memory>
#include <vector>

#include "model/dense_backend.h"
#include "model/self_attention.h"

namespace paramoe {

struct WindowGeometry {
  int64_t resolution;  // tokens per side of the feature map
  int64_t window;      // tokens per side of a window; divides resolution
  int64_t shift;       // 0, or window / 2 in every other block
};

class WindowAttention {
 public:
  // heads: the model's heads at this stage (the table holds this rank's slice).
  WindowAttention(const std::string& prefix, SelfAttention& attn, int heads,
                  const WindowGeometry& geometry, DenseBackend& be);
  // x, y: [images · resolution², d_model] in raster order (backend memory).
  void forward(const float* x, int64_t images, float* y);
  void backward(const float* dy, float* dx);  // dx overwritten; the table's grad accumulates

  // The relative-position bias table, [(2·window − 1)², heads], as Swin stores it.
  Param table;

 private:
  void plan(int64_t images);  // the permutations for this many images
  void build_bias();          // bias_ from the table (and the shift's mask)

  SelfAttention* attn_;
  DenseBackend* be_;
  WindowGeometry g_;
  int64_t L_, windows_, heads_local_;
  int64_t images_ = -1;
  std::vector<int32_t> to_windows_, to_raster_;  // window-order row ← raster row, and back
  std::vector<int32_t> rel_index_;               // [L, L] → table row
  std::vector<float> mask_;                      // [windows, L, L]: 0 or −100; empty unshifted
  std::vector<float> host_;
  std::unique_ptr<BackendBuffer> xw_, yw_, bias_, dbias_, dtable_;
};

}  // namespace paramoe
