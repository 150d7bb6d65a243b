// The benchmarks' harness (core/result_table.h): the terminal view and the CSV come
// from the same rows; a CSV gets its header once; the variants take turns.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/result_table.h"

namespace paramoe {
namespace {

ResultTable sample() {
  ResultTable t({{"schedule", "schedule", "%s"},
                 {"world"},
                 {"median_ms", "median_ms", "%.2f"},
                 {"bytes", "MB", "%.1f", 1e-6}});
  t.add({std::string("replicated"), int64_t{4}, 141.7832, 4274176.0});
  t.add({std::string("s1"), int64_t{4}, 9.5, 2137088.0});
  return t;
}

TEST(ResultTable, TerminalAlignsTheLabelledColumnsOnly) {
  const std::vector<std::string> lines = sample().lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "schedule    median_ms   MB");
  EXPECT_EQ(lines[1], "replicated     141.78  4.3");
  EXPECT_EQ(lines[2], "s1               9.50  2.1");
}

TEST(ResultTable, CsvHasEveryColumnAndItsHeaderOnce) {
  const std::string path = std::filesystem::temp_directory_path() /
                           ("paramoe-table-" + std::to_string(getpid()) + ".csv");
  std::filesystem::remove(path);
  sample().append_csv(path, "test csv");
  sample().append_csv(path, "test csv");
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(s.str(),
            "schedule,world,median_ms,bytes\n"
            "replicated,4,141.7832,4274176\n"
            "s1,4,9.5,2137088\n"
            "replicated,4,141.7832,4274176\n"
            "s1,4,9.5,2137088\n");
  std::filesystem::remove(path);
}

TEST(ResultTable, TextWithCommasIsQuotedInTheCsv) {
  const std::string path = std::filesystem::temp_directory_path() /
                           ("paramoe-table-q-" + std::to_string(getpid()) + ".csv");
  std::filesystem::remove(path);
  ResultTable t({{"cluster"}, {"ms"}});
  t.add({std::string("2-core EPYC, 4 ranks"), 1.5});
  t.append_csv(path, "test csv");
  std::ifstream in(path);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_EQ(row, "\"2-core EPYC, 4 ranks\",1.5");
  std::filesystem::remove(path);
}

TEST(ResultTable, RefusesARowOfTheWrongWidth) {
  ResultTable t({{"a"}, {"b"}});
  EXPECT_THROW(t.add({1.0}), Error);
}

TEST(TakeTurns, RunsEveryVariantOncePerRoundInOrder) {
  std::string order;
  take_turns(3, 2, [&](int v) { order += static_cast<char>('a' + v); });
  EXPECT_EQ(order, "abcabc");
  take_turns(3, 0, [&](int) { order += "x"; });
  EXPECT_EQ(order, "abcabc");
}

}  // namespace
}  // namespace paramoe
