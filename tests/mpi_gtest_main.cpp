// GoogleTest under MPI: every rank runs every test; assertions are made on values
// reduced over all ranks, so all ranks agree. Only rank 0 prints.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/mpi_test_args.h"

namespace paramoe::test {
std::vector<std::string> g_args;  // what GoogleTest left of argv, for layout options

int comm_rank(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

int comm_size(MPI_Comm comm) {
  int n = 1;
  MPI_Comm_size(comm, &n);
  return n;
}

ParallelConfig layout_from_args() {
  ParallelConfig p;
  for (size_t i = 0; i + 1 < g_args.size(); ++i) {
    if (g_args[i] == "--mp") p.mp = std::stoi(g_args[i + 1]);
    if (g_args[i] == "--ep") p.ep = std::stoi(g_args[i + 1]);
    if (g_args[i] == "--esp") p.esp = std::stoi(g_args[i + 1]);
    if (g_args[i] == "--rpn") p.ranks_per_node = std::stoi(g_args[i + 1]);
  }
  return p;
}

std::string arg_or(const std::string& key, const std::string& fallback) {
  for (size_t i = 0; i + 1 < g_args.size(); ++i)
    if (g_args[i] == key) return g_args[i + 1];
  return fallback;
}

double rel_err(const float* a, const float* b, size_t n) {
  double s[2] = {0, 0};
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    s[0] += d * d;
    s[1] += static_cast<double>(b[i]) * b[i];
  }
  MPI_Allreduce(MPI_IN_PLACE, s, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return s[1] > 0 ? std::sqrt(s[0] / s[1]) : std::sqrt(s[0]);
}

}  // namespace paramoe::test

namespace {

// The other ranks print nothing but their own failures: an assertion on a value
// that is not reduced over the ranks can fail on one rank alone, and its message
// must not be lost.
class FailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  // Kept here: asking the UnitTest for the current test from inside
  // OnTestPartResult would take a lock GoogleTest already holds.
  void OnTestStart(const ::testing::TestInfo& t) override {
    test_ = std::string(t.test_suite_name()) + "." + t.name();
  }
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "rank %d: %s: %s:%d: failure\n%s\n", rank_, test_.c_str(),
                 r.file_name() ? r.file_name() : "?", r.line_number(), r.summary());
  }

 private:
  int rank_;
  std::string test_;
};

}  // namespace

int main(int argc, char** argv) {
  // --mpi-thread-multiple: for tests of code that calls MPI from a second thread.
  bool multiple = false;
  for (int i = 1; i < argc; ++i)
    multiple = multiple || std::string(argv[i]) == "--mpi-thread-multiple";
  int provided = 0;
  MPI_Init_thread(&argc, &argv, multiple ? MPI_THREAD_MULTIPLE : MPI_THREAD_SINGLE, &provided);
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) paramoe::test::g_args.push_back(argv[i]);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailurePrinter(rank));
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return failed;
}
