#include "plan/colocation_plan.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace paramoe {
namespace {

void require_fit(const std::vector<ExpertTraffic>& models, const Bandwidths& bw, bool colocated) {
  const auto n = static_cast<int>(bw.size());
  if (models.empty() || models.size() > 2)
    throw Error("plan colocate: expected one or two models, got " + std::to_string(models.size()));
  if (colocated && models.size() != 2) throw Error("plan colocate: colocation needs two models");
  for (size_t m = 0; m < models.size(); ++m)
    if (models[m].experts != n || models[m].ranks != n)
      throw Error("plan colocate: model " + std::to_string(m) + " has " +
                  std::to_string(models[m].experts) + " experts over " +
                  std::to_string(models[m].ranks) + " ranks; expected one expert per rank (" +
                  std::to_string(n) + " links), as in Aurora's setting");
  for (double b : bw)
    if (!(b > 0)) throw Error("plan colocate: link bandwidths must be > 0");
}

std::vector<int> by_descending(const std::vector<double>& v) {
  std::vector<int> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return v[a] > v[b]; });
  return order;
}

// The placement of one model's experts, one per rank, that minimises the busiest
// receive port, max over r of (base_r + load of r's expert) / bw_r, with base_r
// what the rank already receives (the other model's expert). Exact (a bottleneck
// assignment): under a bound T rank r has room T·bw_r − base_r, and the experts
// fit iff the k-th heaviest fits the k-th roomiest rank for every k; T is the
// least of the n² candidates (base_r + load_e) / bw_r under which they fit.
std::vector<int> bottleneck_placement(const std::vector<double>& load,
                                      const std::vector<double>& base, const Bandwidths& bw) {
  const auto n = static_cast<int>(load.size());
  const std::vector<int> heaviest = by_descending(load);
  std::vector<int> owner(n, -1);
  auto fits = [&](double T) {
    std::vector<double> room(n);
    for (int r = 0; r < n; ++r) room[r] = T * bw[r] - base[r];
    const std::vector<int> roomiest = by_descending(room);
    for (int k = 0; k < n; ++k) {
      if (load[heaviest[k]] > room[roomiest[k]] + 1e-9 * T * bw[roomiest[k]]) return false;
      owner[heaviest[k]] = roomiest[k];
    }
    return true;
  };
  std::vector<double> candidates;
  for (int r = 0; r < n; ++r)
    for (int e = 0; e < n; ++e) candidates.push_back((base[r] + load[e]) / bw[r]);
  std::sort(candidates.begin(), candidates.end());
  size_t lo = 0, hi = candidates.size() - 1;  // the largest always fits
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (fits(candidates[mid]))
      hi = mid;
    else
      lo = mid + 1;
  }
  fits(candidates[lo]);
  return owner;
}

// What each rank receives of model m's experts under `owner`.
std::vector<double> received_of(const std::vector<double>& load, const std::vector<int>& owner) {
  std::vector<double> r(load.size(), 0.0);
  for (size_t e = 0; e < load.size(); ++e) r[static_cast<size_t>(owner[e])] += load[e];
  return r;
}

}  // namespace

std::vector<TrafficMatrix> deployment_traffic(const std::vector<ExpertTraffic>& models,
                                              const std::vector<std::vector<int>>& owner,
                                              int64_t bytes_per_row) {
  std::vector<TrafficMatrix> out;
  for (size_t m = 0; m < models.size(); ++m) {
    TrafficMatrix t = traffic_for_placement(models[m], owner[m]);
    for (int64_t& d : t.d) d *= bytes_per_row;
    out.push_back(std::move(t));
  }
  return out;
}

double deployment_seconds(const std::vector<ExpertTraffic>& models,
                          const std::vector<std::vector<int>>& owner, const Bandwidths& bw,
                          bool colocated, int64_t bytes_per_row) {
  // Aurora's port model: a rank sends its tokens' rows and receives its experts'.
  // Colocated models share the ports; exclusive ones take turns (their times add).
  const size_t n = bw.size();
  const auto bpr = static_cast<double>(bytes_per_row);
  std::vector<double> sent(n, 0.0), received(n, 0.0);
  double total = 0;
  for (size_t m = 0; m < models.size(); ++m) {
    const std::vector<double> load = models[m].expert_load();
    const std::vector<double> in = received_of(load, owner[m]);
    for (size_t r = 0; r < n; ++r) {
      received[r] += in[r] * bpr;
      for (size_t e = 0; e < n; ++e)
        sent[r] += static_cast<double>(models[m].rows[r * n + e]) * bpr;
    }
    if (colocated && m + 1 < models.size()) continue;
    double worst = 0;
    for (size_t r = 0; r < n; ++r) worst = std::max(worst, std::max(sent[r], received[r]) / bw[r]);
    total += worst;
    std::fill(sent.begin(), sent.end(), 0.0);
    std::fill(received.begin(), received.end(), 0.0);
  }
  return total;
}

