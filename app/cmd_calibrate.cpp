// paramoe calibrate: measures the cost model's parameters on the machine it runs
// on (under mpirun or srun) and writes a cluster file (plan/cluster.h).
//   links:   every rank exchanges 16 MiB (bandwidth) and 8 B (latency) messages
//            with a partner, all pairs at once, so the per-rank rate includes the
//            contention a real all-to-all sees: partners on the same node for
//            [intra], on the next node for [inter], the two taking turns;
//   compute: t = α + β·FLOPs fitted over fp32 GEMMs (OpenBLAS) of expert-like shapes
//            (gemm_TFLOPs = 1/β, launch_us = α), the GELU and a 64 MiB copy, each
//            timed as a sustained rate while every rank runs it (sustained_seconds).
//            Ranks slower than 0.75 of the fastest get per-rank speeds;
//   executor: small s1 and dc MoE layers run here fit the collective latency (at
//            least the ping-pong's), a scale on the compute rates and one on the
//            links' transfer times (fit_on_executor);
//   incast:  a hot-expert all-to-all run natively and in greedy order fits the
//            penalty of a receiver fed by several senders at once (the EP link's
//            incast_penalty; measure_incast_penalty).
// Medians of --repeats. Nodes come from MPI_COMM_TYPE_SHARED or --ranks-per-node.
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "app/command.h"
#include "comm/alltoallv_methods.h"
#include "comm/process_grid.h"
#include "core/error.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/sustained_time.h"
#include "core/timer.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/gemm.h"
#include "moe/layer_timing.h"
#include "plan/calibration_fit.h"
#include "plan/cluster.h"
#include "plan/predictor.h"
#include "plan/traffic.h"

namespace paramoe {

namespace {

// paramoe calibrate: measure this machine's cost-model parameters.
struct CalibrateArgs {
  std::string out = "cluster.toml";
  std::string name = "calibrated";
  int ranks_per_node = 0;  // 0: from MPI_COMM_TYPE_SHARED
  int repeats = 5;
  bool fit = true;  // --no-fit: keep the measured rates
};

}  // namespace

namespace {

struct PairRates {
  double bandwidth_GBps = 0;  // per rank: min over the pairs that measured
  double latency_us = 0;      // max over the pairs
  bool measured = false;
};

// One exchange with `partner` (none when < 0) on every rank at once: the seconds
// of one big message and of one small one (the mean of 100).
void exchange_once(MPI_Comm world, int partner, std::vector<char>& send, std::vector<char>& recv,
                   double& t_big, double& t_small) {
  MPI_CHECK(MPI_Barrier(world));
  double t0 = now_seconds();
  if (partner >= 0)
    MPI_CHECK(MPI_Sendrecv(send.data(), static_cast<int>(send.size()), MPI_BYTE, partner, 1,
                           recv.data(), static_cast<int>(recv.size()), MPI_BYTE, partner, 1, world,
                           MPI_STATUS_IGNORE));
  t_big = now_seconds() - t0;
  MPI_CHECK(MPI_Barrier(world));
  t0 = now_seconds();
  constexpr int kSmall = 100;
  for (int j = 0; j < kSmall && partner >= 0; ++j)
    MPI_CHECK(MPI_Sendrecv(send.data(), 8, MPI_BYTE, partner, 2, recv.data(), 8, MPI_BYTE, partner,
                           2, world, MPI_STATUS_IGNORE));
  t_small = (now_seconds() - t0) / kSmall;
}

// Agrees one link's rates over the world: the slowest measuring rank's bandwidth
// and latency.
PairRates agree_pairs(MPI_Comm world, bool measuring, const std::vector<double>& bw,
                      const std::vector<double>& lat) {
  double mine[3] = {measuring ? -median(bw) : -1e300, measuring ? median(lat) : 0.0,
                    measuring ? 1.0 : 0.0};
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, mine, 3, MPI_DOUBLE, MPI_MAX, world));
  PairRates r;
  r.measured = mine[2] > 0;
  r.bandwidth_GBps = -mine[0];
  r.latency_us = mine[1];
  return r;
}

