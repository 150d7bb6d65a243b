#include "kernels/cpu/dispatch_ops.h"

#include <algorithm>
#include <vector>

namespace paramoe::cpu {

void dispatch_positions(const int32_t* expert, const uint8_t* kept, int64_t tokens, int k,
                        const int32_t* slot_of, int num_slots, int64_t* counts, int32_t* send_pos,
                        int32_t* send_token) {
  std::fill(counts, counts + num_slots, int64_t{0});
  for (int64_t a = 0; a < tokens * k; ++a)
    if (kept[a]) ++counts[slot_of[expert[a]]];
  std::vector<int64_t> cursor(num_slots, 0);
  for (int s = 1; s < num_slots; ++s) cursor[s] = cursor[s - 1] + counts[s - 1];
  for (int64_t a = 0; a < tokens * k; ++a) {
    send_pos[a] = -1;
    if (!kept[a]) continue;
    const int64_t pos = cursor[slot_of[expert[a]]]++;
    send_pos[a] = static_cast<int32_t>(pos);
    send_token[pos] = static_cast<int32_t>(a / k);
  }
}

void layout_order(const int32_t* counts, int blocks, int peers, int local_experts,
                  int32_t* sorted_from) {
  const int64_t n = int64_t{blocks} * peers * local_experts;
  std::vector<int64_t> start(n, 0);  // the first layout row of each block
  for (int64_t i = 1; i < n; ++i) start[i] = start[i - 1] + counts[i - 1];
  int64_t out = 0;
  for (int le = 0; le < local_experts; ++le)
    for (int64_t qp = 0; qp < int64_t{blocks} * peers; ++qp) {
      const int64_t i = qp * local_experts + le;
      for (int c = 0; c < counts[i]; ++c) sorted_from[out++] = static_cast<int32_t>(start[i] + c);
    }
}

}  // namespace paramoe::cpu
