#include "comm/a2a_simulate.h"

#include <algorithm>
#include <limits>

namespace paramoe {

double simulate_order(const A2aOrder& order, int n, const Bandwidths& bw, double latency_s) {
  std::vector<double> send_free(n, 0), recv_free(n, 0);
  double makespan = 0;
  if (!order.lockstep) {
    for (const A2aPiece& p : order.pieces) {
      const double start = std::max(send_free[p.src], recv_free[p.dst]);
      const double end =
          start + latency_s + transfer_time(bw, p.src, p.dst, static_cast<double>(p.count));
      send_free[p.src] = recv_free[p.dst] = end;
      makespan = std::max(makespan, end);
    }
    return makespan;
  }
  // Lockstep: step s pairs r → r+s; every rank takes part in every step, even
  // with nothing to send (the message is empty but still costs its latency).
  std::vector<int64_t> units(static_cast<size_t>(n) * n, 0);
  for (const A2aPiece& p : order.pieces) units[static_cast<size_t>(p.src) * n + p.dst] += p.count;
  std::vector<double> ready(n, 0), next(n, 0);
  for (int s = 1; s < n; ++s) {
    std::fill(next.begin(), next.end(), 0.0);
    for (int r = 0; r < n; ++r) {
      const int q = (r + s) % n;
      const double start = std::max(ready[r], ready[q]);
      const double end =
          start + latency_s +
          transfer_time(bw, r, q, static_cast<double>(units[static_cast<size_t>(r) * n + q]));
      next[r] = std::max(next[r], end);
      next[q] = std::max(next[q], end);
    }
    ready = next;
  }
  for (double t : ready) makespan = std::max(makespan, t);
  return makespan;
}

double simulate_all_at_once(const TrafficMatrix& m, const Bandwidths& bw, double latency_s,
                            double incast_penalty) {
  const int n = m.n;
  struct Flow {
    int src, dst;
    double left, rate;
  };
  std::vector<Flow> flows;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j && m.at(i, j) > 0) flows.push_back(Flow{i, j, static_cast<double>(m.at(i, j)), 0});
  auto cap = [&](int r) { return bw.empty() ? 1.0 : bw[static_cast<size_t>(r)]; };
  double now = 0;
  while (!flows.empty()) {
    // Max-min fair rates by progressive filling over the 2n ports.
    std::vector<double> left(2 * n);
    std::vector<int> senders(n, 0);
    for (const Flow& f : flows) ++senders[f.dst];
    for (int r = 0; r < n; ++r) {
      left[r] = cap(r);
      left[n + r] = cap(r) / (1.0 + incast_penalty * std::max(0, senders[r] - 1));
    }
    std::vector<char> fixed(flows.size(), 0);
    for (size_t done = 0; done < flows.size();) {
      std::vector<int> users(2 * n, 0);
      for (size_t f = 0; f < flows.size(); ++f)
        if (!fixed[f]) ++users[flows[f].src], ++users[n + flows[f].dst];
      int tight = -1;
      double share = std::numeric_limits<double>::infinity();
      for (int p = 0; p < 2 * n; ++p)
        if (users[p] > 0 && left[p] / users[p] < share) share = left[p] / users[p], tight = p;
      for (size_t f = 0; f < flows.size(); ++f) {
        if (fixed[f] || (flows[f].src != tight && n + flows[f].dst != tight)) continue;
        flows[f].rate = share;
        fixed[f] = 1;
        ++done;
        left[flows[f].src] -= share;
        left[n + flows[f].dst] -= share;
      }
    }
    double dt = std::numeric_limits<double>::infinity();
    for (const Flow& f : flows) dt = std::min(dt, f.left / f.rate);
    now += dt;
    for (Flow& f : flows) f.left -= f.rate * dt;
    std::erase_if(flows, [&](const Flow& f) { return f.left <= 1e-9 * f.rate * (now + 1); });
  }
  return now + latency_s;
}

}  // namespace paramoe
