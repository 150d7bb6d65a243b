#pragma once
// The executed steps of a layer as trace spans (core/trace.h): one thread per lane
// (local compute, intra-node, inter-node), a started collective spanning from its
// start to its completion, so that s2's overlapping lanes show side by side.
#include <string>
#include <vector>

#include "core/trace.h"
#include "moe/moe_run.h"

namespace paramoe {

// Thread names in lane order, for trace_write.
std::vector<std::string> step_trace_threads();

// Appends the records as spans; `category` names what ran (e.g. the schedule).
void step_trace_append(const std::vector<StepRecord>& records, const std::string& category,
                       std::vector<TraceSpan>& out);

}  // namespace paramoe
