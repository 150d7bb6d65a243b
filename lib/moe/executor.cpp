#include "moe/executor.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "comm/watchdog.h"
#include "core/error.h"
#include "core/row_split.h"
#include "core/timer.h"
#include "kernels/cpu/wire_bf16.h"
#include "moe/expert_shadow.h"

namespace paramoe {

int64_t MoeRun::alltoall_bytes() const {
  int64_t b = 0;
  for (const auto& r : records)
    if (r.op == Op::AllToAllV) b += r.bytes;
  return b;
}

namespace {
// Started collectives (s2) run from their start to their completion, and chunks
// overlap one another: the time is the length of the union of the intervals.
template <class Keep>
double union_seconds(const std::vector<StepRecord>& records, Keep keep) {
  std::vector<std::pair<double, double>> spans;
  for (const auto& r : records)
    if (keep(r)) spans.emplace_back(r.start, r.end);
  std::sort(spans.begin(), spans.end());
  double total = 0, covered = -1e300;  // covered: the latest end counted so far
  for (const auto& [a, b] : spans)
    if (b > covered) {
      total += b - std::max(a, covered);
      covered = b;
    }
  return total;
}
}  // namespace

double MoeRun::alltoall_seconds() const {
  return union_seconds(records, [](const StepRecord& r) { return r.op == Op::AllToAllV; });
}

double MoeRun::lane_seconds(Lane lane) const {
  return union_seconds(records, [lane](const StepRecord& r) { return r.lane == lane; });
}

double MoeRun::communication_seconds() const {
  return union_seconds(records, [](const StepRecord& r) { return r.lane != Lane::Local; });
}

double MoeRun::seconds_in(Op op) const {
  double t = 0;
  for (const auto& r : records)
    if (r.op == op) t += r.end - r.start;
  return t;
}

namespace {

class Executor {
 public:
  Executor(ExecContext& c, bool backward)
      : c_(c), dev_(c.dev), D_(c.cfg.d_model), backward_(backward) {}

  int64_t run(const Step& s) {
    switch (s.op) {
      case Op::SplitMp:
        return split_mp(s);
      case Op::GatherMp:
        return gather_mp(s);
      case Op::Route:
        return route(s);
      case Op::CapacityScan:
        return capacity_scan();
      case Op::LossStats:
        return loss_stats(s);
      case Op::BuildPlan:
        return build_plan();
      case Op::CountsExchange:
        return counts_exchange();
      case Op::CountsGatherEsp:
        return counts_gather_esp();
      case Op::PermuteToSend:
        return permute_to_send(s);
      case Op::AllToAllV:
        return alltoallv(s);
      case Op::AllGatherV:
        return allgatherv(s);
      case Op::ReduceScatterV:
        return reduce_scatterv(s);
      case Op::AllReduce:
        return allreduce(s);
      case Op::PermuteToExperts:
        return permute_to_experts(s);
      case Op::UnpermuteFromExperts:
        return unpermute_from_experts(s);
      case Op::ExpertForward:
        return expert_forward(s);
      case Op::ExpertBackward:
        return expert_backward(s);
      case Op::Combine:
        return combine(s);
      case Op::CombineBackward:
        return combine_backward(s);
      case Op::ScatterAddFromSend:
        return scatter_add_from_send(s);
      case Op::GateBackward:
        return gate_backward(s);
      case Op::AccumulateGateGrad:
        return accumulate_gate_grad(s);
      case Op::ChunkSlice:
        return chunk_slice(s);
      case Op::ChunkPlace:
        return chunk_place(s);
      case Op::Wait:
        return wait(s);
      case Op::LocalPlan:
        return local_plan();
      case Op::GatherWeights:
        return gather_weights(s);
      case Op::PrefetchWeights:
        return prefetch_weights(s);
      case Op::GatheredExpertForward:
        return gathered_expert_forward(s);
      case Op::GatheredExpertBackward:
        return gathered_expert_backward(s);
      case Op::ReduceScatterGrads:
        return reduce_scatter_grads(s);
      case Op::AccumulateExpertGrads:
        return accumulate_expert_grads();
      case Op::SharedExpertForward:
        return shared_expert_forward(s);
      case Op::SharedExpertBackward:
        return shared_expert_backward(s);
      case Op::ReduceScatterMp:
        return reduce_scatter_mp(s);
      case Op::AddRows:
        return add_rows(s);
      case Op::ShadowPlan:
        return shadow_plan(s);
      case Op::GatherShadow:
        return gather_shadow(s);
      case Op::ReduceShadowGrads:
        return reduce_shadow_grads(s);
      case Op::AccumulateShadowGrads:
        return accumulate_shadow_grads(s);
    }
    throw Error("unknown schedule op");
  }

