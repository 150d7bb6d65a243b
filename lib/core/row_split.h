#pragma once
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace paramoe {

// Balanced split of `total` rows over `parts`: the first total % parts parts get one
// more row. Used for data-parallel shards and the MP token split alike.
inline void split_rows(int64_t total, int parts, int index, int64_t& row0, int64_t& rows) {
  const int64_t base = total / parts, extra = total % parts;
  rows = base + (index < extra ? 1 : 0);
  row0 = index * base + std::min<int64_t>(index, extra);
}

// Split of `total` rows in proportion to `weights` (one per part, > 0), rounded
// so that the parts sum to total exactly: each part gets the floor of its share,
// and the rows left over go to the largest remainders (ties to the lower index).
// Every rank computes the same split from the same weights.
inline void split_weighted(int64_t total, const std::vector<double>& weights, int index,
                           int64_t& row0, int64_t& rows) {
  const size_t n = weights.size();
  double sum = 0;
  for (double w : weights) sum += w;
  std::vector<int64_t> part(n);
  std::vector<std::pair<double, size_t>> rest(n);  // (−remainder, index): largest first
  int64_t given = 0;
  for (size_t i = 0; i < n; ++i) {
    const double share = static_cast<double>(total) * weights[i] / sum;
    part[i] = static_cast<int64_t>(share);
    given += part[i];
    rest[i] = {-(share - static_cast<double>(part[i])), i};
  }
  std::sort(rest.begin(), rest.end());
  for (int64_t r = 0; r < total - given; ++r) ++part[rest[static_cast<size_t>(r) % n].second];
  row0 = 0;
  for (int i = 0; i < index; ++i) row0 += part[i];
  rows = part[index];
}

// split_weighted, or split_rows over `parts` when weights is empty.
inline void split_rows_by(int64_t total, int parts, const std::vector<double>& weights, int index,
                          int64_t& row0, int64_t& rows) {
  if (weights.empty())
    split_rows(total, parts, index, row0, rows);
  else
    split_weighted(total, weights, index, row0, rows);
}

}  // namespace paramoe
