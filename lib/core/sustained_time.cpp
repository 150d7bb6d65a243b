#include "core/sustained_time.h"

#include <vector>

#include "core/error.h"
#include "core/stats.h"
#include "core/timer.h"

namespace paramoe {

double sustained_seconds(MPI_Comm comm, int repeats, const std::function<void()>& f) {
  constexpr double kWindow = 0.04;  // s: several time slices
  std::vector<double> per_call;
  for (int i = 0; i < repeats + 1; ++i) {
    MPI_CHECK(MPI_Barrier(comm));
    const double t0 = now_seconds();
    int calls = 0;
    double t = t0;
    do {
      f();
      ++calls;
      t = now_seconds();
    } while (t - t0 < kWindow);
    if (i > 0) per_call.push_back((t - t0) / calls);  // the first window warms up
  }
  return median(per_call);
}

}  // namespace paramoe
