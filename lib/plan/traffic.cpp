#include "plan/traffic.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include "core/csv_file.h"
#include "core/error.h"
#include "core/rng.h"

namespace paramoe {
namespace {

std::vector<double> base_popularity(const TrafficSpec& s) {
  const int E = s.experts;
  std::vector<double> p(E, 1.0);
  if (s.kind == "zipf") {
    std::vector<int> perm(E);
    std::iota(perm.begin(), perm.end(), 0);
    for (int i = E; i > 1; --i)
      std::swap(perm[i - 1], perm[splitmix64(s.seed ^ 0x5eed ^ splitmix64(i)) % i]);
    for (int i = 0; i < E; ++i) p[perm[i]] = 1.0 / std::pow(i + 1.0, s.zipf_s);
  } else if (s.kind == "hot") {
    const int hot = static_cast<int>(splitmix64(s.seed ^ 0x407) % E);
    for (int e = 0; e < E; ++e)
      p[e] = e == hot ? s.hot_fraction : (1.0 - s.hot_fraction) / std::max(1, E - 1);
  } else if (s.kind != "uniform") {
    throw Error("traffic kind '" + s.kind + "': expected uniform, zipf or hot");
  }
  return p;
}

}  // namespace

std::vector<double> ExpertTraffic::expert_load() const {
  std::vector<double> load(experts, 0.0);
  for (int r = 0; r < ranks; ++r)
    for (int e = 0; e < experts; ++e) load[e] += static_cast<double>(rows[r * experts + e]);
  return load;
}

TrafficMatrix traffic_for_placement(const ExpertTraffic& t, const std::vector<int>& owner) {
  PARAMOE_REQUIRE(static_cast<int>(owner.size()) == t.experts, "traffic: one owner per expert");
  TrafficMatrix m(t.ranks);
  for (int r = 0; r < t.ranks; ++r)
    for (int e = 0; e < t.experts; ++e) m.at(r, owner[e]) += t.rows[r * t.experts + e];
  return m;
}

TrafficMatrix make_traffic(const TrafficSpec& s) {
  const ExpertTraffic t = make_expert_traffic(s);
  std::vector<int> owner(t.experts);
  for (int e = 0; e < t.experts; ++e) owner[e] = e / (t.experts / t.ranks);
  return traffic_for_placement(t, owner);
}

ExpertTraffic make_expert_traffic(const TrafficSpec& s) {
  if (s.ranks < 1) throw Error("traffic: ranks must be >= 1");
  if (s.experts < s.ranks || s.experts % s.ranks)
    throw Error("traffic: experts=" + std::to_string(s.experts) +
                " must be a multiple of ranks=" + std::to_string(s.ranks));
  if (s.top_k < 1 || s.top_k > std::min(s.experts, 64))
    throw Error("traffic: top_k must be in [1, min(experts, 64)]");
  if (s.hot_fraction <= 0 || s.hot_fraction >= 1) throw Error("traffic: hot_fraction in (0, 1)");
  const std::vector<double> base = base_popularity(s);
  ExpertTraffic out{s.ranks, s.experts,
                    std::vector<int64_t>(static_cast<size_t>(s.ranks) * s.experts, 0)};
  const uint64_t stream = stream_id("traffic");
  std::vector<double> cum(s.experts);
  for (int r = 0; r < s.ranks; ++r) {
    // This rank's distribution: the shared popularity times its own jitter.
    double total = 0;
    for (int e = 0; e < s.experts; ++e) {
      const double z =
          normal01(s.seed, stream ^ static_cast<uint64_t>(r), static_cast<uint64_t>(e));
      total += base[e] * std::exp(s.rank_jitter * z);
      cum[e] = total;
    }
    for (int t = 0; t < s.tokens; ++t) {
      int picked[64];
      int npicked = 0;
      for (uint64_t draw = 0; npicked < s.top_k; ++draw) {
        const uint64_t idx =
            (static_cast<uint64_t>(r) << 40) ^ (static_cast<uint64_t>(t) << 8) ^ draw;
        const double u = uniform01(s.seed, stream + 1, idx) * total;
        const int e = static_cast<int>(std::upper_bound(cum.begin(), cum.end(), u) - cum.begin());
        const int ec = std::min(e, s.experts - 1);
        if (std::find(picked, picked + npicked, ec) != picked + npicked) continue;
        picked[npicked++] = ec;
        out.rows[static_cast<size_t>(r) * s.experts + ec] += 1;
      }
    }
  }
  return out;
}

std::vector<double> per_rank_classes(int n, const std::vector<double>& classes) {
  PARAMOE_REQUIRE(!classes.empty(), "per_rank_classes: no classes");
  std::vector<double> v(n);
  const int k = static_cast<int>(classes.size());
  for (int r = 0; r < n; ++r) v[r] = classes[static_cast<size_t>(r * k / n)];
  return v;
}

void write_traffic_csv(const std::string& path, const TrafficMatrix& m) {
  std::ofstream out(path);
  for (int i = 0; i < m.n && out; ++i)
    for (int j = 0; j < m.n; ++j) out << m.at(i, j) << (j + 1 < m.n ? "," : "\n");
  out.close();
  if (!out) throw Error("traffic file " + path + ": cannot be written");
}

Bandwidths link_bandwidths(int n, const std::vector<double>& gbps) {
  Bandwidths bw = per_rank_classes(n, gbps);
  for (double& b : bw) b *= 1e9;
  return bw;
}

TrafficMatrix read_traffic_csv(const std::string& path) {
  const std::vector<std::vector<double>> rows = read_number_rows(path, "traffic file", true);
  const int n = static_cast<int>(rows.size());
  if (n == 0) throw Error("traffic file " + path + ": no rows");
  TrafficMatrix m(n);
  for (int i = 0; i < n; ++i) {
    if (static_cast<int>(rows[i].size()) != n)
      throw Error("traffic file " + path + ": row " + std::to_string(i + 1) + " has " +
                  std::to_string(rows[i].size()) + " values, expected " + std::to_string(n) +
                  " (a square matrix)");
    for (int j = 0; j < n; ++j) m.at(i, j) = static_cast<int64_t>(rows[i][j]);
  }
  return m;
}

std::vector<double> read_expert_loads(const std::string& path) {
  std::vector<double> loads;
  for (const auto& row : read_number_rows(path, "loads file", false))
    loads.insert(loads.end(), row.begin(), row.end());
  if (loads.empty()) throw Error("loads file " + path + ": no values");
  for (double v : loads)
    if (!(v >= 0)) throw Error("loads file " + path + ": expected loads >= 0");
  return loads;
}

ExpertTraffic traffic_from_loads(const std::vector<double>& loads, int ranks) {
  const int E = static_cast<int>(loads.size());
  ExpertTraffic t{ranks, E, std::vector<int64_t>(static_cast<size_t>(ranks) * E)};
  for (int r = 0; r < ranks; ++r)
    for (int e = 0; e < E; ++e)
      t.rows[static_cast<size_t>(r) * E + e] = static_cast<int64_t>(loads[e] / ranks + 0.5);
  return t;
}

}  // namespace paramoe
