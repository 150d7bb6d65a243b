#pragma once
// moe.shadow as a setting: "off", "auto" (shadow the hottest experts while the cost
// model predicts a gain) or "top:N" (always the N hottest: studies and tests).
// moe/expert_shadow.h does the shadowing.
#include <string>

namespace paramoe {

struct ShadowMode {
  bool on = false;
  int top = 0;  // 0: auto
};

// Parses spec; false (and `out` untouched) if it is none of the forms.
bool shadow_parse(const std::string& spec, int num_experts, ShadowMode& out);

}  // namespace paramoe
