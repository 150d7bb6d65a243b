// One full training step of the GPT-MoE, BERT-MoE and Swin-MoE models against the
// PyTorch golden fixtures (tests/golden/make_model_fixtures.py and
// make_swin_fixtures.py), under the layout given on
// the command line (--mp, --ep, --esp, --rpn) and for each MoE schedule the layout
// allows: the logits (each rank its rows and vocabulary slice), the loss, every
// synchronised gradient, the global gradient norm and every parameter after
// clipping and one AdamW step. Errors are reduced over all ranks.
//
// Built a second time as test_transformer_step_cuda (PARAMOE_TEST_CUDA): the whole
// model on the GPU (CudaDenseBackend for the dense parts, CudaStepBackend for the
// MoE layers, fp32) with --coll nccl (one GPU per rank) or --coll mpi (staged
// through host memory, so ranks may share a GPU). The gradient sync, norm, clipping
// and AdamW run on the GPU too, on the live copies (CudaOptimizerMemory), as in
// `paramoe train`. It skips, printing "no GPU: " and the reason, where no device is
// found.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "comm/mpi_collectives.h"
#include "core/row_split.h"
#include "model/swin.h"
#include "model/transformer.h"
#include "optim/adamw.h"
#include "optim/grad_allreduce.h"
#include "optim/grad_norm.h"
#include "tests/fixture_io.h"
#include "tests/mpi_test_args.h"
#include "tests/require_gpu.h"

#ifdef PARAMOE_TEST_CUDA
#include "comm/gpu_binding.h"
#include "comm/nccl_collectives.h"
#include "comm/staged_mpi_collectives.h"
#include "model/cuda_dense_backend.h"
#include "moe/cuda_step_backend.h"
#include "optim/cuda_optimizer_memory.h"
#endif

