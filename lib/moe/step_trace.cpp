#include "moe/step_trace.h"

namespace paramoe {

std::vector<std::string> step_trace_threads() {
  return {"local (compute)", "intra-node lane", "inter-node lane"};
}

void step_trace_append(const std::vector<StepRecord>& records, const std::string& category,
                       std::vector<TraceSpan>& out) {
  for (const StepRecord& r : records) {
    TraceSpan s;
    s.name = op_name(r.op);
    if (r.backward) s.name += " (bwd)";
    s.category = category;
    s.thread = static_cast<int>(r.lane);  // Local, Intra, Inter
    s.start = r.start;
    s.end = r.end;
    s.args = {{"bytes", std::to_string(r.bytes)},
              {"chunk", std::to_string(r.chunk)},
              {"group", json_string(group_name(r.group))},
              {"pass", json_string(r.backward ? "backward" : "forward")}};
    out.push_back(std::move(s));
  }
}

}  // namespace paramoe
