#pragma once
// Megatron-style model-parallel linear layers, y = x·W + b with W [in, out]:
//  - Column: each MP rank holds a slice of W's output columns and of b. The input
//    is replicated; the output is this rank's slice, so no communication forward;
//    backward all-reduces dx over MP.
//  - Row: each rank holds a slice of W's input rows; the input is the matching
//    slice (a Column layer's output); forward all-reduces the partial outputs over
//    MP, then adds the replicated bias; backward needs no communication.
//  - None: every rank holds the whole W and b and computes the same output (small
//    layers outside the Megatron pairs: Swin's patch embedding, patch merging and
//    classifier); no communication. Its bias may be absent (b without values).
// A Column then a Row layer (attention, MLP) costs one all-reduce each way.
// Activations live in the backend's memory, and the all-reduces run on its
// collectives.
#include "comm/collectives.h"
#include "core/param.h"
#include "model/dense_backend.h"

namespace paramoe {

enum class MpSplit { Column, Row, None };

class ParallelLinear {
 public:
  // w holds this rank's [in, out] block (its global shape may have more dims, as
  // QKV's [d_model, 3, heads, head_dim] does); b has this rank's out values.
  ParallelLinear(Param w, Param b, MpSplit split, DenseBackend& be);
  // Column: columns [c0, c0 + cols) of a [in, out] weight; Row: rows [r0, r0 + rows).
  static ParallelLinear column(const std::string& name, int64_t in, int64_t out, DenseBackend& be);
  static ParallelLinear row(const std::string& name, int64_t in, int64_t out, DenseBackend& be);
  static ParallelLinear replicated(const std::string& name, int64_t in, int64_t out, bool bias,
                                   DenseBackend& be);
  bool has_bias() const { return !b.value.empty(); }

  void forward(const float* x, int64_t n, float* y);
  // dx overwritten (nullable); parameter grads accumulate.
  void backward(const float* x, const float* dy, int64_t n, float* dx);
  int64_t in() const { return in_; }
  int64_t out() const { return out_; }

  Param w, b;

 private:
  MpSplit split_;
  DenseBackend* be_;
  int64_t in_, out_;
};

// Sums buf over the MP group (no-op at mp = 1): Megatron's f (backward of a
// replicated input) and g (forward of a row-parallel output).
void mp_allreduce(Collectives& coll, float* buf, int64_t count);

}  // namespace paramoe
