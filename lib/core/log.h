#pragma once
// Rank-0 logging. Messages are printed whole with one fprintf so that lines from
// different ranks do not interleave mid-line.
#include <cstdio>
#include <string>

namespace paramoe {

int world_rank();
void log_info(const std::string& msg);            // rank 0 only, stdout
void log_warn(const std::string& msg);            // rank 0 only, stderr
void log_error_any_rank(const std::string& msg);  // this rank, stderr, prefixed with the rank
// Prefixes every message this thread logs from now on (colocated models, each in a
// thread of its own, say which model a line is about).
void log_set_thread_prefix(const std::string& prefix);

}  // namespace paramoe
