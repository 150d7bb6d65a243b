#pragma once
// The run configuration, read from TOML. Every key is checked: an unknown key, a
// wrong type or a value out of range is an error that names `section.key` and the
// file, raised identically on every rank (each rank parses the same file).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace paramoe {

struct ParallelConfig {
  int mp = 1;
  int ep = 1;
  int esp = 1;
  int ranks_per_node = 0;  // 0: nodes come from MPI_COMM_TYPE_SHARED
  // HEXA-MoE's heterogeneous split. "speed": work in proportion to each rank's speed
  // (plan.cluster's [device] speeds, or `train --calibrate-speed`): data-centric
  // runs give each data-parallel rank a share of the batch, model-centric runs give
  // each ESP rank a share of the experts' hidden dimension. "even": equal shares.
  std::string split = "even";
};

struct MoeConfig {
  int d_model = 64;
  int d_hidden = 256;
  int num_experts = 8;
  int top_k = 2;
  std::string activation = "gelu";  // gelu | swiglu
  double capacity_factor = 0.0;     // 0: dropless; < 0: dynamic (router_capacity)
  // With a capacity: pad every expert's rows to it, as GShard and Tutel lay out
  // fixed-size expert buffers (the all-to-all and the experts handle the padding
  // too; HEXA-MoE's capacity-padded baseline). Model-centric, CPU only.
  bool pad_to_capacity = false;
  bool renormalize = true;
  double aux_loss_coef = 0.01;
  double z_loss_coef = 0.001;
  std::string schedule = "s1";  // replicated | s1 | s2 | auto (needs plan.cluster)
  int chunks = 2;               // s2: pieces of each all-to-all and all-gather
  // How the EP all-to-all(v) runs: native (MPI_Alltoallv), pairwise (n−1
  // MPI_Sendrecv steps) or ordered (Aurora: rounds in which every rank sends to
  // at most one peer and receives from at most one, ordered by a2a_order), 2dh
  // (Tutel: inside nodes, then one message per node pair; needs EP across nodes)
  // or auto (priced per call).
  std::string a2a = "native";
  std::string a2a_order = "greedy";  // greedy | bvn
  // The rows the EP all-to-all carries: fp32, or bf16 (half the bytes; rounded
  // once each way, the experts still compute on fp32 rows).
  std::string a2a_precision = "fp32";
  // Where the CPU drives the collectives in flight (MPI moves a nonblocking
  // collective's bytes only inside MPI calls): "blocks" polls them between the
  // experts' row blocks as well as while waiting; "waits" only while waiting.
  std::string progress = "blocks";
  // HEXA-MoE's execution modes. model-centric: tokens travel to the experts (the
  // schedule above). data-centric: every rank gathers the layer's expert weights
  // over the expert group, runs all experts on its own tokens and reduce-scatters
  // the weight gradients back (schedule "dc"). auto: the predictor picks per run
  // (needs plan.cluster).
  std::string expert_mode = "model-centric";
  // data-centric: "shared" keeps one gathered layer in a cache all MoE layers share
  // (the next layer's gather overlaps this one's tail); "per-layer" keeps every
  // layer's gathered weights (the memory baseline).
  std::string weight_cache = "shared";
  // Load balancing: "aux" (the aux loss), "bias" (aux-loss-free, DeepSeek-V3: a
  // per-expert bias on the selection scores, moved by ±bias_rate per step toward
  // balance; the aux loss is off) or "none".
  std::string balance = "aux";
  double bias_rate = 0.001;
  // Always-on experts (DeepSeek-MoE, Megatron-Core): one dense FFN of hidden width
  // shared_experts · d_hidden over every token, column/row-parallel over MP, added
  // to the routed output; it computes while the routed rows' all-to-all is in
  // flight. 0: none.
  int shared_experts = 0;
  // Hot-expert shadowing (FasterMoE; moe/expert_shadow.h): "off", "auto" (the
  // hottest experts' weights go to every EP rank for a step when the cost model,
  // priced with plan.cluster's rates, predicts a gain) or "top:N" (always the N
  // hottest). Model-centric execution only.
  std::string shadow = "off";
  // The rates "auto" prices with, set at start-up from plan.cluster (not keys): one
  // rank's GEMM FLOP/s, and the bandwidth (bytes/s) and latency (s) of the link
  // the EP group crosses.
  double shadow_flops_per_s = 0, shadow_link_bytes_per_s = 0, shadow_latency_s = 0;
  // bench.routing as the router applies it (set by the benchmarks; not a key).
  std::string routing_skew = "uniform";
  // Set at start-up by parallel.split = "speed" (model-centric): one weight per ESP
  // index, the experts' hidden dimension split over ESP ranks in proportion. Empty:
  // even slices. Not a config key.
  std::vector<double> esp_weights;
  bool swiglu() const { return activation == "swiglu"; }
  bool data_centric() const { return expert_mode == "data-centric"; }
  // The schedule this config runs: "dc" when data-centric.
  std::string effective_schedule() const { return data_centric() ? "dc" : schedule; }
};

