#pragma once
// Load-aware expert placement. Given each expert's load (rows routed to it over
// recent steps) and each EP rank's relative speed, choose which rank holds which
// expert, E/ep experts per rank. The cost of a placement is its makespan: the
// largest Σ(loads of a rank's experts) / speed of that rank, which is how long
// the slowest rank spends in its expert FFNs (and, on a big switch, how long its
// receive port is busy, when speed is its link bandwidth).
//
// Aurora's rule for unequal devices — the heaviest experts go to the fastest
// devices — and plain load balancing on equal devices are both this problem.
#include <string>
#include <vector>

namespace paramoe {

// owner[e] = EP rank. speeds: one per rank, > 0; empty means all equal.
double placement_makespan(const std::vector<double>& loads, const std::vector<double>& speeds,
                          const std::vector<int>& owner, int ep);

// Longest-processing-time first under the E/ep capacity: experts in descending
// load, each to the rank with room that would finish it earliest ((assigned +
// load)/speed; ties to the faster, then the lower rank), then pairwise swaps out
// of the bottleneck rank while they lower the makespan. With one expert per rank
// the first pass is exactly "heaviest to fastest". Deterministic: every rank
// that plans from the same loads gets the same owners.
std::vector<int> plan_placement(const std::vector<double>& loads, const std::vector<double>& speeds,
                                int ep);

}  // namespace paramoe
