#pragma once
// Aurora's deployment planner (arXiv 2410.17043): where the experts of one or two
// MoE models live on n ranks, and how long their dispatch all-to-all takes on a
// big switch with per-rank links (a2a_order.h). Aurora's model: every rank holds
// one expert of each model (E = n per model); a rank's send port carries the rows
// of its tokens, its receive port the rows routed to its experts, and a
// deployment's time is the per-port bound, max over ranks r of max(sent_r,
// received_r) / B_r, which an ordered all-to-all reaches on equal links. (The
// rows a rank routes to its own expert are counted as if they crossed the switch:
// about 1/n of the traffic, and what makes placement a clean assignment problem
// with the optimal rules below.) Aurora's four settings:
//
//   exclusive  (the models run one after the other, each over every rank):
//              time = Σ over models of the bound of its own traffic.
//     homogeneous:   every placement is optimal (even senders, equal ports).
//     heterogeneous: each model's heaviest expert on the fastest link (Aurora's
//                    rule; optimal by an exchange argument).
//   colocated  (the models' all-to-alls share every rank's ports; one model
//              computes while the other communicates): time = the bound of the
//              summed traffic, so the pairing of experts on a rank matters.
//     homogeneous:   the heaviest expert of one model shares a rank with the
//                    lightest of the other (optimal: min-max pair sums).
//     heterogeneous: NP-hard. Polynomial heuristic: one model's placement around
//                    the other's is a bottleneck assignment, solved exactly; from
//                    three starts (Aurora's heavy-with-light pairs with the
//                    heaviest pair on the fastest link, or either model alone
//                    first), the models are placed around each other in turns
//                    while the bound falls, and the best result is kept.
//
// On equal links the starts are the optimal pairing; tests compare all four with
// exhaustive search. Deterministic.
#include <vector>

#include "comm/a2a_order.h"
#include "plan/traffic.h"

namespace paramoe {

struct Deployment {
  bool colocated = false;
  // owner[m][e]: the rank that holds expert e of model m.
  std::vector<std::vector<int>> owner;
  double seconds = 0;  // deployment_seconds of it
};

// The all-to-all traffic (bytes from rank i to rank j) of each model under its
// owners, model m's rows[i][e] · bytes_per_row from i to owner[m][e]: what an
// order (a2a_order.h) schedules for the deployment.
std::vector<TrafficMatrix> deployment_traffic(const std::vector<ExpertTraffic>& models,
                                              const std::vector<std::vector<int>>& owner,
                                              int64_t bytes_per_row);
// The bound under Aurora's model: exclusive, summed over the models run one after
// the other; colocated, of the models' rows on shared ports.
double deployment_seconds(const std::vector<ExpertTraffic>& models,
                          const std::vector<std::vector<int>>& owner, const Bandwidths& bw,
                          bool colocated, int64_t bytes_per_row);

// The heuristic above. models: one or two (colocated needs two), each with
// experts == ranks == bw.size(). Throws Error naming what does not fit.
Deployment plan_deployment(const std::vector<ExpertTraffic>& models, const Bandwidths& bw,
                           bool colocated, int64_t bytes_per_row);
// Every placement of every model (n! per model); for tests and `plan colocate
// --check`, n ≤ 7.
Deployment plan_deployment_exhaustive(const std::vector<ExpertTraffic>& models,
                                      const Bandwidths& bw, bool colocated, int64_t bytes_per_row);

}  // namespace paramoe