// Both links, taking turns (intra, inter, intra, ...) as bench grid's options do,
// so that the host's speed drifting during calibration falls on both alike: on a
// machine whose "nodes" are emulated the two are the same memory, and measuring
// them one after the other made one look up to 50% faster than the other. Every
// rank with a partner exchanges with it at once; others sit out.
void measure_links(MPI_Comm world, int intra_partner, int inter_partner, int repeats,
                   PairRates& intra, PairRates& inter) {
  constexpr size_t kBig = size_t{16} << 20;
  std::vector<char> send(kBig, 1), recv(kBig);
  std::vector<double> bw[2], lat[2];
  const int partners[2] = {intra_partner, inter_partner};
  for (int i = 0; i < repeats + 1; ++i)
    for (int k = 0; k < 2; ++k) {
      double t_big = 0, t_small = 0;
      exchange_once(world, partners[k], send, recv, t_big, t_small);
      if (i == 0 || partners[k] < 0) continue;  // the first round warms up
      bw[k].push_back(kBig / t_big / 1e9);
      lat[k].push_back(t_small * 1e6);
    }
  intra = agree_pairs(world, intra_partner >= 0, bw[0], lat[0]);
  inter = agree_pairs(world, inter_partner >= 0, bw[1], lat[1]);
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
  PARAMOE_REQUIRE(gemm_line_fit(f, t, alpha_s, seconds_per_flop),
                  "calibrate: the GEMM timings do not determine a line");
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

// The collective latency, a compute scale and a bandwidth scale fitted on the
// executor itself: small to medium MoE layers run under s1 (tokens travel) and dc
// (weights travel), and the three values that make the predictor match them
// (least squares on relative error; a prediction is a sum of step times, nearly
// linear in all three). The latency holds what ping-pongs miss: waits for peers
// that are still computing or, on shared cores, descheduled. The compute scale
// holds what the kernels' rates miss inside a layer (cache reuse between steps,
// short compute phases that finish within one scheduler slice). The bandwidth
// scale holds what a lone ping-pong misses of a collective inside a layer (the
// collective's own algorithm, and copies that share cores with computing peers).
// Fitting on both step lists anchors the balance between token and weight
// traffic that schedule = auto and expert_mode = auto decide on. Latency 0 and
// scales 1 when the world is too small to fit.
// The incast penalty of the link the EP all-to-all crosses (inter-node where there
// are nodes): a hot-expert all-to-all (half the picks to one expert, 1024 tokens of
// 4096 B per rank) run here natively and in greedy order, taking turns, and the
// penalty fitted that makes the model price the two at the measured ratio of
// their medians (fit_incast_penalty). 0 for one rank.
double measure_incast_penalty(MPI_Comm world, const ClusterSpec& c, int repeats) {
  int me = 0, n = 1;
  MPI_CHECK(MPI_Comm_rank(world, &me));
  MPI_CHECK(MPI_Comm_size(world, &n));
  if (n < 2) return 0.0;
  constexpr size_t kRowBytes = 4096;
  const TrafficMatrix m = make_traffic({.kind = "hot",
                                        .ranks = n,
                                        .experts = 4 * n,
                                        .tokens = 1024,
                                        .hot_fraction = 0.5,
                                        .seed = 1});
  std::vector<int> send_rows(n), recv_rows(n);
  int64_t out = 0, in = 0;
  for (int q = 0; q < n; ++q) {
    out += send_rows[q] = static_cast<int>(m.at(me, q));
    in += recv_rows[q] = static_cast<int>(m.at(q, me));
  }
  std::vector<char> send(static_cast<size_t>(out) * kRowBytes, 1),
      recv(static_cast<size_t>(in) * kRowBytes);
  MPI_Datatype row;
  MPI_CHECK(MPI_Type_contiguous(static_cast<int>(kRowBytes), MPI_BYTE, &row));
  MPI_CHECK(MPI_Type_commit(&row));
  const RowBuffers b{send.data(), send_rows, recv.data(), recv_rows, row, kRowBytes};
  std::vector<double> t[2];
  for (int i = 0; i < repeats + 1; ++i)
    for (int k = 0; k < 2; ++k) {
      MPI_CHECK(MPI_Barrier(world));
      const double t0 = now_seconds();
      if (k == 0)
        alltoallv_native(world, b);
      else
        alltoallv_ordered(world, b, OrderAlgorithm::Greedy);
      double dt = now_seconds() - t0;
      MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, world));
      if (i > 0) t[k].push_back(dt);  // the first round warms up
    }
  MPI_CHECK(MPI_Type_free(&row));
  return fit_incast_penalty(m, kRowBytes, a2a_link_model(c, c.nodes > 1),
                            median(t[0]) / median(t[1]));
}

