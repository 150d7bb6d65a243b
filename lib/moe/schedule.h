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
  Route,                 // router on `in`: logits, softmax, top-k (no capacity yet)
  CapacityScan,          // counts over MP (total and before this rank) for capacity by position
  LossStats,             // the aux and z losses' statistics summed over `group`
  BuildPlan,             // the send side of the dispatch plan from the routing
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
  ChunkSlice,          // rows of chunk `chunk` of every block of `in` (laid out as `layout`)
  ChunkPlace,          // the inverse: chunk rows back to their places in `out`
  Wait,                // completes the asynchronous collective that writes `in`
  // Data-centric execution (HEXA-MoE): tokens stay, expert weights travel.
  LocalPlan,               // the dispatch plan for running every expert here: rows by slot
  GatherWeights,           // all-gather of this layer's expert blocks into the weight cache
  PrefetchWeights,         // starts the next layer's gather (`reverse`: the previous layer's)
  GatheredExpertForward,   // every expert on this rank's rows, from the cache
  GatheredExpertBackward,  // `aux`: the saved input; weight gradients into the cache
  ReduceScatterGrads,      // the cache's weight gradients back to their owners, summed
  AccumulateExpertGrads,   // this rank's reduced block → its expert params' gradients
  // Shared experts (moe.shared_experts): a dense FFN on every token, column/row-
  // parallel over MP, that computes while the routed rows' collectives are in flight.
  SharedExpertForward,   // in: the layer input (all T rows) → out: a partial sum over MP
  SharedExpertBackward,  // in: dy (all T rows), aux: the input → out: dx's partial over MP
  ReduceScatterMp,       // sum over MP, each rank keeping its SplitMp rows
  AddRows,               // out += in
  // Hot-expert shadowing (moe.shadow, expert_shadow.h): the hottest experts' weights
  // go to every EP rank for this step, and their gradients come back to the owner.
  ShadowPlan,             // picks the experts to shadow from the loss statistics' shares
  GatherShadow,           // packs this rank's shadowed experts (`in`), all-gathers them over EP
  ReduceShadowGrads,      // the shadowed experts' gradients summed back to their owners
  AccumulateShadowGrads,  // this rank's summed blocks → its expert params' gradients
};

// How a buffer's rows form blocks, for cutting them into chunks: one block per EP
// peer in send order or in receive order, or one per (ESP peer, EP source) of the
// all-gathered rows the experts read.
enum class ChunkLayout { EpSend, EpRecv, EspGathered };

// Intra-node traffic (MP, ESP) and inter-node traffic (EP) run on separate lanes,
// which is what s2 overlaps.
enum class Lane { Local, Intra, Inter };

struct Step {
  Op op;
  std::string in, out, aux;
  Group group = Group::World;
  Lane lane = Lane::Local;
  bool reverse = false;
  int chunk = 0;       // s2: which of `chunks` row ranges of every block this step moves
  int chunks = 1;      // 1: whole blocks
  bool async = false;  // a collective that a later Wait step completes
  ChunkLayout layout = ChunkLayout::EpSend;
  // Where in, out and aux live: slots of Schedule::buffers (-1 for none), resolved
  // once by schedule_build, so that running a step looks nothing up by name. An
  // all-to-all also has slots for its rows packed as bf16 on the wire
  // (moe.a2a_precision = "bf16"): the packed send rows and the received wire rows.
  int in_slot = -1, out_slot = -1, aux_slot = -1;
  int wire_send_slot = -1, wire_recv_slot = -1;
  // No later step of this pass or of the backward names `in`: a step that would
  // copy it whole (a one-rank group's collective) may hand its memory on instead.
  bool in_last_use = false;
};

struct Schedule {
  std::string name;
  std::vector<Step> forward;
  std::vector<Step> backward;
  std::vector<std::string> buffers;  // every buffer both passes use, by slot
  // The layer's input and output and their gradients (the caller fills x and dy
  // and reads y and dx), and the router's gate gradient, which the router's
  // backward writes besides its step's out. With shadowing, the shadowed experts'
  // gathered weights (which the expert steps read besides their in) and their
  // gradients (which the expert backward writes besides its out).
  int x = -1, y = -1, dy = -1, dx = -1, dwg = -1;
  int shadow_weights = -1, shadow_grads = -1;
};

const char* op_name(Op op);
const char* lane_name(Lane lane);
bool op_is_collective(Op op);

// `dc`: data-centric execution (weight_cache.h) instead of a token exchange.
// `replicated`: the DeepSpeed-MoE baseline (needs esp == mp); `s1`: Parm's "pause MP";
// `s2`: s1 with the EP all-to-all and the ESP all-gather (and the reduce-scatter
// and the return all-to-all) cut into `chunks` pieces and pipelined, so that the
// inter-node piece i runs while the intra-node piece i−1 does.
// shared_experts: the shared FFN's steps too, its forward and backward placed
// while the first all-to-all of the dispatch (or, in `dc`, the weights' gather) is
// in flight; in s1 and `replicated` that all-to-all is then a started one.
// shadow: hot-expert shadowing's steps too (model-centric schedules only: in `dc`
// every expert's weights travel already, so it has none). The weights' gather is in
// flight during the dispatch, the gradients' reduction during the combine's
// backward and the router's.
Schedule schedule_build(const std::string& name, int chunks = 1, bool shared_experts = false,
                        bool shadow = false);

// Rows [chunk_begin(n, c, r), chunk_begin(n, c + 1, r)) of a block of n rows form
// chunk c of r: sender and receiver of a block agree on them from n alone.
inline int64_t chunk_begin(int64_t n, int c, int r) {
  return n * c / r;
}
std::string schedule_describe(const Schedule& s);

}  // namespace paramoe
