// paramoe bench a2a: the EP all-to-all(v) measured on real MPI — native
// MPI_Alltoallv, pairwise exchange, Aurora's ordered rounds (greedy and BvN),
// Tutel's 2DH where the ranks span nodes, and `auto` priced with a cluster file —
// on one traffic matrix (generated, or the one a training run wrote with
// train.traffic_csv), all ranks as one EP group. Each is timed in the same run and
// set against the bound T* = max over ranks of max(bytes out, bytes in) / B, where
// B is this machine's port bandwidth measured in the same run: the largest port
// load moved as a balanced, contention-free exchange — n−1 ring shifts (rank r
// to r+s, s = 1..n−1), each of 1/(n−1) of the load — which is what an ideal
// order achieves on a big switch. On one shared-memory machine there are no
// ports — every copy shares the memory system and the cores — so it also gives
// the aggregate bound: all off-rank bytes over the ring's aggregate bandwidth.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

#include "app/command.h"
#include "comm/a2a_order.h"
#include "comm/alltoallv_2dh.h"
#include "comm/alltoallv_methods.h"
#include "core/error.h"
#include "core/log.h"
#include "core/result_table.h"
#include "core/stats.h"
#include "core/timer.h"
#include "plan/cluster.h"
#include "plan/traffic.h"

namespace paramoe {

namespace {

struct BenchA2aArgs {
  std::string traffic = "zipf";  // uniform | zipf | hot, or a CSV file (train.traffic_csv)
  int experts_per_rank = 4;
  int tokens = 4096;  // per rank, generated traffic
  int64_t bytes_per_row = 4096;
  int repeats = 20;
  // Empty: native, pairwise, ordered-greedy, ordered-bvn, and 2dh across nodes.
  std::vector<std::string> methods;
  std::string cluster;  // for `auto`: the links it prices with (paramoe calibrate's file)
  std::string csv;
};

}  // namespace
namespace {

struct Method {
  std::string name;
  A2aMethod method;
  OrderAlgorithm order;
};

Method method_from(const std::string& s) {
  if (s == "native") return {s, A2aMethod::Native, OrderAlgorithm::Greedy};
  if (s == "pairwise") return {s, A2aMethod::Pairwise, OrderAlgorithm::Greedy};
  if (s == "ordered-greedy") return {s, A2aMethod::Ordered, OrderAlgorithm::Greedy};
  if (s == "ordered-bvn") return {s, A2aMethod::Ordered, OrderAlgorithm::Bvn};
  if (s == "2dh") return {s, A2aMethod::TwoDh, OrderAlgorithm::Greedy};
  if (s == "auto") return {s, A2aMethod::Auto, OrderAlgorithm::Greedy};
  throw Error("bench a2a: unknown method '" + s +
              "' (expected native, pairwise, ordered-greedy, ordered-bvn, 2dh or auto)");
}

// Byte k of row i sent from src to dst: checkable on arrival.
unsigned char pattern(int src, int dst, int64_t row, size_t k) {
  return static_cast<unsigned char>(src * 131 + dst * 31 + row * 7 + k);
}

// Seconds of the slowest rank, median over repeats, for f run collectively.
double timed(MPI_Comm comm, int repeats, const std::function<void()>& f) {
  f();  // warm-up: connections, first-touch pages
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    MPI_CHECK(MPI_Barrier(comm));
    const double t0 = now_seconds();
    f();
    double dt = now_seconds() - t0;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, comm));
    t.push_back(dt);
  }
  return median(t);
}

}  // namespace

