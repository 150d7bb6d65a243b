#include "core/result_table.h"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "core/csv_file.h"
#include "core/error.h"

namespace paramoe {

void ResultTable::add(std::vector<Cell> row) {
  if (row.size() != columns_.size())
    throw Error("result table: a row of " + std::to_string(row.size()) + " cells for " +
                std::to_string(columns_.size()) + " columns");
  rows_.push_back(std::move(row));
}

std::vector<std::string> ResultTable::lines() const {
  // Each shown column's cells as text, then padded to the widest.
  std::vector<std::vector<std::string>> text(rows_.size() + 1);
  std::vector<bool> left;  // text columns align left, numbers right
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& col = columns_[c];
    if (col.label.empty()) continue;
    text[0].push_back(col.label);
    bool is_text = true;
    for (size_t r = 0; r < rows_.size(); ++r) {
      char buf[64];
      const Cell& cell = rows_[r][c];
      if (const auto* s = std::get_if<std::string>(&cell)) {
        text[r + 1].push_back(*s);
        continue;
      }
      is_text = false;
      const double v = std::holds_alternative<double>(cell)
                           ? std::get<double>(cell)
                           : static_cast<double>(std::get<int64_t>(cell));
      std::snprintf(buf, sizeof buf, col.format, v * col.scale);
      text[r + 1].push_back(buf);
    }
    left.push_back(is_text);
  }
  std::vector<size_t> width(left.size(), 0);
  for (const auto& row : text)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::vector<std::string> out;
  for (const auto& row : text) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      line += c ? "  " : "";
      line += left[c] ? row[c] + pad : pad + row[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out.push_back(line);
  }
  return out;
}

void ResultTable::append_csv(const std::string& path, const std::string& what) const {
  std::string header;
  for (const Column& c : columns_) header += (header.empty() ? "" : ",") + c.name;
  std::ofstream out = open_csv(path, header, /*append=*/true, what);
  out << std::setprecision(10);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) out << ",";
      std::visit(
          [&](const auto& v) {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>)
              out << csv_field(v);
            else
              out << v;
          },
          row[c]);
    }
    out << "\n";
  }
  if (!out) throw Error(what + " " + path + ": write failed");
}

}  // namespace paramoe
