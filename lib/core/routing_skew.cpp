#include "core/routing_skew.h"

#include <cmath>
#include <cstdlib>

namespace paramoe {

namespace {
// The number after "prefix:", if spec is exactly that.
bool number_after(const std::string& spec, const std::string& prefix, double& v) {
  if (spec.rfind(prefix + ":", 0) != 0) return false;
  const std::string text = spec.substr(prefix.size() + 1);
  if (text.empty()) return false;
  char* end = nullptr;
  v = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(v);
}
}  // namespace

bool routing_skew_parse(const std::string& spec, int top_k, RoutingSkew& out) {
  double v = 0;
  if (spec == "uniform") {
    out = RoutingSkew{};
    return true;
  }
  if (number_after(spec, "zipf", v) && v > 0) {
    out = RoutingSkew{RoutingSkew::Kind::Zipf, v};
    return true;
  }
  // Each token gives the hot expert at most one of its top_k assignments.
  if (number_after(spec, "hot", v) && v > 0 && v < 1 && v * top_k <= 1 + 1e-12) {
    out = RoutingSkew{RoutingSkew::Kind::Hot, v};
    return true;
  }
  return false;
}

}  // namespace paramoe
