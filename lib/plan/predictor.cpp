#include "plan/predictor.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "moe/expert_shadow.h"

namespace paramoe {

namespace {

// The world ranks of rank 0's group g (every group of a kind is priced alike).
std::vector<int> group_of_rank0(Group g, const Layout& l) {
  std::vector<int> r;
  switch (g) {
    case Group::World:
      for (int i = 0; i < l.world; ++i) r.push_back(i);
      break;
    case Group::Node:
    case Group::Mp:
      for (int i = 0; i < l.mp; ++i) r.push_back(i);
      break;
    case Group::Dp:
      for (int i = 0; i < l.dp(); ++i) r.push_back(i * l.mp);
      break;
    case Group::Esp:
      for (int i = 0; i < l.esp; ++i) r.push_back(i);
      break;
    case Group::Ep:
      for (int i = 0; i < l.ep; ++i) r.push_back(i * l.esp);
      break;
    case Group::Edp:
      for (int i = 0; i < l.edp(); ++i) r.push_back(i * l.esp * l.ep);
      break;
    case Group::Expert:
      for (int i = 0; i < l.esp * l.ep; ++i) r.push_back(i);
      break;
  }
  return r;
}

class Pricer {
 public:
  Pricer(const LayerShape& s, const Layout& l, const ClusterSpec& c, bool split)
      : s_(s), l_(l), c_(c), split_(split) {
    double slowest = 1.0;
    if (!c.speeds.empty()) slowest = *std::min_element(c.speeds.begin(), c.speeds.end());
    speed_ = slowest;
    const double f = std::abs(s.capacity_factor);
    const double keep = f > 0 ? std::min(1.0, f) : 1.0;
    tl_ = split ? static_cast<double>(s.tokens) / l.mp : static_cast<double>(s.tokens);
    a_ = tl_ * s.top_k * keep;  // rows this rank sends (kept assignments)
    row_ = static_cast<double>(s.d_model) * s.bytes_per_element;
    skew_and_shadow();
    n_ = split ? recv_ * l.esp : recv_;  // rows its experts read (after the ESP all-gather)
  }

  int shadowed() const { return shadowed_; }

