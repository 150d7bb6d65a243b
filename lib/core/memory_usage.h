#pragma once
// This process's memory, as the kernel counts it: the peak resident set (VmHWM)
// and the current one (VmRSS) from /proc/self/status. 0 where unavailable.
#include <cstdint>

namespace paramoe {

int64_t peak_rss_bytes();
int64_t current_rss_bytes();

}  // namespace paramoe