  // The start step's record is pushed right after run() returns, at this index.
  void started(const Step& s, Collectives::Handle h, bool cache = false, bool unpack_bf16 = false) {
    pending_[s.out_slot] =
        InFlight{h, c_.run.records.size(), cache, unpack_bf16 ? s.wire_recv_slot : -1};
  }

  void require_no_pending() const {
    if (!pending_.empty())
      throw Error("schedule ends with the collective writing \"" + name(pending_.begin()->first) +
                  "\" still in flight (no Wait step)");
  }

 private:
  const std::string& name(int slot) const { return c_.schedule.buffers.at(slot); }
  // A buffer an earlier step wrote.
  float* read(int slot) {
    if (!dev_.has(slot))
      throw Error("schedule step reads buffer \"" + name(slot) + "\" that no earlier step wrote");
    return dev_.data(slot);
  }
  float* in(const Step& s) { return read(s.in_slot); }
  float* out(const Step& s, int64_t rows) { return dev_.out(s.out_slot, rows * D_); }
  // The output of a step that writes every row (a copy, a gather, a permutation, a
  // collective's receive, the experts' FFN): no zero fill.
  float* overwrite(const Step& s, int64_t rows) {
    return dev_.out_overwritten(s.out_slot, rows * D_);
  }
  int64_t rows(int slot) const { return dev_.size(slot) / D_; }
  int64_t row_bytes(int64_t r) const { return r * D_ * static_cast<int64_t>(sizeof(float)); }
  int rank(Group g) const { return c_.coll.grid().rank(g); }
  int size(Group g) const { return c_.coll.grid().size(g); }

  int64_t split_mp(const Step& s) {
    const int mp = size(Group::Mp), me = rank(Group::Mp);
    const int64_t T = rows(s.in_slot);
    c_.run.split = true;
    c_.run.mp_rows.assign(mp, 0);
    for (int i = 0; i < mp; ++i) {
      int64_t row0 = 0, n = 0;
      split_rows(T, mp, i, row0, n);
      c_.run.mp_rows[i] = static_cast<int>(n);
      if (i == me) c_.run.mp_row0 = row0;
    }
    if (handed_on(s, Group::Mp)) return 0;
    const float* x = in(s);
    float* o = overwrite(s, c_.run.mp_rows[me]);
    dev_.copy(x + c_.run.mp_row0 * D_, c_.run.mp_rows[me] * D_, o);
    return 0;
  }

  // A blocking row collective over a one-rank group copies `in` whole: where no
  // later step reads `in`, its buffer becomes `out` instead. True if it did.
  bool handed_on(const Step& s, Group g) {
    if (size(g) != 1 || s.async || !s.in_last_use || s.in_slot == s.out_slot) return false;
    read(s.in_slot);  // written by an earlier step (the executor's check)
    dev_.move(s.in_slot, s.out_slot, dev_.size(s.in_slot));
    return true;
  }

  int64_t gather_mp(const Step& s) {
    if (handed_on(s, Group::Mp)) return 0;
    const int64_t n = rows(s.in_slot);
    const float* x = in(s);
    float* o =
        overwrite(s, std::accumulate(c_.run.mp_rows.begin(), c_.run.mp_rows.end(), int64_t{0}));
    c_.coll.allgatherv_rows(Group::Mp, x, o, c_.run.mp_rows, D_);
    return row_bytes(n) * (size(Group::Mp) - 1);
  }