  // Seconds a step keeps its lane busy, and the bytes it sends.
  double seconds(const Step& st, double& bytes) const {
    bytes = 0;
    const double r = st.chunks;
    switch (st.op) {
      case Op::SplitMp:
        return mem(tl_ * row_);
      case Op::GatherMp:
        bytes = tl_ * row_ * (l_.mp - 1);
        return ring(Group::Mp, tl_ * row_) + alone_copy(Group::Mp, tl_ * row_);
      case Op::Route:
        return gemm(2.0 * tl_ * s_.d_model * s_.experts, 1) + mem(tl_ * s_.experts * 4.0 * 3);
      case Op::CapacityScan:  // an all-reduce and an exclusive scan of E counts over MP
        if (s_.capacity_factor == 0 || !split_) return 0;
        bytes = 2.0 * sizeof(int) * s_.experts * (l_.mp - 1);
        return 2 * small(Group::Mp);
      case Op::LossStats:
        return small(st.group);
      case Op::CountsExchange:
        return (l_.ep - 1) * link(Group::Ep).latency_us * 1e-6;
      case Op::CountsGatherEsp:
        return (l_.esp - 1) * link(Group::Esp).latency_us * 1e-6;
      case Op::PermuteToSend:
      case Op::Combine:
      case Op::CombineBackward:
      case Op::ScatterAddFromSend:
        return mem(a_ * row_ * 2);
      case Op::AllToAllV: {
        // bf16 on the wire: half the bytes, plus packing (read 4, write 2 bytes a
        // value) and unpacking (read 2, write 4).
        const double wire = static_cast<double>(s_.d_model) * s_.a2a_bytes_per_element;
        const double pack =
            s_.a2a_bytes_per_element < s_.bytes_per_element ? mem(a_ / r * s_.d_model * 12.0) : 0.0;
        bytes = block_rows_ / r * wire * (l_.ep - 1);
        const double block = block_rows_ / r * wire;  // the largest block (equal when uniform)
        if (s_.a2a_two_level && !st.async) return alltoall_2dh(block) + pack;
        return alltoall(block) + pack;
      }
      case Op::AllGatherV:
        bytes = recv_ / r * row_ * (l_.esp - 1);
        return ring(Group::Esp, recv_ / r * row_) + alone_copy(Group::Esp, recv_ / r * row_);
      case Op::ReduceScatterV:
        bytes = recv_ / r * row_ * (l_.esp - 1);
        return ring(Group::Esp, recv_ / r * row_) + mem(recv_ / r * row_ * (l_.esp - 1) * 2) +
               alone_copy(Group::Esp, recv_ / r * row_);
      case Op::AllReduce: {
        const bool shared = st.in == "sh" || st.in == "dxsh";  // replicated's shared FFN sum
        const double b = st.in == "dwg" ? static_cast<double>(s_.d_model) * s_.experts * 4
                         : shared       ? static_cast<double>(s_.tokens) * row_
                                        : n_ * row_;
        const int p = static_cast<int>(group_of_rank0(st.group, l_).size());
        bytes = 2.0 * (p - 1) / p * b;
        return allreduce(st.group, b) + mem(b * 2);
      }
      case Op::PermuteToExperts:
      case Op::UnpermuteFromExperts:
        return mem(n_ * row_ * 2);
      case Op::ExpertForward:
        return expert_gemm(1.0, n_, l_.esp, s_.experts / l_.ep + shadowed_);
      case Op::ExpertBackward:
        return expert_gemm(2.0, n_, l_.esp, s_.experts / l_.ep + shadowed_);
      case Op::ShadowPlan:
        return 0;
      case Op::GatherShadow:  // a ring of the |S| blocks, plus packing this rank's
        bytes = shadow_bytes_ * (l_.ep - 1) / l_.ep;
        return shadowed_
                   ? ring(Group::Ep, shadow_bytes_ / (l_.ep - 1)) + mem(shadow_bytes_ / l_.ep * 2)
                   : 0.0;
      case Op::ReduceShadowGrads:  // the same ring, plus the sums
        bytes = shadow_bytes_ * (l_.ep - 1) / l_.ep;
        return shadowed_ ? ring(Group::Ep, shadow_bytes_ / (l_.ep - 1)) + mem(shadow_bytes_ * 2)
                         : 0.0;
      case Op::AccumulateShadowGrads:
        return mem(shadow_bytes_ / l_.ep * 3);
      // Data-centric: this rank's rows through every expert, one GEMM group per
      // gathered block (E experts, each in esp hidden slices).
      case Op::GatheredExpertForward:
        return expert_gemm(1.0, a_, 1, s_.experts * l_.esp);
      case Op::GatheredExpertBackward:
        return expert_gemm(2.0, a_, 1, s_.experts * l_.esp);
      case Op::BuildPlan:
      case Op::LocalPlan:
        return mem(a_ * 4.0 * 3);
      case Op::GatherWeights: {
        const double block = shard_bytes();
        bytes = block * (l_.esp * l_.ep - 1);
        return ring(Group::Expert, block) + mem(block * 2);  // + packing the shard
      }
      case Op::ReduceScatterGrads: {
        const double block = shard_bytes();
        bytes = block * (l_.esp * l_.ep - 1);
        return ring(Group::Expert, block) + mem(block * (l_.esp * l_.ep - 1) * 2);
      }
      case Op::AccumulateExpertGrads:
        return mem(shard_bytes() * 3);
      case Op::PrefetchWeights:  // the next layer's gather, priced with that layer
        return 0;
      case Op::GateBackward:
        return gemm(4.0 * tl_ * s_.d_model * s_.experts, 2) + mem(tl_ * s_.experts * 4.0 * 4);
      case Op::AccumulateGateGrad:
        return mem(static_cast<double>(s_.d_model) * s_.experts * 4 * 3);
      case Op::ChunkSlice:
      case Op::ChunkPlace: {
        const double rows = st.layout == ChunkLayout::EspGathered ? n_ : a_;
        return mem(rows / r * row_ * 2);
      }
      case Op::Wait:
        return 0;
      case Op::SharedExpertForward:
      case Op::SharedExpertBackward: {
        const double factor = st.op == Op::SharedExpertBackward ? 2.0 : 1.0;
        return shared_gemm(factor, static_cast<double>(s_.tokens));
      }
      case Op::ReduceScatterMp: {
        const double block = tl_ * row_;  // this rank's rows of the sum
        bytes = block * (l_.mp - 1);
        return ring(Group::Mp, block) + mem(block * (l_.mp - 1) * 2) + alone_copy(Group::Mp, block);
      }
      case Op::AddRows:
        return mem(static_cast<double>(s_.tokens) / (split_ ? l_.mp : 1) * row_ * 3);
    }
    return 0;
  }

