// paramoe calibrate: measures the cost model's parameters on the machine it runs
// on (under mpirun or srun) and writes a cluster file (plan/cluster.h).
//   links:   every rank exchanges 16 MiB (bandwidth) and 8 B (latency) messages
//            with a partner, all pairs at once, so the per-rank rate includes the
//            contention a real all-to-all sees: partners on the same node for
//            [intra], on the next node for [inter];
//   compute: t = α + β·FLOPs fitted over fp32 GEMMs (OpenBLAS) of expert-like shapes
//            (gemm_TFLOPs = 1/β, launch_us = α), the GELU and a 64 MiB copy, each
//            timed as a sustained rate while every rank runs it (sustained_seconds).
//            Ranks slower than 0.75 of the fastest get per-rank speeds;
//   executor: small s1 MoE layers run here fit the collective latency (at least the
//            ping-pong's) and one scale on the compute rates (fit_on_executor).
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

// Seconds per call of f, sustained while every rank runs it: each window starts on
// a barrier and every rank calls f until the window has passed. When ranks share a
// core, each runs at full speed within its scheduler slices (a few ms), so the
// median single call sees a whole core; a layer, computing on all ranks at once,
// gets only its share of one. Fixed-time windows keep every rank competing to the
// end, so the shares come out fair.
template <class F>
double sustained_seconds(MPI_Comm world, int repeats, F&& f) {
  constexpr double kWindow = 0.04;  // s: several time slices
  std::vector<double> per_call;
  for (int i = 0; i < repeats + 1; ++i) {
    MPI_CHECK(MPI_Barrier(world));
    const double t0 = now_seconds();
    int calls = 0;
    double t = t0;
    do {
      f();
      ++calls;
      t = now_seconds();
    } while (t - t0 < kWindow);
    if (i > 0) per_call.push_back((t - t0) / calls);  // the first window warms up
  }
  return median(per_call);
}

double time_gemm(MPI_Comm world, int64_t m, int64_t n, int64_t k, int repeats) {
  std::vector<float> a(m * k, 1.0f), b(k * n, 0.5f), c(m * n);
  return sustained_seconds(world, repeats, [&] {
    cpu::gemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  });
}

