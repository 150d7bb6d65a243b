#include "plan/calibration_fit.h"

#include <algorithm>
#include <cmath>

#include "comm/a2a_simulate.h"

namespace paramoe {

bool least_squares(const std::vector<std::array<double, 3>>& a, const std::vector<double>& r,
                   const std::array<bool, 3>& use, std::array<double, 3>& x) {
  std::vector<int> cols;
  for (int j = 0; j < 3; ++j)
    if (use[j]) cols.push_back(j);
  const int n = static_cast<int>(cols.size());
  std::vector<std::vector<double>> m(n, std::vector<double>(n + 1, 0.0));
  for (size_t i = 0; i < a.size(); ++i)
    for (int p = 0; p < n; ++p) {
      for (int q = 0; q < n; ++q) m[p][q] += a[i][cols[p]] * a[i][cols[q]];
      m[p][n] += a[i][cols[p]] * r[i];
    }
  for (int p = 0; p < n; ++p) {  // Gauss-Jordan with partial pivoting
    int best = p;
    for (int q = p + 1; q < n; ++q)
      if (std::fabs(m[q][p]) > std::fabs(m[best][p])) best = q;
    std::swap(m[p], m[best]);
    if (std::fabs(m[p][p]) < 1e-12) return false;
    for (int q = 0; q < n; ++q) {
      if (q == p) continue;
      const double f = m[q][p] / m[p][p];
      for (int k = p; k <= n; ++k) m[q][k] -= f * m[p][k];
    }
  }
  x = {0, 0, 0};
  for (int p = 0; p < n; ++p) x[cols[p]] = m[p][n] / m[p][p];
  return true;
}

bool gemm_line_fit(const std::vector<double>& flops, const std::vector<double>& seconds,
                   double& alpha_s, double& seconds_per_flop) {
  // Rows (1/t, f/t) against 1.
  std::vector<std::array<double, 3>> a;
  for (size_t i = 0; i < flops.size(); ++i)
    a.push_back({1.0 / seconds[i], flops[i] / seconds[i], 0.0});
  std::array<double, 3> x{0, 0, 0};
  if (!least_squares(a, std::vector<double>(flops.size(), 1.0), {true, true, false}, x))
    return false;
  seconds_per_flop = x[1];
  alpha_s = std::max(0.0, x[0]);
  return true;
}

ClusterSpec scale_compute(ClusterSpec c, double scale) {
  c.gemm_TFLOPs /= scale;
  c.memory_GBps /= scale;
  c.activation_Gps /= scale;
  c.launch_us *= scale;
  return c;
}

ClusterSpec scale_links(ClusterSpec c, double scale) {
  c.intra.bandwidth_GBps /= scale;
  c.inter.bandwidth_GBps /= scale;
  return c;
}

void ExecutorFitter::add(const std::string& schedule, const LayerShape& shape, const Layout& layout,
                         double measured) {
  // A prediction is a sum of step times, nearly linear in all three parameters:
  // its derivatives come from predictions at doubled compute, doubled transfer
  // time and 1 ms of latency.
  const Schedule s = schedule_build(schedule);
  ClusterSpec c = cluster_;
  c.intra.latency_us = c.inter.latency_us = 0;
  const double p0 = predict_layer(s, shape, layout, c).total();
  const double pc = predict_layer(s, shape, layout, scale_compute(c, 2.0)).total() - p0;
  const double pb = predict_layer(s, shape, layout, scale_links(c, 2.0)).total() - p0;
  c.intra.latency_us = c.inter.latency_us = 1000;
  const double pa = (predict_layer(s, shape, layout, c).total() - p0) / 1000;
  a_.push_back({pa / measured, pc / measured, pb / measured});
  r_.push_back((measured - p0) / measured);
}

ExecutorFit ExecutorFitter::solve() const {
  ExecutorFit fit;
  fit.layers = static_cast<int>(r_.size());
  std::array<double, 3> x{0, 0, 0};
  bool solved = false;
  for (const std::array<bool, 3>& use :
       {std::array<bool, 3>{true, true, true}, std::array<bool, 3>{false, true, true},
        std::array<bool, 3>{true, true, false}, std::array<bool, 3>{false, true, false}}) {
    if (!least_squares(a_, r_, use, x)) continue;
    if (x[0] < 0 || 1.0 + x[2] < 0.25) continue;
    solved = true;
    break;
  }
  if (!solved) return fit;
  fit.latency_us = x[0];
  fit.compute_scale = std::max(0.25, 1.0 + x[1]);
  fit.bandwidth_scale = std::min(4.0, 1.0 + x[2]);
  return fit;
}

double fit_incast_penalty(const TrafficMatrix& rows, size_t row_bytes, const A2aLinkModel& model,
                          double native_over_ordered) {
  Bandwidths bw = model.bytes_per_s;
  if (bw.size() == 1) bw.assign(static_cast<size_t>(rows.n), bw[0]);
  for (double& b : bw) b /= static_cast<double>(row_bytes);
  const double ordered = simulate_order(order_greedy(rows, bw), rows.n, bw, model.latency_s);
  auto ratio = [&](double c) {
    return simulate_all_at_once(rows, bw, model.latency_s, c) / ordered;
  };
  if (ratio(0.0) >= native_over_ordered) return 0.0;
  double lo = 0.0, hi = 1.0;
  while (ratio(hi) < native_over_ordered && hi < 64) lo = hi, hi *= 2;
  if (ratio(hi) < native_over_ordered) return hi;
  for (int i = 0; i < 50; ++i) {
    const double mid = 0.5 * (lo + hi);
    (ratio(mid) < native_over_ordered ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace paramoe