 private:
  // The link a group's collectives cross: inter-node if it spans nodes.
  const Link& link(Group g) const {
    std::set<int> nodes;
    for (int rank : group_of_rank0(g, l_)) nodes.insert(rank / c_.ranks_per_node);
    return nodes.size() > 1 ? c_.inter : c_.intra;
  }
  double ring(Group g, double block) const {
    const int p = static_cast<int>(group_of_rank0(g, l_).size());
    return p > 1 ? link(g).seconds(block * (p - 1), p - 1) : 0.0;
  }
  // A one-rank group's row collective is a copy of its rows (read and write).
  double alone_copy(Group g, double bytes) const {
    return group_of_rank0(g, l_).size() == 1 ? mem(bytes * 2) : 0.0;
  }
  double allreduce(Group g, double total) const {
    const int p = static_cast<int>(group_of_rank0(g, l_).size());
    return p > 1 ? link(g).seconds(2.0 * (p - 1) / p * total, 2 * (p - 1)) : 0.0;
  }
  double small(Group g) const {
    const int p = static_cast<int>(group_of_rank0(g, l_).size());
    return p > 1 ? std::ceil(std::log2(p)) * link(g).latency_us * 1e-6 : 0.0;
  }
  // `block` bytes to every EP peer; peers on rank 0's node go over the intra link.
  double alltoall(double block) const {
    if (l_.ep == 1) return mem(block);
    int same_node = 0;
    for (int rank : group_of_rank0(Group::Ep, l_)) same_node += rank / c_.ranks_per_node == 0;
    const int near = same_node - 1, far = l_.ep - same_node;
    const Link& lat = far > 0 ? c_.inter : c_.intra;
    return (l_.ep - 1) * lat.latency_us * 1e-6 +
           std::max(near * block / (c_.intra.bandwidth_GBps * 1e9),
                    far * block / (c_.inter.bandwidth_GBps * 1e9));
  }
  // 2DH over the EP group's N nodes of L ranks each (rank 0's node sets L).
  double alltoall_2dh(double block) const {
    std::map<int, int> per_node;
    for (int rank : group_of_rank0(Group::Ep, l_)) ++per_node[rank / c_.ranks_per_node];
    const int nodes = static_cast<int>(per_node.size()), local = per_node.begin()->second;
    if (nodes < 2) return alltoall(block);
    return (local - 1) *
               (c_.intra.latency_us * 1e-6 + nodes * block / (c_.intra.bandwidth_GBps * 1e9)) +
           (nodes - 1) *
               (c_.inter.latency_us * 1e-6 + local * block / (c_.inter.bandwidth_GBps * 1e9)) +
           mem(l_.ep * block * 4);
  }
  double mem(double bytes) const { return bytes / (c_.memory_GBps * 1e9) / speed_; }
  double gemm(double flops, int calls) const {
    return flops / (c_.gemm_TFLOPs * 1e12) / speed_ + calls * c_.launch_us * 1e-6;
  }
  // The shared FFN (width S/mp, one GEMM group) on n rows.
  double shared_gemm(double factor, double n) const {
    return ffn_gemm(factor, n, static_cast<double>(s_.shared_experts) * s_.d_hidden / l_.mp, 1);
  }
  // One rank's expert shard (E/ep experts, an H/esp slice), weights and biases.
  double shard_bytes() const {
    const double mats = s_.swiglu ? 3.0 : 2.0, biases = s_.swiglu ? 2.0 : 1.0;
    const double hidden = static_cast<double>(s_.d_hidden) / l_.esp;
    return static_cast<double>(s_.experts) / l_.ep *
           (mats * s_.d_model * hidden + biases * hidden + s_.d_model) * s_.bytes_per_element;
  }
  // The expert FFN on n rows with a hidden width of H/esp_div, in `groups` expert
  // GEMM groups (one OpenBLAS or cuBLAS call each): 2 or 3 GEMMs forward; the
  // backward is twice the FLOPs.
  double expert_gemm(double factor, double n, int esp_div, int groups) const {
    return ffn_gemm(factor, n, static_cast<double>(s_.d_hidden) / esp_div, groups);
  }
  double ffn_gemm(double factor, double n, double hidden, int groups) const {
    const double mats = s_.swiglu ? 3.0 : 2.0;
    const double flops = factor * mats * 2.0 * n * s_.d_model * hidden;
    const int calls = static_cast<int>(factor * mats) * groups;
    // The activation: forward once, backward (factor 2) about twice the work.
    const double act = c_.activation_Gps > 0 ? n * hidden * factor / (c_.activation_Gps * 1e9)
                                             : mem(n * hidden * 4.0 * factor * 2);
    return gemm(flops, calls) + act / (c_.activation_Gps > 0 ? speed_ : 1.0);
  }