// t = α + β·FLOPs fitted by weighted least squares over GEMMs of the shapes MoE experts run
// (tens to thousands of rows, widths 128 to 1024), as FSMoE models the expert GEMM.
void fit_gemm(MPI_Comm world, int repeats, double& alpha_s, double& seconds_per_flop) {
  std::vector<double> f, t;
  for (int64_t m : {32, 128, 512, 2048})
    for (int64_t w : {128, 512, 1024}) {
      f.push_back(2.0 * m * w * w);
      t.push_back(time_gemm(world, m, w, w, repeats));
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
double activation_Gps(MPI_Comm world, int repeats) {
  constexpr int64_t kN = int64_t{1} << 20;
  std::vector<float> a(kN), h(kN);
  for (int64_t i = 0; i < kN; ++i) a[i] = static_cast<float>(normal01(5, 1, i));
  return kN /
         sustained_seconds(world, repeats, [&] { cpu::gelu_forward(a.data(), kN, h.data()); }) /
         1e9;
}

// Far larger than the caches.
double copy_GBps(MPI_Comm world, int repeats) {
  constexpr size_t kBytes = size_t{64} << 20;
  std::vector<char> a(kBytes, 1), b(kBytes);
  // read + write
  return 2.0 * kBytes /
         sustained_seconds(world, repeats, [&] { std::memcpy(b.data(), a.data(), kBytes); }) / 1e9;
}

// The rates scaled by one factor: compute takes `scale` times as long.
ClusterSpec scale_compute(ClusterSpec c, double scale) {
  c.gemm_TFLOPs /= scale;
  c.memory_GBps /= scale;
  c.activation_Gps /= scale;
  c.launch_us *= scale;
  return c;
}

struct ExecutorFit {
  double latency_us = 0;     // per collective message
  double compute_scale = 1;  // the measured rates' compute times, times this
};

// The collective latency and a compute scale fitted on the executor itself: small
// to medium MoE layers run under s1, and the two values that make the predictor
// match them (least squares on relative error; an s1 prediction is a sum of step
// times, linear in both). The latency holds what ping-pongs miss: waits for peers
// that are still computing or, on shared cores, descheduled. The scale holds what
// the kernels' rates miss inside a layer (cache reuse between steps, short compute
// phases that finish within one scheduler slice). Latency 0 and scale 1 when the
// world is too small to fit.
ExecutorFit fit_on_executor(const ClusterSpec& cluster, int rpn, int repeats) {
  int world = 1;
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world));
  // Normal equations of r = (p0 + u·pc + α·pa − m) / m in (u = scale − 1, α).
  double aa = 0, ac = 0, cc = 0, ar = 0, cr = 0;
  for (int esp : {1, 2}) {
    if (world % esp || rpn % esp) continue;
    struct Shape {
      int d_model, d_hidden;
      int64_t tokens;
    };
    for (const Shape& sh : {Shape{128, 256, 64}, Shape{128, 256, 256}, Shape{128, 256, 1024},
                            Shape{256, 1024, 256}}) {
      const int64_t tokens = sh.tokens;
      MoeConfig m;
      m.d_model = sh.d_model;
      m.d_hidden = sh.d_hidden;
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
      const Schedule s1 = schedule_build("s1");
      ClusterSpec c = cluster;
      c.intra.latency_us = c.inter.latency_us = 0;
      const double p0 = predict_layer(s1, shape, l, c).total();
      const double pc = predict_layer(s1, shape, l, scale_compute(c, 2.0)).total() - p0;
      c.intra.latency_us = c.inter.latency_us = 1000;
      const double pa = (predict_layer(s1, shape, l, c).total() - p0) / 1000;
      const double a = pa / measured, b = pc / measured, r = (measured - p0) / measured;
      aa += a * a;
      ac += a * b;
      cc += b * b;
      ar += a * r;
      cr += b * r;
    }
  }
  ExecutorFit fit;
  const double det = aa * cc - ac * ac;
  if (aa <= 0 || cc <= 0) return fit;
  double alpha = det > 0 ? (ar * cc - cr * ac) / det : 0.0;
  double u = det > 0 ? (aa * cr - ac * ar) / det : cr / cc;
  if (alpha < 0) {  // no negative latency: refit the scale alone
    alpha = 0;
    u = cr / cc;
  }
  fit.latency_us = alpha;
  fit.compute_scale = std::max(0.25, 1.0 + u);
  return fit;
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

  double alpha_s = 0, s_per_flop = 0;
  fit_gemm(world, args.repeats, alpha_s, s_per_flop);
  double rates[4] = {1.0 / s_per_flop / 1e12, copy_GBps(world, args.repeats), alpha_s * 1e6,
                     activation_Gps(world, args.repeats)};
  // Every rank's GEMM, copy and activation rates.
  const double mine[3] = {rates[0], rates[1], rates[3]};
  std::vector<double> all(3 * n);
  MPI_CHECK(MPI_Allgather(mine, 3, MPI_DOUBLE, all.data(), 3, MPI_DOUBLE, world));
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &rates[2], 1, MPI_DOUBLE, MPI_MAX, world));
  auto column = [&](int k) {
    std::vector<double> v;
    for (int r = 0; r < n; ++r) v.push_back(all[3 * r + k]);
    return v;
  };
  const std::vector<double> tflops = column(0);
  const double fastest = *std::max_element(tflops.begin(), tflops.end());
  const double slowest_tflops = *std::min_element(tflops.begin(), tflops.end());
  // Ranks that share cores differ by ~10% from window to window (the scheduler's
  // slices are not quite fair), so only a larger gap is a slower device: a rank
  // sharing its core with one other runs at 0.5.
  const bool uneven = slowest_tflops < 0.75 * fastest;

  // One rank alone has no link to measure: its "links" are memory copies.
  if (!intra.measured && !inter.measured) {
    intra.bandwidth_GBps = inter.bandwidth_GBps = median(column(1)) / 2;  // a copy reads and writes
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
  // Alike ranks: the median rank's rates. Uneven ranks: the slowest rank's rates
  // bound a step. With per-rank speeds (relative to the fastest), the file holds
  // rates at speed 1, since the predictor multiplies them by the slowest speed:
  // writing the slowest rates as well would count it twice.
  if (uneven) {
    const double slowest = slowest_tflops / fastest;
    const std::vector<double> mem = column(1), act = column(2);
    c.gemm_TFLOPs = fastest;
    c.memory_GBps = *std::min_element(mem.begin(), mem.end()) / slowest;
    c.activation_Gps = *std::min_element(act.begin(), act.end()) / slowest;
    for (double r : tflops) c.speeds.push_back(r / fastest);
  } else {
    c.gemm_TFLOPs = median(tflops);
    c.memory_GBps = median(column(1));
    c.activation_Gps = median(column(2));
  }
  c.launch_us = rates[2];
  // The collective latency and compute scale, fitted on the executor with the
  // rates just measured.
  const ExecutorFit fit = fit_on_executor(c, rpn, args.repeats);
  c = scale_compute(c, fit.compute_scale);
  c.intra.latency_us = std::max(c.intra.latency_us, fit.latency_us);
  c.inter.latency_us = std::max(c.inter.latency_us, fit.latency_us);

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
    f << "# Fitted on small s1 MoE layers run here: latency " << fit.latency_us
      << " us (the file has the larger of it and a ping-pong's), compute times x "
      << fit.compute_scale << " on the kernels' rates.\n";
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
