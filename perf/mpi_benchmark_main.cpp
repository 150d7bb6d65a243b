// main() for the Google Benchmarks that need MPI (a process grid, NCCL's unique id
// broadcast): run under mpirun -np 1 or as a singleton.
#include <benchmark/benchmark.h>
#include <mpi.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  MPI_Finalize();
  return 0;
}
