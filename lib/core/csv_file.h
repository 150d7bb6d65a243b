#pragma once
// CSV result files that several runs append to (benchmark sweeps, resumed
// training runs): the header is written only when the file is new.
#include <fstream>
#include <string>

namespace paramoe {

// Opens path for appending (or truncates it when append is false) and writes
// header when the file starts empty. Throws Error naming `what` and the path.
std::ofstream open_csv(const std::string& path, const std::string& header, bool append,
                       const std::string& what);

}  // namespace paramoe
