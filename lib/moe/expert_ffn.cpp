#include "moe/expert_ffn_impl.h"

namespace paramoe {

template void expert_ffn_forward(const ExpertOps<float>&, const ExpertDims&,
                                 const ExpertWeightsOf<float>&, const float*, const int64_t*, bool,
                                 ExpertScratch<float>&, float*, bool, const std::function<void()>&);
template void expert_ffn_backward(const ExpertOps<float>&, const ExpertDims&,
                                  const ExpertWeightsOf<float>&, const float*,
                                  ExpertScratch<float>&, const float*, const int64_t*,
                                  const ExpertGradsOf<float>&, float*, bool,
                                  const std::function<void()>&, bool);

}  // namespace paramoe
