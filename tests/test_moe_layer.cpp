// The distributed MoE layer against the PyTorch golden fixtures, under the layout
// given on the command line (--mp, --ep, --esp, --rpn), for every schedule that the
// layout allows (and, with --placement shuffled, with the experts placed in a
// seeded random order rather than contiguously). Each rank compares its shard of outputs and
// (synchronised) gradients with the matching slice of the golden tensors; errors are reduced over
// all ranks, which is the same as gathering the shards and comparing once.
//
// Built a second time as test_moe_layer_cuda (PARAMOE_TEST_CUDA): the same layer on
// the GPU (CudaStepBackend, fp32) with --coll nccl (one GPU per rank) or --coll mpi
// (device rows staged through pinned host memory, so ranks may share a GPU), in
// fp32 or with --precision bf16 (bf16 expert GEMMs). It skips, printing "no GPU: "
// and the reason, where no device is found.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "comm/mpi_collectives.h"
#include "core/row_split.h"
#include "moe/moe_layer.h"
#include "optim/grad_allreduce.h"
#include "tests/fixture_io.h"
#include "tests/mpi_test_args.h"
#include "tests/require_gpu.h"

#ifdef PARAMOE_TEST_CUDA
#include "comm/gpu_binding.h"
#include "comm/nccl_collectives.h"
#include "comm/staged_mpi_collectives.h"
#include "kernels/cuda/device_buffer.h"
#include "moe/cuda_step_backend.h"
#endif