ExecutorFit fit_on_executor(const ClusterSpec& cluster, int rpn, int repeats) {
  int world = 1;
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world));
  ExecutorFitter fitter(cluster);
  for (int esp : {1, 2}) {
    if (world % esp || rpn % esp) continue;
    struct Shape {
      int d_model, d_hidden;
      int64_t tokens;
    };
    for (const Shape& sh : {Shape{128, 256, 64}, Shape{128, 256, 256}, Shape{128, 256, 1024},
                            Shape{256, 1024, 256}, Shape{64, 512, 2048}})
      for (const char* schedule : {"s1", "dc"}) {
        const int64_t tokens = sh.tokens;
        MoeConfig m;
        m.d_model = sh.d_model;
        m.d_hidden = sh.d_hidden;
        m.num_experts = 2 * world / esp;
        m.top_k = 2;
        const ProcessGrid grid =
            ProcessGrid::create(MPI_COMM_WORLD, ParallelConfig{esp, world / esp, esp, rpn}, m);
        MpiCollectives coll(grid);
        MoeLayer layer(m, coll, "calibrate/", 3);
        layer.set_schedule(schedule);
        const int64_t rows = tokens;  // one MP group's tokens: this shard's rows
        std::vector<float> x(rows * m.d_model), dy(rows * m.d_model);
        for (size_t i = 0; i < x.size(); ++i) {
          x[i] = static_cast<float>(normal01(3, 1, i));
          dy[i] = static_cast<float>(normal01(3, 2, i));
        }
        const double measured = median(time_layer(layer, x, dy, rows, 1, repeats, coll).step_s);
        Layout l = grid.layout();
        l.ranks_per_node = rpn;
        fitter.add(schedule, layer_shape(m, tokens), l, measured);
      }
  }
  return fitter.solve();
}

}  // namespace

static int cmd_calibrate(const CalibrateArgs& args) {
  MPI_Comm world = MPI_COMM_WORLD;
  int me = 0, n = 1;
  MPI_CHECK(MPI_Comm_rank(world, &me));
  MPI_CHECK(MPI_Comm_size(world, &n));
  if (args.repeats < 1) throw_collective("calibrate: --repeats: expected an integer >= 1");
  cpu::blas_set_threads_default();
  // Nodes: blocks of --ranks-per-node, or what MPI says shares memory.
  int rpn = ranks_per_node_setting(args.ranks_per_node);
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
  PairRates intra, inter;
  measure_links(world, intra_partner, inter_partner, args.repeats, intra, inter);

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
  // rates just measured. --no-fit keeps those rates: on the time-dilated testbed the
  // small fitting layers are dominated by per-collective overheads, which the fit
  // charged to compute (x7) while halving the links' times, and the grid's
  // predictions were 3-5x further off than with the rates as measured
  // (perf/results, testbed_grid_reprice.csv).
  const ExecutorFit fit = args.fit ? fit_on_executor(c, rpn, args.repeats) : ExecutorFit{};
  c = scale_links(scale_compute(c, fit.compute_scale), fit.bandwidth_scale);
  c.intra.latency_us = std::max(c.intra.latency_us, fit.latency_us);
  c.inter.latency_us = std::max(c.inter.latency_us, fit.latency_us);
  (nodes > 1 ? c.inter : c.intra).incast_penalty = measure_incast_penalty(world, c, args.repeats);

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
    f << "# Measured pair exchanges" << (args.fit ? " (before the fit below)" : "") << ": intra "
      << near.bandwidth_GBps << " GB/s " << near.latency_us << " us, inter " << far.bandwidth_GBps
      << " GB/s " << far.latency_us << " us.\n";
    if (args.fit)
      f << "# Fitted on " << fit.layers << " small s1 and dc MoE layers run here: latency "
        << fit.latency_us
        << " us (the file has the larger of it and a ping-pong's), compute times x "
        << fit.compute_scale << " on the kernels' rates, transfer times x " << fit.bandwidth_scale
        << " on the ping-pongs'.\n";
    else
      f << "# Not fitted (--no-fit): the kernels' and the ping-pongs' rates as measured.\n";
    cluster_write(f, c);
    if (!f) throw Error("calibrate: " + args.out + ": write failed");
    char line[256];
    std::snprintf(line, sizeof line,
                  "calibrate: intra %.2f GB/s %.1f us | inter %.2f GB/s %.1f us | incast penalty "
                  "%.3f | GEMM %.3f TFLOP/s | memory %.1f GB/s | launch %.1f us -> %s",
                  c.intra.bandwidth_GBps, c.intra.latency_us, c.inter.bandwidth_GBps,
                  c.inter.latency_us, (nodes > 1 ? c.inter : c.intra).incast_penalty, c.gemm_TFLOPs,
                  c.memory_GBps, c.launch_us, args.out.c_str());
    log_info(line);
  }
  return 0;
}

void add_calibrate_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<CalibrateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "measure link bandwidths and latencies (intra- and inter-node), GEMM and memory rates, "
      "and write a cluster file for plan and schedule = auto");
  cmd->add_option("--out", args->out, "cluster file to write");
  cmd->add_option("--name", args->name, "the cluster's name in the file");
  cmd->add_option("--ranks-per-node", args->ranks_per_node,
                  "emulate nodes of N consecutive ranks (default: shared-memory nodes)");
  cmd->add_option("--repeats", args->repeats, "timed repeats (medians)");
  cmd->add_flag("!--no-fit", args->fit,
                "keep the measured kernel and link rates: skip the fit on small MoE layers that "
                "rescales them (used on the time-dilated testbed)");
  out.push_back({cmd, [args] { return cmd_calibrate(*args); }});
}

}  // namespace paramoe
