#pragma once
// CSV result files that several runs append to (benchmark sweeps, resumed
// training runs): the header is written only when the file is new.
#include <fstream>
#include <string>
#include <vector>

namespace paramoe {

// Opens path for appending (or truncates it when append is false) and writes
// header when the file starts empty. Throws Error naming `what` and the path.
std::ofstream open_csv(const std::string& path, const std::string& header, bool append,
                       const std::string& what);

// Reads rows of comma-separated non-negative numbers (integers only, when
// `integers`), skipping blank lines and lines that start with '#'. Throws Error
// "<what> <path>: line N: expected non-negative integers, got '<cell>'".
std::vector<std::vector<double>> read_number_rows(const std::string& path, const std::string& what,
                                                  bool integers);

}  // namespace paramoe
