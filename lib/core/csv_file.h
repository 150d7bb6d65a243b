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

// A text cell as RFC 4180 writes it: quoted (quotes doubled) when it holds a
// comma, a quote or a line break, as is otherwise. Names from config and cluster
// files ("2-core EPYC, 4 ranks") would otherwise shift every later column.
std::string csv_field(const std::string& text);

// Reads rows of comma-separated non-negative numbers (integers only, when
// `integers`), skipping blank lines and lines that start with '#'. Throws Error
// "<what> <path>: line N: expected non-negative integers, got '<cell>'".
std::vector<std::vector<double>> read_number_rows(const std::string& path, const std::string& what,
                                                  bool integers);

}  // namespace paramoe
