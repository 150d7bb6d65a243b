#pragma once
// The benchmarks' one harness for results and repeats (in the style of nccl-tests'
// common.cu): a table of named columns that is printed aligned on the terminal
// and appended to a CSV file from the same rows, so the two cannot disagree; and
// turn-taking, so that the variants of a comparison share a noisy machine alike.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace paramoe {

class ResultTable {
 public:
  struct Column {
    Column(std::string name, std::string label = "", const char* format = "%.3f", double scale = 1)
        : name(std::move(name)), label(std::move(label)), format(format), scale(scale) {}
    std::string name;    // the CSV header
    std::string label;   // the terminal header; empty: CSV only
    const char* format;  // printf for a number on the terminal
    double scale;        // the terminal shows a number × scale (e.g. bytes → MB)
  };
  // Integers stay integers in the CSV; doubles get full precision there.
  using Cell = std::variant<std::string, double, int64_t>;

  explicit ResultTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add(std::vector<Cell> row);  // one cell per column; throws Error otherwise
  const std::vector<std::vector<Cell>>& rows() const { return rows_; }

  // The terminal view: a header line, then one line per row, columns aligned.
  std::vector<std::string> lines() const;
  // Appends every row to `path`, with the header when the file is new (open_csv);
  // call it on one rank. `what` names the file in errors.
  void append_csv(const std::string& path, const std::string& what) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

// Round-robin repeats: for each of `repeats` rounds, f(v) for every variant v in
// turn. A slow spell of a shared machine then falls on all variants alike rather
// than on whichever ran through it.
template <class F>
void take_turns(int variants, int repeats, F&& f) {
  for (int r = 0; r < repeats; ++r)
    for (int v = 0; v < variants; ++v) f(v);
}

}  // namespace paramoe
