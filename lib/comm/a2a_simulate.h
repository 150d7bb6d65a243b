#pragma once
// Makespan of an all-to-all under the big-switch model of a2a_order.h: one send
// and one receive port per rank, a transfer i→j at min(B_i, B_j), plus a fixed
// start-up latency per message. Needs no MPI: `paramoe plan a2a` and the
// predictor price the orders with it.
#include "comm/a2a_order.h"

namespace paramoe {

// The order as the ordered executor runs it: each port takes its pieces one at a
// time in the order's sequence; a piece starts when both its ports are free (and,
// for a lockstep order, when both ranks have finished their previous step).
double simulate_order(const A2aOrder& order, int n, const Bandwidths& bw, double latency_s);

// Every transfer at once (MPI_Alltoallv's linear algorithm, NCCL's grouped
// send/recv): port bandwidth is shared max-min fairly among the transfers using
// it, recomputed whenever one finishes. Fair sharing alone is work-conserving, so
// it never loses to an order; real receivers do lose when fed by several senders
// at once (TCP incast: queue drops and retransmits; shared memory: cache thrash).
// `incast_penalty` c charges that: a receive port fed by k senders carries
// 1/(1 + c·(k − 1)) of its rate. Cost grows as n⁴; meant for n ≤ 64.
double simulate_all_at_once(const TrafficMatrix& m, const Bandwidths& bw, double latency_s,
                            double incast_penalty = 0.0);

}  // namespace paramoe
