// paramoe calibrate: measures the cost model's parameters on the machine it runs
// on (under mpirun or srun) and writes a cluster file (plan/cluster.h).
//   links:   every rank exchanges 16 MiB (bandwidth) and 8 B (latency) messages
//            with a partner, all pairs at once, so the per-rank rate includes the
//            contention a real all-to-all sees: partners on the same node for
//            [intra], on the next node for [inter]. The latency is at least a small
//            all-reduce's per tree level with every rank in it (on shared cores, a
//            wait for a descheduled peer);
//   compute: t = α + β·FLOPs fitted over fp32 GEMMs (OpenBLAS) of expert-like shapes
//            on every rank at once (gemm_TFLOPs = 1/β, launch_us = α), and a 256 MiB
//            copy. Ranks slower than 0.9 of the fastest get per-rank speeds.
//   executor: the latency is at least the one that makes the predictor match small
//            s1 MoE layers run here (fit_collective_latency_us).
// Medians of --repeats. Nodes come from MPI_COMM_TYPE_SHARED or --ranks-per-node.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "app/commands.h"
#include "app/layer_timing.h"
#include "core/error.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/timer.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/gemm.h"
#include "plan/cluster.h"
#include "plan/predictor.h"

namespace paramoe {

namespace {

struct PairRates {
  double bandwidth_GBps = 0;  // per rank: min over the pairs that measured
  double latency_us = 0;      // max over the pairs
  bool measured = false;
};

// Every rank with partner >= 0 exchanges with it at once; others sit out. Returns
// rates agreed over the world.
PairRates measure_pairs(MPI_Comm world, int partner, int repeats) {
  constexpr size_t kBig = size_t{16} << 20;
  std::vector<char> send(kBig, 1), recv(kBig);
  std::vector<double> bw, lat;
  for (int i = 0; i < repeats + 1; ++i) {
    MPI_CHECK(MPI_Barrier(world));
    double t0 = now_seconds();
    if (partner >= 0)
      MPI_CHECK(MPI_Sendrecv(send.data(), static_cast<int>(kBig), MPI_BYTE, partner, 1, recv.data(),
                             static_cast<int>(kBig), MPI_BYTE, partner, 1, world,
                             MPI_STATUS_IGNORE));
    const double t_big = now_seconds() - t0;
    MPI_CHECK(MPI_Barrier(world));
    t0 = now_seconds();
    constexpr int kSmall = 100;
    for (int j = 0; j < kSmall && partner >= 0; ++j)
      MPI_CHECK(MPI_Sendrecv(send.data(), 8, MPI_BYTE, partner, 2, recv.data(), 8, MPI_BYTE,
                             partner, 2, world, MPI_STATUS_IGNORE));
    const double t_small = (now_seconds() - t0) / kSmall;
    if (i == 0) continue;  // warm-up
    bw.push_back(kBig / t_big / 1e9);
    lat.push_back(t_small * 1e6);
  }
  // Agree: the slowest measuring rank's bandwidth and latency.
  double mine[3] = {partner >= 0 ? -median(bw) : -1e300, partner >= 0 ? median(lat) : 0.0,
                    partner >= 0 ? 1.0 : 0.0};
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, mine, 3, MPI_DOUBLE, MPI_MAX, world));
  PairRates r;
  r.measured = mine[2] > 0;
  r.bandwidth_GBps = -mine[0];
  r.latency_us = mine[1];
  return r;
}

// The latency a small collective sees with every rank busy in it: what a schedule's
// many small collectives cost, including any wait for a descheduled peer when
// ranks share cores. Per tree level (log2 p rounds).
double collective_latency_us(MPI_Comm world, int n, int repeats) {
  double v = 1.0;
  constexpr int kCalls = 50;
  MPI_CHECK(MPI_Barrier(world));
  const double per_call =
      median(time_repeats(repeats,
                          [&] {
                            for (int j = 0; j < kCalls; ++j)
                              MPI_CHECK(
                                  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, world));
                          })) /
      kCalls;
  double us = per_call * 1e6 / std::max(1.0, std::ceil(std::log2(n)));
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &us, 1, MPI_DOUBLE, MPI_MAX, world));
  return us;
}

double time_gemm(int64_t m, int64_t n, int64_t k, int repeats) {
  std::vector<float> a(m * k, 1.0f), b(k * n, 0.5f), c(m * n);
  return median(time_repeats(repeats, [&] {
    cpu::gemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  }));
}

