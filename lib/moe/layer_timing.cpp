#include "moe/layer_timing.h"

#include "core/error.h"
#include "core/timer.h"

namespace paramoe {

LayerTiming time_layer(MoeLayer& layer, const std::vector<float>& x, const std::vector<float>& dy,
                       int64_t rows, int warmup, int repeats, MpiCollectives& host) {
  const ProcessGrid& grid = host.grid();
  std::vector<float> y(x.size()), dx(x.size());
  LayerTiming t;
  for (int it = 0; it < warmup + repeats; ++it) {
    MPI_CHECK(MPI_Barrier(grid.comm(Group::World)));
    const double t0 = now_seconds();
    // Host in and out: on the GPU the time includes copying x, y, dy and dx.
    layer.forward_host(x.data(), rows, y.data());
    layer.backward_host(dy.data(), dx.data());
    const MoeRun& run = layer.last_run();
    double s[3] = {
        now_seconds() - t0, run.alltoall_seconds(),
        run.seconds_in(Op::SharedExpertForward) + run.seconds_in(Op::SharedExpertBackward)};
    host.allreduce_max(Group::World, s, 3);
    if (it >= warmup) {
      t.step_s.push_back(s[0]);
      t.alltoall_s.push_back(s[1]);
      t.shared_s.push_back(s[2]);
    }
  }
  layer.store_grads();
  for (Param* p : layer.params().all()) p->zero_grad();
  double bytes[2] = {static_cast<double>(layer.last_run().alltoall_bytes()), 0.0};
  bytes[1] = bytes[0];
  host.allreduce_sum(Group::World, &bytes[0], 1);
  host.allreduce_max(Group::World, &bytes[1], 1);
  t.alltoall_bytes_mean = bytes[0] / grid.layout().world;
  t.alltoall_bytes_max = bytes[1];
  return t;
}

}  // namespace paramoe