  // The skew's busiest EP rank and the shadowing's pick (expert_shadow.h), with the
  // experts placed contiguously.
  void skew_and_shadow() {
    const int E = s_.experts;
    std::vector<float> share = s_.expert_share;
    if (share.empty()) share.assign(E, 1.0f / E);
    PARAMOE_REQUIRE(std::ssize(share) == E, "predictor: expert_share has the wrong length");
    const ExpertPlacement placement = placement_contiguous(E, l_.ep);
    const std::vector<int>& owner = placement.owner;
    ShadowMode mode;
    std::vector<int> shadowed;
    if (shadow_parse(s_.shadow, E, mode) && mode.on) {
      const ShadowProblem p{share,       a_,        l_.ep, split_ ? l_.esp : 1, l_.esp, s_.d_model,
                            s_.d_hidden, s_.swiglu, owner};
      const bool across_nodes = &link(Group::Ep) == &c_.inter;
      shadowed = shadow_choose(p, shadow_costs(c_, across_nodes), mode, placement.slot_of);
    }
    const ShadowLoad load = shadow_load(share, owner, l_.ep, shadowed);
    const double busiest = load.busiest, s_share = load.shadowed;
    shadowed_ = static_cast<int>(shadowed.size());
    recv_ = a_ * (l_.ep * busiest + s_share);
    block_rows_ = std::max(a_ * (1.0 - s_share) / l_.ep, a_ * busiest);
    shadow_bytes_ = static_cast<double>(shadowed_) *
                    shadow_block_bytes(s_.d_model, s_.d_hidden / l_.esp, s_.swiglu);
  }

  const LayerShape& s_;
  const Layout& l_;
  const ClusterSpec& c_;
  bool split_;
  double speed_ = 1.0;
  double tl_ = 0, a_ = 0, n_ = 0, row_ = 0;
  // recv_: rows the busiest rank receives; block_rows_: the all-to-all's largest
  // block; shadow_bytes_: the shadowed experts' blocks.
  double recv_ = 0, block_rows_ = 0, shadow_bytes_ = 0;
  int shadowed_ = 0;
};

// Places one pass's steps on the three lanes, from time t0; returns its end.
double place(const std::vector<Step>& steps, bool backward, const Pricer& price, double t0,
             Prediction& p) {
  double t = t0;  // the issuing thread: local steps, blocking collectives, waits
  double lane_free[3] = {t0, t0, t0};
  std::map<std::string, double> in_flight;
  for (const Step& st : steps) {
    double bytes = 0;
    const double d = price.seconds(st, bytes);
    const int lane = static_cast<int>(st.lane);
    double start = t, end = t;
    if (st.op == Op::Wait) {
      auto it = in_flight.find(st.in);
      if (it == in_flight.end())
        throw Error("predictor: a Wait for \"" + st.in + "\" that nothing started");
      end = std::max(t, it->second);
      in_flight.erase(it);
      t = end;
    } else if (st.lane == Lane::Local) {
      end = t + d;
      t = end;
    } else {
      start = std::max(t, lane_free[lane]);
      end = start + d;
      lane_free[lane] = end;
      if (st.async)
        in_flight[st.out] = end;
      else
        t = end;
    }
    double& busy = st.lane == Lane::Local ? p.compute : st.lane == Lane::Intra ? p.intra : p.inter;
    if (st.op != Op::Wait) busy += d;
    p.steps.push_back(StepPrice{st.op, st.lane, st.chunk, backward, start, end, bytes});
  }
  return t;
}

}  // namespace

LayerShape layer_shape(const MoeConfig& m, int64_t tokens) {
  return LayerShape{tokens,
                    m.d_model,
                    m.d_hidden,
                    m.num_experts,
                    m.top_k,
                    m.swiglu(),
                    m.capacity_factor,
                    4,
                    m.a2a_precision == "bf16" ? 2 : 4,
                    m.a2a == "2dh",
                    m.shared_experts,
                    {},
                    m.shadow};
}

Prediction predict_layer(const Schedule& schedule, const LayerShape& shape, const Layout& layout,
                         const ClusterSpec& cluster) {
  const bool split = schedule.name != "replicated";
  // Shadowing applies where the schedule has its steps.
  LayerShape priced = shape;
  if (std::none_of(schedule.forward.begin(), schedule.forward.end(),
                   [](const Step& st) { return st.op == Op::ShadowPlan; }))
    priced.shadow = "off";
  const Pricer price(priced, layout, cluster, split);
  Prediction p;
  p.shadowed = price.shadowed();
  const double f = place(schedule.forward, false, price, 0.0, p);
  const double b = place(schedule.backward, true, price, f, p);
  p.forward = f;
  p.backward = b - f;
  return p;
}

}  // namespace paramoe