// t = α + β·FLOPs fitted by weighted least squares over GEMMs of the shapes MoE experts run
// (tens to thousands of rows, widths 128 to 1024), as FSMoE models the expert GEMM.
void fit_gemm(int repeats, double& alpha_s, double& seconds_per_flop) {
  std::vector<double> f, t;
  for (int64_t m : {32, 128, 512, 2048})
    for (int64_t w : {128, 512, 1024}) {
      f.push_back(2.0 * m * w * w);
      t.push_back(time_gemm(m, w, w, repeats));
    }
  // Weights 1/t² fit relative error, so the small GEMMs count as much as the big.
  double sw = 0, sf = 0, st = 0, sff = 0, sft = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    const double w = 1.0 / (t[i] * t[i]);
    sw += w;
    sf += w * f[i];
    st += w * t[i];
    sff += w * f[i] * f[i];
    sft += w * f[i] * t[i];
  }
  seconds_per_flop = (sw * sft - sf * st) / (sw * sff - sf * sf);
  alpha_s = std::max(0.0, (st - seconds_per_flop * sf) / sw);
}

// GELU forward elements per second (exact erf, as the experts run it).
double activation_Gps(int repeats) {
  constexpr int64_t kN = int64_t{1} << 22;
  std::vector<float> a(kN), h(kN);
  for (int64_t i = 0; i < kN; ++i) a[i] = static_cast<float>(normal01(5, 1, i));
  return kN / median(time_repeats(repeats, [&] { cpu::gelu_forward(a.data(), kN, h.data()); })) /
         1e9;
}

double copy_GBps(int repeats) {
  constexpr size_t kBytes = size_t{256} << 20;
  std::vector<char> a(kBytes, 1), b(kBytes);
  // read + write
  return 2.0 * kBytes /
         median(time_repeats(repeats, [&] { std::memcpy(b.data(), a.data(), kBytes); })) / 1e9;
}

// The latency a schedule's collectives really see, fitted on the executor itself:
// a few small MoE layers run under s1, and the α that makes the predictor match
// them (least squares on relative error; the prediction is linear in α). It holds
// what ping-pongs miss: waits for peers that are still computing or, on shared
// cores, descheduled. Returns µs, or 0 when the world is too small to fit.
double fit_collective_latency_us(ClusterSpec cluster, int rpn, int repeats) {
  int world = 1;
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world));
  double num = 0, den = 0;
  for (int esp : {1, 2}) {
    if (world % esp || rpn % esp) continue;
    for (int64_t tokens : {256, 1024}) {
      MoeConfig m;
      m.d_model = 128;
      m.d_hidden = 256;
      m.num_experts = 2 * world / esp;
      m.top_k = 2;
      m.schedule = "s1";
      const ProcessGrid grid =
          ProcessGrid::create(MPI_COMM_WORLD, ParallelConfig{esp, world / esp, esp, rpn}, m);
      MpiCollectives coll(grid);
      MoeLayer layer(m, coll, "calibrate/", 3);
      const int64_t rows = tokens;  // one MP group's tokens: this shard's rows
      std::vector<float> x(rows * m.d_model), dy(rows * m.d_model);
      for (size_t i = 0; i < x.size(); ++i) {
        x[i] = static_cast<float>(normal01(3, 1, i));
        dy[i] = static_cast<float>(normal01(3, 2, i));
      }
      const double measured = median(time_layer(layer, x, dy, rows, 1, repeats, coll).step_s);
      Layout l = grid.layout();
      l.ranks_per_node = rpn;
      const LayerShape shape = layer_shape(m, tokens);
      cluster.intra.latency_us = cluster.inter.latency_us = 0;
      const double p0 = predict_layer(schedule_build("s1"), shape, l, cluster).total();
      cluster.intra.latency_us = cluster.inter.latency_us = 1000;
      const double per_us =
          (predict_layer(schedule_build("s1"), shape, l, cluster).total() - p0) / 1000;
      // Relative residual (p0 + α·per_us − measured) / measured.
      num += per_us / measured * (measured - p0) / measured;
      den += (per_us / measured) * (per_us / measured);
    }
  }
  return den > 0 ? std::max(0.0, num / den) : 0.0;
}

}  // namespace

