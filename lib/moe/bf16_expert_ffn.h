#pragma once
// The expert FFN in bf16 inside the fp32 distributed GPU path (device.precision =
// "bf16"): the GEMMs read bf16 copies of the weights and rows and accumulate in
// fp32, while everything around them stays fp32: the rows the collectives move,
// the master weights, and the gradients that accumulate over micro-batches and that
// the optimizer sums over replicas. Rows are cast on the way in; outputs, input gradients and
// weight gradients are cast on the way out, or added where the ESP slices or the gradient
// accumulation sum them.
//
// One object per backend holds one bf16 weight copy (and its gradients): a layer's
// own experts, loaded once per change of the values, or data-centric's gathered blocks, one
// after another, each loaded before it runs. The activations the backward reads are
// the caller's (one scratch per gathered block).
#include <cstdint>
#include <vector>

#include "kernels/cuda/bf16.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/expert_ops.h"
#include "moe/expert_blocks.h"
#include "moe/expert_ffn.h"

namespace paramoe {

class Bf16ExpertFfn {
 public:
  // Casts fp32 device weights of shape d into the bf16 copy.
  void load(const ExpertDims& d, const ExpertWeights& w);

  // out = (or +=, with accumulate_out) the FFN of the loaded weights on fp32 xs.
  void forward(const float* xs, const std::vector<int64_t>& offsets, bool add_b2,
               bool accumulate_out, ExpertScratch<cuda::bf16>& act, float* out,
               cuda::ExpertGemm how);
  // Adds the weight gradients into g (fp32); writes dxs, or adds to it with
  // accumulate_dx. act is the scratch the matching forward filled.
  void backward(const float* xs, const float* dout, const std::vector<int64_t>& offsets,
                ExpertScratch<cuda::bf16>& act, const ExpertGrads& g, bool accumulate_dx,
                float* dxs, cuda::ExpertGemm how);

 private:
  ExpertWeightsOf<cuda::bf16> weights() const;
  ExpertGradsOf<cuda::bf16> grads();
  // Casts or adds bf16 rows into fp32 `to`.
  static void rows_out(const cuda::bf16* rows, int64_t n, bool accumulate, float* to);

  ExpertBlock layout_;                           // the copy's layout: one packed block
  cuda::DeviceBuffer<cuda::bf16> value_, grad_;  // weights and their gradients
  cuda::DeviceBuffer<cuda::bf16> xs_, dout_, result_;
};

}  // namespace paramoe
