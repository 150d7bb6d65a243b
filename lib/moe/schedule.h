#pragma once
// Schedules are data: an ordered list of steps over named buffers. The executor runs
// a list; the predictor and the tracer read the same list, so predicted and measured
// times compare step by step.
#include <string>
#include <vector>

#include "comm/process_grid.h"

namespace paramoe {

enum class Op {
  SplitMp,               // in → out: this MP rank's rows of a tensor replicated over MP
  GatherMp,              // all-gather(v) of rows over MP: the inverse of SplitMp
  Gate,                  // router on `in`; small collectives for global loss stats and capacity
  CountsExchange,        // all-to-all of per-expert row counts over EP
  CountsGatherEsp,       // all-gather of the received counts over ESP
  PermuteToSend,         // token rows → send rows, expert-major
  AllToAllV,             // rows over EP; reverse = the return trip
  AllGatherV,            // rows over ESP, one block per peer
  ReduceScatterV,        // sum over ESP, each peer keeps its block
  AllReduce,             // sum of a whole buffer over `group`
  PermuteToExperts,      // layout rows → expert-sorted rows
  UnpermuteFromExperts,  // expert-sorted rows → layout rows
  ExpertForward,
  ExpertBackward,      // `aux` names the saved expert input
  Combine,             // returned rows × gate weights → token rows
  CombineBackward,     // d token rows → d send rows and d gate weights; `aux`: returned rows
  ScatterAddFromSend,  // d send rows → d token rows (the adjoint of PermuteToSend)
  GateBackward,        // router backward; `aux`: the gate's input; dWg into buffer "dwg"
  AccumulateGateGrad,  // "dwg" → the gate parameter's gradient
};

// Intra-node traffic (MP, ESP) and inter-node traffic (EP) run on separate lanes,
// which is what s2 overlaps.
enum class Lane { Local, Intra, Inter };

struct Step {
  Op op;
  std::string in, out, aux;
  Group group = Group::World;
  Lane lane = Lane::Local;
  bool reverse = false;
  int chunk = 0;
};

struct Schedule {
  std::string name;
  std::vector<Step> forward;
  std::vector<Step> backward;
};

const char* op_name(Op op);
const char* lane_name(Lane lane);
bool op_is_collective(Op op);

// `replicated`: the DeepSpeed-MoE baseline (needs esp == mp); `s1`: Parm's "pause MP".
Schedule schedule_build(const std::string& name);
std::string schedule_describe(const Schedule& s);

}  // namespace paramoe