  int64_t route(const Step& s) {
    dev_.route(in(s), rows(s.in_slot), c_.run.routing);
    return 0;
  }

  // Capacity by position over the whole MP group's tokens (when they were split
  // over MP): each expert's count in total and before this rank.
  int64_t capacity_scan() {
    if (c_.cfg.capacity_factor == 0) return 0;  // dropless
    std::vector<int> counts = dev_.choice_counts();
    std::vector<int> total = counts, before(counts.size(), 0);
    int64_t bytes = 0;
    if (c_.run.split) {
      const int n = static_cast<int>(total.size());
      c_.coll.allreduce_sum_int(Group::Mp, total.data(), n);
      c_.coll.exscan_sum_int(Group::Mp, counts.data(), before.data(), n);
      bytes = 2 * static_cast<int64_t>(sizeof(int)) * n * (size(Group::Mp) - 1);
    }
    // total is the MP group's, so every rank of the group gets the same capacity.
    c_.run.capacity = router_capacity(c_.cfg, c_.run.tokens, total);
    dev_.apply_capacity(before, total, c_.run.capacity);
    return bytes;
  }

  int64_t loss_stats(const Step& s) {
    Routing& r = c_.run.routing;
    std::vector<double> stats = dev_.router_stats();
    c_.coll.allreduce_sum(s.group, stats.data(), stats.size());
    router_set_losses(r, stats, c_.cfg);
    return static_cast<int64_t>(sizeof(double) * stats.size()) * (size(s.group) - 1);
  }

  // Shadowed experts (if any) are extra local experts of every rank, fed by itself.
  int64_t build_plan() {
    const int ep = size(Group::Ep);
    if (c_.run.shadowed.empty()) {
      dev_.build_send_plan(ep, c_.placement.local_experts(), c_.placement.slot_of, c_.run.plan,
                           pad_rows());
      return 0;
    }
    const ShadowSlots slots = shadow_slots(c_.placement, c_.run.shadowed, rank(Group::Ep));
    dev_.build_send_plan(ep, slots.local_experts, slots.slot_of, c_.run.plan);
    return 0;
  }

  // moe.pad_to_capacity: this rank's share of the MP group's capacity per expert
  // (the whole of it when the group's tokens were not split over MP).
  int64_t pad_rows() const {
    if (!c_.cfg.pad_to_capacity || c_.run.capacity <= 0 || c_.run.tokens <= 0) return 0;
    return (c_.run.capacity * c_.run.routing.tokens + c_.run.tokens - 1) / c_.run.tokens;
  }

  int64_t counts_exchange() {
    DispatchPlan& p = c_.run.plan;
    std::vector<int> recv(p.send_counts.size());
    c_.coll.alltoall_int(Group::Ep, p.send_counts.data(), p.local_experts, recv.data());
    dispatch_plan_set_recv(p, recv);
    dev_.set_plan_layout(p, 1, p.recv_counts);
    return static_cast<int64_t>(sizeof(int)) * p.local_experts * (p.ep - 1);
  }

  int64_t counts_gather_esp() {
    DispatchPlan& p = c_.run.plan;
    const int esp = size(Group::Esp);
    std::vector<int> all(p.recv_counts.size() * esp);
    c_.coll.allgather_int(Group::Esp, p.recv_counts.data(), static_cast<int>(p.recv_counts.size()),
                          all.data());
    dev_.set_plan_layout(p, esp, std::move(all));
    return static_cast<int64_t>(sizeof(int) * p.recv_counts.size()) * (esp - 1);
  }

  int64_t permute_to_send(const Step& s) {
    const DispatchPlan& p = c_.run.plan;
    const float* x = in(s);
    dev_.permute_to_send(x, p, D_, overwrite(s, p.send_rows()));
    return 0;
  }

