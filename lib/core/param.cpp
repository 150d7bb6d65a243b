#include "core/param.h"

#include <algorithm>

#include "core/error.h"
#include "core/rng.h"
#include "core/slab.h"

namespace paramoe {

void Param::zero_grad() {
  std::fill(grad.begin(), grad.end(), 0.0f);
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
  p.value.assign(shape_numel(p.shape), 0.0f);
  p.grad.assign(shape_numel(p.shape), 0.0f);
  p.sync = sync;
  p.weight_decay = weight_decay;
  return p;
}

ResidentParam resident_on_host(Param& p) {
  return {&p, p.value.data(), p.grad.data()};
}

std::vector<ResidentParam> resident_on_host(const std::vector<Param*>& params) {
  std::vector<ResidentParam> out;
  for (Param* p : params) out.push_back(resident_on_host(*p));
  return out;
}

void param_set_dim0(Param& p, std::vector<int64_t> rows) {
  PARAMOE_REQUIRE(!p.shape.empty() && static_cast<int64_t>(rows.size()) == p.shape[0],
                  "param " + p.name + ": dim0 needs one index per local row");
  for (size_t i = 0; i < rows.size(); ++i)
    PARAMOE_REQUIRE(
        rows[i] >= 0 && rows[i] < p.global_shape[0] && (i == 0 || rows[i - 1] < rows[i]),
        "param " + p.name + ": dim0 indices must be ascending and in range");
  p.offset[0] = rows.empty() ? 0 : rows[0];
  p.dim0 = std::move(rows);
}

void hyperslab_extract(const float* global, const std::vector<int64_t>& global_shape,
                       const std::vector<int64_t>& offset, const std::vector<int64_t>& shape,
                       float* local, const std::vector<int64_t>& dim0) {
  for_each_slab_row(global_shape, offset, shape, dim0, [&](int64_t l, int64_t g, int64_t n) {
    std::copy(global + g, global + g + n, local + l);
  });
}

void hyperslab_insert(const float* local, const std::vector<int64_t>& global_shape,
                      const std::vector<int64_t>& offset, const std::vector<int64_t>& shape,
                      float* global, const std::vector<int64_t>& dim0) {
  for_each_slab_row(global_shape, offset, shape, dim0, [&](int64_t l, int64_t g, int64_t n) {
    std::copy(local + l, local + l + n, global + g);
  });
}

void param_init_uniform(Param& p, float bound, uint64_t seed) {
  const uint64_t stream = stream_id(p.name);
  for_each_slab_row(
      p.global_shape, p.offset, p.shape, p.dim0, [&](int64_t l, int64_t g, int64_t n) {
        for (int64_t i = 0; i < n; ++i)
          p.value[l + i] = static_cast<float>((2.0 * uniform01(seed, stream, g + i) - 1.0) * bound);
      });
}

void param_init_constant(Param& p, float v) {
  std::fill(p.value.begin(), p.value.end(), v);
}

}  // namespace paramoe
