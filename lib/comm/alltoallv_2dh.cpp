#include "comm/alltoallv_2dh.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"

namespace paramoe {
namespace {

int total(const std::vector<int>& counts) {
  int t = 0;
  for (int c : counts) t += c;
  return t;
}

}  // namespace

namespace {
// Nodes in order of their lowest rank; each rank's node index and local index
// (its place among its node's ranks); ranks per node in node order.
void number_nodes(const std::vector<int>& node_ids, std::vector<int>& node_of,
                  std::vector<int>& local_of, std::vector<int>& count) {
  std::vector<int> seen;
  node_of.assign(node_ids.size(), 0);
  local_of.assign(node_ids.size(), 0);
  count.clear();
  for (size_t q = 0; q < node_ids.size(); ++q) {
    const auto it = std::find(seen.begin(), seen.end(), node_ids[q]);
    const int k = static_cast<int>(it - seen.begin());
    if (it == seen.end()) {
      seen.push_back(node_ids[q]);
      count.push_back(0);
    }
    node_of[q] = k;
    local_of[q] = count[k]++;
  }
}
}  // namespace

std::string two_level_problem(const std::vector<int>& node_ids) {
  std::vector<int> node_of, local_of, count;
  number_nodes(node_ids, node_of, local_of, count);
  const bool even =
      std::all_of(count.begin(), count.end(), [&](int c) { return c == count.front(); });
  if (count.size() >= 2 && even) return "";
  std::string spread;
  for (int c : count) spread += (spread.empty() ? "" : ", ") + std::to_string(c);
  return std::to_string(node_ids.size()) + " ranks lie on " + std::to_string(count.size()) +
         " node(s) with " + spread + " on each";
}

TwoLevelComm::TwoLevelComm(MPI_Comm comm, int node) {
  int me = 0, n = 1;
  MPI_CHECK(MPI_Comm_rank(comm, &me));
  MPI_CHECK(MPI_Comm_size(comm, &n));
  std::vector<int> node_ids(n);
  MPI_CHECK(MPI_Allgather(&node, 1, MPI_INT, node_ids.data(), 1, MPI_INT, comm));
  // Every rank derives the same numbering from the same ids.
  std::vector<int> count;
  number_nodes(node_ids, node_of_, local_of_, count);
  nodes_ = static_cast<int>(count.size());
  per_node_ = count.front();
  const std::string spread = two_level_problem(node_ids);
  if (!spread.empty()) {
    problem_ = "2DH all-to-all: the group's " + spread +
               "; expected at least two nodes with the same number on each";
    return;
  }
  rank_at_.assign(n, 0);
  for (int q = 0; q < n; ++q) rank_at_[node_of_[q] * per_node_ + local_of_[q]] = q;
  MPI_CHECK(MPI_Comm_split(comm, node_of_[me], local_of_[me], &intra_));
  MPI_CHECK(MPI_Comm_split(comm, local_of_[me], node_of_[me], &inter_));
}

TwoLevelComm::~TwoLevelComm() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  for (MPI_Comm* c : {&intra_, &inter_})
    if (*c != MPI_COMM_NULL) MPI_Comm_free(c);
}

