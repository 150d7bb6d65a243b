#include "comm/a2a_order.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <queue>
#include <tuple>

#include "core/error.h"
#include "core/rng.h"

namespace paramoe {
namespace {

double rate(const Bandwidths& bw, int i, int j) {
  return bw.empty() ? 1.0 : std::min(bw[static_cast<size_t>(i)], bw[static_cast<size_t>(j)]);
}

void sort_pieces(A2aOrder& o) {
  std::sort(o.pieces.begin(), o.pieces.end(), [](const A2aPiece& a, const A2aPiece& b) {
    return std::tie(a.start, a.src, a.dst, a.offset) < std::tie(b.start, b.src, b.dst, b.offset);
  });
  std::vector<double> starts;
  for (const A2aPiece& p : o.pieces) starts.push_back(p.start);
  o.rounds = static_cast<int>(std::unique(starts.begin(), starts.end()) - starts.begin());
}

// Whole transfers, i ≠ j, d > 0, in (src, dst) order.
std::vector<A2aPiece> whole_transfers(const TrafficMatrix& m) {
  std::vector<A2aPiece> out;
  for (int i = 0; i < m.n; ++i)
    for (int j = 0; j < m.n; ++j)
      if (i != j && m.at(i, j) > 0) out.push_back(A2aPiece{i, j, 0, m.at(i, j), 0});
  return out;
}

// Assigns list-scheduled start times to transfers taken in the given priority
// order: each starts when its sender's and receiver's ports are both free.
A2aOrder list_schedule(const std::string& name, std::vector<A2aPiece> prio, int n,
                       const Bandwidths& bw) {
  std::vector<double> send_free(n, 0), recv_free(n, 0);
  for (A2aPiece& p : prio) {
    p.start = std::max(send_free[p.src], recv_free[p.dst]);
    const double end = p.start + transfer_time(bw, p.src, p.dst, static_cast<double>(p.count));
    send_free[p.src] = recv_free[p.dst] = end;
  }
  A2aOrder o{name, std::move(prio), 0};
  sort_pieces(o);
  return o;
}

// ---- Birkhoff–von Neumann ----------------------------------------------------

// Time matrix in integer quanta, so that peeling is exact: t_ij = d_ij · Bmax /
// min(B_i, B_j), at least 1 for a non-empty transfer. On equal links t = d.
std::vector<int64_t> time_quanta(const TrafficMatrix& m, const Bandwidths& bw, double* bmax) {
  *bmax = bw.empty() ? 1.0 : *std::max_element(bw.begin(), bw.end());
  std::vector<int64_t> t(m.d.size(), 0);
  for (int i = 0; i < m.n; ++i)
    for (int j = 0; j < m.n; ++j) {
      const int64_t d = m.at(i, j);
      if (i == j || d == 0) continue;
      const double q = static_cast<double>(d) * (*bmax / rate(bw, i, j));
      t[static_cast<size_t>(i) * m.n + j] = std::max<int64_t>(1, std::llround(q));
    }
  return t;
}

// A perfect matching on the support of a non-negative matrix with equal line
// sums, maintained while weight is peeled off (Kuhn's augmenting paths; such a
// matching always exists by Birkhoff's theorem).
class SupportMatching {
 public:
  SupportMatching(int n, const std::vector<int64_t>& p) : n_(n), p_(p), row_(n, -1), col_(n, -1) {
    // Heavy edges first: a matching of large entries peels more per round.
    std::vector<std::pair<int64_t, int>> edges;
    for (int k = 0; k < n * n; ++k)
      if (p_[k] > 0) edges.emplace_back(-p_[k], k);
    std::sort(edges.begin(), edges.end());
    for (const auto& [neg, k] : edges) {
      const int i = k / n, j = k % n;
      if (row_[i] < 0 && col_[j] < 0) row_[i] = j, col_[j] = i;
    }
    for (int i = 0; i < n; ++i)
      if (row_[i] < 0) augment(i);
  }
  int col_of(int i) const { return row_[i]; }
  void unmatch(int i) {
    col_[row_[i]] = -1;
    row_[i] = -1;
  }
  void augment(int i) {
    std::vector<char> seen(n_, 0);
    if (!try_row(i, seen)) throw Error("BvN: no perfect matching on the support (internal error)");
  }