Deployment plan_deployment(const std::vector<ExpertTraffic>& models, const Bandwidths& bw,
                           bool colocated, int64_t bytes_per_row) {
  require_fit(models, bw, colocated);
  const auto n = static_cast<int>(bw.size());
  std::vector<std::vector<double>> load;
  for (const ExpertTraffic& t : models) load.push_back(t.expert_load());
  const std::vector<double> none(n, 0.0);
  auto cost = [&](const std::vector<std::vector<int>>& owner) {
    return deployment_seconds(models, owner, bw, colocated, bytes_per_row);
  };
  Deployment d{colocated, {}, 0};
  if (!colocated) {
    // Each model alone: its heaviest expert on the fastest link, and so on.
    for (const std::vector<double>& l : load) d.owner.push_back(bottleneck_placement(l, none, bw));
  } else {
    // Three starts: Aurora's (pair the heaviest expert of one model with the
    // lightest of the other, then the heaviest pair on the fastest link, exactly),
    // and either model placed alone first with the other exactly around it. From
    // each, each model is placed exactly around the other's, in turns, while the
    // bound falls.
    for (int start = 0; start < 3; ++start) {
      std::vector<std::vector<int>> owner(2);
      const int first = start % 2, second = 1 - first;
      if (start == 2) {
        const std::vector<int> a = by_descending(load[0]), b = by_descending(load[1]);
        std::vector<double> pair(n);
        for (int k = 0; k < n; ++k) pair[k] = load[0][a[k]] + load[1][b[n - 1 - k]];
        const std::vector<int> rank_of_pair = bottleneck_placement(pair, none, bw);
        owner[0].resize(n);
        owner[1].resize(n);
        for (int k = 0; k < n; ++k) {
          owner[0][a[k]] = rank_of_pair[k];
          owner[1][b[n - 1 - k]] = rank_of_pair[k];
        }
      } else {
        owner[first] = bottleneck_placement(load[first], none, bw);
        owner[second] =
            bottleneck_placement(load[second], received_of(load[first], owner[first]), bw);
      }
      // Stops once neither model's placement around the other lowers the bound.
      double now = cost(owner);
      for (int turn = 0, idle = 0; turn < 2 * n && idle < 2; ++turn) {
        const int m = turn % 2 == 0 ? first : second;
        std::vector<std::vector<int>> next = owner;
        next[m] = bottleneck_placement(load[m], received_of(load[1 - m], owner[1 - m]), bw);
        const double s = cost(next);
        if (s < now * (1 - 1e-12)) {
          owner = std::move(next);
          now = s;
          idle = 0;
        } else {
          ++idle;
        }
      }
      if (d.owner.empty() || now < cost(d.owner)) d.owner = owner;
    }
  }
  d.seconds = deployment_seconds(models, d.owner, bw, colocated, bytes_per_row);
  return d;
}

Deployment plan_deployment_exhaustive(const std::vector<ExpertTraffic>& models,
                                      const Bandwidths& bw, bool colocated, int64_t bytes_per_row) {
  require_fit(models, bw, colocated);
  const auto n = static_cast<int>(bw.size());
  if (n > 7) throw Error("plan colocate: exhaustive search is for at most 7 ranks");
  std::vector<int> identity(n);
  std::iota(identity.begin(), identity.end(), 0);
  Deployment best{colocated, {}, 0};
  // Exclusive models do not interact: each one's best placement alone.
  if (!colocated) {
    for (const ExpertTraffic& t : models) {
      std::vector<int> p = identity, keep;
      double low = -1;
      do {
        const double s = deployment_seconds({t}, {p}, bw, false, bytes_per_row);
        if (low < 0 || s < low) low = s, keep = p;
      } while (std::next_permutation(p.begin(), p.end()));
      best.owner.push_back(keep);
    }
  } else {
    std::vector<int> a = identity;
    double low = -1;
    do {
      std::vector<int> b = identity;
      do {
        const double s = deployment_seconds(models, {a, b}, bw, true, bytes_per_row);
        if (low < 0 || s < low) low = s, best.owner = {a, b};
      } while (std::next_permutation(b.begin(), b.end()));
    } while (std::next_permutation(a.begin(), a.end()));
  }
  best.seconds = deployment_seconds(models, best.owner, bw, colocated, bytes_per_row);
  return best;
}

}  // namespace paramoe