void alltoallv_2dh(const TwoLevelComm& t, const RowBuffers& b) {
  if (!t.problem().empty()) throw Error(t.problem());
  const int nodes = t.nodes(), per = t.per_node(), n = nodes * per;
  int me = 0;
  MPI_CHECK(MPI_Comm_rank(t.intra(), &me));  // this rank's local index
  const int local = me;
  const size_t rb = b.row_bytes;
  const std::vector<int> so = displacements(b.send_rows), ro = displacements(b.recv_rows);

  // Every local peer's send counts: the rows each will hand this rank in phase 1.
  std::vector<int> peer_rows(static_cast<size_t>(per) * n);
  MPI_CHECK(MPI_Allgather(b.send_rows.data(), n, MPI_INT, peer_rows.data(), n, MPI_INT, t.intra()));
  auto rows_from_peer = [&](int peer, int to_rank) { return peer_rows[peer * n + to_rank]; };

  // Phase 1: to local peer j, the blocks for (node 0, j), (node 1, j), ...
  std::vector<int> s1(per, 0), r1(per, 0);
  for (int j = 0; j < per; ++j)
    for (int node = 0; node < nodes; ++node) {
      s1[j] += b.send_rows[t.rank_at(node, j)];
      r1[j] += rows_from_peer(j, t.rank_at(node, local));
    }
  std::vector<char> pack(static_cast<size_t>(total(s1)) * rb);
  size_t at = 0;
  for (int j = 0; j < per; ++j)
    for (int node = 0; node < nodes; ++node) {
      const int q = t.rank_at(node, j);
      const size_t bytes = static_cast<size_t>(b.send_rows[q]) * rb;
      if (bytes) std::memcpy(pack.data() + at, b.send + static_cast<size_t>(so[q]) * rb, bytes);
      at += bytes;
    }
  std::vector<char> gathered(static_cast<size_t>(total(r1)) * rb);
  const std::vector<int> s1d = displacements(s1), r1d = displacements(r1);
  MPI_CHECK(MPI_Alltoallv(pack.data(), s1.data(), s1d.data(), b.row, gathered.data(), r1.data(),
                          r1d.data(), b.row, t.intra()));

  // Phase 2: gathered holds (peer, node) blocks; node b's rows go to (b, local)
  // peer by peer, so that they arrive in their senders' order.
  std::vector<int> s2(nodes, 0), r2(nodes, 0);
  std::vector<size_t> block_at(static_cast<size_t>(per) * nodes);
  size_t off = 0;
  for (int peer = 0; peer < per; ++peer)
    for (int node = 0; node < nodes; ++node) {
      block_at[peer * nodes + node] = off;
      off += static_cast<size_t>(rows_from_peer(peer, t.rank_at(node, local))) * rb;
    }
  pack.resize(gathered.size());
  at = 0;
  for (int node = 0; node < nodes; ++node)
    for (int peer = 0; peer < per; ++peer) {
      const int rows = rows_from_peer(peer, t.rank_at(node, local));
      const size_t bytes = static_cast<size_t>(rows) * rb;
      if (bytes)
        std::memcpy(pack.data() + at, gathered.data() + block_at[peer * nodes + node], bytes);
      at += bytes;
      s2[node] += rows;
      r2[node] += b.recv_rows[t.rank_at(node, peer)];
    }
  // Received node by node, sender by sender: the final layout already when the
  // comm's ranks are numbered node by node (the usual placement).
  bool node_major = true;
  for (int q = 0; q < n; ++q) node_major = node_major && t.rank_at(q / per, q % per) == q;
  std::vector<char> staged(node_major ? 0 : static_cast<size_t>(total(r2)) * rb);
  char* into = node_major ? b.recv : staged.data();
  const std::vector<int> s2d = displacements(s2), r2d = displacements(r2);
  MPI_CHECK(MPI_Alltoallv(pack.data(), s2.data(), s2d.data(), b.row, into, r2.data(), r2d.data(),
                          b.row, t.inter()));
  if (node_major) return;
  at = 0;
  for (int node = 0; node < nodes; ++node)
    for (int peer = 0; peer < per; ++peer) {
      const int q = t.rank_at(node, peer);
      const size_t bytes = static_cast<size_t>(b.recv_rows[q]) * rb;
      if (bytes) std::memcpy(b.recv + static_cast<size_t>(ro[q]) * rb, staged.data() + at, bytes);
      at += bytes;
    }
}

A2aLevelPrice a2a_level_price(const TrafficMatrix& rows, size_t row_bytes, const TwoLevelComm& t,
                              const A2aLinkModel& model) {
  const int n = rows.n, per = t.per_node(), nodes = t.nodes();
  const double inter_bw = model.bytes_per_s.front();
  const double intra_bw = model.intra_bytes_per_s > 0 ? model.intra_bytes_per_s : inter_bw;
  const double intra_lat = model.intra_latency_s > 0 ? model.intra_latency_s : model.latency_s;
  const double rb = static_cast<double>(row_bytes);
  A2aLevelPrice p;
  // Flat: each rank's sends (and receives) split by lane, both lanes at once.
  for (int r = 0; r < n; ++r) {
    double near[2] = {0, 0}, far[2] = {0, 0};  // [send, receive]
    for (int q = 0; q < n; ++q) {
      if (q == r) continue;
      double* lane = t.node_of(q) == t.node_of(r) ? near : far;
      lane[0] += rows.at(r, q) * rb;
      lane[1] += rows.at(q, r) * rb;
    }
    for (int side = 0; side < 2; ++side)
      p.flat = std::max(p.flat, (n - 1) * model.latency_s +
                                    std::max(near[side] / intra_bw, far[side] / inter_bw));
  }
  // 2DH: phase 1 moves, for each (sender, local index j), the rows for every
  // node's rank j; phase 2 moves, for each node pair, a node's rows for one rank.
  double phase1 = 0, phase2 = 0;
  for (int a = 0; a < nodes; ++a)
    for (int i = 0; i < per; ++i) {
      const int r = t.rank_at(a, i);
      double send1 = 0, recv1 = 0, send2 = 0, recv2 = 0;
      for (int j = 0; j < per; ++j)
        for (int b = 0; b < nodes; ++b) {
          if (j != i) {
            send1 += rows.at(r, t.rank_at(b, j)) * rb;
            recv1 += rows.at(t.rank_at(a, j), t.rank_at(b, i)) * rb;
          }
          if (b != a) {
            send2 += rows.at(t.rank_at(a, j), t.rank_at(b, i)) * rb;
            recv2 += rows.at(t.rank_at(b, j), r) * rb;
          }
        }
      phase1 = std::max(phase1, (per - 1) * intra_lat + std::max(send1, recv1) / intra_bw);
      phase2 = std::max(phase2, (nodes - 1) * model.latency_s + std::max(send2, recv2) / inter_bw);
    }
  p.two_level = phase1 + phase2;
  return p;
}

}  // namespace paramoe