int cmd_calibrate(const CalibrateArgs& args) {
  MPI_Comm world = MPI_COMM_WORLD;
  int me = 0, n = 1;
  MPI_CHECK(MPI_Comm_rank(world, &me));
  MPI_CHECK(MPI_Comm_size(world, &n));
  if (args.repeats < 1) throw_collective("calibrate: --repeats: expected an integer >= 1");
  cpu::blas_set_threads_default();
  // Nodes: blocks of --ranks-per-node, or what MPI says shares memory.
  int rpn = args.ranks_per_node;
  if (rpn <= 0) {
    MPI_Comm node;
    MPI_CHECK(MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, me, MPI_INFO_NULL, &node));
    MPI_CHECK(MPI_Comm_size(node, &rpn));
    MPI_Comm_free(&node);
    int range[2] = {-rpn, rpn};  // every rank learns the smallest and largest node
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_INT, MPI_MAX, world));
    if (-range[0] != range[1])
      throw_collective("calibrate: nodes hold different rank counts (" + std::to_string(-range[0]) +
                       " to " + std::to_string(range[1]) + "); give --ranks-per-node");
  }
  if (n % rpn)
    throw_collective("calibrate: --ranks-per-node=" + std::to_string(rpn) +
                     " does not divide the world size " + std::to_string(n));
  const int nodes = n / rpn, local = me % rpn, node = me / rpn;

  // Intra: neighbours (0,1), (2,3), ... within a node. Inter: the same local rank
  // on the neighbouring node, nodes paired (0,1), (2,3), ...
  const int intra_partner = rpn > 1 && (local ^ 1) < rpn ? node * rpn + (local ^ 1) : -1;
  const int inter_partner = nodes > 1 && (node ^ 1) < nodes ? (node ^ 1) * rpn + local : -1;
  PairRates intra = measure_pairs(world, intra_partner, args.repeats);
  PairRates inter = measure_pairs(world, inter_partner, args.repeats);
  // A collective's latency is at least what a small one costs with all ranks in it.
  const double coll_us = collective_latency_us(world, n, args.repeats);
  intra.latency_us = std::max(intra.latency_us, coll_us);
  inter.latency_us = std::max(inter.latency_us, coll_us);

  double alpha_s = 0, s_per_flop = 0;
  fit_gemm(args.repeats, alpha_s, s_per_flop);
  double rates[4] = {1.0 / s_per_flop / 1e12, copy_GBps(args.repeats), alpha_s * 1e6,
                     activation_Gps(args.repeats)};
  std::vector<double> all_tflops(n);
  MPI_CHECK(MPI_Allgather(&rates[0], 1, MPI_DOUBLE, all_tflops.data(), 1, MPI_DOUBLE, world));
  double mins[3] = {rates[0], rates[1], rates[3]};
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, mins, 3, MPI_DOUBLE, MPI_MIN, world));
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &rates[2], 1, MPI_DOUBLE, MPI_MAX, world));
  const double fastest = *std::max_element(all_tflops.begin(), all_tflops.end());
  const bool uneven = mins[0] < 0.9 * fastest;

  // One rank alone has no link to measure: its "links" are memory copies.
  if (!intra.measured && !inter.measured) {
    intra.bandwidth_GBps = inter.bandwidth_GBps = mins[1] / 2;  // a copy reads and writes
    intra.latency_us = inter.latency_us = 0;
  }
  // Without a partner of a kind, the other link's values stand in for it.
  const PairRates& near = intra.measured ? intra : inter;
  const PairRates& far = inter.measured ? inter : intra;
  ClusterSpec c;
  c.name = args.name;
  c.nodes = nodes;
  c.ranks_per_node = rpn;
  c.intra = {near.bandwidth_GBps, near.latency_us};
  c.inter = {far.bandwidth_GBps, far.latency_us};
  // The slowest rank's rates bound a step. With per-rank speeds (relative to the
  // fastest), the file holds rates at speed 1, since the predictor multiplies them
  // by the slowest speed: writing the slowest rates as well would count it twice.
  const double slowest = uneven ? mins[0] / fastest : 1.0;
  c.gemm_TFLOPs = mins[0] / slowest;
  c.memory_GBps = mins[1] / slowest;
  c.launch_us = rates[2];
  c.activation_Gps = mins[2] / slowest;
  if (uneven)
    for (double r : all_tflops) c.speeds.push_back(r / fastest);
  // The collective latency, fitted on the executor with the rates just measured.
  const double fitted_us = fit_collective_latency_us(c, rpn, args.repeats);
  c.intra.latency_us = std::max(c.intra.latency_us, fitted_us);
  c.inter.latency_us = std::max(c.inter.latency_us, fitted_us);

  if (me == 0) {
    std::ofstream f(args.out);
    if (!f) throw Error("calibrate: " + args.out + ": cannot be opened for writing");
    f << "# Written by `paramoe calibrate` on " << n << " ranks (" << nodes << " x " << rpn
      << ").\n";
    if (!intra.measured && !inter.measured)
      f << "# One rank: no link to measure; both links are memory copies.\n";
    else if (!intra.measured)
      f << "# No two ranks share a node: [intra] repeats [inter].\n";
    else if (!inter.measured)
      f << "# One node only: [inter] repeats [intra].\n";
    f << "# Latencies: the larger of a ping-pong's and " << fitted_us
      << " us fitted on small s1 MoE layers run here.\n";
    cluster_write(f, c);
    if (!f) throw Error("calibrate: " + args.out + ": write failed");
    char line[256];
    std::snprintf(line, sizeof line,
                  "calibrate: intra %.2f GB/s %.1f us | inter %.2f GB/s %.1f us | GEMM %.3f "
                  "TFLOP/s | memory %.1f GB/s | launch %.1f us -> %s",
                  c.intra.bandwidth_GBps, c.intra.latency_us, c.inter.bandwidth_GBps,
                  c.inter.latency_us, c.gemm_TFLOPs, c.memory_GBps, c.launch_us, args.out.c_str());
    log_info(line);
  }
  return 0;
}

}  // namespace paramoe
