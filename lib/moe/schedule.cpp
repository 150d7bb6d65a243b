#include "moe/schedule.h"

#include <map>
#include <sstream>

#include "core/error.h"

namespace paramoe {

const char* op_name(Op op) {
  switch (op) {
    case Op::SplitMp:
      return "split_mp";
    case Op::GatherMp:
      return "allgather_mp";
    case Op::Route:
      return "route";
    case Op::CapacityScan:
      return "capacity_scan";
    case Op::LossStats:
      return "loss_stats";
    case Op::BuildPlan:
      return "build_plan";
    case Op::CountsExchange:
      return "counts_alltoall";
    case Op::CountsGatherEsp:
      return "counts_allgather";
    case Op::PermuteToSend:
      return "permute_send";
    case Op::AllToAllV:
      return "alltoallv";
    case Op::AllGatherV:
      return "allgatherv";
    case Op::ReduceScatterV:
      return "reduce_scatterv";
    case Op::AllReduce:
      return "allreduce";
    case Op::PermuteToExperts:
      return "permute_experts";
    case Op::UnpermuteFromExperts:
      return "unpermute_experts";
    case Op::ExpertForward:
      return "expert_fwd";
    case Op::ExpertBackward:
      return "expert_bwd";
    case Op::Combine:
      return "combine";
    case Op::CombineBackward:
      return "combine_bwd";
    case Op::ScatterAddFromSend:
      return "unpermute_send";
    case Op::GateBackward:
      return "gate_bwd";
    case Op::AccumulateGateGrad:
      return "gate_grad";
    case Op::ChunkSlice:
      return "chunk_slice";
    case Op::ChunkPlace:
      return "chunk_place";
    case Op::Wait:
      return "wait";
    case Op::LocalPlan:
      return "plan_local";
    case Op::GatherWeights:
      return "allgather_weights";
    case Op::PrefetchWeights:
      return "prefetch_weights";
    case Op::GatheredExpertForward:
      return "gathered_expert_fwd";
    case Op::GatheredExpertBackward:
      return "gathered_expert_bwd";
    case Op::ReduceScatterGrads:
      return "reduce_scatter_wgrad";
    case Op::AccumulateExpertGrads:
      return "wgrad_accumulate";
    case Op::SharedExpertForward:
      return "shared_expert_fwd";
    case Op::SharedExpertBackward:
      return "shared_expert_bwd";
    case Op::ReduceScatterMp:
      return "reduce_scatter_mp";
    case Op::AddRows:
      return "add_rows";
    case Op::ShadowPlan:
      return "shadow_plan";
    case Op::GatherShadow:
      return "allgather_shadow";
    case Op::ReduceShadowGrads:
      return "reduce_scatter_shadow_wgrad";
    case Op::AccumulateShadowGrads:
      return "shadow_wgrad_accumulate";
  }
  return "?";
}

const char* lane_name(Lane lane) {
  switch (lane) {
    case Lane::Local:
      return "local";
    case Lane::Intra:
      return "intra";
    case Lane::Inter:
      return "inter";
  }
  return "?";
}

bool op_is_collective(Op op) {
  switch (op) {
    case Op::GatherMp:
    case Op::CountsExchange:
    case Op::CountsGatherEsp:
    case Op::AllToAllV:
    case Op::AllGatherV:
    case Op::ReduceScatterV:
    case Op::AllReduce:
    case Op::GatherWeights:
    case Op::ReduceScatterGrads:
    case Op::ReduceScatterMp:
    case Op::GatherShadow:
    case Op::ReduceShadowGrads:
    case Op::CapacityScan:
    case Op::LossStats:
      return true;
    default:
      return false;
  }
}

namespace {

Step local(Op op, std::string in, std::string out, std::string aux = "") {
  return Step{op, std::move(in), std::move(out), std::move(aux)};
}
Step coll(Op op, std::string in, std::string out, Group g, Lane lane, bool reverse = false) {
  Step s{op, std::move(in), std::move(out), ""};
  s.group = g;
  s.lane = lane;
  s.reverse = reverse;
  return s;
}

// The router's forward as steps, so that every collective is a step of its own
// that the predictor prices: the routing (local); the capacity scan, counts summed
// and prefix-summed over MP so that capacity by position counts the whole MP
// group's tokens (it moves nothing when dropless, or where the MP ranks hold the
// same tokens); and the aux and z losses' statistics summed over `loss_group` (the
// ranks that hold distinct tokens). The two collectives are a few bytes each,
// blocking and latency-bound: they run on the issuing thread (Lane::Local) rather
// than queue behind the bandwidth lanes. The dispatch plan (BuildPlan, or
// LocalPlan for data-centric execution) follows.
void add_gate(std::vector<Step>& steps, const std::string& in, Group loss_group) {
  steps.push_back(local(Op::Route, in, ""));
  steps.push_back(coll(Op::CapacityScan, "", "", Group::Mp, Lane::Local));
  steps.push_back(coll(Op::LossStats, "", "", loss_group, Lane::Local));
}

// The shared experts' steps (moe.shared_experts): the forward FFN on the layer
// input x, the backward on dy; each is placed by its schedule while a collective
// is in flight. Empty when the layer has none.
struct SharedSteps {
  bool on = false;
  Step forward() const { return local(Op::SharedExpertForward, "x", "sh"); }
  Step backward() const { return local(Op::SharedExpertBackward, "dy", "dxsh", "x"); }
};

// Hot-expert shadowing's steps (moe.shadow); none when it is off. The plan follows
// the loss statistics, whose sum gives every rank the same shares; the weights'
// gather starts before the dispatch and is waited for just before the experts run;
// the gradients' reduction starts after the experts' backward and is waited for at
// the end of the pass.
struct ShadowSteps {
  bool on = false;
  void plan(std::vector<Step>& v, Group loss_group) const;
  void gather(std::vector<Step>& v) const;
  void wait_weights(std::vector<Step>& v) const;
  void reduce(std::vector<Step>& v) const;
  void accumulate(std::vector<Step>& v) const;
};

std::string chunk_name(const std::string& buffer, int c) {
  std::string s = buffer;
  s += "#";
  s += std::to_string(c);
  return s;
}

Step chunk_step(Op op, std::string in, std::string out, ChunkLayout layout, int c, int r) {
  Step s = local(op, std::move(in), std::move(out));
  s.layout = layout;
  s.chunk = c;
  s.chunks = r;
  return s;
}

Step async_coll(Op op, std::string in, std::string out, Group g, Lane lane, int c, int r,
                bool reverse = false) {
  Step s = coll(op, std::move(in), std::move(out), g, lane, reverse);
  s.chunk = c;
  s.chunks = r;
  s.async = true;
  return s;
}

Step wait_for(const std::string& buffer, Lane lane, int c, int r) {
  Step s = local(Op::Wait, buffer, "");
  s.lane = lane;
  s.chunk = c;
  s.chunks = r;
  return s;
}

// The routed rows' first all-to-all, and the shared FFN step (if any) while it is
// in flight: then the all-to-all is a started one, completed after the step.
void add_alltoall_beside(std::vector<Step>& v, const std::string& send, const std::string& recv,
                         const SharedSteps& shared, bool backward) {
  if (!shared.on) {
    v.push_back(coll(Op::AllToAllV, send, recv, Group::Ep, Lane::Inter));
    return;
  }
  v.push_back(async_coll(Op::AllToAllV, send, recv, Group::Ep, Lane::Inter, 0, 1));
  v.push_back(backward ? shared.backward() : shared.forward());
  v.push_back(wait_for(recv, Lane::Inter, 0, 1));
}

void ShadowSteps::plan(std::vector<Step>& v, Group loss_group) const {
  if (!on) return;
  Step st = local(Op::ShadowPlan, "", "");
  st.group = loss_group;  // the ranks whose tokens the shares count
  v.push_back(st);
}
void ShadowSteps::gather(std::vector<Step>& v) const {
  if (!on) return;
  Step st = coll(Op::GatherShadow, "shw>mine", "shw", Group::Ep, Lane::Inter);
  st.async = true;
  v.push_back(st);
}
void ShadowSteps::wait_weights(std::vector<Step>& v) const {
  if (on) v.push_back(wait_for("shw", Lane::Inter, 0, 1));
}
void ShadowSteps::reduce(std::vector<Step>& v) const {
  if (!on) return;
  Step st = coll(Op::ReduceShadowGrads, "shg", "shg>mine", Group::Ep, Lane::Inter);
  st.async = true;
  v.push_back(st);
}
void ShadowSteps::accumulate(std::vector<Step>& v) const {
  if (!on) return;
  v.push_back(wait_for("shg>mine", Lane::Inter, 0, 1));
  v.push_back(local(Op::AccumulateShadowGrads, "shg>mine", ""));
}

// The shared FFN's partial sums over MP, reduce-scattered to this rank's SplitMp
// rows while the routed part goes on (started here, completed by add_shared_sum).
void start_shared_sum(std::vector<Step>& v, const std::string& partial) {
  Step st = coll(Op::ReduceScatterMp, partial, partial + ">mine", Group::Mp, Lane::Intra);
  st.async = true;
  v.push_back(st);
}
void add_shared_sum(std::vector<Step>& v, const std::string& partial, const std::string& into) {
  v.push_back(wait_for(partial + ">mine", Lane::Intra, 0, 1));
  v.push_back(local(Op::AddRows, partial + ">mine", into));
}

// Every MP rank holds the same tokens, gates them all and sends them to its own EP
// group; the ESP slices' partial outputs are summed by an all-reduce over ESP (= MP).
// The shared FFN's MP partial sums are all-reduced too, then added to the output.
Schedule build_replicated(const SharedSteps& shared, const ShadowSteps& shadow) {
  Schedule s;
  s.name = "replicated";
  add_gate(s.forward, "x", Group::Dp);  // distinct tokens live on distinct dp ranks
  shadow.plan(s.forward, Group::Dp);
  s.forward.insert(s.forward.end(), {
                                        local(Op::BuildPlan, "", ""),
                                        coll(Op::CountsExchange, "", "", Group::Ep, Lane::Inter),
                                    });
  shadow.gather(s.forward);
  s.forward.push_back(local(Op::PermuteToSend, "x", "send"));
  add_alltoall_beside(s.forward, "send", "recv", shared, false);
  shadow.wait_weights(s.forward);
  s.forward.insert(s.forward.end(),
                   {
                       local(Op::PermuteToExperts, "recv", "xs"),
                       local(Op::ExpertForward, "xs", "ys"),
                       local(Op::UnpermuteFromExperts, "ys", "yl"),
                       coll(Op::AllReduce, "yl", "yl", Group::Esp, Lane::Intra),
                       coll(Op::AllToAllV, "yl", "ret", Group::Ep, Lane::Inter, true),
                       local(Op::Combine, "ret", "y"),
                   });
  if (shared.on) {
    s.forward.push_back(coll(Op::AllReduce, "sh", "sh", Group::Mp, Lane::Intra));
    s.forward.push_back(local(Op::AddRows, "sh", "y"));
  }
  s.backward = {local(Op::CombineBackward, "dy", "dsend", "ret")};
  add_alltoall_beside(s.backward, "dsend", "drecv", shared, true);
  s.backward.push_back(local(Op::PermuteToExperts, "drecv", "dys"));
  s.backward.push_back(local(Op::ExpertBackward, "dys", "dxs", "xs"));
  shadow.reduce(s.backward);
  s.backward.insert(s.backward.end(),
                    {
                        local(Op::UnpermuteFromExperts, "dxs", "dxl"),
                        coll(Op::AllReduce, "dxl", "dxl", Group::Esp, Lane::Intra),
                        coll(Op::AllToAllV, "dxl", "dxret", Group::Ep, Lane::Inter, true),
                        local(Op::ScatterAddFromSend, "dxret", "dx"),
                        local(Op::GateBackward, "", "dx", "x"),
                        local(Op::AccumulateGateGrad, "dwg", ""),
                    });
  shadow.accumulate(s.backward);
  if (shared.on) {
    s.backward.push_back(coll(Op::AllReduce, "dxsh", "dxsh", Group::Mp, Lane::Intra));
    s.backward.push_back(local(Op::AddRows, "dxsh", "dx"));
  }
  return s;
}

// send (EP send layout) → gath (all-gathered layout): the all-to-all over EP, then
// the all-gather over ESP. Pipelined (s2), the all-to-all of chunk c (inter lane)
// is in flight while the all-gather of chunk c−1 (intra lane) runs.
// With shared experts, their step runs while the first all-to-all is in flight.
void add_dispatch(std::vector<Step>& v, const std::string& send, const std::string& gath, int r,
                  bool pipelined, const SharedSteps& shared, bool backward) {
  const std::string recv = send + ">recv", part = send + ">gath";
  if (!pipelined) {
    add_alltoall_beside(v, send, recv, shared, backward);
    v.push_back(coll(Op::AllGatherV, recv, gath, Group::Esp, Lane::Intra));
    return;
  }
  for (int c = 0; c < r; ++c)
    v.push_back(chunk_step(Op::ChunkSlice, send, chunk_name(send, c), ChunkLayout::EpSend, c, r));
  auto gather = [&](int c) {
    v.push_back(wait_for(chunk_name(recv, c), Lane::Inter, c, r));
    v.push_back(async_coll(Op::AllGatherV, chunk_name(recv, c), chunk_name(part, c), Group::Esp,
                           Lane::Intra, c, r));
    v.push_back(wait_for(chunk_name(part, c), Lane::Intra, c, r));
    v.push_back(
        chunk_step(Op::ChunkPlace, chunk_name(part, c), gath, ChunkLayout::EspGathered, c, r));
  };
  for (int c = 0; c < r; ++c) {
    v.push_back(async_coll(Op::AllToAllV, chunk_name(send, c), chunk_name(recv, c), Group::Ep,
                           Lane::Inter, c, r));
    if (c == 0 && shared.on) v.push_back(backward ? shared.backward() : shared.forward());
    if (c > 0) gather(c - 1);
  }
  gather(r - 1);
}

// full (all-gathered layout, ESP partial sums) → ret (EP send layout): the
// reduce-scatter over ESP, then the return all-to-all over EP. Pipelined (s2), the
// reduce-scatter of chunk c (intra) is in flight while the return all-to-all of
// chunk c−1 (inter) runs.
void add_combine(std::vector<Step>& v, const std::string& full, const std::string& ret, int r,
                 bool pipelined) {
  const std::string mine = full + ">mine", back = full + ">ret";
  if (!pipelined) {
    v.push_back(coll(Op::ReduceScatterV, full, mine, Group::Esp, Lane::Intra));
    v.push_back(coll(Op::AllToAllV, mine, ret, Group::Ep, Lane::Inter, /*reverse=*/true));
    return;
  }
  for (int c = 0; c < r; ++c)
    v.push_back(
        chunk_step(Op::ChunkSlice, full, chunk_name(full, c), ChunkLayout::EspGathered, c, r));
  auto send_back = [&](int c) {
    v.push_back(wait_for(chunk_name(mine, c), Lane::Intra, c, r));
    v.push_back(async_coll(Op::AllToAllV, chunk_name(mine, c), chunk_name(back, c), Group::Ep,
                           Lane::Inter, c, r, /*reverse=*/true));
    v.push_back(wait_for(chunk_name(back, c), Lane::Inter, c, r));
    v.push_back(chunk_step(Op::ChunkPlace, chunk_name(back, c), ret, ChunkLayout::EpSend, c, r));
  };
  for (int c = 0; c < r; ++c) {
    v.push_back(async_coll(Op::ReduceScatterV, chunk_name(full, c), chunk_name(mine, c), Group::Esp,
                           Lane::Intra, c, r));
    if (c > 0) send_back(c - 1);
  }
  send_back(r - 1);
}

// Parm's S1 ("pause MP"): each MP rank takes 1/mp of the tokens, so no gate or
// all-to-all work is repeated; ESP peers all-gather their received rows, each runs
// its hidden slice, and a reduce-scatter returns the summed rows to the peer that
// received them.
// Parm's S2 (pipelined): S1 with the EP and ESP collectives cut into r chunks and
// pipelined. The chunks land where S1 puts their rows, so every local step (and
// the result) is S1's.
// With shared experts, the shared FFN runs on all T rows (column/row-parallel over
// MP) during the dispatch; its partial sums are reduce-scattered over MP to this
// rank's rows and added before the output's all-gather.
Schedule build_split(const std::string& name, int r, bool pipelined, const SharedSteps& shared,
                     const ShadowSteps& shadow) {
  Schedule s;
  s.name = name;
  s.forward = {local(Op::SplitMp, "x", "xl")};
  add_gate(s.forward, "xl", Group::World);  // after the split every rank owns distinct tokens
  shadow.plan(s.forward, Group::World);
  s.forward.push_back(local(Op::BuildPlan, "", ""));
  s.forward.push_back(coll(Op::CountsExchange, "", "", Group::Ep, Lane::Inter));
  s.forward.push_back(coll(Op::CountsGatherEsp, "", "", Group::Esp, Lane::Intra));
  shadow.gather(s.forward);
  s.forward.push_back(local(Op::PermuteToSend, "xl", "send"));
  add_dispatch(s.forward, "send", "gath", r, pipelined, shared, false);
  if (shared.on) start_shared_sum(s.forward, "sh");
  shadow.wait_weights(s.forward);
  s.forward.push_back(local(Op::PermuteToExperts, "gath", "xs"));
  s.forward.push_back(local(Op::ExpertForward, "xs", "ys"));
  s.forward.push_back(local(Op::UnpermuteFromExperts, "ys", "yg"));
  add_combine(s.forward, "yg", "ret", r, pipelined);
  s.forward.push_back(local(Op::Combine, "ret", "yl"));
  if (shared.on) add_shared_sum(s.forward, "sh", "yl");
  s.forward.push_back(coll(Op::GatherMp, "yl", "y", Group::Mp, Lane::Intra));

  s.backward = {
      local(Op::SplitMp, "dy", "dyl"),
      local(Op::CombineBackward, "dyl", "dsend", "ret"),
  };
  add_dispatch(s.backward, "dsend", "dgath", r, pipelined, shared, true);
  if (shared.on) start_shared_sum(s.backward, "dxsh");
  s.backward.push_back(local(Op::PermuteToExperts, "dgath", "dys"));
  s.backward.push_back(local(Op::ExpertBackward, "dys", "dxs", "xs"));
  shadow.reduce(s.backward);
  s.backward.push_back(local(Op::UnpermuteFromExperts, "dxs", "dxg"));
  add_combine(s.backward, "dxg", "dxret", r, pipelined);
  s.backward.push_back(local(Op::ScatterAddFromSend, "dxret", "dxl"));
  s.backward.push_back(local(Op::GateBackward, "", "dxl", "xl"));
  // Each MP rank gated 1/mp of the tokens.
  s.backward.push_back(coll(Op::AllReduce, "dwg", "dwg", Group::Mp, Lane::Intra));
  s.backward.push_back(local(Op::AccumulateGateGrad, "dwg", ""));
  shadow.accumulate(s.backward);
  if (shared.on) add_shared_sum(s.backward, "dxsh", "dxl");
  s.backward.push_back(coll(Op::GatherMp, "dxl", "dx", Group::Mp, Lane::Intra));
  return s;
}

// HEXA-MoE's data-centric execution: each rank keeps its 1/mp of the tokens (as in
// s1), gathers the layer's expert weights from the expert group (ep × esp ranks)
// into the shared weight cache, runs every expert on its own rows and
// reduce-scatters the weight gradients back. The gather starts first, so it is in
// flight during the gate (or was started by the previous layer: weight_cache.h),
// and the gradients' reduce-scatter is in flight during the router's backward.
// With shared experts, the shared FFN runs while the weights' gather is in flight.
Schedule build_data_centric(const SharedSteps& shared) {
  Schedule s;
  s.name = "dc";
  Step gather = coll(Op::GatherWeights, "", "wcache", Group::Expert, Lane::Inter);
  gather.async = true;
  Step reduce = coll(Op::ReduceScatterGrads, "", "wgrad", Group::Expert, Lane::Inter);
  reduce.async = true;
  Step prefetch_back = local(Op::PrefetchWeights, "", "");
  prefetch_back.reverse = true;
  s.forward = {local(Op::SplitMp, "x", "xl"), gather};
  add_gate(s.forward, "xl", Group::World);
  s.forward.insert(s.forward.end(), {
                                        local(Op::LocalPlan, "", ""),
                                        local(Op::PermuteToSend, "xl", "xs"),
                                    });
  if (shared.on) {
    s.forward.push_back(shared.forward());
    start_shared_sum(s.forward, "sh");
  }
  s.forward.insert(s.forward.end(), {
                                        wait_for("wcache", Lane::Inter, 0, 1),
                                        local(Op::GatheredExpertForward, "xs", "ys"),
                                        local(Op::PrefetchWeights, "", ""),
                                        local(Op::Combine, "ys", "yl"),
                                    });
  if (shared.on) add_shared_sum(s.forward, "sh", "yl");
  s.forward.push_back(coll(Op::GatherMp, "yl", "y", Group::Mp, Lane::Intra));
  s.backward = {
      local(Op::SplitMp, "dy", "dyl"),
      gather,
      local(Op::CombineBackward, "dyl", "dys", "ys"),
  };
  if (shared.on) {
    s.backward.push_back(shared.backward());
    start_shared_sum(s.backward, "dxsh");
  }
  s.backward.insert(s.backward.end(), {
                                          wait_for("wcache", Lane::Inter, 0, 1),
                                          local(Op::GatheredExpertBackward, "dys", "dxs", "xs"),
                                          prefetch_back,
                                          reduce,
                                          local(Op::ScatterAddFromSend, "dxs", "dxl"),
                                          local(Op::GateBackward, "", "dxl", "xl"),
                                          coll(Op::AllReduce, "dwg", "dwg", Group::Mp, Lane::Intra),
                                          local(Op::AccumulateGateGrad, "dwg", ""),
                                          wait_for("wgrad", Lane::Inter, 0, 1),
                                          local(Op::AccumulateExpertGrads, "wgrad", ""),
                                      });
  if (shared.on) add_shared_sum(s.backward, "dxsh", "dxl");
  s.backward.push_back(coll(Op::GatherMp, "dxl", "dx", Group::Mp, Lane::Intra));
  return s;
}

Schedule build(const std::string& name, int chunks, const SharedSteps& shared,
               const ShadowSteps& shadow) {
  if (name == "replicated") return build_replicated(shared, shadow);
  if (name == "s1") return build_split("s1", 1, false, shared, shadow);
  if (name == "dc") return build_data_centric(shared);
  if (name == "s2") {
    if (chunks < 1) throw_collective("moe.chunks: expected an integer >= 1");
    return build_split("s2", chunks, true, shared, shadow);
  }
  throw_collective("unknown schedule \"" + name +
                   "\" (expected \"replicated\", \"s1\", \"s2\" or \"dc\")");
}

// Step::in_last_use: walking both passes backwards (the backward reads what the
// forward left), a step's `in` is last used there unless a later step names it, or
// the caller or an implicit reader does (the layer's outputs y and dx, the gate
// gradient, the shadowed experts' buffers).
void mark_last_uses(Schedule& s) {
  std::vector<bool> used(s.buffers.size(), false);
  for (int slot : {s.y, s.dx, s.dwg, s.shadow_weights, s.shadow_grads})
    if (slot >= 0) used[slot] = true;
  for (std::vector<Step>* pass : {&s.backward, &s.forward})
    for (auto st = pass->rbegin(); st != pass->rend(); ++st) {
      st->in_last_use = st->in_slot >= 0 && !used[st->in_slot];
      for (int slot :
           {st->in_slot, st->out_slot, st->aux_slot, st->wire_send_slot, st->wire_recv_slot})
        if (slot >= 0) used[slot] = true;
    }
}

// Numbers every buffer name once, in order of first use.
void resolve_slots(Schedule& s) {
  std::map<std::string, int> slots;
  auto slot = [&](const std::string& name) {
    if (name.empty()) return -1;
    const auto [it, fresh] = slots.try_emplace(name, static_cast<int>(s.buffers.size()));
    if (fresh) s.buffers.push_back(name);
    return it->second;
  };
  s.x = slot("x");
  s.y = slot("y");
  s.dy = slot("dy");
  s.dx = slot("dx");
  s.dwg = slot("dwg");
  for (std::vector<Step>* pass : {&s.forward, &s.backward})
    for (Step& st : *pass) {
      st.in_slot = slot(st.in);
      st.out_slot = slot(st.out);
      st.aux_slot = slot(st.aux);
      if (st.op == Op::AllToAllV) {
        st.wire_send_slot = slot(st.out + "#send");
        st.wire_recv_slot = slot(st.out + "#wire");
      }
    }
  // With shadowing: the buffers the expert steps use besides their own (-1 without).
  if (slots.count("shw")) {
    s.shadow_weights = slot("shw");
    s.shadow_grads = slot("shg");
  }
  mark_last_uses(s);
}

}  // namespace

Schedule schedule_build(const std::string& name, int chunks, bool shared_experts, bool shadow) {
  Schedule s = build(name, chunks, SharedSteps{shared_experts}, ShadowSteps{shadow});
  resolve_slots(s);
  return s;
}

std::string schedule_describe(const Schedule& s) {
  std::ostringstream m;
  auto list = [&](const char* what, const std::vector<Step>& steps) {
    m << s.name << " " << what << ":";
    for (const Step& st : steps) {
      m << " " << op_name(st.op);
      if (st.chunks > 1) m << "#" << st.chunk;
      if (op_is_collective(st.op))
        m << "[" << group_name(st.group) << "," << lane_name(st.lane) << "]";
    }
    m << "\n";
  };
  list("forward", s.forward);
  list("backward", s.backward);
  return m.str();
}

}  // namespace paramoe