namespace paramoe::test {
extern std::vector<std::string> g_args;

namespace {

// Relative L2 errors allowed, per tensor.
struct Tolerances {
  double y;
  double grad;  // dx and the expert weights' gradients
  double gate;  // the router's dWg
  double loss;  // aux and z losses
};

// fp32 against a float64 reference: the longest reduction is over H = 32 or D = 16
// terms plus the ESP/EP partial sums, so errors stay near 1e-7 relative; 1e-5 leaves
// margin without hiding a wrong row or slice (which gives errors of order 1).
// The router's dWg on the GPU: a sum over tokens of products that mostly cancel in
// the all-to-one case, summed by cuBLAS in another order; it measured 1.09e-5 on an
// H100 (in the single-GPU layer's test, since deleted with that layer), so it gets
// 2e-5 there.
//
// --precision bf16 (GPU only): the expert GEMMs read bf16 rows and weights (8-bit
// mantissas, 2^-9 ≈ 2e-3 rounding per value), so y carries a few roundings of
// that size and the gradients, which chain several GEMMs, more: the bounds of the
// single-GPU bf16 layer's test (deleted with DeviceMoeLayer: y 3e-2, gradients 6e-2).
// The router and the losses stay fp32 on fp32 rows, so they keep the fp32 bound
// (dWg, fed by the bf16 outputs through the gate weights' gradient, does not).
// Not yet run on a GPU: these are the single-GPU layer's measured-and-margined
// bounds, to be revisited once the distributed bf16 path has run.
//
// --a2a-precision bf16: the dispatched rows, the expert outputs and their
// gradients are each rounded to bf16 once on the wire (2^-9 relative), so y, dx
// and the gradients measured 1.4e-3 to 4.2e-3 against the golden on the CPU, the
// same at np 1, 4 and 8; 1e-2 leaves 2.5x margin, while a row lost in packing
// gives errors of order 1. Data-centric runs (no token all-to-all) stay fp32, and
// the schedules' agreement with s1 gets the same bound. Losses stay fp32.
Tolerances tolerances() {
#ifdef PARAMOE_TEST_CUDA
  Tolerances t = arg_or("--precision", "fp32") == "bf16" ? Tolerances{3e-2, 6e-2, 6e-2, 1e-5}
                                                         : Tolerances{1e-5, 1e-5, 2e-5, 1e-5};
#else
  Tolerances t{1e-5, 1e-5, 1e-5, 1e-5};
#endif
  if (arg_or("--a2a-precision", "fp32") == "bf16") {
    t.y = std::max(t.y, 1e-2);
    t.grad = std::max(t.grad, 1e-2);
    t.gate = std::max(t.gate, 1e-2);
  }
  return t;
}

// --a2a native|pairwise|ordered|2dh and --a2a-order greedy|bvn: the EP all-to-all method.
void set_a2a_from_args(MpiCollectives& coll) {
  coll.set_alltoall(a2a_method_from_string(arg_or("--a2a", "native")),
                    order_algorithm_from_string(arg_or("--a2a-order", "greedy")));
}

// --esp-weights a,b,...: ESP hidden slices in proportion (parallel.split = "speed").
std::vector<double> esp_weights_from_args() {
  std::vector<double> w;
  std::string s = arg_or("--esp-weights", "");
  for (size_t at = 0; at < s.size();) {
    const size_t comma = s.find(',', at);
    w.push_back(std::stod(s.substr(at, comma - at)));
    at = comma == std::string::npos ? s.size() : comma + 1;
  }
  return w;
}

bool shuffled_placement_from_args() {
  return arg_or("--placement", "contiguous") == "shuffled";
}

enum class Sharding { Even, AllOnFirst };

struct Result {
  int64_t row0 = 0, rows = 0;
  std::vector<float> y, dx;
  std::vector<Param> params;  // values and synchronised grads, this rank's slices
  float aux = 0, z = 0;
  int64_t capacity = 0, dropped = 0;  // the layer's last forward
  size_t shadowed = 0;                // experts it shadowed (moe.shadow)
  int64_t send_rows = 0;              // rows this rank sent to the experts
  std::vector<int> send_counts;       // per slot
};

MoeConfig case_config(const std::string& name) {
  Config c = config_load(golden_dir() + "/" + name + ".toml");
  return c.moe;
}

// The layer's collectives and, on the GPU, its device inputs and outputs.
struct Backend {
  std::unique_ptr<Collectives> coll;
  MpiCollectives* mpi = nullptr;  // the host side, for the gradient sum and the a2a choice
  StepBackendMaker make = make_cpu_step_backend;
  bool gpu = false;
};

Backend backend_for(const ProcessGrid& grid) {
  Backend b;
#ifdef PARAMOE_TEST_CUDA
  b.gpu = true;
  b.make = cuda_step_backend_maker(cuda_precision_from_string(arg_or("--precision", "fp32")));
  gpu_bind(grid);
  if (arg_or("--coll", "nccl") == "nccl") {
    b.coll = std::make_unique<NcclCollectives>(grid);
    b.mpi = nullptr;
  } else {
    auto staged = std::make_unique<StagedMpiCollectives>(grid);
    b.mpi = &staged->host();
    b.coll = std::move(staged);
  }
#else
  auto mpi = std::make_unique<MpiCollectives>(grid);
  b.mpi = mpi.get();
  b.coll = std::move(mpi);
#endif
  if (b.mpi) set_a2a_from_args(*b.mpi);
  return b;
}

// The layer's forward and backward on host x and gy, in the backend's memory.
void forward_backward(MoeLayer& layer, bool gpu, const float* x, const float* gy,
                      [[maybe_unused]] int64_t n, Result& r) {
  if (!gpu) {
    layer.forward(x, r.rows, r.y.data());
    layer.backward(gy, r.dx.data());
    return;
  }
#ifdef PARAMOE_TEST_CUDA
  cuda::DeviceBuffer<float> dx_in(std::vector<float>(x, x + n)),
      dgy(std::vector<float>(gy, gy + n));
  cuda::DeviceBuffer<float> dy(n), ddx(n);
  dy.poison();
  ddx.poison();
  layer.forward(dx_in.data(), r.rows, dy.data());
  layer.backward(dgy.data(), ddx.data());
  r.y = dy.download();
  r.dx = ddx.download();
  layer.store_grads();
#endif
}

// A schedule name, "s2:r" for s2 with r chunks, or "dc" for data-centric execution.
// shadow_from_args: moe.shadow from --shadow (if the case leaves it "off").
Result run_layer(const Fixture& f, MoeConfig cfg, const std::string& schedule,
                 const ParallelConfig& par, Sharding sharding, bool shadow_from_args = true) {
  cfg.schedule = schedule.substr(0, schedule.find(':'));
  if (cfg.schedule == "s2") cfg.chunks = std::stoi(schedule.substr(3));
  if (cfg.schedule == "dc") {
    cfg.expert_mode = "data-centric";
    cfg.schedule = "s1";
  } else if (shadow_from_args && cfg.shadow == "off") {
    cfg.shadow = arg_or("--shadow", "off");  // hot-expert shadowing: "top:N"
  }
  cfg.esp_weights = esp_weights_from_args();
  cfg.a2a_precision = arg_or("--a2a-precision", "fp32");
  ProcessGrid grid = ProcessGrid::create(MPI_COMM_WORLD, par, cfg);
  Backend b = backend_for(grid);
  MoeLayer layer(cfg, *b.coll, "moe/", 0, b.make);
  if (shuffled_placement_from_args() && grid.layout().ep > 1) {
    layer.apply_placement(placement_random(cfg.num_experts, grid.layout().ep, 0xC0FFEE),
                          [](const Param&) { return std::vector<std::vector<float>*>{}; });
    EXPECT_FALSE(layer.placement().contiguous());
  }
  for (Param* p : layer.params().all()) {
    const std::string key = p->name.substr(4) == "gate" ? "wg" : p->name.substr(4);
    const auto& g = f.at(key);
    EXPECT_EQ(g.shape, p->global_shape) << key;
    hyperslab_extract(g.data.data(), p->global_shape, p->offset, p->shape, p->value.data(),
                      p->dim0);
  }
  layer.load_params();
  const int64_t T = f.at("x").shape[0], D = cfg.d_model;
  Result r;
  const int dp = grid.layout().dp(), di = grid.index().dp;
  if (sharding == Sharding::Even) {
    split_rows(T, dp, di, r.row0, r.rows);
  } else {
    r.row0 = di == 0 ? 0 : T;
    r.rows = di == 0 ? T : 0;
  }
  const float* x = f.at("x").data.data() + r.row0 * D;
  const float* gy = f.at("gy").data.data() + r.row0 * D;
  r.y.assign(r.rows * D, 0.0f);
  r.dx.assign(r.rows * D, 0.0f);
  forward_backward(layer, b.gpu, x, gy, r.rows * D, r);
  // Gradients are host values now on either backend: sum them over host MPI.
  MpiCollectives host(grid);
  const std::unique_ptr<OptimizerMemory> mem = make_host_optimizer_memory();
  GradAllreduce(resident_on_host(layer.params().all()), host, *mem).run();
  r.aux = layer.aux_loss();
  r.z = layer.z_loss();
  r.capacity = layer.last_run().capacity;
  r.dropped = layer.last_run().routing.dropped_global;
  r.shadowed = layer.last_run().shadowed.size();
  r.send_rows = layer.last_run().plan.send_rows();
  r.send_counts = layer.last_run().plan.send_counts;
  for (Param* p : layer.params().all()) r.params.push_back(*p);
  return r;
}

void expect_matches_golden(const Result& r, const Fixture& f, int64_t D, const std::string& what) {
  const Tolerances tol = tolerances();
  EXPECT_LE(rel_err(r.y.data(), f.at("y").data.data() + r.row0 * D, r.y.size()), tol.y)
      << what << ": y";
  EXPECT_LE(rel_err(r.dx.data(), f.at("dx").data.data() + r.row0 * D, r.dx.size()), tol.grad)
      << what << ": dx";
  EXPECT_NEAR(r.aux, f.at("aux_loss").data[0], tol.loss * std::abs(f.at("aux_loss").data[0]))
      << what << ": aux_loss";
  EXPECT_NEAR(r.z, f.at("z_loss").data[0], tol.loss * std::abs(f.at("z_loss").data[0]))
      << what << ": z_loss";
  for (const Param& p : r.params) {
    std::string key("d");
    key += p.name.substr(4) == "gate" ? std::string("wg") : p.name.substr(4);
    std::vector<float> ref(p.grad.size());
    hyperslab_extract(f.at(key).data.data(), p.global_shape, p.offset, p.shape, ref.data(), p.dim0);
    EXPECT_LE(rel_err(p.grad.data(), ref.data(), ref.size()), key == "dwg" ? tol.gate : tol.grad)
        << what << ": " << key;
  }
}

void expect_agree(const Result& a, const Result& b, const std::string& what) {
  const Tolerances tol = tolerances();
  EXPECT_LE(rel_err(a.y.data(), b.y.data(), a.y.size()), tol.y) << what << ": y";
  EXPECT_LE(rel_err(a.dx.data(), b.dx.data(), a.dx.size()), tol.grad) << what << ": dx";
  EXPECT_NEAR(a.aux, b.aux, tol.loss * std::abs(b.aux)) << what << ": aux";
  for (size_t i = 0; i < a.params.size(); ++i)
    EXPECT_LE(rel_err(a.params[i].grad.data(), b.params[i].grad.data(), a.params[i].grad.size()),
              tol.grad)
        << what << ": grad " << a.params[i].name;
}

// The golden cases this build runs: on the GPU, those without shared experts
// (the config refuses them there: they have not run on a GPU yet).
std::vector<std::string> layer_cases() {
  std::vector<std::string> cases = golden_cases();
#ifdef PARAMOE_TEST_CUDA
  std::erase_if(cases, [](const std::string& c) { return c.rfind("shared", 0) == 0; });
#endif
  return cases;
}

// s2 at r = 1 (which must be s1), 2 and 3 (3 leaves blocks that do not divide), and
// data-centric execution (its weight cache in the backend's memory: device memory,
// gathered over NCCL or staged MPI, on the GPU).
std::vector<std::string> schedules_for(const ParallelConfig& par) {
  std::vector<std::string> s = {"s1", "s2:1", "s2:2", "s2:3"};
  if (par.esp == par.mp) s.insert(s.begin(), "replicated");
  if (esp_weights_from_args().empty()) s.push_back("dc");  // dc gathers even slices only
  return s;
}

TEST(MoeLayer, MatchesPyTorchGolden) {
  REQUIRE_GPU();
  const ParallelConfig par = layout_from_args();
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  const int dp = world / par.mp;
  for (const std::string& name : layer_cases()) {
    const Fixture f = fixture_read(golden_dir() + "/" + name + ".bin");
    const MoeConfig cfg = case_config(name);
    // Capacity is decided per MP group's tokens, so with dp > 1 the golden (one
    // group of all T tokens) does not apply; schedules are compared instead below.
    if (cfg.capacity_factor != 0 && dp > 1) continue;
    for (const std::string& s : schedules_for(par)) {
      expect_matches_golden(run_layer(f, cfg, s, par, Sharding::Even), f, cfg.d_model,
                            name + " " + s);
      if (dp > 1)  // whole data-parallel shards with zero tokens
        expect_matches_golden(run_layer(f, cfg, s, par, Sharding::AllOnFirst), f, cfg.d_model,
                              name + " " + s + " all-on-first-shard");
    }
  }
}

// Two layer instances that do the same arithmetic agree to the last bit, wherever
// their buffers lie: the build turns off FMA contraction (CMakeLists.txt), which had
// made a loop's vectorised and scalar paths round differently, so that a value
// depended on the alignment of the buffer it sat in (1 run in ~16 at np 8).
void expect_same_arithmetic(const Result& a, const Result& b, const std::string& what) {
  EXPECT_EQ(a.y, b.y) << what << ": y";
  EXPECT_EQ(a.dx, b.dx) << what << ": dx";
}

// Every schedule of the layout against s1, on every case (capacity cases included,
// which the golden comparison skips at dp > 1).
// moe.capacity_factor < 0 (dynamic, Tutel's -X): min(|f|·T·k/E, the busiest
// expert's load). Where the fixed capacity of |f| drops assignments it is below
// that load, so the layer equals capacity_factor = |f|; at -E it is the load
// itself, so nothing drops and the layer equals the dropless one (both as the same
// arithmetic: expect_same_arithmetic).
TEST(MoeLayer, DynamicCapacityIsFixedOrDropless) {
  REQUIRE_GPU();
  const ParallelConfig par = layout_from_args();
  for (const std::string& name : layer_cases()) {
    const Fixture f = fixture_read(golden_dir() + "/" + name + ".bin");
    MoeConfig cfg = case_config(name);
    const double fixed = cfg.capacity_factor;
    if (fixed == 0) {
      const Result dropless = run_layer(f, cfg, "s1", par, Sharding::Even);
      cfg.capacity_factor = -cfg.num_experts;
      const Result dynamic = run_layer(f, cfg, "s1", par, Sharding::Even);
      EXPECT_EQ(dynamic.dropped, 0) << name;
      EXPECT_GT(dynamic.capacity, 0) << name;
      // The busiest expert's load: at most the fixed capacity T·k (equal when every
      // token picks one expert).
      EXPECT_LE(dynamic.capacity, f.at("x").shape[0] * cfg.top_k) << name;
      expect_same_arithmetic(dynamic, dropless, name);
      continue;
    }
    const Result fixed_run = run_layer(f, cfg, "s1", par, Sharding::Even);
    cfg.capacity_factor = -fixed;
    const Result dynamic = run_layer(f, cfg, "s1", par, Sharding::Even);
    EXPECT_GT(fixed_run.dropped, 0) << name << ": the case should drop";
    // Each MP group decides its own; a group that drops nothing may need less.
    EXPECT_LE(dynamic.capacity, fixed_run.capacity) << name;
    EXPECT_EQ(dynamic.dropped, fixed_run.dropped) << name;
    expect_same_arithmetic(dynamic, fixed_run, name);
  }
}

// moe.pad_to_capacity (the capacity-padded baseline): every expert's rows padded
// to the capacity, on every model-centric schedule, against the same layer
// unpadded. With Tutel's dynamic capacity at -E nothing drops and the capacity is
// the busiest expert's load, so every slot carries at least this rank's share of
// it, and the pad rows (outputs dropped, gradients zero) change the results only
// by the order of fp32 sums.
#ifndef PARAMOE_TEST_CUDA  // moe.pad_to_capacity runs on the CPU only
TEST(MoeLayer, PaddingToCapacityChangesNothing) {
  const ParallelConfig par = layout_from_args();
  for (const std::string& name : layer_cases()) {
    const Fixture f = fixture_read(golden_dir() + "/" + name + ".bin");
    MoeConfig cfg = case_config(name);
    if (cfg.capacity_factor > 0 || cfg.shared_experts > 0) continue;
    cfg.capacity_factor = -cfg.num_experts;
    for (const std::string& s : schedules_for(par)) {
      if (s == "dc") continue;
      // Padding is for unshadowed layers (the config refuses both).
      const Result plain = run_layer(f, cfg, s, par, Sharding::Even, /*shadow_from_args=*/false);
      MoeConfig padded_cfg = cfg;
      padded_cfg.pad_to_capacity = true;
      const Result padded =
          run_layer(f, padded_cfg, s, par, Sharding::Even, /*shadow_from_args=*/false);
      EXPECT_EQ(padded.dropped, 0) << name << " " << s;
      EXPECT_GT(padded.send_rows, plain.send_rows) << name << " " << s << ": nothing padded";
      const int64_t least = *std::min_element(padded.send_counts.begin(), padded.send_counts.end());
      EXPECT_GT(least, 0) << name << " " << s << ": an expert without its padded block";
      expect_agree(padded, plain, name + " " + s + " padded");
    }
  }
}
#endif

TEST(MoeLayer, SchedulesAgreeWithS1) {
  REQUIRE_GPU();
  const ParallelConfig par = layout_from_args();
  for (const std::string& name : layer_cases()) {
    const Fixture f = fixture_read(golden_dir() + "/" + name + ".bin");
    const MoeConfig cfg = case_config(name);
    const Result s1 = run_layer(f, cfg, "s1", par, Sharding::Even);
    for (const std::string& s : schedules_for(par))
      if (s != "s1") expect_agree(run_layer(f, cfg, s, par, Sharding::Even), s1, name + " " + s);
  }
}

// With --shadow top:N, the shadowed layer (the N hottest experts' weights sent to
// every EP rank, their gradients reduced back) against the same layer unshadowed,
// on every model-centric schedule: the same sums in another order, so equal within
// fp32 rounding (the golden tolerances). Every pass must have shadowed N experts.
TEST(MoeLayer, ShadowingChangesNothing) {
  REQUIRE_GPU();
  const std::string shadow = arg_or("--shadow", "off");
  if (shadow == "off") GTEST_SKIP() << "no --shadow given";
  const ParallelConfig par = layout_from_args();
  const size_t top = std::stoul(shadow.substr(4));
  for (const std::string& name : layer_cases()) {
    const Fixture f = fixture_read(golden_dir() + "/" + name + ".bin");
    MoeConfig cfg = case_config(name);
    const Result off = run_layer(f, cfg, "s1", par, Sharding::Even, /*shadow_from_args=*/false);
    EXPECT_EQ(off.shadowed, 0u) << name;
    cfg.shadow = shadow;
    for (const std::string& s : schedules_for(par)) {
      if (s == "dc") continue;  // data-centric execution has no shadowing
      const Result on = run_layer(f, cfg, s, par, Sharding::Even);
      EXPECT_EQ(on.shadowed, par.ep > 1 ? top : 0u) << name << " " << s;
      expect_agree(on, off, name + " " + s + " shadowed");
    }
  }
}

}  // namespace
}  // namespace paramoe::test
