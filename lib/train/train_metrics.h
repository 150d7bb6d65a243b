#pragma once
// What `paramoe train` reports per step: the log line, the metrics files (CSV and
// JSONL, written by rank 0) and a progress bar between log lines on a terminal.
#include <fstream>
#include <string>
#include <vector>

#include "moe/router.h"
#include "train/train_task.h"

namespace paramoe {

// One MoE layer's routing in a step (its last micro-batch), over every rank's
// tokens: what the load report logs.
struct ExpertLoad {
  std::vector<double> counts;  // top-k assignments per expert, before capacity
  double max_mean = 1.0;       // the busiest expert's count over the mean count
  double dropped = 0.0;        // share of the assignments dropped by capacity
  std::vector<float> bias;     // moe.balance = "bias": the selection bias; else empty
};
ExpertLoad expert_load_of(const Routing& r);

struct StepMetrics {
  int step;
  double loss;
  float aux, z;
  double lr, grad_norm;  // the norm before clipping
  double step_seconds, tokens_per_s;
  double moe_share;  // of the step time spent in MoE layers (slowest rank)
  double alltoall_seconds;
  long long dropped;  // assignments over capacity, Σ over MoE layers
  // The straggler report (train/straggler_report.h) on logged steps with more than
  // one rank: the busiest rank, its busy time over the median rank's, and where.
  int slowest_rank = -1;
  double slowest_ratio = 1.0;
  std::string slowest_phase;
  // On logged steps: every MoE layer's load (the step line shows the worst).
  std::vector<ExpertLoad> loads;
};

std::string format_step_line(const StepMetrics& m, int total_steps, bool show_dropped);

class MetricsLog {
 public:
  // Empty paths write nothing. A resumed run appends to the files of the run it continues.
  MetricsLog(const std::string& csv, const std::string& jsonl, bool append);
  void step(const StepMetrics& m);
  void validation(int step, const Validation& v);  // JSONL also gets the accuracy

 private:
  std::ofstream csv_, jsonl_;
};

// "[#####.....] 12/40" on stderr, redrawn in place; only when `enabled` and stderr
// is a terminal (so batch logs stay clean).
class ProgressBar {
 public:
  ProgressBar(bool enabled, int total);
  void update(int done);
  void clear();  // before a log line

 private:
  bool on_;
  int total_;
  bool drawn_ = false;
};

}  // namespace paramoe