 private:
  bool try_row(int i, std::vector<char>& seen) {
    for (int j = 0; j < n_; ++j) {
      if (seen[j] || p_[static_cast<size_t>(i) * n_ + j] <= 0) continue;
      seen[j] = 1;
      if (col_[j] < 0 || try_row(col_[j], seen)) {
        row_[i] = j;
        col_[j] = i;
        return true;
      }
    }
    return false;
  }
  int n_;
  const std::vector<int64_t>& p_;
  std::vector<int> row_, col_;
};

// Busy intervals of every send and receive port. place() puts a transfer at the
// earliest time at which neither of its ports is busy, filling gaps.
class PortTimeline {
 public:
  explicit PortTimeline(int n) : send_(n), recv_(n) {}
  void occupy(int src, int dst, double s, double e) {
    insert(send_[src], s, e);
    insert(recv_[dst], s, e);
  }
  double place(int src, int dst, double len) {
    std::vector<double> candidates{0.0};
    for (const auto& iv : send_[src]) candidates.push_back(iv.second);
    for (const auto& iv : recv_[dst]) candidates.push_back(iv.second);
    std::sort(candidates.begin(), candidates.end());
    double start = candidates.back();
    for (double s : candidates)
      if (free(send_[src], s, s + len) && free(recv_[dst], s, s + len)) {
        start = s;
        break;
      }
    occupy(src, dst, start, start + len);
    return start;
  }

 private:
  using Intervals = std::vector<std::pair<double, double>>;
  static bool free(const Intervals& iv, double s, double e) {
    // Intervals are sorted by start; only those starting before e can overlap.
    for (auto it = iv.begin(); it != iv.end() && it->first < e; ++it)
      if (s < it->second) return false;
    return true;
  }
  static void insert(Intervals& iv, double s, double e) {
    iv.insert(std::upper_bound(iv.begin(), iv.end(), std::make_pair(s, e)), {s, e});
  }
  std::vector<Intervals> send_, recv_;
};

}  // namespace

double transfer_time(const Bandwidths& bw, int i, int j, double units) {
  return units / rate(bw, i, j);
}

double a2a_lower_bound(const TrafficMatrix& m, const Bandwidths& bw) {
  double best = 0;
  for (int r = 0; r < m.n; ++r) {
    double out = 0, in = 0;
    for (int q = 0; q < m.n; ++q) {
      if (q == r) continue;
      out += transfer_time(bw, r, q, static_cast<double>(m.at(r, q)));
      in += transfer_time(bw, q, r, static_cast<double>(m.at(q, r)));
    }
    best = std::max({best, out, in});
  }
  return best;
}

double a2a_port_bound(const TrafficMatrix& m, const Bandwidths& bw) {
  double best = 0;
  for (int r = 0; r < m.n; ++r) {
    int64_t out = 0, in = 0;
    for (int q = 0; q < m.n; ++q)
      if (q != r) out += m.at(r, q), in += m.at(q, r);
    const double b = bw.empty() ? 1.0 : bw[static_cast<size_t>(r)];
    best = std::max(best, static_cast<double>(std::max(out, in)) / b);
  }
  return best;
}

A2aOrder order_bvn(const TrafficMatrix& m, const Bandwidths& bw, const OrderOptions& opt) {
  const int n = m.n;
  double bmax = 1;
  const std::vector<int64_t> t0 = time_quanta(m, bw, &bmax);
  auto line_max = [n](const std::vector<int64_t>& t, std::vector<int64_t>& row,
                      std::vector<int64_t>& col) {
    row.assign(n, 0);
    col.assign(n, 0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        row[i] += t[static_cast<size_t>(i) * n + j];
        col[j] += t[static_cast<size_t>(i) * n + j];
      }
    return std::max(*std::max_element(row.begin(), row.end()),
                    *std::max_element(col.begin(), col.end()));
  };
  std::vector<int64_t> row, col;
  const int64_t bound = line_max(t0, row, col);
  A2aOrder order{"bvn", {}, 0};
  if (bound == 0) return order;

  // Tiny transfers stay out of the decomposition (each would cost rounds of its
  // own); they are fitted into the idle port time afterwards.
  const double tiny = opt.tiny_fraction * static_cast<double>(bound);
  std::vector<int64_t> real = t0;
  std::vector<A2aPiece> small;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      int64_t& t = real[static_cast<size_t>(i) * n + j];
      if (t > 0 && static_cast<double>(t) < tiny) {
        small.push_back(A2aPiece{i, j, 0, m.at(i, j), 0});
        t = 0;
      }
    }
  std::vector<int64_t> p = real;
  const int64_t L = line_max(p, row, col);
  // Pad to line sums L (north-west corner over the deficits; dummy, never sent).
  for (int i = 0, j = 0; i < n && j < n;) {
    const int64_t add = std::min(L - row[i], L - col[j]);
    p[static_cast<size_t>(i) * n + j] += add;
    row[i] += add;
    col[j] += add;
    if (row[i] == L) ++i;
    if (col[j] == L) ++j;
  }

