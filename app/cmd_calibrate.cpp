// paramoe calibrate: measures the cost model's parameters on the machine it runs
// on (under mpirun or srun) and writes a cluster file (plan/cluster.h).
//   links:   every rank exchanges 16 MiB (bandwidth) and 8 B (latency) messages
//            with a partner, all pairs at once, so the per-rank rate includes the
//            contention a real all-to-all sees: partners on the same node for
//            [intra], on the next node for [inter];
//   compute: a 1024³ fp32 GEMM (OpenBLAS) per rank, a 256 MiB copy, and an 8³ GEMM
//            as the fixed cost per call. Ranks slower than 0.9 of the fastest get
//            per-rank speeds.
// Medians of --repeats. Nodes come from MPI_COMM_TYPE_SHARED or --ranks-per-node.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "app/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stats.h"
#include "core/timer.h"
#include "kernels/cpu/gemm.h"

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
      MPI_CHECK(MPI_Sendrecv(send.data(), static_cast<int>(kBig), MPI_BYTE, partner, 1,
                             recv.data(), static_cast<int>(kBig), MPI_BYTE, partner, 1, world,
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

double time_gemm(int64_t n, int repeats) {
  std::vector<float> a(n * n, 1.0f), b(n * n, 0.5f), c(n * n);
  std::vector<double> t;
  for (int i = 0; i < repeats + 1; ++i) {
    const double t0 = now_seconds();
    cpu::gemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    if (i) t.push_back(now_seconds() - t0);
  }
  return median(t);
}

double copy_GBps(int repeats) {
  constexpr size_t kBytes = size_t{256} << 20;
  std::vector<char> a(kBytes, 1), b(kBytes);
  std::vector<double> t;
  for (int i = 0; i < repeats + 1; ++i) {
    const double t0 = now_seconds();
    std::memcpy(b.data(), a.data(), kBytes);
    if (i) t.push_back(now_seconds() - t0);
  }
  return 2.0 * kBytes / median(t) / 1e9;  // read + write
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
    int same = rpn;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, world));
    if (same != rpn || n % rpn)
      throw Error("calibrate: nodes hold different rank counts; give --ranks-per-node");
  }
  if (n % rpn)
    throw_collective("calibrate: --ranks-per-node=" + std::to_string(rpn) +
                     " does not divide the world size " + std::to_string(n));
  const int nodes = n / rpn, local = me % rpn, node = me / rpn;

  // Intra: neighbours (0,1), (2,3), ... within a node. Inter: the same local rank
  // on the neighbouring node, nodes paired (0,1), (2,3), ...
  const int intra_partner = rpn > 1 && (local ^ 1) < rpn ? node * rpn + (local ^ 1) : -1;
  const int inter_partner = nodes > 1 && (node ^ 1) < nodes ? (node ^ 1) * rpn + local : -1;
  const PairRates intra = measure_pairs(world, intra_partner, args.repeats);
  const PairRates inter = measure_pairs(world, inter_partner, args.repeats);

  const double gemm_s = time_gemm(1024, args.repeats);
  const double launch_s = time_gemm(8, args.repeats * 10);
  double rates[3] = {2.0 * 1024 * 1024 * 1024 / gemm_s / 1e12, copy_GBps(args.repeats),
                     launch_s * 1e6};
  std::vector<double> all_tflops(n);
  MPI_CHECK(MPI_Allgather(&rates[0], 1, MPI_DOUBLE, all_tflops.data(), 1, MPI_DOUBLE, world));
  double mins[2] = {rates[0], rates[1]};
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, mins, 2, MPI_DOUBLE, MPI_MIN, world));
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &rates[2], 1, MPI_DOUBLE, MPI_MAX, world));
  const double fastest = *std::max_element(all_tflops.begin(), all_tflops.end());
  const bool uneven = mins[0] < 0.9 * fastest;

  if (me == 0) {
    // Without a partner of a kind, say so and copy the other link's values.
    const PairRates& i = intra.measured ? intra : inter;
    const PairRates& o = inter.measured ? inter : intra;
    std::ofstream f(args.out);
    if (!f) throw Error("calibrate: " + args.out + ": cannot be opened for writing");
    f << "# Written by `paramoe calibrate` on " << n << " ranks (" << nodes << " x " << rpn
      << ").\n";
    if (!intra.measured) f << "# No two ranks share a node: [intra] repeats [inter].\n";
    if (!inter.measured) f << "# One node only: [inter] repeats [intra].\n";
    f << "[cluster]\nname = \"" << args.name << "\"\nnodes = " << nodes
      << "\nranks_per_node = " << rpn << "\n\n";
    f << "[intra]\nbandwidth_GBps = " << i.bandwidth_GBps << "\nlatency_us = " << i.latency_us
      << "\n\n";
    f << "[inter]\nbandwidth_GBps = " << o.bandwidth_GBps << "\nlatency_us = " << o.latency_us
      << "\n\n";
    f << "[device]\ngemm_TFLOPs = " << mins[0] << "  # the slowest rank's\nmemory_GBps = "
      << mins[1] << "\nlaunch_us = " << rates[2] << "\n";
    if (uneven) {
      f << "speeds = [";
      for (int r = 0; r < n; ++r) f << (r ? ", " : "") << all_tflops[r] / fastest;
      f << "]\n";
    }
    if (!f) throw Error("calibrate: " + args.out + ": write failed");
    char line[256];
    std::snprintf(line, sizeof line,
                  "calibrate: intra %.2f GB/s %.1f us | inter %.2f GB/s %.1f us | GEMM %.3f "
                  "TFLOP/s | memory %.1f GB/s | launch %.1f us -> %s",
                  i.bandwidth_GBps, i.latency_us, o.bandwidth_GBps, o.latency_us, mins[0],
                  mins[1], rates[2], args.out.c_str());
    log_info(line);
  }
  return 0;
}

}  // namespace paramoe