  // Per-block rows of a layout, in buffer order (chunking's blocks).
  std::vector<int> blocks_of(ChunkLayout l) const {
    const DispatchPlan& p = c_.run.plan;
    if (l == ChunkLayout::EpSend) return p.ep_send_rows;
    if (l == ChunkLayout::EpRecv) return p.ep_recv_rows;
    std::vector<int> b(static_cast<size_t>(p.blocks) * p.ep, 0);  // (ESP peer, EP source)
    for (size_t i = 0; i < b.size(); ++i)
      for (int e = 0; e < p.local_experts; ++e) b[i] += p.layout_counts[i * p.local_experts + e];
    return b;
  }
  static std::vector<int> chunk_counts(const std::vector<int>& blocks, int c, int r) {
    std::vector<int> out(blocks.size());
    for (size_t i = 0; i < blocks.size(); ++i)
      out[i] = static_cast<int>(chunk_begin(blocks[i], c + 1, r) - chunk_begin(blocks[i], c, r));
    return out;
  }
  // Chunk c of r of a buffer of consecutive blocks: its rows in each block are
  // contiguous, so they move as one copy per block. fn(block row, chunk row, rows)
  // for each block, in order.
  template <class Fn>
  static void for_chunk_rows(const std::vector<int>& blocks, int c, int r, Fn fn) {
    int64_t base = 0, at = 0;
    for (int n : blocks) {
      const int64_t begin = chunk_begin(n, c, r), rows = chunk_begin(n, c + 1, r) - begin;
      fn(base + begin, at, rows);
      base += n;
      at += rows;
    }
  }
  // Rows each ESP peer contributes to chunk c of the all-gathered layout.
  std::vector<int> esp_chunk_rows(int c, int r) const {
    const std::vector<int> parts = chunk_counts(blocks_of(ChunkLayout::EspGathered), c, r);
    const int ep = c_.run.plan.ep;
    std::vector<int> rows(parts.size() / ep, 0);
    for (size_t i = 0; i < parts.size(); ++i) rows[i / ep] += parts[i];
    return rows;
  }

  int64_t chunk_slice(const Step& s) {
    const auto blocks = blocks_of(s.layout);
    const auto counts = chunk_counts(blocks, s.chunk, s.chunks);
    const float* x = in(s);
    float* o = overwrite(s, std::accumulate(counts.begin(), counts.end(), int64_t{0}));
    for_chunk_rows(blocks, s.chunk, s.chunks, [&](int64_t from, int64_t to, int64_t rows) {
      dev_.copy(x + from * D_, rows * D_, o + to * D_);
    });
    return 0;
  }

  int64_t chunk_place(const Step& s) {
    const auto blocks = blocks_of(s.layout);
    const float* x = in(s);
    float* full = s.chunk == 0 ? out(s, std::accumulate(blocks.begin(), blocks.end(), int64_t{0}))
                               : read(s.out_slot);
    for_chunk_rows(blocks, s.chunk, s.chunks, [&](int64_t to, int64_t from, int64_t rows) {
      dev_.copy(x + from * D_, rows * D_, full + to * D_);
    });
    return 0;
  }

  int64_t wait(const Step& s) {
    auto it = pending_.find(s.in_slot);
    if (it == pending_.end())
      throw Error("schedule waits for \"" + s.in + "\", which no collective is writing");
    // The started step's record ends when its collective completed, which the
    // polls between compute blocks may have seen well before this wait.
    double done_at = 0;
    if (it->second.cache) {
      gathered_ = cache().complete(c_.cache_id);
      done_at = now_seconds();
    } else if (it->second.handle != kNothing) {
      done_at = c_.coll.wait(it->second.handle);
    } else {
      done_at = now_seconds();
    }
    if (it->second.wire >= 0) unpack_wire(s.in_slot, it->second.wire);
    c_.run.records.at(it->second.record).end = done_at;
    pending_.erase(it);
    return 0;
  }

