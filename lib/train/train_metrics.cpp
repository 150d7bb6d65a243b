#include "train/train_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>

#include "core/csv_file.h"
#include "core/error.h"

namespace paramoe {

ExpertLoad expert_load_of(const Routing& r) {
  ExpertLoad l;
  const double assignments = r.tokens_global * r.k;
  for (float f : r.frac) l.counts.push_back(std::round(f * assignments));
  if (assignments > 0 && !r.frac.empty()) {
    const float busiest = *std::max_element(r.frac.begin(), r.frac.end());
    l.max_mean = busiest * static_cast<double>(r.frac.size());
    l.dropped = static_cast<double>(r.dropped_global) / assignments;
  }
  return l;
}

std::string format_step_line(const StepMetrics& m, int total_steps, bool show_dropped) {
  char line[320];
  std::snprintf(line, sizeof line,
                "step %5d/%d | loss %.6f | aux %.5f | z %.5f | lr %.2e | gnorm %.3f | %8.2f ms | "
                "%9.0f tok/s | moe %4.1f%% | a2a %7.2f ms",
                m.step, total_steps, m.loss, m.aux, m.z, m.lr, m.grad_norm, m.step_seconds * 1e3,
                m.tokens_per_s, 100.0 * m.moe_share, m.alltoall_seconds * 1e3);
  std::string s = line;
  if (show_dropped) s += " | dropped " + std::to_string(m.dropped);
  if (!m.loads.empty()) {
    size_t worst = 0;
    for (size_t l = 1; l < m.loads.size(); ++l)
      if (m.loads[l].max_mean > m.loads[worst].max_mean) worst = l;
    std::snprintf(line, sizeof line, " | load %.2fx L%zu", m.loads[worst].max_mean, worst);
    s += line;
  }
  if (m.slowest_rank >= 0) {
    std::snprintf(line, sizeof line, " | slowest r%d %.2fx %s", m.slowest_rank, m.slowest_ratio,
                  m.slowest_phase.c_str());
    s += line;
  }
  return s;
}

MetricsLog::MetricsLog(const std::string& csv, const std::string& jsonl, bool append) {
  if (!csv.empty()) {
    csv_ = open_csv(csv,
                    "step,loss,aux_loss,z_loss,lr,step_ms,tokens_per_s,alltoall_ms,dropped,"
                    "grad_norm,moe_share,val_loss",
                    append, "metrics file");
    csv_ << std::setprecision(17);  // losses round-trip exactly, for restart comparisons
  }
  if (!jsonl.empty()) {
    jsonl_.open(jsonl, append ? std::ios::app : std::ios::trunc);
    if (!jsonl_) throw Error("metrics file " + jsonl + ": cannot open for writing");
    jsonl_ << std::setprecision(17);
  }
}

void MetricsLog::step(const StepMetrics& m) {
  if (csv_.is_open())
    csv_ << m.step << "," << m.loss << "," << m.aux << "," << m.z << "," << m.lr << ","
         << m.step_seconds * 1e3 << "," << m.tokens_per_s << "," << m.alltoall_seconds * 1e3 << ","
         << m.dropped << "," << m.grad_norm << "," << m.moe_share << "," << std::endl;
  if (jsonl_.is_open())
    jsonl_ << "{\"step\": " << m.step << ", \"loss\": " << m.loss << ", \"aux_loss\": " << m.aux
           << ", \"z_loss\": " << m.z << ", \"lr\": " << m.lr << ", \"grad_norm\": " << m.grad_norm
           << ", \"step_ms\": " << m.step_seconds * 1e3 << ", \"tokens_per_s\": " << m.tokens_per_s
           << ", \"moe_share\": " << m.moe_share
           << ", \"alltoall_ms\": " << m.alltoall_seconds * 1e3 << ", \"dropped\": " << m.dropped;
  if (jsonl_.is_open() && m.slowest_rank >= 0)
    jsonl_ << ", \"slowest_rank\": " << m.slowest_rank << ", \"slowest_ratio\": " << m.slowest_ratio
           << ", \"slowest_phase\": \"" << m.slowest_phase << "\"";
  if (jsonl_.is_open() && !m.loads.empty()) {
    jsonl_ << ", \"expert_load\": [";
    for (size_t l = 0; l < m.loads.size(); ++l) {
      const ExpertLoad& x = m.loads[l];
      jsonl_ << (l ? ", " : "") << "{\"counts\": [";
      for (size_t e = 0; e < x.counts.size(); ++e) jsonl_ << (e ? ", " : "") << x.counts[e];
      jsonl_ << "], \"max_mean\": " << x.max_mean << ", \"dropped\": " << x.dropped;
      if (!x.bias.empty()) {
        jsonl_ << ", \"bias\": [";
        for (size_t e = 0; e < x.bias.size(); ++e) jsonl_ << (e ? ", " : "") << x.bias[e];
        jsonl_ << "]";
      }
      jsonl_ << "}";
    }
    jsonl_ << "]";
  }
  if (jsonl_.is_open()) jsonl_ << "}" << std::endl;
}

void MetricsLog::validation(int step, const Validation& v) {
  if (csv_.is_open()) csv_ << step << ",,,,,,,,,,," << v.loss << std::endl;
  if (!jsonl_.is_open()) return;
  jsonl_ << "{\"step\": " << step << ", \"val_loss\": " << v.loss;
  if (!std::isnan(v.accuracy)) jsonl_ << ", \"val_accuracy\": " << v.accuracy;
  jsonl_ << "}" << std::endl;
}

ProgressBar::ProgressBar(bool enabled, int total)
    : on_(enabled && ::isatty(STDERR_FILENO)), total_(total) {}

void ProgressBar::update(int done) {
  if (!on_ || total_ <= 0) return;
  constexpr int kWidth = 30;
  const int filled = done * kWidth / total_;
  std::fprintf(stderr, "\r[%s%s] %d/%d", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(), done, total_);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r%*s\r", 60, "");
  drawn_ = false;
}

}  // namespace paramoe
