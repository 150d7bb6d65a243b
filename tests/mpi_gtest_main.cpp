// GoogleTest under MPI: every rank runs every test; assertions are made on values
// reduced over all ranks, so all ranks agree. Only rank 0 prints.
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>
#include <vector>

namespace paramoe::test {
std::vector<std::string> g_args;  // what GoogleTest left of argv, for layout options
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) paramoe::test::g_args.push_back(argv[i]);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return failed;
}
