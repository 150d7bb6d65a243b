// lib/train under mpiexec: the training loop (trainer.h) on the synthetic MoE stack
// of inputs/moe-tiny.toml, run in-process. Under this run's layout (--mp/--ep/--esp)
// the losses must match one rank's; a checkpoint and resume must continue bit for
// bit; experts moved between steps must not change the losses; a preemption signal
// must stop the run with a checkpoint; "auto" must be resolved per MoE layer
// without touching the config. Also the run's metrics files and step line.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/mpi_test_args.h"
#include "train/preemption.h"
#include "train/train_metrics.h"
#include "train/train_state.h"
#include "train/train_task.h"
#include "train/trainer.h"

namespace paramoe {
namespace {

using test::comm_rank;
using test::layout_from_args;

const std::string kTiny = PARAMOE_INPUTS "/moe-tiny.toml";

// This run's layout from the test's arguments, and a short run without any file.
std::vector<std::string> sets(std::vector<std::string> extra = {}) {
  const ParallelConfig p = layout_from_args();
  std::vector<std::string> s = {"parallel.mp=" + std::to_string(p.mp),
                                "parallel.ep=" + std::to_string(p.ep),
                                "parallel.esp=" + std::to_string(p.esp),
                                "parallel.ranks_per_node=" + std::to_string(p.ranks_per_node),
                                "train.steps=6",
                                "train.log_every=3"};
  s.insert(s.end(), extra.begin(), extra.end());
  return s;
}

// A fresh directory that every rank names the same (rank 0 makes it).
std::string shared_temp_dir() {
  char path[256] = "/tmp/paramoe-trainer-XXXXXX";
  if (comm_rank(MPI_COMM_WORLD) == 0 && mkdtemp(path) == nullptr) path[0] = 0;
  MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
  EXPECT_NE(path[0], 0) << "mkdtemp failed";
  return path;
}

std::vector<double> train_losses(const std::vector<std::string>& overrides,
                                 const std::string& resume = "") {
  const RunContext rc = run_context_create(kTiny, overrides);
  return train_run(rc, resume).losses;
}

TEST(Trainer, LossesUnderThisLayoutMatchOneRank) {
  const std::vector<double> here = train_losses(sets());
  ASSERT_EQ(here.size(), 6u);
  // One rank alone, on a communicator of its own, with the same global batch.
  std::vector<double> alone(here.size());
  if (comm_rank(MPI_COMM_WORLD) == 0) {
    const RunContext rc = run_context_create(
        kTiny,
        {"parallel.mp=1", "parallel.ep=1", "parallel.esp=1", "train.steps=6", "train.log_every=3"},
        false, MPI_COMM_SELF);
    alone = train_run(rc).losses;
  }
  MPI_Bcast(alone.data(), static_cast<int>(alone.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  // fp32 sums in other orders: about 1e-8 measured; a wrong gradient moves step 2 by
  // percents.
  for (size_t i = 0; i < here.size(); ++i)
    EXPECT_NEAR(here[i], alone[i], 1e-6 * alone[i]) << "step " << i + 1;
  EXPECT_LT(here.back(), here.front());  // and it trains
}

TEST(Trainer, ResumeContinuesBitForBit) {
  const std::string dir = shared_temp_dir();
  const std::vector<double> straight = train_losses(sets());
  const std::vector<std::string> ckpt = sets({"checkpoint.dir=\"" + dir + "\""});
  std::vector<std::string> first_half = ckpt;
  first_half.push_back("checkpoint.exit_after=3");
  const RunContext rc = run_context_create(kTiny, first_half);
  const TrainSummary a = train_run(rc);
  EXPECT_EQ(a.last_step, 3);
  const RunContext rc2 = run_context_create(kTiny, ckpt);
  const TrainSummary b = train_run(rc2, "latest");
  EXPECT_EQ(b.first_step, 3);
  EXPECT_EQ(b.last_step, 6);
  ASSERT_EQ(a.losses.size() + b.losses.size(), straight.size());
  for (size_t i = 0; i < a.losses.size(); ++i) EXPECT_EQ(a.losses[i], straight[i]) << i;
  for (size_t i = 0; i < b.losses.size(); ++i) EXPECT_EQ(b.losses[i], straight[3 + i]) << 3 + i;
  MPI_Barrier(MPI_COMM_WORLD);
  if (comm_rank(MPI_COMM_WORLD) == 0) std::filesystem::remove_all(dir);
}

TEST(Trainer, MovingExpertsBetweenStepsKeepsTheLosses) {
  if (layout_from_args().ep < 2) GTEST_SKIP() << "ep = 1: no expert can move";
  const std::vector<double> still = train_losses(sets());
  const std::vector<double> moved =
      train_losses(sets({"placement.every=2", "placement.policy=\"random\""}));
  ASSERT_EQ(moved.size(), still.size());
  // The same experts compute the same rows wherever they live.
  for (size_t i = 0; i < still.size(); ++i) EXPECT_EQ(moved[i], still[i]) << "step " << i + 1;
}

TEST(Trainer, PreemptionStopsWithACheckpoint) {
  const std::string dir = shared_temp_dir();
  preemption_install();
  std::raise(SIGUSR1);
  EXPECT_EQ(preemption_signal(), SIGUSR1);
  const RunContext rc = run_context_create(kTiny, sets({"checkpoint.dir=\"" + dir + "\""}));
  const TrainSummary s = train_run(rc);
  preemption_reset();
  EXPECT_TRUE(s.preempted);
  EXPECT_EQ(s.last_step, 1);
  EXPECT_TRUE(std::filesystem::exists(dir + "/latest"));
  MPI_Barrier(MPI_COMM_WORLD);
  if (comm_rank(MPI_COMM_WORLD) == 0) std::filesystem::remove_all(dir);
}

TEST(RunContext, AutoIsResolvedPerMoeLayerAndTheConfigKeepsIt) {
  const RunContext rc = run_context_create(
      kTiny, sets({"moe.schedule=\"auto\"", "moe.expert_mode=\"auto\"",
                   "plan.cluster=\"" PARAMOE_INPUTS "/clusters/ci-2core-4ranks.toml\""}));
  EXPECT_EQ(rc.config.moe.schedule, "auto");
  EXPECT_EQ(rc.config.moe.expert_mode, "auto");
  ASSERT_EQ(static_cast<int>(rc.moe_layers.size()), rc.config.train.layers);
  for (const MoeConfig& m : rc.moe_layers) {
    EXPECT_NE(m.schedule, "auto");
    EXPECT_NE(m.expert_mode, "auto");
  }
  // And the model runs the layers as resolved.
  const std::unique_ptr<TrainTask> task = make_train_task(rc);
  for (size_t l = 0; l < rc.moe_layers.size(); ++l)
    EXPECT_EQ(task->moe_layers()[l]->config().effective_schedule(),
              rc.moe_layers[l].effective_schedule());
}

TEST(TrainState, HoldsEveryParameterAndBothMoments) {
  const RunContext rc = run_context_create(kTiny, sets());
  const std::unique_ptr<TrainTask> task = make_train_task(rc);
  const std::vector<ResidentParam> live = task->resident_params();
  std::vector<Param*> params;
  for (const ResidentParam& r : live) params.push_back(r.param);
  const std::unique_ptr<OptimizerMemory> mem = rc.layers.make_optimizer_memory();
  AdamW opt(live, AdamWConfig{}, *mem);
  const std::vector<TensorSlab> slabs = train_state_slabs(params, opt);
  ASSERT_EQ(slabs.size(), 3 * params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(slabs[i].name, "params/" + params[i]->name);
    EXPECT_EQ(slabs[params.size() + i].name, "optimizer/adam_m/" + params[i]->name);
    EXPECT_EQ(slabs[2 * params.size() + i].name, "optimizer/adam_v/" + params[i]->name);
  }
}

StepMetrics sample_metrics() {
  return StepMetrics{7, 1.25, 0.5f, 0.25f, 1e-3, 2.5, 0.125, 4096, 0.75, 0.01, 3, -1, 1.0, "", {}};
}

TEST(TrainMetrics, StepLineShowsDroppedOnlyWithCapacity) {
  const std::string with = format_step_line(sample_metrics(), 40, true);
  const std::string without = format_step_line(sample_metrics(), 40, false);
  EXPECT_NE(with.find("step     7/40 | loss 1.250000"), std::string::npos) << with;
  EXPECT_NE(with.find("125.00 ms"), std::string::npos) << with;
  EXPECT_NE(with.find("moe 75.0%"), std::string::npos) << with;
  EXPECT_NE(with.find("dropped 3"), std::string::npos) << with;
  EXPECT_EQ(without.find("dropped"), std::string::npos) << without;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TrainMetrics, CsvAndJsonlHoldEachStepAndAppendOnResume) {
  if (comm_rank(MPI_COMM_WORLD) != 0) return;  // rank 0 writes the files
  const std::string dir =
      std::filesystem::temp_directory_path() / ("paramoe-metrics-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  {
    MetricsLog log(dir + "/m.csv", dir + "/m.jsonl", false);
    log.step(sample_metrics());
    log.validation(7, Validation{1.5});
    log.validation(9, Validation{1.5, 0.75});
  }
  {
    MetricsLog resumed(dir + "/m.csv", dir + "/m.jsonl", true);
    StepMetrics next = sample_metrics();
    next.step = 8;
    resumed.step(next);
  }
  EXPECT_EQ(read_file(dir + "/m.csv"),
            "step,loss,aux_loss,z_loss,lr,step_ms,tokens_per_s,alltoall_ms,dropped,grad_norm,"
            "moe_share,val_loss\n"
            "7,1.25,0.5,0.25,0.001,125,4096,10,3,2.5,0.75,\n"
            "7,,,,,,,,,,,1.5\n"
            "9,,,,,,,,,,,1.5\n"
            "8,1.25,0.5,0.25,0.001,125,4096,10,3,2.5,0.75,\n");
  const std::string jsonl = read_file(dir + "/m.jsonl");
  EXPECT_NE(jsonl.find("{\"step\": 7, \"loss\": 1.25, \"aux_loss\": 0.5"), std::string::npos);
  EXPECT_NE(jsonl.find("{\"step\": 7, \"val_loss\": 1.5}"), std::string::npos);
  EXPECT_NE(jsonl.find("{\"step\": 9, \"val_loss\": 1.5, \"val_accuracy\": 0.75}"),
            std::string::npos);
  EXPECT_NE(jsonl.find("{\"step\": 8,"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace paramoe
