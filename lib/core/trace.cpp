#include "core/trace.h"

#include <cstdio>
#include <fstream>

#include "core/error.h"

namespace paramoe {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void trace_write(const std::string& path, int process, const std::string& process_name,
                 const std::vector<std::string>& thread_names, double t0,
                 const std::vector<TraceSpan>& spans) {
  std::ofstream f(path);
  if (!f) throw Error("trace file " + path + ": cannot be opened for writing");
  const std::string pid = std::to_string(process);
  f << "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  f << "{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": " << pid
    << ", \"args\": {\"name\": " << json_string(process_name) << "}}";
  for (size_t t = 0; t < thread_names.size(); ++t)
    f << ",\n{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": " << pid << ", \"tid\": " << t
      << ", \"args\": {\"name\": " << json_string(thread_names[t]) << "}}";
  char num[64];
  for (const TraceSpan& s : spans) {
    std::snprintf(num, sizeof num, "\"ts\": %.3f, \"dur\": %.3f", (s.start - t0) * 1e6,
                  (s.end - s.start) * 1e6);
    f << ",\n{\"ph\": \"X\", \"name\": " << json_string(s.name)
      << ", \"cat\": " << json_string(s.category) << ", \"pid\": " << pid
      << ", \"tid\": " << s.thread << ", " << num << ", \"args\": {";
    for (size_t i = 0; i < s.args.size(); ++i)
      f << (i ? ", " : "") << json_string(s.args[i].first) << ": " << s.args[i].second;
    f << "}}";
  }
  f << "\n]}\n";
  if (!f) throw Error("trace file " + path + ": write failed");
}

}  // namespace paramoe
