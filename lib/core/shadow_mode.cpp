#include "core/shadow_mode.h"

#include <algorithm>
#include <cctype>

namespace paramoe {

bool shadow_parse(const std::string& spec, int num_experts, ShadowMode& out) {
  if (spec == "off" || spec == "auto") {
    out = ShadowMode{spec == "auto", 0};
    return true;
  }
  if (spec.rfind("top:", 0) != 0) return false;
  const std::string n = spec.substr(4);
  if (n.empty() || n.size() > 6 ||
      !std::all_of(n.begin(), n.end(), [](unsigned char ch) { return std::isdigit(ch); }))
    return false;
  const int top = std::stoi(n);
  if (top < 1 || top > num_experts) return false;
  out = ShadowMode{true, top};
  return true;
}

}  // namespace paramoe
