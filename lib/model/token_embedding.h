#pragma once
// Token and learned position embeddings. The token table [vocab, d_model] is split
// over MP by vocabulary rows (Megatron's vocab-parallel embedding: each rank looks
// up the ids in its slice, and an all-reduce over MP completes the rows); the
// position table [seq_len, d_model] is replicated. The token table is also the
// tied LM head's weight (lm_head_loss.h). Neither table is weight-decayed. The
// ids are host memory; the rows live in the backend's memory.
#include <vector>

#include "core/param.h"
#include "model/dense_backend.h"

namespace paramoe {

class TokenEmbedding {
 public:
  TokenEmbedding(int64_t vocab, int64_t seq_len, int64_t d_model, DenseBackend& be);
  // ids [batch, seq] at positions pos0 .. pos0 + seq − 1 (pos0 > 0 when decoding
  // continues a sequence) → x [batch·seq, d_model], replicated over MP.
  void forward(const int32_t* ids, int64_t batch, int64_t seq, float* x, int64_t pos0 = 0);
  void backward(const float* dx);  // parameter grads accumulate
  std::vector<Param*> params() { return {&wte, &wpe}; }
  int64_t vocab_begin() const { return wte.offset[0]; }

  Param wte, wpe;

 private:
  DenseBackend* be_;
  int64_t D_, batch_ = 0, seq_ = 0, pos0_ = 0;
  std::vector<int32_t> ids_;
};

}  // namespace paramoe
