#pragma once
// One rank's slice of the experts: act(x·W1 + b1)·W2 (+ b2), on rows sorted by
// local expert. With ESP the hidden dimension is sliced, so the output is a partial
// sum that the schedule reduces over ESP; b2 is added by ESP rank 0 only, so that
// the reduction adds it exactly once.
#include <cstdint>
#include <functional>
#include <vector>

namespace paramoe {

struct ExpertDims {
  int64_t experts;  // local experts
  int64_t d_model;
  int64_t hidden;  // this rank's hidden slice
  bool swiglu;
  // Rows the FFN runs at a time (GEMM, activation, GEMM on one block, so the
  // hidden activations stay in cache); 0: expert_ffn_block_rows(hidden).
  int64_t block_rows = 0;
};

// The default row block for a hidden width (expert_ffn.cpp says how it was chosen).
int64_t expert_ffn_block_rows(int64_t hidden);

struct ExpertWeights {
  const float *w1, *b1, *w3, *b3, *w2, *b2;  // w3, b3 only for SwiGLU
};

struct ExpertGrads {
  float *w1, *b1, *w3, *b3, *w2, *b2;  // accumulated into
};

struct ExpertActivations {
  std::vector<float> a, g, h;  // pre-activation, SwiGLU up projection, activation
};

// accumulate: out += rather than out = (data-centric sums the ESP slices itself).
// between_blocks, if set, runs after each row block: the shared experts drive the
// all-to-all in flight with it (MPI progresses only inside MPI calls).
void expert_ffn_forward(const ExpertDims& d, const ExpertWeights& w, const float* xs,
                        const int64_t* offsets, bool add_b2, ExpertActivations& act, float* out,
                        bool accumulate = false, const std::function<void()>& between_blocks = {});

// dxs is this slice's partial input gradient. db2 is the full bias gradient of the
// rows given (every ESP rank holds all rows of its group, so each computes it whole).
void expert_ffn_backward(const ExpertDims& d, const ExpertWeights& w, const float* xs,
                         const ExpertActivations& act, const float* dout, const int64_t* offsets,
                         ExpertGrads& g, float* dxs, bool accumulate = false,
                         const std::function<void()>& between_blocks = {});

}  // namespace paramoe
