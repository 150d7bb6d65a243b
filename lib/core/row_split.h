#pragma once
#include <algorithm>
#include <cstdint>

namespace paramoe {

// Balanced split of `total` rows over `parts`: the first total % parts parts get one
// more row. Used for data-parallel shards and the MP token split alike.
inline void split_rows(int64_t total, int parts, int index, int64_t& row0, int64_t& rows) {
  const int64_t base = total / parts, extra = total % parts;
  rows = base + (index < extra ? 1 : 0);
  row0 = index * base + std::min<int64_t>(index, extra);
}

}  // namespace paramoe