// The model `paramoe train` trains. "stack" is a stack of MoE blocks on a synthetic
// regression task (layer studies); "gpt" and "bert" are transformers (pre-LayerNorm,
// learned positions, tied LM head) with an MoE FFN in every `moe_every`-th block,
// trained on token data ([data]). The width is moe.d_model, the block count
// train.layers and the experts' shape the [moe] section.
// "swin" is a Swin-Transformer image classifier (Swin-MoE): image_size² images of
// `channels` channels cut into patch_size² patches, then stages of depths[i] blocks
// of shifted-window attention over window² patches at width moe.d_model·2^i with
// heads·2^i heads, patch merging between stages, and a pooled linear head over
// `classes`. In stages >= moe_from_stage, blocks i with (i + 1) % moe_every == 0 of
// the stage have an MoE MLP whose d_model and d_hidden double with the stage, as
// the dense MLP's d_ffn does. Its images come from image shards ([data];
// data/image_file.h); model.seq_len is set to the patches per image and
// train.layers to the sum of depths.
struct ModelConfig {
  std::string type = "stack";  // stack | gpt | bert | swin
  int vocab_size = 256;
  int seq_len = 64;
  int heads = 4;
  int d_ffn = 0;      // the dense MLP's hidden width; 0 (as read): 4 · d_model
  int moe_every = 2;  // blocks moe_every−1, 2·moe_every−1, … have an MoE FFN
  double init_std = 0.02;
  double mask_prob = 0.15;  // bert: the share of positions masked-LM predicts
  int pad_token = 256;      // bert: padding (keys masked out of attention)
  int mask_token = 257;     // bert: [MASK]
  // swin
  int image_size = 32;
  int channels = 3;
  int patch_size = 2;
  int window = 4;
  std::vector<int> depths = {2, 2};
  int moe_from_stage = 1;
  int classes = 10;
  bool transformer() const { return type != "stack"; }
  bool language_model() const { return type == "gpt" || type == "bert"; }
  bool swin() const { return type == "swin"; }
  // swin: patches along one side of stage s's feature map, and its window (the map
  // itself where it is no larger than model.window, as Swin does).
  int swin_resolution(size_t stage) const { return (image_size / patch_size) >> stage; }
  int swin_window(size_t stage) const { return std::min(window, swin_resolution(stage)); }
  bool swin_moe_block(size_t stage, int i) const {
    return static_cast<int>(stage) >= moe_from_stage && (i + 1) % moe_every == 0;
  }
};

// Token data for the gpt and bert models: an llm.c/nanoGPT .bin shard of uint16
// tokens, or a plain-text file read as bytes (token = byte value).
struct DataConfig {
  std::string train;  // path; required by gpt and bert
  std::string val;    // path; empty: the last val_fraction of train
  double val_fraction = 0.05;
  std::string format = "auto";  // auto (.bin → bin, else text) | bin | text
};

struct TrainConfig {
  int steps = 40;
  int layers = 2;
  int tokens_per_step = 512;  // global, over all data-parallel shards
  // gpt/bert: the step's sequences (tokens_per_step / model.seq_len) are run in this
  // many micro-batches whose gradients accumulate.
  int micro_batches = 1;
  double grad_clip = 1.0;  // global gradient-norm limit; 0: no clipping
  int val_every = 0;       // gpt/bert: validation loss every N steps (and at the end); 0: never
  int val_batches = 4;     // global batches of validation data per evaluation
  double lr = 3e-3;
  int warmup_steps = 4;
  double min_lr_ratio = 0.1;
  double weight_decay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double adam_eps = 1e-8;
  int64_t seed = 1234;
  int log_every = 1;
  std::string metrics_csv;    // empty: no file
  std::string metrics_jsonl;  // one JSON object per logged step (and validation); empty: none
  // The first MoE layer's EP traffic matrix (rows rank i sends rank j) of the last
  // step, as CSV for `paramoe bench a2a` and `plan a2a`; empty: not written.
  std::string traffic_csv;
};

struct BenchConfig {
  int tokens_per_step = 2048;  // global
  int repeats = 10;
  int warmup = 2;
  std::vector<std::string> schedules = {"replicated", "s1"};
  std::string csv;  // empty: no file
  // "uniform" | "zipf:S" | "hot:F": skewed routing for bench layer and bench grid
  // (core/routing_skew.h).
  std::string routing = "uniform";
};

