#pragma once
// Skewed routing for the layer benchmarks (bench.routing): "uniform" leaves the
// router's choice alone; "hot:F" makes expert 0 take the fraction F of all top-k
// assignments; "zipf:S" gives expert e a share that falls as 1/(e+1)^S. The skew
// is a per-token offset on the router's selection scores, drawn from the token's
// own values (moe/routing_skew.h applies it), so the same token is skewed alike
// under any layout and schedule; the gate weights stay the token's probabilities.
#include <string>

namespace paramoe {

struct RoutingSkew {
  enum class Kind { Uniform, Zipf, Hot };
  Kind kind = Kind::Uniform;
  double param = 0;  // Zipf's S, or the hot expert's share F
};

// What bench.routing accepts, for messages.
inline constexpr const char* kRoutingSkewExpected =
    "\"uniform\", \"zipf:S\" with S > 0, or \"hot:F\" with 0 < F < 1 and F <= 1 / moe.top_k";

// Parses spec; false (and `out` untouched) if it is none of the forms, or out of
// range for top_k choices per token.
bool routing_skew_parse(const std::string& spec, int top_k, RoutingSkew& out);

}  // namespace paramoe
