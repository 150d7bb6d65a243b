#pragma once
// The fits `paramoe calibrate` makes from its measurements, kept apart from the
// measuring so that they can be tested on data of known answer:
//   - the GEMM line t = α + β·FLOPs (FSMoE's expert-GEMM model);
//   - the executor fit: the collective latency, a compute scale and a bandwidth
//     scale that make the predictor match MoE layers timed on the executor;
//   - the incast penalty that makes the big-switch model price an all-to-all run
//     all at once against its greedy order as measured (a2a_simulate.h).
#include <array>
#include <string>
#include <vector>

#include "plan/predictor.h"

namespace paramoe {

// x minimising |A·x − r| over the columns marked in `use` (the others stay 0), by
// the normal equations; false if they are singular.
bool least_squares(const std::vector<std::array<double, 3>>& a, const std::vector<double>& r,
                   const std::array<bool, 3>& use, std::array<double, 3>& x);

// t = α + β·FLOPs by least squares on relative error (weights 1/t²), so that the
// small GEMMs count as much as the big. False if the points do not determine a line.
bool gemm_line_fit(const std::vector<double>& flops, const std::vector<double>& seconds,
                   double& alpha_s, double& seconds_per_flop);

// The rates scaled by one factor: compute takes `scale` times as long.
ClusterSpec scale_compute(ClusterSpec c, double scale);
// The link rates scaled by one factor: transfers take `scale` times as long.
ClusterSpec scale_links(ClusterSpec c, double scale);

// The incast penalty c under which the model (`model`'s rates, rows of row_bytes)
// prices `rows` run all at once at `native_over_ordered` times its greedy order,
// the ratio measured; 0 where the model prices native at that ratio or above
// without one, and at most 64.
double fit_incast_penalty(const TrafficMatrix& rows, size_t row_bytes, const A2aLinkModel& model,
                          double native_over_ordered);

struct ExecutorFit {
  double latency_us = 0;       // per collective message
  double compute_scale = 1;    // the measured rates' compute times, times this
  double bandwidth_scale = 1;  // the ping-pongs' transfer times, times this
  int layers = 0;              // how many layers the fit saw
};

// Collects one row per timed layer, then solves.
class ExecutorFitter {
 public:
  // `cluster`: the measured rates (latencies are ignored: the fit replaces them).
  explicit ExecutorFitter(const ClusterSpec& cluster) : cluster_(cluster) {}
  // One layer of `shape` under `schedule` on `layout`, measured at `seconds`.
  void add(const std::string& schedule, const LayerShape& shape, const Layout& layout,
           double seconds);
  // Latency 0 and scales 1 when the rows do not pin them. Tries all three, then
  // without a negative latency, then without a bandwidth that the layers do not pin
  // (one rank: no link) or that would make transfers faster than copies.
  ExecutorFit solve() const;

 private:
  ClusterSpec cluster_;
  // Rows of r = (p0 + α·pa + u·pc + v·pb − m) / m in (α, u = scale − 1, v = scale − 1).
  std::vector<std::array<double, 3>> a_;
  std::vector<double> r_;
};

}  // namespace paramoe
