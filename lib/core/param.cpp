#include "core/param.h"

#include <functional>

#include "core/error.h"
#include "core/rng.h"

namespace paramoe {

void Param::zero_grad() {
  std::fill(grad.begin(), grad.end(), 0.0f);
}

static int64_t product(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (auto v : s) n *= v;
  return n;
}

Param param_make(std::string name, std::vector<int64_t> global_shape, std::vector<int64_t> offset,
                 std::vector<int64_t> shape, GradSync sync, bool weight_decay) {
  PARAMOE_REQUIRE(global_shape.size() == offset.size() && offset.size() == shape.size(),
                  "param " + name + ": rank mismatch in hyperslab");
  for (size_t d = 0; d < shape.size(); ++d)
    PARAMOE_REQUIRE(offset[d] >= 0 && offset[d] + shape[d] <= global_shape[d],
                    "param " + name + ": hyperslab outside the global shape");
  Param p;
  p.name = std::move(name);
  p.global_shape = std::move(global_shape);
  p.offset = std::move(offset);
  p.shape = std::move(shape);
  p.value.assign(product(p.shape), 0.0f);
  p.grad.assign(product(p.shape), 0.0f);
  p.sync = sync;
  p.weight_decay = weight_decay;
  return p;
}

// Visits every element of the hyperslab with (local index, global index).
static void for_each_slab_element(const std::vector<int64_t>& global_shape,
                                  const std::vector<int64_t>& offset,
                                  const std::vector<int64_t>& shape,
                                  const std::function<void(int64_t, int64_t)>& f) {
  const size_t nd = shape.size();
  if (product(shape) == 0) return;
  std::vector<int64_t> gstride(nd, 1);
  for (size_t d = nd; d-- > 1;) gstride[d - 1] = gstride[d] * global_shape[d];
  std::vector<int64_t> idx(nd, 0);
  const int64_t inner = nd ? shape[nd - 1] : 1;
  int64_t local = 0;
  while (true) {
    int64_t g = 0;
    for (size_t d = 0; d < nd; ++d) g += (offset[d] + idx[d]) * gstride[d];
    for (int64_t i = 0; i < inner; ++i) f(local++, g + i);
    if (nd <= 1) return;
    size_t d = nd - 1;
    while (d-- > 0) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
      if (d == 0) return;
    }
  }
}

void hyperslab_extract(const float* global, const std::vector<int64_t>& global_shape,
                       const std::vector<int64_t>& offset, const std::vector<int64_t>& shape,
                       float* local) {
  for_each_slab_element(global_shape, offset, shape,
                        [&](int64_t l, int64_t g) { local[l] = global[g]; });
}

void hyperslab_insert(const float* local, const std::vector<int64_t>& global_shape,
                      const std::vector<int64_t>& offset, const std::vector<int64_t>& shape,
                      float* global) {
  for_each_slab_element(global_shape, offset, shape,
                        [&](int64_t l, int64_t g) { global[g] = local[l]; });
}

void param_init_uniform(Param& p, float bound, uint64_t seed) {
  const uint64_t stream = stream_id(p.name);
  for_each_slab_element(p.global_shape, p.offset, p.shape, [&](int64_t l, int64_t g) {
    p.value[l] = static_cast<float>((2.0 * uniform01(seed, stream, g) - 1.0) * bound);
  });
}

void param_init_constant(Param& p, float v) {
  std::fill(p.value.begin(), p.value.end(), v);
}

}  // namespace paramoe
