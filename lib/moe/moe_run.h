#pragma once
// The state of one forward/backward pass of one MoE layer on one rank: the routing,
// the dispatch plan and a record of every executed step. The named buffers the
// steps read and write live in the layer's StepBackend.
#include <cstdint>
#include <string>
#include <vector>

#include "moe/dispatch_plan.h"
#include "moe/router.h"
#include "moe/schedule.h"

namespace paramoe {

struct StepRecord {
  Op op;
  Group group;
  Lane lane;
  int chunk;
  bool backward;
  double start, end;  // seconds, steady clock; a started collective ends when it completes
  int64_t bytes;      // payload this rank sent to other ranks
};

struct MoeRun {
  int64_t tokens = 0;        // rows of the layer input (one dp shard, replicated over MP)
  bool split = false;        // tokens were split over MP (SplitMp ran)
  std::vector<int> mp_rows;  // rows per MP rank after the split
  int64_t mp_row0 = 0;
  int64_t capacity = 0;  // assignments each expert keeps this step; 0: dropless
  Routing routing;
  std::vector<int> shadowed;  // experts every EP rank ran this pass (moe.shadow), slot order
  DispatchPlan plan;
  std::vector<StepRecord> records;

  int64_t alltoall_bytes() const;   // sent over EP, forward + backward
  double alltoall_seconds() const;  // while an all-to-all was in flight
  double seconds_in(Op op) const;   // in steps of this op, forward + backward
  // The union of a communication lane's step spans (a started collective's from
  // its start to its completion), forward + backward; and of both lanes together.
  // Their overlap, (intra + inter − both) / the smaller lane's, is the share of
  // the less busy lane's time that the other lane was busy too.
  double lane_seconds(Lane lane) const;
  double communication_seconds() const;
};

}  // namespace paramoe