  // Peel matchings: each round lasts the smallest matched entry w; the real part
  // of each matched entry (up to w) is a piece starting at the round's time.
  struct Part {
    int64_t start, len;
  };
  std::map<std::pair<int, int>, std::vector<Part>> parts;
  if (L > 0) {
    SupportMatching match(n, p);
    for (int64_t t = 0; t < L;) {
      int64_t w = L;
      for (int i = 0; i < n; ++i) w = std::min(w, p[static_cast<size_t>(i) * n + match.col_of(i)]);
      for (int i = 0; i < n; ++i) {
        const int j = match.col_of(i);
        const size_t k = static_cast<size_t>(i) * n + j;
        const int64_t r = std::min(w, real[k]);
        if (r > 0) parts[{i, j}].push_back(Part{t, r});
        real[k] -= r;
        p[k] -= w;
      }
      t += w;
      if (t == L) break;
      std::vector<int> emptied;
      for (int i = 0; i < n; ++i)
        if (p[static_cast<size_t>(i) * n + match.col_of(i)] == 0) emptied.push_back(i);
      for (int i : emptied) match.unmatch(i);
      for (int i : emptied) match.augment(i);
    }
  }

  // Time quanta back to units of each transfer, rounding the running total.
  PortTimeline ports(n);
  for (const auto& [edge, ps] : parts) {
    const auto [i, j] = edge;
    const int64_t total_t = t0[static_cast<size_t>(i) * n + j], d = m.at(i, j);
    int64_t cum_t = 0, cum_u = 0;
    for (const Part& q : ps) {
      cum_t += q.len;
      const int64_t upto = cum_t == total_t
                               ? d
                               : std::llround(static_cast<double>(cum_t) * static_cast<double>(d) /
                                              static_cast<double>(total_t));
      const double start = static_cast<double>(q.start) / bmax;
      ports.occupy(i, j, start, start + static_cast<double>(q.len) / bmax);
      if (upto > cum_u) order.pieces.push_back(A2aPiece{i, j, cum_u, upto - cum_u, start});
      cum_u = std::max(cum_u, upto);
    }
  }
  std::stable_sort(small.begin(), small.end(),
                   [](const A2aPiece& a, const A2aPiece& b) { return a.count > b.count; });
  for (A2aPiece& q : small) {
    q.start =
        ports.place(q.src, q.dst, transfer_time(bw, q.src, q.dst, static_cast<double>(q.count)));
    order.pieces.push_back(q);
  }
  sort_pieces(order);
  return order;
}

