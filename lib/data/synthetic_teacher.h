#pragma once
// A learnable synthetic task: regress a fixed random teacher, y = x + gelu(x·A)·B,
// on x ~ N(0, 1). Every value is drawn by global token index, so the global batch of
// a step is the same under any layout, and each data-parallel shard draws only its rows.
#include <cstdint>
#include <vector>

namespace paramoe {

class SyntheticTeacher {
 public:
  SyntheticTeacher(int64_t d_model, uint64_t seed);
  // Rows [row0, row0 + rows) of the global batch that starts at global token
  // `first_token` (the data position: tokens consumed by earlier steps).
  void batch(int64_t first_token, int64_t row0, int64_t rows, std::vector<float>& x,
             std::vector<float>& target) const;

 private:
  int64_t D_, H_;
  uint64_t seed_;
  std::vector<float> a_, b_;
};

}  // namespace paramoe
