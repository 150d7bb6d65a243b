#pragma once
// bench.routing's skew on the router's selection scores (core/routing_skew.h).
#include <cstdint>

#include "core/routing_skew.h"

namespace paramoe {

// Adds the skew to scores [T, E] (probabilities, plus any balance bias) of the
// tokens x [T, D]. Each token's draws come from a hash of its own values, so a
// token is skewed alike wherever it is routed. Experts a token must choose get
// +1000 (in the order drawn), experts it must not get −1000; the rest keep their
// score. Uniform: no change.
void skew_scores(const RoutingSkew& skew, const float* x, int64_t tokens, int64_t d_model,
                 int experts, int top_k, float* scores);

}  // namespace paramoe