namespace {

// Which pending transfer a freed port takes first: Aurora's rule (the transfer
// whose busier port has the most work left), or that port pair's summed work, or
// the longest transfer.
enum class GreedyRule { Bottleneck, PortSum, Longest };

// One greedy pass under `rule`; `makespan` gets its planned finish.
A2aOrder greedy_pass(const TrafficMatrix& m, const Bandwidths& bw, GreedyRule rule,
                     double& makespan) {
  const int n = m.n;
  std::vector<double> dur(static_cast<size_t>(n) * n, 0), rem_out(n, 0), rem_in(n, 0);
  for (const A2aPiece& p : whole_transfers(m)) {
    const double t = transfer_time(bw, p.src, p.dst, static_cast<double>(p.count));
    dur[static_cast<size_t>(p.src) * n + p.dst] = t;
    rem_out[p.src] += t;
    rem_in[p.dst] += t;
  }
  // Event-driven: whenever ports free up, pair free senders with free receivers
  // that have a pending transfer, the most loaded port (the bottleneck) first.
  // No port idles while some transfer of its could start, and the bottleneck
  // rank is never kept waiting by a less loaded one.
  std::vector<char> send_free(n, 1), recv_free(n, 1);
  std::vector<int> fresh(n);
  std::iota(fresh.begin(), fresh.end(), 0);
  using Event = std::tuple<double, int, int>;  // end, src, dst
  std::priority_queue<Event, std::vector<Event>, std::greater<>> running;
  A2aOrder order{"greedy", {}, 0};
  double now = 0;
  makespan = 0;
  for (;;) {
    struct Candidate {
      double key, len;
      int src, dst;
    };
    std::vector<Candidate> cands;
    auto consider = [&](int i, int j) {
      const double len = dur[static_cast<size_t>(i) * n + j];
      if (len <= 0 || !send_free[i] || !recv_free[j]) return;
      const double key = rule == GreedyRule::Bottleneck ? std::max(rem_out[i], rem_in[j])
                         : rule == GreedyRule::PortSum  ? rem_out[i] + rem_in[j]
                                                        : len;
      cands.push_back(Candidate{key, len, i, j});
    };
    for (int r : fresh)
      for (int q = 0; q < n; ++q) {
        consider(r, q);  // r's send port freed
        consider(q, r);  // r's receive port freed
      }
    std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
      return std::tie(b.key, b.len, a.src, a.dst) < std::tie(a.key, a.len, b.src, b.dst);
    });
    for (const Candidate& c : cands) {
      if (!send_free[c.src] || !recv_free[c.dst]) continue;
      double& len = dur[static_cast<size_t>(c.src) * n + c.dst];
      if (len <= 0) continue;
      send_free[c.src] = recv_free[c.dst] = 0;
      rem_out[c.src] -= len;
      rem_in[c.dst] -= len;
      running.emplace(now + len, c.src, c.dst);
      order.pieces.push_back(A2aPiece{c.src, c.dst, 0, m.at(c.src, c.dst), now});
      makespan = std::max(makespan, now + len);
      len = 0;
    }
    if (running.empty()) break;
    now = std::get<0>(running.top());
    fresh.clear();
    while (!running.empty() && std::get<0>(running.top()) == now) {
      const auto [end, i, j] = running.top();
      running.pop();
      send_free[i] = recv_free[j] = 1;
      fresh.push_back(i);
      if (j != i) fresh.push_back(j);
    }
  }
  sort_pieces(order);
  return order;
}

}  // namespace

// A greedy pass can leave one long transfer last on a port that then finishes
// alone (up to 1.11x the bound at 8 ranks on unequal links, with Aurora's rule
// alone); the rules fail on different matrices, so every rank runs all three and
// keeps the shortest plan (ties: the earlier rule). Each pass is one event-driven
// list schedule, so the choice costs three passes.
A2aOrder order_greedy(const TrafficMatrix& m, const Bandwidths& bw) {
  A2aOrder best;
  double best_end = 0;
  for (GreedyRule rule : {GreedyRule::Bottleneck, GreedyRule::PortSum, GreedyRule::Longest}) {
    double end = 0;
    A2aOrder o = greedy_pass(m, bw, rule, end);
    if (best.pieces.empty() || end < best_end) {
      best = std::move(o);
      best_end = end;
    }
  }
  return best;
}

