#include "core/memory_usage.h"

#include <fstream>
#include <string>

namespace paramoe {

namespace {
// The "<key>:   123 kB" line of /proc/self/status, in bytes.
int64_t status_kib(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;
  return 0;
}
}  // namespace

int64_t peak_rss_bytes() {
  return status_kib("VmHWM");
}
int64_t current_rss_bytes() {
  return status_kib("VmRSS");
}

}  // namespace paramoe