  // With moe.a2a_precision = "bf16" the rows travel packed as bf16 pairs: packed
  // into the step's wire send buffer, received into its wire buffer and unpacked
  // into its output once the collective completes (here, or at its Wait step).
  int64_t alltoallv(const Step& s) {
    const DispatchPlan& p = c_.run.plan;
    const auto send_rows =
        chunk_counts(s.reverse ? p.ep_recv_rows : p.ep_send_rows, s.chunk, s.chunks);
    const auto recv_rows =
        chunk_counts(s.reverse ? p.ep_send_rows : p.ep_recv_rows, s.chunk, s.chunks);
    const int64_t n_send = std::accumulate(send_rows.begin(), send_rows.end(), int64_t{0});
    const int64_t n_recv = std::accumulate(recv_rows.begin(), recv_rows.end(), int64_t{0});
    const bool bf16 = c_.cfg.a2a_precision == "bf16";
    const int64_t width = bf16 ? cpu::wire_bf16_cols(D_) : D_;  // floats per row on the wire
    const float* x = in(s);
    float* o = overwrite(s, n_recv);
    if (bf16) {
      float* packed = dev_.out_overwritten(s.wire_send_slot, n_send * width);
      dev_.pack_bf16_rows(x, n_send, D_, packed);
      x = packed;
      o = dev_.out_overwritten(s.wire_recv_slot, n_recv * width);
    }
    const int w = static_cast<int>(width);
    if (s.async) {
      started(s, c_.coll.start_alltoallv_rows(Group::Ep, x, send_rows, o, recv_rows, w),
              /*cache=*/false, bf16);
    } else {
      c_.coll.alltoallv_rows(Group::Ep, x, send_rows, o, recv_rows, w);
      if (bf16) unpack_wire(s.out_slot, s.wire_recv_slot);
    }
    int64_t sent = 0;
    const int me = rank(Group::Ep);
    for (int q = 0; q < p.ep; ++q)
      if (q != me) sent += send_rows[q];
    return sent * width * static_cast<int64_t>(sizeof(float));
  }

  void unpack_wire(int slot, int wire) {
    dev_.unpack_bf16_rows(read(wire), rows(slot), D_, read(slot));
  }

  int64_t allgatherv(const Step& s) {
    if (handed_on(s, Group::Esp)) return 0;
    const auto peer_rows = esp_chunk_rows(s.chunk, s.chunks);
    const int64_t n = rows(s.in_slot);
    const float* x = in(s);
    float* o = overwrite(s, std::accumulate(peer_rows.begin(), peer_rows.end(), int64_t{0}));
    if (s.async)
      started(s, c_.coll.start_allgatherv_rows(Group::Esp, x, o, peer_rows, D_));
    else
      c_.coll.allgatherv_rows(Group::Esp, x, o, peer_rows, D_);
    return row_bytes(n) * (size(Group::Esp) - 1);
  }

  int64_t reduce_scatterv(const Step& s) {
    return reduce_scatter_rows(s, Group::Esp, esp_chunk_rows(s.chunk, s.chunks));
  }

  // Sums `in` over group g; this rank keeps its peer_rows block, started or not.
  int64_t reduce_scatter_rows(const Step& s, Group g, const std::vector<int>& peer_rows) {
    if (handed_on(s, g)) return 0;
    const int64_t n = rows(s.in_slot), mine = peer_rows[rank(g)];
    const float* x = in(s);
    float* o = overwrite(s, mine);
    if (s.async)
      started(s, c_.coll.start_reduce_scatterv_rows(g, x, o, peer_rows, D_));
    else
      c_.coll.reduce_scatterv_rows(g, x, o, peer_rows, D_);
    return row_bytes(n - mine);
  }

  int64_t allreduce(const Step& s) {
    const float* x = in(s);
    const int64_t count = dev_.size(s.in_slot);
    if (s.in_slot != s.out_slot) dev_.copy(x, count, dev_.out(s.out_slot, count));
    c_.coll.allreduce_sum(s.group, read(s.out_slot), static_cast<size_t>(count));
    const int n = size(s.group);
    return count * static_cast<int64_t>(sizeof(float)) * 2 * (n - 1) / std::max(n, 1);
  }

  int64_t permute_to_experts(const Step& s) {
    const DispatchPlan& p = c_.run.plan;
    const float* x = in(s);
    dev_.permute_to_experts(x, p, D_, overwrite(s, p.layout_rows()));
    return 0;
  }

