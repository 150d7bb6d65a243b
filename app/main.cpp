// paramoe: one SPMD executable for distributed MoE training. Every rank runs main.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.h"
#include "core/error.h"
#include "core/log.h"

namespace {

void add_common(CLI::App* cmd, std::string& config, std::vector<std::string>& overrides) {
  cmd->add_option("config", config, "TOML config file (see inputs/)")->required();
  cmd->add_option("--set", overrides,
                  "override a config key, e.g. --set moe.top_k=1 --set parallel.ep=2");
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  const int rank = paramoe::world_rank();

  CLI::App app{
      "paramoe: distributed Mixture-of-Experts training (Parm schedules, "
      "HEXA-MoE operators, Aurora all-to-all). Launch under mpirun or srun."};
  app.require_subcommand(1);
  paramoe::TrainArgs train;
  auto* train_cmd = app.add_subcommand(
      "train", "train the config's model: GPT/BERT MoE on token data, or the synthetic MoE stack");
  add_common(train_cmd, train.config, train.overrides);
  auto* resume_opt =
      train_cmd
          ->add_option("--resume", train.resume,
                       "continue from a checkpoint: 'latest' (the default when no value is given; "
                       "starts fresh if checkpoint.dir has none yet), a checkpoint directory, or "
                       "a .h5 file. Any parallel layout may load it.")
          ->expected(0, 1);
  train_cmd->add_flag("--calibrate-speed", train.calibrate_speed,
                      "with parallel.split = \"speed\": time a GEMM on every rank at start-up "
                      "and split the work by the measured speeds (else plan.cluster's speeds)");

  auto* bench_cmd = app.add_subcommand("bench", "benchmarks of layers and schedules");
  bench_cmd->require_subcommand(1);
  paramoe::BenchLayerArgs bench;
  auto* layer_cmd = bench_cmd->add_subcommand(
      "layer", "median forward+backward time and all-to-all bytes of one MoE layer per schedule");
  add_common(layer_cmd, bench.config, bench.overrides);
  layer_cmd
      ->add_option("--schedules", bench.schedules,
                   "schedules to compare; the first is the baseline")
      ->delimiter(',');
  layer_cmd->add_option("--repeats", bench.repeats, "timed repeats (median is reported)");
  layer_cmd->add_option("--csv", bench.csv, "append results to this CSV file");
  layer_cmd->add_option("--trace", bench.trace,
                        "write each rank's steps of the last repeat of every schedule as a "
                        "Chrome trace, DIR/trace-rank<k>.json (perf/trace_merge.py joins them)");

  paramoe::BenchGridArgs bench_grid;
  auto* grid_cmd = bench_cmd->add_subcommand(
      "grid",
      "every point of a layer grid (inputs/grids) under replicated, s1, s2 and auto: measured "
      "and predicted forward+backward times to CSV");
  grid_cmd->add_option("grid", bench_grid.grid, "grid file (inputs/grids/*.toml)")->required();
  grid_cmd->add_option("--cluster", bench_grid.cluster,
                       "cluster file for the predictions and auto (e.g. from paramoe calibrate)");
  grid_cmd->add_option("--csv", bench_grid.csv, "append results to this CSV file");
  grid_cmd->add_option("--ranks-per-node", bench_grid.ranks_per_node,
                       "emulate nodes of N consecutive ranks");
  grid_cmd->add_option("--warmup", bench_grid.warmup, "untimed passes per schedule");
  grid_cmd->add_option("--repeats", bench_grid.repeats, "timed passes per schedule (median)");

  paramoe::BenchCkptArgs bench_ckpt;
  auto* bench_ckpt_cmd = bench_cmd->add_subcommand(
      "ckpt", "checkpoint write/read time and GB/s against the raw bandwidth of the directory");
  add_common(bench_ckpt_cmd, bench_ckpt.config, bench_ckpt.overrides);
  bench_ckpt_cmd->add_option("--dir", bench_ckpt.dir, "scratch directory (removed afterwards)");
  bench_ckpt_cmd->add_option("--repeats", bench_ckpt.repeats, "timed repeats (median is reported)");
  bench_ckpt_cmd->add_option("--csv", bench_ckpt.csv, "append results to this CSV file");

  paramoe::BenchA2aArgs bench_a2a;
  auto* bench_a2a_cmd = bench_cmd->add_subcommand(
      "a2a",
      "the all-to-all(v) as native, pairwise and ordered (greedy, bvn) on one traffic matrix, "
      "against the bound from the measured port bandwidth");
  bench_a2a_cmd->add_option("--traffic", bench_a2a.traffic,
                            "uniform, zipf, hot, or a CSV matrix file (train.traffic_csv)");
  bench_a2a_cmd->add_option("--experts-per-rank", bench_a2a.experts_per_rank, "experts per rank");
  bench_a2a_cmd->add_option("--tokens", bench_a2a.tokens, "tokens per rank (generated traffic)");
  bench_a2a_cmd->add_option("--bytes-per-row", bench_a2a.bytes_per_row, "bytes per token row");
  bench_a2a_cmd->add_option("--repeats", bench_a2a.repeats, "timed repeats (median is reported)");
  bench_a2a_cmd->add_option("--methods", bench_a2a.methods, "methods to time")->delimiter(',');
  bench_a2a_cmd->add_option("--csv", bench_a2a.csv, "append results to this CSV file");

  paramoe::DataArgs data;
  auto* data_cmd = app.add_subcommand("data", "token files: make and check .bin shards");
  data_cmd->require_subcommand(1);
  auto* encode_cmd = data_cmd->add_subcommand(
      "encode",
      "tokenize a text file with the byte-level tokenizer into a llm.c/nanoGPT .bin shard");
  encode_cmd->add_option("in", data.in, "text file")->required();
  encode_cmd->add_option("out", data.out, "output .bin shard")->required();
  auto* data_inspect_cmd = data_cmd->add_subcommand(
      "inspect", "check a token file (.bin header, size, token range) and show its start");
  data_inspect_cmd->add_option("file", data.file, "a .bin shard or a text file")->required();
  data_inspect_cmd->add_option("--vocab", data.vocab, "tokens must be below this");
  data_inspect_cmd->add_option("--show", data.show, "tokens to decode from the start");
  data_inspect_cmd->add_option("--format", data.format, "auto | bin | text");

  auto* ckpt_cmd = app.add_subcommand("ckpt", "inspect and export HDF5 checkpoints");
  ckpt_cmd->require_subcommand(1);
  paramoe::CkptArgs ckpt;
  auto* inspect_cmd = ckpt_cmd->add_subcommand(
      "inspect", "list tensors, shapes, dtypes, step, layout and config; verify every checksum");
  inspect_cmd->add_option("file", ckpt.file, "checkpoint file (.h5)")->required();
  auto* export_cmd = ckpt_cmd->add_subcommand(
      "export", "write the parameters alone to a plain HDF5 file, one dataset per tensor");
  export_cmd->add_option("file", ckpt.file, "checkpoint file (.h5)")->required();
  export_cmd->add_option("out", ckpt.out, "output HDF5 file")->required();

  paramoe::CalibrateArgs calibrate;
  auto* calibrate_cmd = app.add_subcommand(
      "calibrate",
      "measure link bandwidths and latencies (intra- and inter-node), GEMM and memory rates, "
      "and write a cluster file for plan and schedule = auto");
  calibrate_cmd->add_option("--out", calibrate.out, "cluster file to write");
  calibrate_cmd->add_option("--name", calibrate.name, "the cluster's name in the file");
  calibrate_cmd->add_option("--ranks-per-node", calibrate.ranks_per_node,
                            "emulate nodes of N consecutive ranks (default: shared-memory nodes)");
  calibrate_cmd->add_option("--repeats", calibrate.repeats, "timed repeats (medians)");

  auto* plan_cmd = app.add_subcommand(
      "plan",
      "predict and plan without running (one process). Without a subcommand: the predicted "
      "forward+backward time of the model's MoE layer per layout and schedule on a cluster");
  plan_cmd->require_subcommand(0, 1);
  paramoe::PlanLayerArgs plan_layer;
  plan_cmd->add_option("--model", plan_layer.model,
                       "paramoe config: [moe] and bench.tokens_per_step (the global batch)");
  plan_cmd->add_option("--cluster", plan_layer.cluster, "cluster file (inputs/clusters/*.toml)");
  plan_cmd->add_option("--layout", plan_layer.layout, "mp,ep,esp (default: all with mp = esp)")
      ->delimiter(',')
      ->expected(3);
  plan_cmd->add_option("--chunks", plan_layer.chunks, "s2 pipeline degrees to price")
      ->delimiter(',');
  plan_cmd->add_option("--set", plan_layer.overrides, "override a key of the model config");
  plan_cmd->add_option("--csv", plan_layer.csv, "append the predictions to this CSV file");
  plan_cmd->add_option("--grid", plan_layer.grid,
                       "instead of --model: predict every point of a layer grid (inputs/grids) "
                       "that fits the cluster, and summarise the speedups");
  plan_cmd->add_option("--nodes", plan_layer.nodes, "override the cluster file's node count");
  paramoe::PlanA2aArgs plan_a2a;
  auto* plan_a2a_cmd = plan_cmd->add_subcommand(
      "a2a",
      "all-to-all orders (bvn, greedy, pairwise, random, shortest-first, all-at-once) under the "
      "big-switch model: simulated makespan against the lower bound T*");
  plan_a2a_cmd->add_option("--ranks", plan_a2a.ranks, "rank counts to sweep")->delimiter(',');
  plan_a2a_cmd
      ->add_option("--traffic", plan_a2a.traffic,
                   "traffic kinds (uniform, zipf, hot), or one CSV file of an n x n matrix of rows")
      ->delimiter(',');
  plan_a2a_cmd->add_option("--experts-per-rank", plan_a2a.experts_per_rank, "experts per rank");
  plan_a2a_cmd->add_option("--tokens", plan_a2a.tokens, "tokens per rank");
  plan_a2a_cmd->add_option("--top-k", plan_a2a.top_k, "experts per token");
  plan_a2a_cmd->add_option("--zipf-s", plan_a2a.zipf_s, "Zipf exponent of expert popularity");
  plan_a2a_cmd->add_option("--hot-fraction", plan_a2a.hot_fraction,
                           "share of picks that go to the one hot expert");
  plan_a2a_cmd->add_option("--bytes-per-row", plan_a2a.bytes_per_row, "bytes per token row");
  plan_a2a_cmd
      ->add_option("--bandwidth", plan_a2a.bandwidth_gbps,
                   "link GB/s per rank: one value, or classes given to equal blocks of ranks "
                   "(e.g. 100,80,50,40)")
      ->delimiter(',');
  plan_a2a_cmd->add_option("--latency-us", plan_a2a.latency_us, "start-up latency per message");
  plan_a2a_cmd->add_option("--seeds", plan_a2a.seeds, "matrices per point (seeds 1..N)");
  plan_a2a_cmd->add_option("--methods", plan_a2a.methods, "methods to compare")->delimiter(',');
  plan_a2a_cmd->add_option("--csv", plan_a2a.csv, "append results to this CSV file");

  paramoe::PlanPlacementArgs plan_pl;
  auto* plan_pl_cmd = plan_cmd->add_subcommand(
      "placement",
      "expert placement: contiguous, random and load-aware (heaviest experts to the fastest "
      "devices) compared on expert time and the all-to-all bound");
  plan_pl_cmd->add_option("--ep", plan_pl.ep, "EP sizes to sweep")->delimiter(',');
  plan_pl_cmd->add_option("--traffic", plan_pl.traffic, "traffic kinds (uniform, zipf, hot)")
      ->delimiter(',');
  plan_pl_cmd->add_option("--loads", plan_pl.loads,
                          "a file of per-expert loads (comma or newline separated) instead");
  plan_pl_cmd->add_option("--experts-per-rank", plan_pl.experts_per_rank, "experts per EP rank");
  plan_pl_cmd->add_option("--tokens", plan_pl.tokens, "tokens per rank");
  plan_pl_cmd->add_option("--top-k", plan_pl.top_k, "experts per token");
  plan_pl_cmd->add_option("--zipf-s", plan_pl.zipf_s, "Zipf exponent of expert popularity");
  plan_pl_cmd->add_option("--hot-fraction", plan_pl.hot_fraction,
                          "share of picks that go to the one hot expert");
  plan_pl_cmd
      ->add_option("--speeds", plan_pl.speeds,
                   "relative device speeds: one value, or classes given to equal blocks of ranks")
      ->delimiter(',');
  plan_pl_cmd
      ->add_option("--bandwidth", plan_pl.bandwidth_gbps,
                   "link GB/s: one value, or classes given to equal blocks of ranks")
      ->delimiter(',');
  plan_pl_cmd->add_option("--bytes-per-row", plan_pl.bytes_per_row, "bytes per token row");
  plan_pl_cmd->add_option("--seeds", plan_pl.seeds, "load draws per point (seeds 1..N)");
  plan_pl_cmd->add_flag("--show-plan", plan_pl.show_plan, "print which rank holds which experts");
  plan_pl_cmd->add_option("--csv", plan_pl.csv, "append results to this CSV file");

  int rc = 0;
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      // Every rank parses the same arguments; rank 0 speaks for all.
      if (rank == 0)
        rc = app.exit(e);
      else
        rc = e.get_exit_code();
      MPI_Finalize();
      return rc;
    }
    if (resume_opt->count() > 0 && train.resume.empty()) train.resume = "latest";
    if (*train_cmd)
      rc = paramoe::cmd_train(train);
    else if (*encode_cmd)
      rc = paramoe::cmd_data_encode(data);
    else if (*data_inspect_cmd)
      rc = paramoe::cmd_data_inspect(data);
    else if (*bench_a2a_cmd)
      rc = paramoe::cmd_bench_a2a(bench_a2a);
    else if (*bench_ckpt_cmd)
      rc = paramoe::cmd_bench_ckpt(bench_ckpt);
    else if (*inspect_cmd)
      rc = paramoe::cmd_ckpt_inspect(ckpt);
    else if (*export_cmd)
      rc = paramoe::cmd_ckpt_export(ckpt);
    else if (*grid_cmd)
      rc = paramoe::cmd_bench_grid(bench_grid);
    else if (*calibrate_cmd)
      rc = paramoe::cmd_calibrate(calibrate);
    else if (*plan_cmd && !*plan_a2a_cmd && !*plan_pl_cmd)
      rc = paramoe::cmd_plan_layer(plan_layer);
    else if (*plan_a2a_cmd)
      rc = paramoe::cmd_plan_a2a(plan_a2a);
    else if (*plan_pl_cmd)
      rc = paramoe::cmd_plan_placement(plan_pl);
    else if (*layer_cmd)
      rc = paramoe::cmd_bench_layer(bench);
  } catch (const paramoe::Error& e) {
    if (e.collective()) {
      if (rank == 0) std::fprintf(stderr, "paramoe: error: %s\n", e.what());
      MPI_Finalize();
      return 1;
    }
    paramoe::log_error_any_rank(e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  } catch (const std::exception& e) {
    paramoe::log_error_any_rank(e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return rc;
}
