#pragma once
// Chrome trace-event JSON, the format Perfetto (ui.perfetto.dev) and
// chrome://tracing open: one complete event ("ph": "X") per span, one process per
// rank, one thread per lane. perf/trace_merge.py joins the files of all ranks.
#include <string>
#include <utility>
#include <vector>

namespace paramoe {

struct TraceSpan {
  std::string name, category;
  int thread = 0;
  double start = 0, end = 0;  // seconds, the same clock as the writer's t0
  std::vector<std::pair<std::string, std::string>> args;  // values are JSON literals
};

// Writes `spans` with times in microseconds since t0. Throws paramoe::Error naming
// the file if it cannot be written.
void trace_write(const std::string& path, int process, const std::string& process_name,
                 const std::vector<std::string>& thread_names, double t0,
                 const std::vector<TraceSpan>& spans);

// A JSON string literal of s.
std::string json_string(const std::string& s);

}  // namespace paramoe