  int64_t unpermute_from_experts(const Step& s) {
    const DispatchPlan& p = c_.run.plan;
    const float* x = in(s);
    dev_.unpermute_from_experts(x, p, D_, overwrite(s, p.layout_rows()));
    return 0;
  }

  // What the expert FFN runs between row blocks (moe.progress; a progress thread
  // needs no help).
  std::function<void()> between_blocks() {
    if (c_.cfg.progress != "blocks") return {};
    return [this] { c_.coll.progress(); };
  }

  // This rank's own experts read the first E/ep + 1 offsets; shadowed ones follow.
  int64_t expert_forward(const Step& s) {
    const float* x = in(s);
    float* y = overwrite(s, rows(s.in_slot));
    const auto& offsets = c_.run.plan.expert_offsets;
    dev_.expert_forward(x, offsets, rank(Group::Esp) == 0, y, between_blocks());
    if (!c_.run.shadowed.empty())
      dev_.shadow_expert_forward(shadowed_experts(), x, offsets.data() + own_experts(),
                                 rank(Group::Esp) == 0, y);
    return 0;
  }

  int64_t expert_backward(const Step& s) {
    const float* dy = in(s);
    const float* x = read(s.aux_slot);
    float* dx = overwrite(s, rows(s.in_slot));
    const auto& offsets = c_.run.plan.expert_offsets;
    dev_.expert_backward(dy, x, offsets, dx, between_blocks());
    if (!c_.run.shadowed.empty()) {
      float* grads =
          dev_.out(c_.schedule.shadow_grads, std::ssize(c_.run.shadowed) * c_.shadow_block.size);
      dev_.shadow_expert_backward(shadowed_experts(), dy, x, offsets.data() + own_experts(), grads,
                                  dx);
    }
    return 0;
  }

  int64_t combine(const Step& s) {
    const float* ret = in(s);
    dev_.combine_rows(ret, D_, out(s, c_.run.routing.tokens));
    return 0;
  }

  int64_t combine_backward(const Step& s) {
    const float* dy = in(s);
    const float* ret = read(s.aux_slot);
    dev_.combine_rows_backward(dy, ret, D_, out(s, c_.run.plan.send_rows()));
    return 0;
  }

  int64_t scatter_add_from_send(const Step& s) {
    const float* d = in(s);
    dev_.scatter_add_from_send(d, c_.run.plan, D_, out(s, c_.run.routing.tokens));
    return 0;
  }

  int64_t gate_backward(const Step& s) {
    const float* x = read(s.aux_slot);
    float* dx = read(s.out_slot);
    float* dwg = dev_.out(c_.schedule.dwg, D_ * c_.cfg.num_experts);
    dev_.router_backward(c_.run.routing, x, dx, dwg);
    return 0;
  }

  int64_t accumulate_gate_grad(const Step& s) {
    dev_.accumulate_gate_grad(in(s));
    return 0;
  }

  // The shared FFN runs on every row of its input, and between its row blocks
  // drives the collectives in flight beside it as the routed experts do.
  int64_t shared_expert_forward(const Step& s) {
    const int64_t T = rows(s.in_slot);
    dev_.shared_forward(in(s), T, rank(Group::Mp) == 0, out(s, T), between_blocks());
    return 0;
  }

  int64_t shared_expert_backward(const Step& s) {
    const int64_t T = rows(s.in_slot);
    const float* dy = in(s);
    const float* x = read(s.aux_slot);
    dev_.shared_backward(dy, x, T, out(s, T), between_blocks());
    return 0;
  }

  // All T rows' partial sums → this rank's SplitMp rows of the sum.
  int64_t reduce_scatter_mp(const Step& s) {
    return reduce_scatter_rows(s, Group::Mp, c_.run.mp_rows);
  }

  int64_t add_rows(const Step& s) {
    const int64_t n = dev_.size(s.in_slot);
    PARAMOE_REQUIRE(n == dev_.size(s.out_slot),
                    "add_rows: \"" + s.in + "\" and \"" + s.out + "\" differ in size");
    dev_.add(in(s), n, read(s.out_slot));
    return 0;
  }

