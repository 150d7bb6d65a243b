#pragma once
// A batch of token sequences as the transformer models consume it.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace paramoe {

struct TokenBatch {
  int64_t sequences = 0, seq_len = 0;
  std::vector<int32_t> input;      // [sequences, seq_len]
  std::vector<int32_t> target;     // [sequences, seq_len]; −1: no loss at this position
  std::vector<uint8_t> key_valid;  // [sequences, seq_len]; 0 at padding; empty: all valid
  int64_t tokens() const { return sequences * seq_len; }
  int64_t targets() const {  // positions with a target
    return std::count_if(target.begin(), target.end(), [](int32_t t) { return t >= 0; });
  }
};

}  // namespace paramoe