static int cmd_bench_a2a(const BenchA2aArgs& a) {
  MPI_Comm comm = MPI_COMM_WORLD;
  int me = 0, n = 1;
  MPI_CHECK(MPI_Comm_rank(comm, &me));
  MPI_CHECK(MPI_Comm_size(comm, &n));
  std::vector<Method> methods;
  TrafficMatrix m;
  const bool from_file = std::filesystem::exists(a.traffic);
  // The nodes as MPI sees them (the emulated cluster's namespaces are nodes).
  MPI_Comm node_comm;
  MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, me, MPI_INFO_NULL, &node_comm));
  int node = me;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &node, 1, MPI_INT, MPI_MIN, node_comm));
  MPI_CHECK(MPI_Comm_free(&node_comm));
  const TwoLevelComm levels(comm, node);
  A2aLinkModel model;
  as_collective([&] {  // every rank checks the same inputs
    std::vector<std::string> names = a.methods;
    if (names.empty()) {
      names = {"native", "pairwise", "ordered-greedy", "ordered-bvn"};
      if (levels.problem().empty()) names.push_back("2dh");
    }
    for (const std::string& s : names) methods.push_back(method_from(s));
    for (const Method& mt : methods) {
      if (mt.method == A2aMethod::TwoDh && !levels.problem().empty())
        throw Error("bench a2a: --methods 2dh: " + levels.problem());
      if (mt.method == A2aMethod::Auto && a.cluster.empty())
        throw Error("bench a2a: --methods auto needs --cluster FILE (the links auto prices with)");
    }
    if (!a.cluster.empty())
      model = a2a_link_model(cluster_load(a.cluster), levels.problem().empty());
    if (a.bytes_per_row < 1) throw Error("bench a2a: --bytes-per-row must be >= 1");
    if (from_file) {
      m = read_traffic_csv(a.traffic);
      if (m.n != n)
        throw Error("traffic file " + a.traffic + ": a " + std::to_string(m.n) + "x" +
                    std::to_string(m.n) + " matrix, but the run has " + std::to_string(n) +
                    " ranks (one per EP rank)");
    } else {
      m = make_traffic({.kind = a.traffic,
                        .ranks = n,
                        .experts = n * a.experts_per_rank,
                        .tokens = a.tokens,
                        .seed = 1});
    }
  });

  std::vector<int> send_rows(n), recv_rows(n);
  for (int q = 0; q < n; ++q) {
    send_rows[q] = static_cast<int>(m.at(me, q));
    recv_rows[q] = static_cast<int>(m.at(q, me));
  }
  const size_t rb = static_cast<size_t>(a.bytes_per_row);
  int64_t out_rows = 0, in_rows = 0;
  for (int q = 0; q < n; ++q) out_rows += send_rows[q], in_rows += recv_rows[q];
  std::vector<char> send(out_rows * rb), recv(in_rows * rb);
  {
    size_t at = 0;
    for (int q = 0; q < n; ++q)
      for (int64_t r = 0; r < send_rows[q]; ++r)
        for (size_t k = 0; k < rb; ++k) send[at++] = static_cast<char>(pattern(me, q, r, k));
  }
  MPI_Datatype row;
  MPI_CHECK(MPI_Type_contiguous(static_cast<int>(rb), MPI_BYTE, &row));
  MPI_CHECK(MPI_Type_commit(&row));
  const RowBuffers buf{send.data(), send_rows, recv.data(), recv_rows, row, rb};

  // Port bandwidth: the largest port load as n−1 equal contention-free ring shifts.
  int64_t port_rows = 0;
  for (int r = 0; r < n; ++r) {
    int64_t o = 0, i = 0;
    for (int q = 0; q < n; ++q)
      if (q != r) o += m.at(r, q), i += m.at(q, r);
    port_rows = std::max({port_rows, o, i});
  }
  const size_t port_bytes = std::max<size_t>(static_cast<size_t>(port_rows) * rb, 1);
  std::vector<char> ring_out(port_bytes, 1), ring_in(port_bytes);
  const double ring_s = timed(comm, a.repeats, [&] {
    MPI_CHECK(MPI_Sendrecv(ring_out.data(), static_cast<int>(port_bytes), MPI_BYTE, (me + 1) % n, 7,
                           ring_in.data(), static_cast<int>(port_bytes), MPI_BYTE, (me - 1 + n) % n,
                           7, comm, MPI_STATUS_IGNORE));
  });
  const double port_bw = n > 1 ? static_cast<double>(port_bytes) / ring_s : 0.0;
  TrafficMatrix bytes = m;
  for (int64_t& v : bytes.d) v *= a.bytes_per_row;
  const double bound = n > 1 ? a2a_lower_bound(bytes, Bandwidths(n, port_bw)) : 0.0;
  double total_bytes = 0;
  for (int r = 0; r < n; ++r)
    for (int q = 0; q < n; ++q)
      if (q != r) total_bytes += static_cast<double>(bytes.at(r, q));
  const double aggregate_bound = n > 1 ? total_bytes / (n * port_bw) : 0.0;

  ResultTable table({{"ranks"},
                     {"traffic"},
                     {"bytes_per_row"},
                     {"port_bytes"},
                     {"port_gbs"},
                     {"bound_ms"},
                     {"method", "method", "%s"},
                     {"ran", "ran", "%s"},
                     {"model_ms", "model ms", "%.3f"},
                     {"repeats"},
                     {"median_ms", "median ms", "%.3f"},
                     {"ratio_to_bound", "vs T*", "%.3f"},
                     {"aggregate_bound_ms"},
                     {"ratio_to_aggregate_bound", "vs aggregate", "%.3f"}});
  const std::string label =
      from_file ? std::filesystem::path(a.traffic).filename().string() : a.traffic;
  if (me == 0) {
    std::printf("bench a2a: %d ranks, traffic %s, %lld bytes/row, largest port load %.2f MB\n", n,
                label.c_str(), static_cast<long long>(a.bytes_per_row), port_bytes / 1e6);
    std::printf("port bandwidth (balanced ring shifts, median of %d): %.2f GB/s -> T* = %.3f ms\n",
                a.repeats, port_bw / 1e9, bound * 1e3);
    std::printf("aggregate bound (all off-rank bytes / (n x port bandwidth)) = %.3f ms\n",
                aggregate_bound * 1e3);
  }
  // auto's α-β prices of a flat exchange and of 2DH, from --cluster, beside the
  // measured native and 2dh (0 where there is none).
  A2aLevelPrice price;
  if (!a.cluster.empty() && levels.problem().empty()) price = a2a_level_price(m, rb, levels, model);
  for (const Method& mt : methods) {
    std::fill(recv.begin(), recv.end(), 0);
    // What auto ran on this matrix (it picks the same every call).
    const std::string ran =
        mt.method == A2aMethod::Auto
            ? a2a_method_name(alltoallv_auto(comm, buf, mt.order, model, &levels))
            : mt.name;
    if (mt.method != A2aMethod::Auto)
      alltoallv_rows_with(mt.method, mt.order, comm, buf, model, &levels);
    // Every byte from every peer where it belongs, before timing it.
    int64_t wrong = 0;
    size_t at = 0;
    for (int q = 0; q < n; ++q)
      for (int64_t r = 0; r < recv_rows[q]; ++r)
        for (size_t k = 0; k < rb; ++k)
          wrong += static_cast<unsigned char>(recv[at++]) != pattern(q, me, r, k);
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_INT64_T, MPI_SUM, comm));
    if (wrong)
      throw Error("bench a2a: " + mt.name + " delivered " + std::to_string(wrong) + " wrong bytes",
                  /*collective=*/true);
    const double t = timed(comm, a.repeats, [&] {
      alltoallv_rows_with(mt.method, mt.order, comm, buf, model, &levels);
    });
    const double model_s = ran == "native" ? price.flat : ran == "2dh" ? price.two_level : 0.0;
    const double ratio = bound > 0 ? t / bound : 0.0;
    const double agg_ratio = aggregate_bound > 0 ? t / aggregate_bound : 0.0;
    table.add({int64_t{n}, label, a.bytes_per_row, static_cast<int64_t>(port_bytes), port_bw / 1e9,
               bound * 1e3, mt.name, ran, model_s * 1e3, int64_t{a.repeats}, t * 1e3, ratio,
               aggregate_bound * 1e3, agg_ratio});
  }
  if (me == 0) {
    for (const std::string& line : table.lines()) std::printf("%s\n", line.c_str());
    if (!a.csv.empty()) table.append_csv(a.csv, "bench csv");
  }
  MPI_Type_free(&row);
  return 0;
}

void add_bench_a2a_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<BenchA2aArgs>();
  CLI::App* cmd = command_group(app, "bench", "benchmarks of layers and schedules")
                      ->add_subcommand("a2a",
                                       "the all-to-all(v) as native, pairwise, ordered "
                                       "(greedy, bvn), 2dh and auto on one traffic matrix, "
                                       "against the bound from the measured port bandwidth");
  cmd->add_option("--traffic", args->traffic,
                  "uniform, zipf, hot, or a CSV matrix file (train.traffic_csv)");
  cmd->add_option("--experts-per-rank", args->experts_per_rank, "experts per rank");
  cmd->add_option("--tokens", args->tokens, "tokens per rank (generated traffic)");
  cmd->add_option("--bytes-per-row", args->bytes_per_row, "bytes per token row");
  add_bench_options(cmd, args->repeats, args->csv);
  cmd->add_option("--methods", args->methods,
                  "methods to time (native, pairwise, ordered-greedy, ordered-bvn, 2dh, auto)")
      ->delimiter(',');
  cmd->add_option("--cluster", args->cluster, "cluster file that `auto` prices with");
  out.push_back({cmd, [args] { return cmd_bench_a2a(*args); }});
}

}  // namespace paramoe