  // Hot-expert shadowing (expert_shadow.h). The plan prices the shares that the
  // loss statistics' sum left alike on every rank, so every rank picks alike.
  int64_t shadow_plan(const Step& s) {
    const Routing& r = c_.run.routing;
    ShadowProblem p;
    p.share = r.frac;
    p.rows_per_rank = r.tokens_global * r.k / size(s.group);
    p.ep = size(Group::Ep);
    p.esp = size(Group::Esp);
    p.esp_rows = c_.run.split ? p.esp : 1;  // `replicated` has no ESP all-gather
    p.d_model = D_;
    p.d_hidden = c_.cfg.d_hidden;
    p.swiglu = c_.cfg.swiglu();
    p.owner = c_.placement.owner;
    const ShadowCosts costs{c_.cfg.shadow_flops_per_s, c_.cfg.shadow_link_bytes_per_s,
                            c_.cfg.shadow_latency_s};
    c_.run.shadowed = shadow_choose(p, costs, c_.shadow, c_.placement.slot_of);
    return 0;
  }

  int own_experts() const { return c_.placement.local_experts(); }
  // Shadowed experts per EP rank that owns them (the all-gather's blocks).
  std::vector<int> shadow_rows_per_owner() const {
    std::vector<int> rows(size(Group::Ep), 0);
    for (int e : c_.run.shadowed) ++rows[c_.placement.owner[e]];
    return rows;
  }
  GatheredExperts shadowed_experts() {
    return GatheredExperts{static_cast<int>(c_.run.shadowed.size()), 1, c_.shadow_block,
                           read(c_.schedule.shadow_weights)};
  }
  int64_t block_bytes(int64_t blocks) const {
    return blocks * c_.shadow_block.size * static_cast<int64_t>(sizeof(float));
  }

  // This rank's shadowed experts, packed in slot order, to every EP rank.
  int64_t gather_shadow(const Step& s) {
    if (c_.run.shadowed.empty()) return started_nothing(s);
    const std::vector<int> rows = shadow_rows_per_owner();
    const int me = rank(Group::Ep);
    const int64_t B = c_.shadow_block.size;
    float* mine = dev_.out(s.in_slot, rows[me] * B);
    int64_t i = 0;
    for (int e : c_.run.shadowed)
      if (c_.placement.owner[e] == me)
        dev_.pack_expert(c_.shadow_block, c_.placement.slot_of[e] % own_experts(), mine + B * i++);
    float* all = dev_.out(s.out_slot, std::ssize(c_.run.shadowed) * B);
    started(s, c_.coll.start_allgatherv_rows(Group::Ep, mine, all, rows, static_cast<int>(B)));
    return block_bytes(rows[me]) * (size(Group::Ep) - 1);
  }

  int64_t reduce_shadow_grads(const Step& s) {
    if (c_.run.shadowed.empty()) return started_nothing(s);
    const std::vector<int> rows = shadow_rows_per_owner();
    const int me = rank(Group::Ep);
    const int64_t B = c_.shadow_block.size;
    float* mine = dev_.out(s.out_slot, rows[me] * B);
    started(s,
            c_.coll.start_reduce_scatterv_rows(Group::Ep, in(s), mine, rows, static_cast<int>(B)));
    return block_bytes(std::ssize(c_.run.shadowed) - rows[me]);
  }

  int64_t accumulate_shadow_grads(const Step& s) {
    if (c_.run.shadowed.empty()) return 0;
    const int me = rank(Group::Ep);
    const float* summed = in(s);
    int64_t i = 0;
    for (int e : c_.run.shadowed)
      if (c_.placement.owner[e] == me)
        dev_.add_expert_grad(c_.shadow_block, c_.placement.slot_of[e] % own_experts(),
                             summed + c_.shadow_block.size * i++);
    return 0;
  }

  // A started step with nothing to move this pass: its Wait completes at once.
  int64_t started_nothing(const Step& s) {
    started(s, kNothing);
    return 0;
  }

