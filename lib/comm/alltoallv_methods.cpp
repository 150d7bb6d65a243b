#include "comm/alltoallv_methods.h"

#include <algorithm>
#include <cstring>

#include "comm/a2a_simulate.h"
#include "comm/alltoallv_2dh.h"
#include "core/error.h"

namespace paramoe {
namespace {

constexpr int kTag = 0x2a2a;

std::vector<size_t> byte_offsets(const std::vector<int>& rows, size_t row_bytes) {
  std::vector<size_t> off(rows.size(), 0);
  for (size_t i = 1; i < rows.size(); ++i)
    off[i] = off[i - 1] + static_cast<size_t>(rows[i - 1]) * row_bytes;
  return off;
}

void copy_own_block(int me, const RowBuffers& b, const std::vector<size_t>& so,
                    const std::vector<size_t>& ro) {
  if (b.send_rows[me] != b.recv_rows[me])
    throw Error("all-to-all: rank sends itself " + std::to_string(b.send_rows[me]) +
                " rows but expects " + std::to_string(b.recv_rows[me]));
  if (b.send_rows[me] > 0)
    std::memcpy(b.recv + ro[me], b.send + so[me],
                static_cast<size_t>(b.send_rows[me]) * b.row_bytes);
}

}  // namespace

A2aMethod a2a_method_from_string(const std::string& s) {
  if (s == "native") return A2aMethod::Native;
  if (s == "pairwise") return A2aMethod::Pairwise;
  if (s == "ordered") return A2aMethod::Ordered;
  if (s == "2dh") return A2aMethod::TwoDh;
  if (s == "auto") return A2aMethod::Auto;
  throw Error("unknown all-to-all method '" + s +
              "' (expected native, pairwise, ordered, 2dh or auto)");
}

const char* a2a_method_name(A2aMethod m) {
  switch (m) {
    case A2aMethod::Native:
      return "native";
    case A2aMethod::Pairwise:
      return "pairwise";
    case A2aMethod::Ordered:
      return "ordered";
    case A2aMethod::TwoDh:
      return "2dh";
    case A2aMethod::Auto:
      return "auto";
  }
  return "?";
}

std::vector<int> displacements(const std::vector<int>& counts) {
  std::vector<int> d(counts.size(), 0);
  for (size_t k = 1; k < counts.size(); ++k) d[k] = d[k - 1] + counts[k - 1];
  return d;
}

void alltoallv_native(MPI_Comm comm, const RowBuffers& b) {
  const std::vector<int> sd = displacements(b.send_rows), rd = displacements(b.recv_rows);
  MPI_CHECK(MPI_Alltoallv(b.send, b.send_rows.data(), sd.data(), b.row, b.recv, b.recv_rows.data(),
                          rd.data(), b.row, comm));
}

void alltoallv_rows_with(A2aMethod method, OrderAlgorithm order, MPI_Comm comm, const RowBuffers& b,
                         const A2aLinkModel& model, const TwoLevelComm* levels) {
  switch (method) {
    case A2aMethod::Native:
      return alltoallv_native(comm, b);
    case A2aMethod::Pairwise:
      return alltoallv_pairwise(comm, b);
    case A2aMethod::Ordered:
      return alltoallv_ordered(comm, b, order);
    case A2aMethod::TwoDh:
      if (!levels) throw Error("all-to-all: 2dh needs the group's node levels");
      return alltoallv_2dh(*levels, b);
    case A2aMethod::Auto:
      alltoallv_auto(comm, b, order, model, levels);
      return;
  }
}

A2aMethod a2a_choose(const TrafficMatrix& rows, size_t row_bytes, OrderAlgorithm order,
                     const A2aLinkModel& model, A2aOrder* ordered) {
  const int n = rows.n;
  // Priced in rows (bandwidth / row_bytes), so that the ordered candidate is the
  // order the executor runs: its pieces are whole rows.
  Bandwidths bw = model.bytes_per_s;
  if (bw.size() == 1) bw.assign(n, bw[0]);
  for (double& b : bw) b /= static_cast<double>(row_bytes);
  // Native's simulation costs n⁴; beyond 32 ranks it is priced at the port bound
  // plus n−1 start-ups, which it cannot beat.
  const double native = n <= 32
                            ? simulate_all_at_once(rows, bw, model.latency_s, model.incast_penalty)
                            : a2a_lower_bound(rows, bw) + (n - 1) * model.latency_s;
  const double pairwise = simulate_order(order_pairwise(rows, bw), n, bw, model.latency_s);
  A2aOrder o = make_order(order, rows, bw);
  const double ordered_s = simulate_order(o, n, bw, model.latency_s);
  // Ties with native go to native, the simpler. Between the two orders, pairwise
  // must be clearly faster: its lock-step rounds cost more than the model charges
  // (on the emulated cluster greedy beat it on every traffic kind, perf/results).
  A2aMethod pick = A2aMethod::Native;
  const double best_order = std::min(ordered_s, pairwise);
  if (best_order < native * 0.99)
    pick = pairwise < ordered_s * 0.99 ? A2aMethod::Pairwise : A2aMethod::Ordered;
  if (ordered) *ordered = std::move(o);
  return pick;
}

A2aMethod alltoallv_auto(MPI_Comm comm, const RowBuffers& b, OrderAlgorithm order,
                         const A2aLinkModel& model, const TwoLevelComm* levels) {
  const TrafficMatrix m = gather_traffic(comm, b);
  if (levels && levels->problem().empty()) {
    const A2aLevelPrice price = a2a_level_price(m, b.row_bytes, *levels, model);
    if (price.two_level < price.flat * 0.99) {  // ties go to the flat exchange
      alltoallv_2dh(*levels, b);
      return A2aMethod::TwoDh;
    }
  }
  A2aOrder ordered;
  const A2aMethod pick = a2a_choose(m, b.row_bytes, order, model, &ordered);
  if (pick == A2aMethod::Ordered)
    run_order(comm, b, ordered);
  else
    alltoallv_rows_with(pick, order, comm, b);
  return pick;
}

void alltoallv_pairwise(MPI_Comm comm, const RowBuffers& b) {
  int me = 0, n = 1;
  MPI_CHECK(MPI_Comm_rank(comm, &me));
  MPI_CHECK(MPI_Comm_size(comm, &n));
  const auto so = byte_offsets(b.send_rows, b.row_bytes),
             ro = byte_offsets(b.recv_rows, b.row_bytes);
  copy_own_block(me, b, so, ro);
  for (int s = 1; s < n; ++s) {
    const int to = (me + s) % n, from = (me - s + n) % n;
    MPI_CHECK(MPI_Sendrecv(b.send + so[to], b.send_rows[to], b.row, to, kTag, b.recv + ro[from],
                           b.recv_rows[from], b.row, from, kTag, comm, MPI_STATUS_IGNORE));
  }
}

TrafficMatrix gather_traffic(MPI_Comm comm, const RowBuffers& b) {
  int me = 0, n = 1;
  MPI_CHECK(MPI_Comm_rank(comm, &me));
  MPI_CHECK(MPI_Comm_size(comm, &n));
  TrafficMatrix m(n);
  std::vector<int> all(static_cast<size_t>(n) * n);
  MPI_CHECK(MPI_Allgather(b.send_rows.data(), n, MPI_INT, all.data(), n, MPI_INT, comm));
  for (size_t k = 0; k < all.size(); ++k) m.d[k] = all[k];
  for (int q = 0; q < n; ++q)
    if (m.at(q, me) != b.recv_rows[q])
      throw Error("all-to-all: rank " + std::to_string(q) + " sends " +
                  std::to_string(m.at(q, me)) + " rows here, but " +
                  std::to_string(b.recv_rows[q]) + " are expected");
  return m;
}

void alltoallv_ordered(MPI_Comm comm, const RowBuffers& b, OrderAlgorithm algorithm) {
  run_order(comm, b, make_order(algorithm, gather_traffic(comm, b), {}));
}

void run_order(MPI_Comm comm, const RowBuffers& b, const A2aOrder& order) {
  int me = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &me));
  const auto so = byte_offsets(b.send_rows, b.row_bytes),
             ro = byte_offsets(b.recv_rows, b.row_bytes);
  copy_own_block(me, b, so, ro);
  std::vector<const A2aPiece*> sends, recvs;
  for (const A2aPiece& p : order.pieces) {
    if (p.src == me) sends.push_back(&p);
    if (p.dst == me) recvs.push_back(&p);
  }
  // reqs[0] is the send in flight, reqs[1] the receive; the next of each kind is
  // posted when the previous completes, so ports work one piece at a time.
  MPI_Request reqs[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  size_t next_send = 0, next_recv = 0;
  auto post_send = [&] {
    const A2aPiece& p = *sends[next_send++];
    MPI_CHECK(MPI_Isend(b.send + so[p.dst] + static_cast<size_t>(p.offset) * b.row_bytes,
                        static_cast<int>(p.count), b.row, p.dst, kTag, comm, &reqs[0]));
  };
  auto post_recv = [&] {
    const A2aPiece& p = *recvs[next_recv++];
    MPI_CHECK(MPI_Irecv(b.recv + ro[p.src] + static_cast<size_t>(p.offset) * b.row_bytes,
                        static_cast<int>(p.count), b.row, p.src, kTag, comm, &reqs[1]));
  };
  if (next_send < sends.size()) post_send();
  if (next_recv < recvs.size()) post_recv();
  while (reqs[0] != MPI_REQUEST_NULL || reqs[1] != MPI_REQUEST_NULL) {
    int done = MPI_UNDEFINED;
    MPI_CHECK(MPI_Waitany(2, reqs, &done, MPI_STATUS_IGNORE));
    if (done == 0 && next_send < sends.size()) post_send();
    if (done == 1 && next_recv < recvs.size()) post_recv();
  }
}

}  // namespace paramoe
