#include "core/csv_file.h"

#include <filesystem>
#include <sstream>

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

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::vector<std::vector<double>> read_number_rows(const std::string& path, const std::string& what,
                                                  bool integers) {
  std::ifstream in(path);
  if (!in) throw Error(what + " " + path + ": cannot be opened");
  std::vector<std::vector<double>> rows;
  std::string line, cell;
  for (int ln = 1; std::getline(in, line); ++ln) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<double> row;
    std::stringstream ss(line);
    while (std::getline(ss, cell, ',')) {
      size_t used = 0;
      double v = -1;
      try {
        v = integers ? static_cast<double>(std::stoll(cell, &used)) : std::stod(cell, &used);
      } catch (const std::exception&) {
      }
      if (!(v >= 0) || cell.find_first_not_of(" \t\r", used) != std::string::npos)
        throw Error(what + " " + path + ": line " + std::to_string(ln) +
                    ": expected non-negative " + (integers ? "integers" : "numbers") + ", got '" +
                    cell + "'");
      row.push_back(v);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace paramoe