  WeightCache& cache() {
    PARAMOE_REQUIRE(c_.cache, "a data-centric step ran on a layer without a weight cache");
    return *c_.cache;
  }
  // The bytes this rank sends in a ring all-gather or reduce-scatter of layer id's
  // expert blocks over the expert group.
  int64_t expert_ring_bytes(int id) {
    const int64_t block = cache().block_floats(id);
    return block * static_cast<int64_t>(sizeof(float)) * (size(Group::Expert) - 1);
  }

  // Every expert runs here: one "EP peer" (this rank), rows in slot order.
  int64_t local_plan() {
    DispatchPlan& p = c_.run.plan;
    dev_.build_send_plan(1, c_.placement.num_experts(), c_.placement.slot_of, p);
    dispatch_plan_set_recv(p, p.send_counts);
    dev_.set_plan_layout(p, 1, p.send_counts);
    return 0;
  }

  // Forward passes gather afresh (values may have changed since the last pass);
  // the backward reuses what is in the cache. The wait completes it. A step's bytes
  // are those of the gather it started: none when a prefetch had started it.
  int64_t gather_weights(const Step& s) {
    const bool sent = cache().request(c_.cache_id, /*fresh=*/!backward_);
    started(s, 0, /*cache=*/true);
    return sent ? expert_ring_bytes(c_.cache_id) : 0;
  }

  int64_t prefetch_weights(const Step& s) {
    const int next = c_.cache_id + (s.reverse ? -1 : 1);
    return cache().prefetch(next, /*fresh=*/!backward_) ? expert_ring_bytes(next) : 0;
  }

  int64_t gathered_expert_forward(const Step& s) {
    PARAMOE_REQUIRE(gathered_.blocks, "gathered_expert_fwd before the weights' wait");
    const float* x = in(s);
    dev_.gathered_expert_forward(gathered_, x, c_.run.plan.expert_offsets, out(s, rows(s.in_slot)));
    return 0;
  }

  int64_t gathered_expert_backward(const Step& s) {
    PARAMOE_REQUIRE(gathered_.blocks, "gathered_expert_bwd before the weights' wait");
    const float* dy = in(s);
    const float* x = read(s.aux_slot);
    float* grads = cache().zeroed_grads(c_.cache_id);
    dev_.gathered_expert_backward(gathered_, dy, x, c_.run.plan.expert_offsets, grads,
                                  out(s, rows(s.in_slot)));
    return 0;
  }

  int64_t reduce_scatter_grads(const Step& s) {
    started(s, cache().start_grad_reduce(c_.cache_id));
    return expert_ring_bytes(c_.cache_id);
  }

  int64_t accumulate_expert_grads() {
    cache().add_grads(c_.cache_id);
    return 0;
  }

  static constexpr Collectives::Handle kNothing = -1;
  ExecContext& c_;
  StepBackend& dev_;
  const int64_t D_;
  const bool backward_;
  GatheredExperts gathered_;  // the cache's contents once the weights' wait completed
  // Started collectives by the buffer they write: the handle, and the index of the
  // start step's record, whose end becomes the collective's completion (so a trace
  // shows how long it was in flight).
  struct InFlight {
    Collectives::Handle handle;
    size_t record;
    bool cache;     // the weight cache's gather, which the cache completes
    int wire = -1;  // the slot its rows arrive in as bf16, to unpack (alltoallv); -1: none
  };
  std::map<int, InFlight> pending_;  // by the slot of the buffer it writes
};

}  // namespace

void schedule_execute(bool backward, ExecContext& ctx) {
  Executor ex(ctx, backward);
  for (const Step& s : backward ? ctx.schedule.backward : ctx.schedule.forward) {
    watchdog_at_phase(backward, op_name(s.op));
    const double t0 = now_seconds();
    const int64_t bytes = ex.run(s);
    ctx.run.records.push_back(
        StepRecord{s.op, s.group, s.lane, s.chunk, backward, t0, now_seconds(), bytes});
  }
  ex.require_no_pending();
  watchdog_at_phase(backward, nullptr);
}

}  // namespace paramoe
