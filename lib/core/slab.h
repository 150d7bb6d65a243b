#pragma once
// Walking a hyperslab of a row-major global tensor one contiguous innermost row at
// a time. Parameters, checkpoints and golden tests all address a rank's piece of a
// tensor this way, so resharding is only a different (offset, shape).
//
// `dim0`, when not empty, lists the global indices along dimension 0 that the slab
// holds (ascending, one per local index), in place of the range offset[0] ..
// offset[0] + shape[0] - 1: under a load-aware expert placement a rank holds a set
// of experts, not a range.
#include <cstdint>
#include <vector>

namespace paramoe {

inline int64_t shape_numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (auto v : s) n *= v;
  return n;
}

// Calls f(local_start, global_start, length) for every innermost row of the slab,
// in row-major order; local_start indexes the packed slab.
template <class F>
void for_each_slab_row(const std::vector<int64_t>& global_shape, const std::vector<int64_t>& offset,
                       const std::vector<int64_t>& shape, const std::vector<int64_t>& dim0, F&& f) {
  const size_t nd = shape.size();
  if (shape_numel(shape) == 0) return;
  if (nd == 0) {
    f(int64_t{0}, int64_t{0}, int64_t{1});
    return;
  }
  std::vector<int64_t> gstride(nd, 1);
  for (size_t d = nd; d-- > 1;) gstride[d - 1] = gstride[d] * global_shape[d];
  std::vector<int64_t> idx(nd, 0);
  const int64_t inner = shape[nd - 1];
  int64_t local = 0;
  while (true) {
    int64_t g = (dim0.empty() ? offset[0] + idx[0] : dim0[idx[0]]) * gstride[0];
    for (size_t d = 1; d < nd; ++d) g += (offset[d] + idx[d]) * gstride[d];
    f(local, g, inner);
    local += inner;
    if (nd == 1) return;
    size_t d = nd - 1;
    while (true) {
      --d;
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
      if (d == 0) return;
    }
  }
}

template <class F>
void for_each_slab_row(const std::vector<int64_t>& global_shape, const std::vector<int64_t>& offset,
                       const std::vector<int64_t>& shape, F&& f) {
  for_each_slab_row(global_shape, offset, shape, {}, f);
}

}  // namespace paramoe