namespace paramoe::test {
extern std::vector<std::string> g_args;

namespace {

// fp32 against a float64 reference through two blocks. Logits, the loss and the
// gradients pass through ~10 chained ops whose reductions are ≤ 37 terms, so their
// fp32 error is ~1e-6 relative; 2e-5 leaves margin, while a wrong slice, mask or
// reduction gives errors of order 1.
// On the GPU, cuBLAS and the kernels sum in other orders (the embedding's
// gradient with atomics, in no fixed order), and the MoE layer's gate gradient
// alone measured 1.09e-5 on an H100 (test_moe_layer); 1e-4 is a first bound, not
// yet measured for the whole model, still four orders below a wrong slice.
#ifdef PARAMOE_TEST_CUDA
constexpr double kRelTol = 1e-4;
#else
constexpr double kRelTol = 2e-5;
#endif
// After one AdamW step the update is lr·m̂/(√v̂ + ε) = ±lr for every element whose
// gradient is not ~0, so the parameters differ from their start by 1e-2 (lr) and
// the comparison is dominated by the start values: 1e-6 relative is fp32 storage.
constexpr double kUpdatedTol = 1e-5;
// Where the true gradient is 0 the first Adam step is sign(rounding noise)·lr: the
// key bias of attention has an exactly zero gradient (softmax ignores a constant
// added to a row's scores), which float64 gives as ~1e-17 and fp32 as ~1e-9. Such
// elements are only checked to have moved by at most lr.
constexpr double kZeroGrad = 1e-6;

// Where the model computes: the host, or (CUDA build) the GPU over NCCL or staged MPI.
struct Device {
  std::unique_ptr<Collectives> coll;  // moves the model's activations
  StepBackendMaker make = make_cpu_step_backend;
  DenseBackendMaker make_dense = make_cpu_dense_backend;
  std::unique_ptr<OptimizerMemory> mem = make_host_optimizer_memory();
};

Device device_for(const ProcessGrid& grid) {
  Device d;
#ifdef PARAMOE_TEST_CUDA
  gpu_bind(grid);
  if (arg_or("--coll", "nccl") == "nccl")
    d.coll = std::make_unique<NcclCollectives>(grid);
  else
    d.coll = std::make_unique<StagedMpiCollectives>(grid);
  d.make = cuda_step_backend_maker();
  d.make_dense = cuda_dense_backend_maker();
  d.mem = make_cuda_optimizer_memory();
#else
  d.coll = std::make_unique<MpiCollectives>(grid);
#endif
  return d;
}

std::vector<float> slice_of(const FixtureTensor& t, const Param& p) {
  std::vector<float> out(p.value.size());
  hyperslab_extract(t.data.data(), p.global_shape, p.offset, p.shape, out.data(), p.dim0);
  return out;
}

// The backward (`passes` times with 1/passes of the loss each: as gradient
// accumulation weighs micro-batches, so the gradients must still be the fixture's,
// which checks that the MoE aux and z gradients follow the loss scale too), the
// synchronised gradients, the clipped norm and one AdamW step, against the fixture.
template <class Model>
void check_backward_and_update(Model& model, const Fixture& f, const Config& cfg, Device& dev,
                               const std::vector<ResidentParam>& live, int64_t targets_global,
                               int passes) {
  const std::vector<Param*> params = model.params();
  for (int k = 0; k < passes; ++k)
    model.backward(1.0f / static_cast<float>(targets_global * passes),
                   1.0f / static_cast<float>(passes));
  GradAllreduce(live, *dev.coll, *dev.mem).run();
  for (const ResidentParam& r : live) {
    const Param& p = *r.param;
    std::vector<float> g(p.grad.size());
    dev.mem->download(r.grad, static_cast<int64_t>(g.size()), g.data());
    EXPECT_LT(rel_err(g.data(), slice_of(f.at("grad/" + p.name), p).data(), g.size()), kRelTol)
        << "grad of " << p.name;
  }

  GradNorm norm(live, *dev.coll, *dev.mem);
  const double n = norm.clip(cfg.train.grad_clip);
  EXPECT_NEAR(n, f.at("grad_norm").data[0], 2e-5 * n);
  AdamW opt(
      live,
      AdamWConfig{cfg.train.beta1, cfg.train.beta2, cfg.train.adam_eps, cfg.train.weight_decay},
      *dev.mem);
  opt.step(cfg.train.lr);
  opt.to_host();
  for (size_t i = 0; i < params.size(); ++i) {
    Param* p = params[i];
    std::vector<float> want = slice_of(f.at("updated/" + p->name), *p);
    const std::vector<float> g = slice_of(f.at("grad/" + p->name), *p);
    const std::vector<float> start = slice_of(f.at("init/" + p->name), *p);
    std::vector<float> got = p->value;
    for (size_t j = 0; j < g.size(); ++j)
      if (std::abs(g[j]) < kZeroGrad) {
        EXPECT_LE(std::abs(got[j] - start[j]), 1.01 * cfg.train.lr) << p->name << "[" << j << "]";
        got[j] = want[j];
      }
    EXPECT_LT(rel_err(got.data(), want.data(), want.size()), kUpdatedTol) << "updated " << p->name;
  }
}

// Every parameter from the fixture's initial values; returns the live copies.
template <class Model>
std::vector<ResidentParam> load_initial(Model& model, const Fixture& f) {
  for (Param* p : model.params()) {
    const FixtureTensor& t = f.at("init/" + p->name);
    EXPECT_EQ(t.shape, p->global_shape) << p->name;
    p->value = slice_of(t, *p);
  }
  model.load_params();
  return model.resident_params();
}

void run_step(const std::string& kind, const std::string& schedule, int passes = 1) {
  const Fixture f = fixture_read(golden_dir() + "/model_" + kind + ".bin");
  const ParallelConfig par = layout_from_args();
  Config cfg =
      config_load(golden_dir() + "/model_" + kind + ".toml", {"moe.schedule=\"" + schedule + "\""});
  cfg.parallel = par;
  ProcessGrid grid = ProcessGrid::create(MPI_COMM_WORLD, par, cfg.moe);
  MpiCollectives coll(grid);  // the loss sums, on the host
  Device dev = device_for(grid);
  TransformerModel model(cfg, std::vector<MoeConfig>(cfg.moe_layer_count(), cfg.moe), *dev.coll,
                         /*seed=*/1, dev.make, dev.make_dense);
  const std::vector<ResidentParam> live = load_initial(model, f);

  // This data-parallel rank's sequences.
  const int64_t B = f.at("tokens").shape[0], S = f.at("tokens").shape[1];
  int64_t s0 = 0, ns = 0;
  split_rows(B, grid.layout().dp(), grid.index().dp, s0, ns);
  TokenBatch batch;
  batch.sequences = ns;
  batch.seq_len = S;
  for (int64_t i = s0 * S; i < (s0 + ns) * S; ++i) {
    batch.input.push_back(static_cast<int32_t>(f.at("tokens").data[i]));
    batch.target.push_back(static_cast<int32_t>(f.at("targets").data[i]));
    if (f.count("key_valid")) batch.key_valid.push_back(f.at("key_valid").data[i] != 0.0f);
  }
  int64_t targets_global = 0;
  for (float t : f.at("targets").data) targets_global += t >= 0;

  double ce = model.forward(batch);
  coll.allreduce_sum(Group::Dp, &ce, 1);
  EXPECT_NEAR(ce / targets_global, f.at("ce_loss").data[0], 2e-5 * f.at("ce_loss").data[0]);
  EXPECT_NEAR(model.aux_loss() + model.z_loss(), f.at("moe_loss").data[0],
              2e-5 * f.at("moe_loss").data[0]);

  // Logits: rows of this rank's sequences, columns of its vocabulary slice.
  const FixtureTensor& L = f.at("logits");
  const std::vector<float> logits = model.logits();
  const int64_t V = L.shape[1], vl = static_cast<int64_t>(logits.size()) / (ns * S);
  int64_t v0 = 0, vn = 0;
  split_rows(V, grid.layout().mp, grid.index().mp, v0, vn);
  ASSERT_EQ(vn, vl);
  std::vector<float> want(ns * S * vl);
  hyperslab_extract(L.data.data(), L.shape, {s0 * S, v0}, {ns * S, vl}, want.data());
  EXPECT_LT(rel_err(logits.data(), want.data(), want.size()), kRelTol) << "logits";

  check_backward_and_update(model, f, cfg, dev, live, targets_global, passes);
}

// The Swin-MoE classifier (tests/golden/make_swin_fixtures.py): each data-parallel
// rank its images; the head is replicated over MP, so every rank checks its
// images' full logits. Its MoE layers have two widths (one per stage).
void run_swin_step(const std::string& schedule, const std::string& expert_mode) {
  const Fixture f = fixture_read(golden_dir() + "/model_swin.bin");
  const ParallelConfig par = layout_from_args();
  Config cfg =
      config_load(golden_dir() + "/model_swin.toml",
                  {"moe.schedule=\"" + schedule + "\"", "moe.expert_mode=\"" + expert_mode + "\""});
  cfg.parallel = par;
  ProcessGrid grid = ProcessGrid::create(MPI_COMM_WORLD, par, cfg.moe);
  MpiCollectives coll(grid);
  Device dev = device_for(grid);
  std::vector<MoeConfig> moe;
  for (const auto& site : cfg.moe_layer_sites()) moe.push_back(site.moe);
  SwinModel model(cfg, moe, *dev.coll, /*seed=*/1, dev.make, dev.make_dense);
  const std::vector<ResidentParam> live = load_initial(model, f);

  const FixtureTensor& px = f.at("pixels");  // [B, H, W, C]
  const int64_t B = px.shape[0], per_image = px.shape[1] * px.shape[2] * px.shape[3];
  int64_t b0 = 0, nb = 0;
  split_rows(B, grid.layout().dp(), grid.index().dp, b0, nb);
  ImageBatch batch{nb, px.shape[1], px.shape[2], px.shape[3], {}, {}};
  for (int64_t i = b0 * per_image; i < (b0 + nb) * per_image; ++i)
    batch.pixels.push_back(static_cast<uint8_t>(px.data[i]));
  for (int64_t b = b0; b < b0 + nb; ++b)
    batch.labels.push_back(static_cast<int32_t>(f.at("labels").data[b]));

  double ce = model.forward(batch);
  coll.allreduce_sum(Group::Dp, &ce, 1);
  EXPECT_NEAR(ce / B, f.at("ce_loss").data[0], 2e-5 * f.at("ce_loss").data[0]);
  EXPECT_NEAR(model.aux_loss() + model.z_loss(), f.at("moe_loss").data[0],
              2e-5 * f.at("moe_loss").data[0]);
  const FixtureTensor& L = f.at("logits");
  const std::vector<float> logits = model.logits();
  const int64_t V = L.shape[1];
  ASSERT_EQ(static_cast<int64_t>(logits.size()), nb * V);
  EXPECT_LT(rel_err(logits.data(), L.data.data() + b0 * V, logits.size()), kRelTol) << "logits";

  check_backward_and_update(model, f, cfg, dev, live, B, 1);
}

std::vector<std::string> schedules() {
  const Layout l = ProcessGrid::create(MPI_COMM_WORLD, layout_from_args(), MoeConfig{}).layout();
  if (l.mp == 1) return {"s1"};
  if (l.esp != l.mp) return {"s1", "s2"};  // replicated needs esp = mp
  return {"replicated", "s1", "s2"};
}

TEST(TransformerStep, GptMatchesPyTorch) {
  REQUIRE_GPU();
  for (const std::string& s : schedules()) {
    SCOPED_TRACE("schedule " + s);
    run_step("gpt", s);
  }
}

TEST(TransformerStep, ScaledBackwardsAccumulateToTheStep) {
  REQUIRE_GPU();
  run_step("gpt", "s1", 2);
}

TEST(TransformerStep, BertMatchesPyTorch) {
  REQUIRE_GPU();
  for (const std::string& s : schedules()) {
    SCOPED_TRACE("schedule " + s);
    run_step("bert", s);
  }
}

#ifndef PARAMOE_TEST_CUDA  // Swin's window attention has no CUDA kernel yet
TEST(TransformerStep, SwinMatchesPyTorch) {
  for (const std::string& s : schedules()) {
    SCOPED_TRACE("schedule " + s);
    run_swin_step(s, "model-centric");
  }
  SCOPED_TRACE("data-centric");
  run_swin_step("s1", "data-centric");
}
#endif

}  // namespace
}  // namespace paramoe::test
