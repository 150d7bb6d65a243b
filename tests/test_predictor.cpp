// The predictor (plan/predictor.h) on the schedules' own step lists, and the
// cluster files it reads: properties that must hold whatever the constants are.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>
#include <string>

#include "core/csv_file.h"
#include "core/error.h"
#include "plan/cluster.h"
#include "plan/predictor.h"

namespace paramoe {
namespace {

ClusterSpec two_nodes_of_eight(double inter_GBps = 3.0, double intra_GBps = 100.0) {
  ClusterSpec c;
  c.name = "test";
  c.nodes = 2;
  c.ranks_per_node = 8;
  c.intra = {intra_GBps, 5};
  c.inter = {inter_GBps, 10};
  c.gemm_TFLOPs = 50;
  c.memory_GBps = 1000;
  c.launch_us = 5;
  return c;
}

LayerShape shape() {
  LayerShape s;
  s.tokens = 8192;
  s.d_model = 1024;
  s.d_hidden = 4096;
  s.experts = 16;
  s.top_k = 2;
  return s;
}

// mp = esp = 8 within a node, ep = 2 across the two nodes.
const Layout kLayout{16, 8, 2, 8, 8};

double total(const std::string& name, int r, const ClusterSpec& c, const Layout& l = kLayout) {
  return predict_layer(schedule_build(name, r), shape(), l, c).total();
}

double alltoall_bytes(const Prediction& p) {
  double b = 0;
  for (const StepPrice& s : p.steps)
    if (s.op == Op::AllToAllV) b += s.bytes;
  return b;
}

// A small case priced by hand: two ranks on two nodes (ep = 2, one rank per
// node), 1000 tokens of D = 250 fp32 (1000-byte rows), H = 500, top-1 over 2
// experts; links of 1 GB/s and 10 us between the nodes, 1 TFLOP/s, 10 GB/s memory,
// 2 us per GEMM call.
Prediction predict_small_case(const char* schedule) {
  ClusterSpec c;
  c.nodes = 2;
  c.ranks_per_node = 1;
  c.intra = {100, 1};
  c.inter = {1, 10};
  c.gemm_TFLOPs = 1;
  c.memory_GBps = 10;
  c.launch_us = 2;
  LayerShape s;
  s.tokens = 1000;
  s.d_model = 250;
  s.d_hidden = 500;
  s.experts = 2;
  s.top_k = 1;
  return predict_layer(schedule_build(schedule), s, Layout{2, 1, 2, 1, 1}, c);
}

// The first step of kind `op` in a prediction.
StepPrice first_step(const Prediction& p, Op op) {
  for (const StepPrice& st : p.steps)
    if (st.op == op) return st;
  ADD_FAILURE() << "no step " << op_name(op);
  return StepPrice{};
}

TEST(Predictor, HandComputedSmallCase) {
  const Prediction p = predict_small_case("s1");
  auto first = [&](Op op) {
    const StepPrice st = first_step(p, op);
    return st.end - st.start;
  };
  // All-to-all: 1000 rows, half to the other node: 10 us + 500 kB / 1 GB/s.
  EXPECT_NEAR(first(Op::AllToAllV), 10e-6 + 500e3 / 1e9, 1e-12);
  // Expert forward: 1000 rows (no ESP gather), GELU: 2 GEMMs of 2·1000·250·500
  // FLOPs at 1 TFLOP/s, 2 calls × 1 local expert × 2 us, and the activations
  // (1000 × 500 floats, written and read) at 10 GB/s.
  EXPECT_NEAR(first(Op::ExpertForward),
              2 * 2.0 * 1000 * 250 * 500 / 1e12 + 2 * 2e-6 + 1000 * 500 * 4.0 * 2 / 10e9, 1e-12);
  // Permute to send: 1000 rows of 1000 bytes read and written at 10 GB/s.
  EXPECT_NEAR(first(Op::PermuteToSend), 2e6 / 10e9, 1e-12);
  // The counts exchange: one message of latency over EP.
  EXPECT_NEAR(first(Op::CountsExchange), 10e-6, 1e-12);
}

// The same small case, data-centric: each rank's expert shard (1 expert: W1, W2
// of 250·500 floats, b1 of 500, b2 of 250) is 250,750 floats = 1,003,000 bytes.
TEST(Predictor, HandComputedDataCentric) {
  const Prediction p = predict_small_case("dc");
  const double shard = 1003000;
  // The gather: a ring of 2 over the inter link, one block, plus packing the shard.
  const StepPrice g = first_step(p, Op::GatherWeights);
  EXPECT_NEAR(g.end - g.start, 10e-6 + shard / 1e9 + 2 * shard / 10e9, 1e-12);
  EXPECT_NEAR(g.bytes, shard, 1e-6);
  // Every expert on this rank's 1000 rows: 2 GEMMs of 2·1000·250·500 FLOPs, 2 calls
  // for each of the 2 gathered blocks, and the activations at 10 GB/s.
  const StepPrice e = first_step(p, Op::GatheredExpertForward);
  EXPECT_NEAR(e.end - e.start,
              2 * 2.0 * 1000 * 250 * 500 / 1e12 + 2 * 2 * 2e-6 + 1000 * 500 * 4.0 * 2 / 10e9,
              1e-12);
  // The gradients' reduce-scatter: the ring, plus summing the received block.
  const StepPrice r = first_step(p, Op::ReduceScatterGrads);
  EXPECT_NEAR(r.end - r.start, 10e-6 + shard / 1e9 + 2 * shard / 10e9, 1e-12);
  // No token all-to-all at all.
  EXPECT_EQ(alltoall_bytes(p), 0.0);
}

TEST(Predictor, PricesEveryStepOfTheList) {
  for (const char* name : {"replicated", "s1", "s2", "dc"}) {
    const Schedule s = schedule_build(name, 3);
    const Prediction p = predict_layer(s, shape(), kLayout, two_nodes_of_eight());
    EXPECT_EQ(p.steps.size(), s.forward.size() + s.backward.size()) << name;
    for (const StepPrice& st : p.steps) EXPECT_LE(st.start, st.end) << name;
    EXPECT_GT(p.forward, 0) << name;
    EXPECT_GT(p.backward, p.forward) << name << ": the backward does twice the expert FLOPs";
  }
}

// The router's collectives are steps of their own: the capacity scan costs two
// small collectives over MP only where tokens were split over MP and capacity is
// on; the loss statistics one small collective over the ranks with distinct tokens.
TEST(Predictor, PricesTheRoutersCollectivesAsStepsOfTheirOwn) {
  const ClusterSpec c = two_nodes_of_eight();
  LayerShape capped = shape();
  capped.capacity_factor = 1.25;
  for (const char* name : {"replicated", "s1", "dc"}) {
    for (const LayerShape& sh : {shape(), capped}) {
      const Prediction p = predict_layer(schedule_build(name), sh, kLayout, c);
      const StepPrice scan = first_step(p, Op::CapacityScan);
      const StepPrice stats = first_step(p, Op::LossStats);
      const bool priced = sh.capacity_factor > 0 && std::string(name) != "replicated";
      // Two latency-bound collectives over MP (8 ranks on one node: 3 hops of 5 us each).
      EXPECT_NEAR(scan.end - scan.start, priced ? 2 * 3 * 5e-6 : 0.0, 1e-12) << name;
      EXPECT_EQ(scan.bytes, priced ? 2.0 * 4 * sh.experts * (kLayout.mp - 1) : 0.0) << name;
      // replicated sums over dp (2 ranks on 2 nodes), the others over the world (16).
      const double hops = std::string(name) == "replicated" ? 1 : 4;
      EXPECT_NEAR(stats.end - stats.start, hops * 10e-6, 1e-12) << name;
    }
  }
}

// Buffer names resolve to slots once, when the schedule is built: every name a
// step uses has one slot, and the slot names it back.
TEST(Schedule, ResolvesEveryBufferNameToOneSlot) {
  for (const std::string name :
       {"replicated", "s1", "s2", "dc", "replicated+", "s1+", "s2+", "dc+"}) {
    const bool shared = name.back() == '+';  // with shared experts
    const Schedule s = schedule_build(shared ? name.substr(0, name.size() - 1) : name, 3, shared);
    const int n = static_cast<int>(s.buffers.size());
    for (int slot : {s.x, s.y, s.dy, s.dx, s.dwg}) ASSERT_TRUE(slot >= 0 && slot < n) << name;
    EXPECT_EQ(s.buffers[s.x], "x");
    EXPECT_EQ(s.buffers[s.dx], "dx");
    EXPECT_EQ(s.buffers[s.dwg], "dwg");
    std::set<std::string> unique(s.buffers.begin(), s.buffers.end());
    EXPECT_EQ(unique.size(), s.buffers.size()) << name << ": a name has two slots";
    for (const std::vector<Step>* pass : {&s.forward, &s.backward})
      for (const Step& st : *pass) {
        const std::pair<const std::string*, int> uses[] = {
            {&st.in, st.in_slot}, {&st.out, st.out_slot}, {&st.aux, st.aux_slot}};
        for (const auto& [buffer, slot] : uses) {
          if (buffer->empty()) {
            EXPECT_EQ(slot, -1) << name << " " << op_name(st.op);
          } else {
            ASSERT_TRUE(slot >= 0 && slot < n) << name << " " << op_name(st.op);
            EXPECT_EQ(s.buffers[slot], *buffer) << name << " " << op_name(st.op);
          }
        }
        const bool a2a = st.op == Op::AllToAllV;
        EXPECT_EQ(st.wire_send_slot >= 0, a2a) << name;
        EXPECT_EQ(st.wire_recv_slot >= 0, a2a) << name;
        if (a2a) {
          EXPECT_EQ(s.buffers[st.wire_recv_slot], st.out + "#wire");
        }
      }
  }
}

// Step::in_last_use, checked by brute force: a step's `in` is last used there
// exactly when no later step of the pass, nor any backward step after a forward
// one, names the buffer, and it is never the layer's output or the gate gradient.
// In s1 the split's input x is last used there unless the shared FFN reads it.
TEST(Schedule, MarksTheLastUseOfEveryInput) {
  for (const std::string name : {"replicated", "s1", "s2", "dc"})
    for (const bool shared : {false, true})
      for (const bool shadow : {false, true}) {
        const Schedule s = schedule_build(name, 3, shared, shadow);
        std::vector<const Step*> all;
        for (const Step& st : s.forward) all.push_back(&st);
        for (const Step& st : s.backward) all.push_back(&st);
        for (size_t i = 0; i < all.size(); ++i) {
          const Step& st = *all[i];
          bool later =
              st.in_slot == s.y || st.in_slot == s.dx || st.in_slot == s.dwg ||
              (st.in_slot >= 0 && (st.in_slot == s.shadow_weights || st.in_slot == s.shadow_grads));
          for (size_t j = i + 1; j < all.size(); ++j)
            for (int slot : {all[j]->in_slot, all[j]->out_slot, all[j]->aux_slot,
                             all[j]->wire_send_slot, all[j]->wire_recv_slot})
              later |= slot == st.in_slot;
          EXPECT_EQ(st.in_last_use, st.in_slot >= 0 && !later)
              << name << (shared ? "+shared" : "") << (shadow ? "+shadow" : "") << " step " << i
              << " " << op_name(st.op) << " in " << st.in;
        }
        if (name == "s1") {
          EXPECT_EQ(s.forward.front().in_last_use, !shared) << "split of x";
        }
      }
}

// Shared experts (moe.shared_experts): every schedule gains the shared FFN's
// steps, each started collective is waited for, and where the all-to-all is long
// (a slow inter-node link) the FFN costs less than its own time: it runs while the
// dispatch is in flight.
TEST(Predictor, SharedExpertsRunBesideTheDispatch) {
  LayerShape with = shape();
  with.shared_experts = 2;
  const ClusterSpec slow = two_nodes_of_eight(/*inter=*/0.5);
  for (const char* name : {"replicated", "s1", "s2", "dc"}) {
    const Schedule plain = schedule_build(name, 3), shared = schedule_build(name, 3, true);
    int fwd = 0, bwd = 0;
    for (const std::vector<Step>* pass : {&shared.forward, &shared.backward})
      for (const Step& st : *pass) {
        fwd += st.op == Op::SharedExpertForward;
        bwd += st.op == Op::SharedExpertBackward;
      }
    EXPECT_EQ(fwd, 1) << name;
    EXPECT_EQ(bwd, 1) << name;
    const Prediction p0 = predict_layer(plain, shape(), kLayout, slow);
    const Prediction p1 = predict_layer(shared, with, kLayout, slow);
    const StepPrice f = first_step(p1, Op::SharedExpertForward);
    double own = 0;
    for (const StepPrice& st : p1.steps)
      if (st.op == Op::SharedExpertForward || st.op == Op::SharedExpertBackward)
        own += st.end - st.start;
    EXPECT_GT(f.end, f.start) << name;
    EXPECT_GT(p1.total(), p0.total()) << name;
    if (std::string(name) != "dc") {  // dc's weights gather is not slowed by the link here
      EXPECT_LT(p1.total() - p0.total(), own) << name << ": no overlap";
    }
  }
}

TEST(Predictor, ReplicatedSendsMpTimesTheAllToAllBytesOfS1) {
  const ClusterSpec c = two_nodes_of_eight();
  const double s1 = alltoall_bytes(predict_layer(schedule_build("s1"), shape(), kLayout, c));
  const double rep =
      alltoall_bytes(predict_layer(schedule_build("replicated"), shape(), kLayout, c));
  EXPECT_NEAR(rep / s1, kLayout.mp, 1e-9);
  EXPECT_LT(total("s1", 1, c), total("replicated", 1, c));
}

// moe.a2a_precision = "bf16": half the all-to-all bytes, and the step is priced
// as half the transfer plus the packing (read 4 + write 2, then read 2 + write 4
// bytes a value, at the memory rate).
TEST(Predictor, Bf16AllToAllHalvesTheBytesAndPaysThePacking) {
  const ClusterSpec c = two_nodes_of_eight();
  LayerShape bf16 = shape();
  bf16.a2a_bytes_per_element = 2;
  const Prediction p32 = predict_layer(schedule_build("s1"), shape(), kLayout, c);
  const Prediction p16 = predict_layer(schedule_build("s1"), bf16, kLayout, c);
  EXPECT_NEAR(alltoall_bytes(p16) / alltoall_bytes(p32), 0.5, 1e-12);
  const StepPrice a32 = first_step(p32, Op::AllToAllV), a16 = first_step(p16, Op::AllToAllV);
  const double rows = static_cast<double>(shape().tokens) / kLayout.mp * shape().top_k;
  const double pack = rows * shape().d_model * 12.0 / (c.memory_GBps * 1e9);
  // ep spans the nodes: the latency term is (ep − 1) inter-node latencies, the rest
  // the transfer, which halves.
  const double latency = (kLayout.ep - 1) * c.inter.latency_us * 1e-6;
  const double t32 = a32.end - a32.start - latency;
  EXPECT_NEAR(a16.end - a16.start, latency + t32 / 2 + pack, 1e-9 * (a32.end - a32.start));
}

// moe.a2a = "2dh" over an EP group of 2 nodes × 8: the blocking all-to-all is
// priced as its two phases (7 intra-node start-ups and 2 blocks to each local
// peer, then 1 inter-node start-up and 8 blocks to the other node) plus two
// copies of the rows; the block comes from the flat price of the same step.
TEST(Predictor, TwoLevelAllToAllIsPricedAsItsTwoPhases) {
  const Layout ep16{16, 1, 16, 1, 8};
  const auto a2a = [&](const ClusterSpec& c, bool two_level) {
    LayerShape s = shape();
    s.a2a_two_level = two_level;
    const StepPrice st = first_step(predict_layer(schedule_build("s1"), s, ep16, c), Op::AllToAllV);
    return st.end - st.start;
  };
  ClusterSpec c = two_nodes_of_eight();
  const double flat = a2a(c, false);
  const double block = (flat - 15 * c.inter.latency_us * 1e-6) * c.inter.bandwidth_GBps * 1e9 / 8;
  const double want = 7 * (c.intra.latency_us * 1e-6 + 2 * block / (c.intra.bandwidth_GBps * 1e9)) +
                      (c.inter.latency_us * 1e-6 + 8 * block / (c.inter.bandwidth_GBps * 1e9)) +
                      16 * block * 4 / (c.memory_GBps * 1e9);
  EXPECT_NEAR(a2a(c, true), want, 1e-12 + 1e-9 * want);
  // It pays where start-ups dominate, and not where bytes do.
  c.inter.latency_us = 5000;
  EXPECT_LT(a2a(c, true), a2a(c, false));
  c.inter.latency_us = 0;
  c.intra.latency_us = 0;
  EXPECT_GT(a2a(c, true), a2a(c, false));
}

TEST(Predictor, S2WithOneChunkIsS1PlusItsCopies) {
  const ClusterSpec c = two_nodes_of_eight();
  const double s1 = total("s1", 1, c), s2 = total("s2", 1, c);
  EXPECT_GE(s2, s1);
  EXPECT_LT(s2, s1 * 1.1);
}

TEST(Predictor, S2OverlapsWhenBothLanesCarryWeight) {
  // A slow intra-node link makes the ESP collectives as heavy as the all-to-alls:
  // the pipeline hides most of the lighter lane under the heavier one, and more of
  // it with more chunks.
  const ClusterSpec c = two_nodes_of_eight(/*inter=*/3.0, /*intra=*/20.0);
  double last_overlap = 0;
  for (int r : {2, 4, 8}) {
    const Prediction p = predict_layer(schedule_build("s2", r), shape(), kLayout, c);
    EXPECT_GT(p.overlap(), last_overlap) << "r=" << r;
    last_overlap = p.overlap();
    EXPECT_LT(p.total(), total("s1", 1, c)) << "r=" << r;
  }
  const Prediction p4 = predict_layer(schedule_build("s2", 4), shape(), kLayout, c);
  EXPECT_GT(p4.overlap(), 0.5 * std::min(p4.intra, p4.inter));
}

TEST(Predictor, SlowerInterNodeLinksCostMore) {
  double last = 0;
  for (double bw : {100.0, 25.0, 3.0, 0.5}) {
    const double t = total("s1", 1, two_nodes_of_eight(bw));
    EXPECT_GT(t, last) << bw << " GB/s";
    last = t;
  }
  // Inside one node the inter-node link is never used.
  const Layout one_node{8, 8, 1, 8, 8};
  EXPECT_DOUBLE_EQ(total("s1", 1, two_nodes_of_eight(100.0), one_node),
                   total("s1", 1, two_nodes_of_eight(0.5), one_node));
}

TEST(Predictor, TheSlowestRankBoundsCompute) {
  ClusterSpec c = two_nodes_of_eight(1000.0, 1000.0);
  const double fast = total("s1", 1, c);
  c.speeds.assign(16, 1.0);
  c.speeds[5] = 0.5;
  EXPECT_GT(total("s1", 1, c), 1.5 * fast);
}

const char* kCluster = R"(
[cluster]
nodes = 2
ranks_per_node = 4
[intra]
bandwidth_GBps = 50
latency_us = 2
[inter]
bandwidth_GBps = 5
latency_us = 8
[device]
gemm_TFLOPs = 20
memory_GBps = 400
)";

TEST(Cluster, ParsesAFile) {
  const ClusterSpec c = cluster_parse(kCluster, "c.toml");
  EXPECT_EQ(c.world(), 8);
  EXPECT_DOUBLE_EQ(c.inter.bandwidth_GBps, 5);
  EXPECT_DOUBLE_EQ(c.intra.latency_us, 2);
  EXPECT_EQ(c.name, "c.toml");
}

TEST(Cluster, WritesWhatItReads) {
  ClusterSpec c = cluster_parse(kCluster, "c.toml");
  c.name = "a \"quoted\" name";
  c.launch_us = 1.0 / 3;
  c.activation_Gps = 0.25;
  c.speeds.assign(8, 1.0);
  c.speeds[3] = 0.5;
  std::ostringstream out;
  cluster_write(out, c);
  const ClusterSpec back = cluster_parse(out.str(), "written");
  EXPECT_EQ(back.name, c.name);
  EXPECT_EQ(back.world(), c.world());
  EXPECT_DOUBLE_EQ(back.intra.bandwidth_GBps, c.intra.bandwidth_GBps);
  EXPECT_DOUBLE_EQ(back.inter.latency_us, c.inter.latency_us);
  EXPECT_DOUBLE_EQ(back.launch_us, c.launch_us);
  EXPECT_DOUBLE_EQ(back.activation_Gps, c.activation_Gps);
  EXPECT_EQ(back.speeds, c.speeds);
}

void expect_error(const std::string& text, const std::string& needle) {
  try {
    cluster_parse(text, "c.toml");
    ADD_FAILURE() << "no error, expected one naming " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_TRUE(e.collective());
  }
}

TEST(Cluster, BadFilesNameTheKey) {
  std::string missing = kCluster;
  missing.replace(missing.find("latency_us = 8"), 14, "");
  expect_error(missing, "c.toml: inter.latency_us: expected a value (the key is missing)");
  std::string zero = kCluster;
  zero.replace(zero.find("gemm_TFLOPs = 20"), 16, "gemm_TFLOPs = 0");
  expect_error(zero, "device.gemm_TFLOPs: expected a number > 0");
  expect_error(std::string(kCluster) + "[gpu]\nx = 1\n", "unknown section [gpu]");
  std::string speeds = kCluster;
  speeds += "speeds = [1.0, 2.0]\n";
  expect_error(speeds, "device.speeds: expected one value per rank (8) or none");
  expect_error("[cluster\n", "invalid TOML");
}

}  // namespace

// plan --csv and bench grid --csv write cluster and grid names into their rows.
TEST(PlanCsv, NamesWithCommasOrQuotesAreQuoted) {
  EXPECT_EQ(csv_field("parm-small"), "parm-small");
  EXPECT_EQ(csv_field("2-core EPYC, 4 ranks"), "\"2-core EPYC, 4 ranks\"");
  EXPECT_EQ(csv_field("the \"big\" one"), "\"the \"\"big\"\" one\"");
}

}  // namespace paramoe