struct CheckpointConfig {
  std::string dir;     // empty: no checkpoints
  int every = 0;       // write every N steps (and at the end); 0: only at the end and on signals
  int keep = 3;        // newest checkpoints kept in dir
  bool verify = true;  // read each checkpoint back and check its checksums before publishing
  // Stop (with a checkpoint) after this many steps in this invocation, for chains
  // of time-limited jobs that each resume the last; 0: run to train.steps.
  int exit_after = 0;
  // A run without --resume refuses a directory that already holds checkpoints
  // (they belong to another run, and would be overwritten and pruned), unless this.
  bool overwrite = false;
};

// Load-aware expert placement (Aurora). Every `every` steps, each MoE layer's
// routed-row counts since the last plan are summed over all ranks and a new
// placement is planned (lib/plan/placement_plan.h); when its predicted expert
// time beats the current one by `min_gain`, the experts' weights and AdamW
// moments move to their new owners before the next step.
struct PlacementConfig {
  int every = 0;                // 0: experts stay where they start (contiguous)
  std::string policy = "load";  // load | random (a baseline, and a test of the moves)
  double min_gain = 1.05;
  std::vector<double> device_speeds;  // one per world rank (relative); empty: all equal
};

// Where the MoE layers run. On "cuda" each rank drives the GPU of its node-local
// rank (modulo the node's GPUs); the layers' rows move over NCCL when every rank
// has a GPU of its own, else over MPI staged through pinned host memory ("auto"),
// or as `collectives` says.
struct DeviceConfig {
  std::string type = "cpu";          // cpu | cuda
  std::string collectives = "auto";  // auto | nccl | mpi (cuda only)
  std::string precision = "fp32";    // fp32 | bf16: every GEMM's inputs (cuda only)
};

// The collective watchdog (comm/watchdog.h): a wait on peers that lasts longer
// than max(min_seconds, factor × its predicted time) ends the job with a report.
struct WatchdogConfig {
  bool enabled = true;
  double min_seconds = 120.0;
  double factor = 20.0;
};

// The straggler report on every logged step: a rank busier than factor × the
// median rank, by at least a tenth of the step, on three logged steps in a row
// gets a warning line. (Ranks oversubscribed on shared cores are often 1.5-3x the
// median for one short step, a different rank each time.)
struct StragglerConfig {
  double factor = 2.0;
};

// Test-only: world rank slow_rank sleeps slow_seconds in every training step, to
// show the straggler report and the watchdog at work; at step nan_step (1-based)
// every rank's loss is NaN, to show how a diverged run stops (train.lr's bound
// keeps a real divergence out of a short test).
struct DebugConfig {
  int slow_rank = -1;
  double slow_seconds = 0.0;
  int nan_step = 0;  // 0: never
};

// The cost model's inputs for moe.schedule = "auto".
struct PlanConfig {
  std::string cluster;  // a cluster file (inputs/clusters/*.toml); "" : none
};

struct Config {
  ParallelConfig parallel;
  PlanConfig plan;
  DeviceConfig device;
  MoeConfig moe;
  ModelConfig model;
  DataConfig data;
  TrainConfig train;
  BenchConfig bench;
  CheckpointConfig checkpoint;
  PlacementConfig placement;
  WatchdogConfig watchdog;
  StragglerConfig straggler;
  DebugConfig debug;
  std::string origin;       // file name or "<defaults>", used in messages
  std::string source_text;  // the effective TOML, for logs and checkpoints

  // How many MoE layers the model has: every block of the synthetic stack, every
  // moe_every-th block of a transformer (of each MoE stage, for swin).
  int moe_layer_count() const { return static_cast<int>(moe_layer_sites().size()); }
  // Each MoE layer's shape in block order, and how many tokens it sees for one of
  // the first block's (1, or 4^stage for swin's shrinking feature maps): the [moe]
  // section, except swin's width and expert hidden width, which double per stage.
  struct MoeLayerSite {
    MoeConfig moe;
    int64_t token_divisor = 1;
  };
  std::vector<MoeLayerSite> moe_layer_sites() const;
};

// One string key of a checkpoint's stored config (`fallback` when absent, as
// config_parse reads it). Reads that key alone, so a config written by an older
// paramoe still answers: the trainer checks model.type and the data's token
// format this way. (A different vocabulary size needs no check of its own: it
// changes the embedding's shape, which the reader compares.)
std::string config_stored_string(const std::string& toml_text, const std::string& origin,
                                 const char* section, const char* key, const std::string& fallback);

// Parses `path` and applies `overrides` ("section.key=value", TOML values; bare
// words are taken as strings). Throws a collective paramoe::Error on any problem.
Config config_load(const std::string& path, const std::vector<std::string>& overrides = {});
Config config_parse(const std::string& text, const std::string& origin,
                    const std::vector<std::string>& overrides = {});

}  // namespace paramoe
