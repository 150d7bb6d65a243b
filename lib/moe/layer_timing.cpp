#include "moe/layer_timing.h"

#include <algorithm>

#include "core/error.h"
#include "core/sustained_time.h"
#include "core/timer.h"
#include "kernels/cpu/gemm.h"
#include "moe/expert_ffn.h"

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
    const double intra = run.lane_seconds(Lane::Intra), inter = run.lane_seconds(Lane::Inter);
    const double less = std::min(intra, inter);
    double s[5] = {
        now_seconds() - t0, run.alltoall_seconds(),
        run.seconds_in(Op::SharedExpertForward) + run.seconds_in(Op::SharedExpertBackward), intra,
        inter};
    double overlap = less > 0 ? (intra + inter - run.communication_seconds()) / less : 0.0;
    host.allreduce_max(Group::World, s, 5);
    host.allreduce_sum(Group::World, &overlap, 1);
    if (it >= warmup) {
      t.step_s.push_back(s[0]);
      t.alltoall_s.push_back(s[1]);
      t.shared_s.push_back(s[2]);
      t.intra_s.push_back(s[3]);
      t.inter_s.push_back(s[4]);
      t.overlap.push_back(overlap / grid.layout().world);
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

GemmBound expert_gemm_bound(MoeLayer& layer, MpiCollectives& host) {
  const ExpertDims d = layer.params().dims();
  const auto& offsets = layer.last_run().plan.expert_offsets;
  const double rows = offsets.empty() ? 0.0 : static_cast<double>(offsets.back());
  const int64_t D = d.d_model, H = d.hidden, mats = d.swiglu ? 3 : 2;
  const int64_t b =
      std::max<int64_t>(1, std::min<int64_t>(cpu_expert_block_rows(H), static_cast<int64_t>(rows)));
  // One block's GEMMs, forward (x·W, h·W2) and backward (the weight gradients and
  // the input gradients), with SwiGLU's third matrix where it has one.
  std::vector<float> x(b * D, 0.5f), w(D * H, 0.25f), h(b * H, 0.5f), w2(H * D, 0.25f), y(b * D),
      gw(D * H), gh(b * H), gw2(H * D), gx(b * D);
  auto block = [&] {
    for (int64_t m = 0; m < mats - 1; ++m)
      cpu::gemm(false, false, b, H, D, 1.0f, x.data(), D, w.data(), H, 0.0f, h.data(), H);
    cpu::gemm(false, false, b, D, H, 1.0f, h.data(), H, w2.data(), D, 0.0f, y.data(), D);
    cpu::gemm(true, false, H, D, b, 1.0f, h.data(), H, y.data(), D, 1.0f, gw2.data(), D);
    cpu::gemm(false, true, b, H, D, 1.0f, y.data(), D, w2.data(), D, 0.0f, gh.data(), H);
    for (int64_t m = 0; m < mats - 1; ++m) {
      cpu::gemm(true, false, D, H, b, 1.0f, x.data(), D, gh.data(), H, 1.0f, gw.data(), H);
      cpu::gemm(false, true, b, D, H, 1.0f, gh.data(), H, w.data(), H, 1.0f, gx.data(), D);
    }
  };
  const double block_flops = 3.0 * mats * 2.0 * static_cast<double>(b) * D * H;
  const double rate = block_flops / sustained_seconds(host.grid().comm(Group::World), 5, block);
  double s[2] = {3.0 * mats * 2.0 * rows * D * H / rate, -rate};
  host.allreduce_max(Group::World, s, 2);
  return GemmBound{s[0], -s[1] / 1e9};
}

}  // namespace paramoe
