#include "core/csv_file.h"

#include <filesystem>

#include "core/error.h"

namespace paramoe {

std::ofstream open_csv(const std::string& path, const std::string& header, bool append,
                       const std::string& what) {
  const bool fresh = !append || !std::filesystem::exists(path);
  std::ofstream out(path, fresh ? std::ios::trunc : std::ios::app);
  if (!out) throw Error(what + " " + path + ": cannot be opened for writing");
  if (fresh) out << header << "\n";
  return out;
}

}  // namespace paramoe