A2aOrder order_pairwise(const TrafficMatrix& m, const Bandwidths&) {
  A2aOrder order{"pairwise", {}, 0, /*lockstep=*/true};
  for (int s = 1; s < m.n; ++s)
    for (int r = 0; r < m.n; ++r) {
      const int q = (r + s) % m.n;
      if (m.at(r, q) > 0)
        order.pieces.push_back(A2aPiece{r, q, 0, m.at(r, q), static_cast<double>(s)});
    }
  sort_pieces(order);
  return order;
}

A2aOrder order_random(const TrafficMatrix& m, const Bandwidths& bw, uint64_t seed) {
  std::vector<A2aPiece> t = whole_transfers(m);
  for (size_t i = t.size(); i > 1; --i) {  // Fisher–Yates on a counter-based stream
    const auto k = static_cast<size_t>(splitmix64(seed ^ splitmix64(i)) % i);
    std::swap(t[i - 1], t[k]);
  }
  return list_schedule("random", std::move(t), m.n, bw);
}

A2aOrder order_shortest_first(const TrafficMatrix& m, const Bandwidths& bw) {
  std::vector<A2aPiece> t = whole_transfers(m);
  std::stable_sort(t.begin(), t.end(), [&](const A2aPiece& a, const A2aPiece& b) {
    return transfer_time(bw, a.src, a.dst, static_cast<double>(a.count)) <
           transfer_time(bw, b.src, b.dst, static_cast<double>(b.count));
  });
  return list_schedule("shortest-first", std::move(t), m.n, bw);
}

namespace {
constexpr std::pair<OrderAlgorithm, const char*> kOrderNames[] = {
    {OrderAlgorithm::Bvn, "bvn"},
    {OrderAlgorithm::Greedy, "greedy"},
    {OrderAlgorithm::Pairwise, "pairwise"},
    {OrderAlgorithm::Random, "random"},
    {OrderAlgorithm::ShortestFirst, "shortest-first"}};
}  // namespace

OrderAlgorithm order_algorithm_from_string(const std::string& s) {
  for (const auto& [a, name] : kOrderNames)
    if (s == name) return a;
  throw Error("unknown all-to-all order '" + s +
              "' (expected bvn, greedy, pairwise, random or shortest-first)");
}

std::string to_string(OrderAlgorithm a) {
  for (const auto& [alg, name] : kOrderNames)
    if (alg == a) return name;
  return "?";
}

A2aOrder make_order(OrderAlgorithm a, const TrafficMatrix& m, const Bandwidths& bw,
                    const OrderOptions& o) {
  switch (a) {
    case OrderAlgorithm::Bvn:
      return order_bvn(m, bw, o);
    case OrderAlgorithm::Greedy:
      return order_greedy(m, bw);
    case OrderAlgorithm::Pairwise:
      return order_pairwise(m, bw);
    case OrderAlgorithm::Random:
      return order_random(m, bw, o.seed);
    case OrderAlgorithm::ShortestFirst:
      return order_shortest_first(m, bw);
  }
  return {};
}

std::string check_order(const TrafficMatrix& m, const A2aOrder& order) {
  std::map<std::pair<int, int>, std::vector<std::pair<int64_t, int64_t>>> spans;
  for (const A2aPiece& p : order.pieces) {
    if (p.src < 0 || p.src >= m.n || p.dst < 0 || p.dst >= m.n || p.src == p.dst || p.count <= 0)
      return "bad piece " + std::to_string(p.src) + "->" + std::to_string(p.dst);
    spans[{p.src, p.dst}].emplace_back(p.offset, p.offset + p.count);
  }
  for (int i = 0; i < m.n; ++i)
    for (int j = 0; j < m.n; ++j) {
      if (i == j) continue;
      auto& s = spans[{i, j}];
      std::sort(s.begin(), s.end());
      int64_t at = 0;
      for (const auto& [a, b] : s) {
        if (a != at)
          return "transfer " + std::to_string(i) + "->" + std::to_string(j) +
                 " has a gap or overlap at " + std::to_string(at);
        at = b;
      }
      if (at != m.at(i, j))
        return "transfer " + std::to_string(i) + "->" + std::to_string(j) + " covers " +
               std::to_string(at) + " of " + std::to_string(m.at(i, j)) + " units";
    }
  return "";
}

}  // namespace paramoe
