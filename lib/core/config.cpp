#include "core/config.h"

#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/routing_skew.h"
#include "core/shadow_mode.h"
#include "core/toml_keys.h"

namespace paramoe {
namespace {

void require(bool ok, const std::string& origin, const char* section, const char* key,
             const std::string& expected) {
  if (!ok) throw_collective(where(origin, section, key) + ": expected " + expected);
}

// swin: the keys its shape fixes. train.layers is the sum of depths (a different
// value given is an error, not silently replaced) and model.seq_len the patches
// per image, which is what the trainer's sequences are.
void swin_derive(const toml::table& root, Config& c) {
  ModelConfig& md = c.model;
  int blocks = 0;
  for (int d : md.depths) blocks += std::max(d, 0);
  if (blocks < 1) return;  // validate_swin names the bad depths
  if (root["train"]["layers"] && c.train.layers != blocks)
    throw_collective(where(c.origin, "train", "layers") + ": expected " + std::to_string(blocks) +
                     " (the sum of model.depths) for model.type = \"swin\", or leave it out");
  c.train.layers = blocks;
  if (md.patch_size >= 1)
    md.seq_len = (md.image_size / md.patch_size) * (md.image_size / md.patch_size);
}

void validate_swin(const Config& c) {
  const std::string& o = c.origin;
  const ModelConfig& md = c.model;
  const int stages = static_cast<int>(md.depths.size());
  require(c.device.type == "cpu", o, "device", "type",
          "\"cpu\" for model.type = \"swin\" (its window attention has no CUDA kernel yet)");
  require(md.image_size >= 1, o, "model", "image_size", "an integer >= 1 (pixels per side)");
  require(md.channels >= 1 && md.channels <= 4, o, "model", "channels", "an integer in [1, 4]");
  require(md.patch_size >= 1 && md.image_size % md.patch_size == 0, o, "model", "patch_size",
          "an integer >= 1 that divides model.image_size = " + std::to_string(md.image_size));
  require(
      stages >= 1 && std::all_of(md.depths.begin(), md.depths.end(), [](int d) { return d >= 1; }),
      o, "model", "depths", "a non-empty array of block counts >= 1, one per stage");
  const int side = md.image_size / md.patch_size;
  require(side % (1 << (stages - 1)) == 0, o, "model", "depths",
          std::to_string(stages) + " stages: the " + std::to_string(side) + "x" +
              std::to_string(side) +
              " patch grid (image_size / patch_size) must halve evenly at each patch merging, "
              "i.e. be a multiple of 2^(stages - 1) = " +
              std::to_string(1 << (stages - 1)));
  require(md.window >= 1, o, "model", "window", "an integer >= 1 (patches per window side)");
  for (int s = 0; s < stages; ++s) {
    const int r = md.swin_resolution(static_cast<size_t>(s));
    require(r % md.swin_window(static_cast<size_t>(s)) == 0, o, "model", "window",
            "a window that divides every stage's feature map; stage " + std::to_string(s) +
                " has " + std::to_string(r) + "x" + std::to_string(r) + " patches and window " +
                std::to_string(md.window) + " does not divide " + std::to_string(r));
  }
  require(md.heads >= 1 && c.moe.d_model % md.heads == 0, o, "model", "heads",
          "an integer >= 1 that divides moe.d_model = " + std::to_string(c.moe.d_model) +
              " (stage 0's heads; they double with the width)");
  require(md.d_ffn >= 1, o, "model", "d_ffn", "an integer >= 0 (0 = 4 * moe.d_model)");
  require(md.classes >= 2, o, "model", "classes", "an integer >= 2");
  require(md.init_std > 0.0 && md.init_std <= 1.0, o, "model", "init_std",
          "a number in (0, 1] (typical 0.02)");
  require(md.moe_from_stage >= 0 && md.moe_from_stage < stages, o, "model", "moe_from_stage",
          "a stage index in [0, " + std::to_string(stages) + ")");
  bool any_moe = false;
  for (int s = md.moe_from_stage; s < stages; ++s)
    any_moe |= md.depths[static_cast<size_t>(s)] >= md.moe_every;
  require(md.moe_every >= 1 && any_moe, o, "model", "moe_every",
          "an integer >= 1 that leaves at least one MoE block in the stages from "
          "model.moe_from_stage on");
  const int64_t per_step = static_cast<int64_t>(md.seq_len) * c.train.micro_batches;
  require(c.train.tokens_per_step % per_step == 0, o, "train", "tokens_per_step",
          "for model.type = \"swin\", images per step x patches per image (" +
              std::to_string(md.seq_len) + "), a multiple of " + std::to_string(per_step) +
              " with train.micro_batches = " + std::to_string(c.train.micro_batches));
  require(!c.data.train.empty(), o, "data", "train",
          "an image shard (paramoe data images) for model.type = \"swin\"");
}

void validate(const Config& c) {
  const std::string& o = c.origin;
  require(c.parallel.mp >= 1, o, "parallel", "mp", "an integer >= 1");
  require(c.parallel.ep >= 1, o, "parallel", "ep", "an integer >= 1");
  require(c.parallel.esp >= 1, o, "parallel", "esp", "an integer >= 1");
  require(c.parallel.ranks_per_node >= 0, o, "parallel", "ranks_per_node",
          "an integer >= 0 (0 = detect nodes)");
  require(c.parallel.split == "even" || c.parallel.split == "speed", o, "parallel", "split",
          "\"even\" or \"speed\"");
  require(c.device.type == "cpu" || c.device.type == "cuda" || c.device.type == "emulated-gpu", o,
          "device", "type", "\"cpu\", \"cuda\" or \"emulated-gpu\"");
  require(c.device.collectives == "auto" || c.device.collectives == "nccl" ||
              c.device.collectives == "mpi",
          o, "device", "collectives", "\"auto\", \"nccl\" or \"mpi\"");
  require(c.device.precision == "fp32" || c.device.precision == "bf16", o, "device", "precision",
          "\"fp32\" or \"bf16\"");
  require(c.device.precision == "fp32" || c.device.type == "cuda", o, "device", "precision",
          "\"fp32\" with device.type = \"cpu\" (bf16 GEMMs run on \"cuda\")");
  const MoeConfig& m = c.moe;
  require(m.d_model >= 1, o, "moe", "d_model", "an integer >= 1");
  require(m.d_hidden >= 1, o, "moe", "d_hidden", "an integer >= 1");
  require(m.num_experts >= 1, o, "moe", "num_experts", "an integer >= 1");
  require(m.top_k >= 1 && m.top_k <= m.num_experts, o, "moe", "top_k",
          "an integer in [1, num_experts = " + std::to_string(m.num_experts) + "]");
  require(m.activation == "gelu" || m.activation == "swiglu", o, "moe", "activation",
          "\"gelu\" or \"swiglu\"");
  // Bounds a real run never reaches: past them a typo, not a setting (README, Config).
  require(std::abs(m.capacity_factor) <= m.num_experts &&
              (m.capacity_factor >= 0.0 || m.capacity_factor <= -1.0),
          o, "moe", "capacity_factor",
          "a number in [0, moe.num_experts = " + std::to_string(m.num_experts) +
              "] (0 = dropless; at num_experts every expert can hold every token), or in [-" +
              std::to_string(m.num_experts) +
              ", -1] for a dynamic capacity (min(|f|·T·k/E, the busiest expert's load))");
  require(m.aux_loss_coef >= 0.0 && m.aux_loss_coef <= 1.0, o, "moe", "aux_loss_coef",
          "a number in [0, 1] (typical 0.01)");
  require(m.z_loss_coef >= 0.0 && m.z_loss_coef <= 1.0, o, "moe", "z_loss_coef",
          "a number in [0, 1] (typical 0.001)");
  require(m.schedule == "replicated" || m.schedule == "s1" || m.schedule == "s2" ||
              m.schedule == "auto",
          o, "moe", "schedule", "\"replicated\", \"s1\", \"s2\" or \"auto\"");
  require(m.schedule != "auto" || !c.plan.cluster.empty(), o, "plan", "cluster",
          "a cluster file (inputs/clusters/*.toml) when moe.schedule = \"auto\"");
  require(m.a2a != "auto" || !c.plan.cluster.empty(), o, "plan", "cluster",
          "a cluster file (inputs/clusters/*.toml) when moe.a2a = \"auto\"");
  require(m.chunks >= 1, o, "moe", "chunks", "an integer >= 1");
  require(m.a2a == "native" || m.a2a == "pairwise" || m.a2a == "ordered" || m.a2a == "2dh" ||
              m.a2a == "auto",
          o, "moe", "a2a", "\"native\", \"pairwise\", \"ordered\", \"2dh\" or \"auto\"");
  require(m.a2a_precision == "fp32" || m.a2a_precision == "bf16", o, "moe", "a2a_precision",
          "\"fp32\" or \"bf16\"");
  require(m.a2a_order == "greedy" || m.a2a_order == "bvn", o, "moe", "a2a_order",
          "\"greedy\" or \"bvn\"");
  require(m.progress == "blocks" || m.progress == "waits" || m.progress == "thread", o, "moe",
          "progress", "\"blocks\", \"waits\" or \"thread\"");
  require(m.expert_mode == "model-centric" || m.expert_mode == "data-centric" ||
              m.expert_mode == "auto",
          o, "moe", "expert_mode", "\"model-centric\", \"data-centric\" or \"auto\"");
  require(m.expert_mode != "auto" || !c.plan.cluster.empty(), o, "plan", "cluster",
          "a cluster file (inputs/clusters/*.toml) when moe.expert_mode = \"auto\"");
  require(m.balance == "aux" || m.balance == "bias" || m.balance == "none", o, "moe", "balance",
          "\"aux\", \"bias\" or \"none\"");
  require(m.bias_rate > 0.0 && m.bias_rate <= 0.1, o, "moe", "bias_rate",
          "a number in (0, 0.1] (typical 0.001)");
  // Refusals off the host name the device type the run asked for (emulated-gpu
  // refuses what the GPU refuses).
  const std::string off_host = "with device.type = \"" + c.device.type + "\"";
  require(m.balance != "bias" || c.device.type == "cpu", o, "moe", "balance",
          "\"aux\" or \"none\" " + off_host + " (the GPU router has no selection bias yet)");
  require(m.shared_experts >= 0 && m.shared_experts <= 64, o, "moe", "shared_experts",
          "an integer in [0, 64]");
  require(m.shared_experts == 0 || c.device.type == "cpu", o, "moe", "shared_experts",
          "0 " + off_host + " (shared experts have not run on a GPU yet)");
  ShadowMode shadow;
  require(shadow_parse(m.shadow, m.num_experts, shadow), o, "moe", "shadow",
          "\"off\", \"auto\" or \"top:N\" with 1 <= N <= moe.num_experts = " +
              std::to_string(m.num_experts));
  require(!m.pad_to_capacity || (m.capacity_factor != 0.0 && m.expert_mode == "model-centric" &&
                                 m.shadow == "off" && c.device.type == "cpu"),
          o, "moe", "pad_to_capacity",
          "false, or true with a capacity (moe.capacity_factor != 0), moe.expert_mode = "
          "\"model-centric\", moe.shadow = \"off\" and device.type = \"cpu\"");
  require(m.shadow == "off" || c.device.type == "cpu", o, "moe", "shadow",
          "\"off\" " + off_host + " (shadowed experts have not run on a GPU yet)");
  require(m.shadow == "off" || m.expert_mode != "data-centric", o, "moe", "shadow",
          "\"off\" with moe.expert_mode = \"data-centric\" (every expert's weights travel "
          "there already)");
  require(m.shadow != "auto" || !c.plan.cluster.empty(), o, "plan", "cluster",
          "a cluster file (inputs/clusters/*.toml) when moe.shadow = \"auto\"");
  require(m.weight_cache == "shared" || m.weight_cache == "per-layer", o, "moe", "weight_cache",
          "\"shared\" or \"per-layer\"");
  const TrainConfig& t = c.train;
  require(t.steps >= 0, o, "train", "steps", "an integer >= 0");
  require(t.layers >= 1, o, "train", "layers", "an integer >= 1");
  require(t.tokens_per_step >= 1, o, "train", "tokens_per_step", "an integer >= 1");
  require(t.lr > 0.0 && t.lr <= 1.0, o, "train", "lr", "a number in (0, 1] (typical 1e-4 to 3e-3)");
  require(t.warmup_steps >= 0, o, "train", "warmup_steps", "an integer >= 0");
  require(t.min_lr_ratio >= 0.0 && t.min_lr_ratio <= 1.0, o, "train", "min_lr_ratio",
          "a number in [0, 1]");
  require(t.weight_decay >= 0.0 && t.weight_decay <= 1.0, o, "train", "weight_decay",
          "a number in [0, 1] (typical 0.01 to 0.1)");
  require(t.beta1 >= 0.0 && t.beta1 < 1.0, o, "train", "beta1", "a number in [0, 1)");
  require(t.beta2 >= 0.0 && t.beta2 < 1.0, o, "train", "beta2", "a number in [0, 1)");
  require(t.adam_eps > 0.0 && t.adam_eps <= 0.1, o, "train", "adam_eps",
          "a number in (0, 0.1] (typical 1e-8)");
  require(t.log_every >= 1, o, "train", "log_every", "an integer >= 1");
  require(t.micro_batches >= 1, o, "train", "micro_batches", "an integer >= 1");
  require(t.grad_clip >= 0.0, o, "train", "grad_clip", "a number >= 0 (0 = no clipping)");
  require(t.val_every >= 0, o, "train", "val_every", "an integer >= 0 (0 = no validation)");
  require(t.val_batches >= 1, o, "train", "val_batches", "an integer >= 1");
  const ModelConfig& md = c.model;
  require(md.type == "stack" || md.type == "gpt" || md.type == "bert" || md.type == "swin", o,
          "model", "type", "\"stack\", \"gpt\", \"bert\" or \"swin\"");
  if (md.swin()) validate_swin(c);
  if (md.language_model()) {
    require(md.vocab_size >= 2, o, "model", "vocab_size", "an integer >= 2");
    require(md.seq_len >= 1, o, "model", "seq_len", "an integer >= 1");
    require(md.heads >= 1 && m.d_model % md.heads == 0, o, "model", "heads",
            "an integer >= 1 that divides moe.d_model = " + std::to_string(m.d_model));
    require(md.d_ffn >= 1, o, "model", "d_ffn", "an integer >= 0 (0 = 4 * moe.d_model)");
    require(md.moe_every >= 1 && md.moe_every <= c.train.layers, o, "model", "moe_every",
            "an integer in [1, train.layers = " + std::to_string(c.train.layers) +
                "] (the model needs at least one MoE block)");
    require(md.init_std > 0.0 && md.init_std <= 1.0, o, "model", "init_std",
            "a number in (0, 1] (typical 0.02)");
    require(md.mask_prob > 0.0 && md.mask_prob < 1.0, o, "model", "mask_prob",
            "a number in (0, 1)");
    if (md.type == "bert") {
      require(md.pad_token >= 0 && md.pad_token < md.vocab_size, o, "model", "pad_token",
              "a token id in [0, vocab_size = " + std::to_string(md.vocab_size) + ")");
      require(md.mask_token >= 0 && md.mask_token < md.vocab_size && md.mask_token != md.pad_token,
              o, "model", "mask_token", "a token id in [0, vocab_size) other than model.pad_token");
    }
    const int64_t per_step = static_cast<int64_t>(md.seq_len) * t.micro_batches;
    require(t.tokens_per_step % per_step == 0, o, "train", "tokens_per_step",
            "a multiple of model.seq_len * train.micro_batches = " + std::to_string(per_step));
    require(!c.data.train.empty(), o, "data", "train",
            "a token file (.bin shard or text) for model.type = \"" + md.type + "\"");
  }
  const DataConfig& dc = c.data;
  require(dc.val_fraction > 0.0 && dc.val_fraction < 1.0, o, "data", "val_fraction",
          "a number in (0, 1)");
  require(dc.format == "auto" || dc.format == "bin" || dc.format == "text", o, "data", "format",
          "\"auto\", \"bin\" or \"text\"");
  const BenchConfig& b = c.bench;
  require(b.tokens_per_step >= 1, o, "bench", "tokens_per_step", "an integer >= 1");
  require(b.repeats >= 1, o, "bench", "repeats", "an integer >= 1");
  require(b.warmup >= 0, o, "bench", "warmup", "an integer >= 0");
  require(c.checkpoint.every >= 0, o, "checkpoint", "every",
          "an integer >= 0 (0 = only at the end and on SIGUSR1/SIGTERM)");
  require(c.checkpoint.keep >= 1, o, "checkpoint", "keep", "an integer >= 1");
  require(c.checkpoint.exit_after >= 0, o, "checkpoint", "exit_after",
          "an integer >= 0 (0 = run to train.steps)");
  const PlacementConfig& pl = c.placement;
  require(pl.every >= 0, o, "placement", "every", "an integer >= 0 (0 = never move experts)");
  require(pl.policy == "load" || pl.policy == "random", o, "placement", "policy",
          "\"load\" or \"random\"");
  require(pl.min_gain >= 1.0, o, "placement", "min_gain", "a number >= 1");
  for (double v : pl.device_speeds)
    require(v > 0.0, o, "placement", "device_speeds", "positive numbers (relative speeds)");
  require(c.watchdog.min_seconds > 0.0, o, "watchdog", "min_seconds", "a number of seconds > 0");
  require(c.watchdog.factor >= 1.0, o, "watchdog", "factor", "a number >= 1");
  require(c.straggler.factor > 1.0, o, "straggler", "factor", "a number > 1");
  require(c.debug.slow_rank >= -1, o, "debug", "slow_rank", "a world rank, or -1 (none)");
  require(c.debug.slow_seconds >= 0.0 && c.debug.slow_seconds <= 60.0, o, "debug", "slow_seconds",
          "a number of seconds in [0, 60]");
  require(c.debug.nan_step >= 0, o, "debug", "nan_step", "an integer >= 0 (0 = never)");
  RoutingSkew skew;
  require(routing_skew_parse(b.routing, c.moe.top_k, skew), o, "bench", "routing",
          std::string(kRoutingSkewExpected) + ", got \"" + b.routing + "\"");
  require(
      b.routing == "uniform" || c.device.type == "cpu", o, "bench", "routing",
      "\"uniform\" with device.type = \"" + c.device.type + "\" (the GPU router takes no skew)");
  require(!b.schedules.empty(), o, "bench", "schedules", "a non-empty list");
  for (const auto& s : b.schedules) {
    const bool shadowed = s.size() > 7 && s.ends_with("+shadow");
    const std::string base = shadowed ? s.substr(0, s.size() - 7) : s;
    require(base == "replicated" || base == "s1" || base == "s2", o, "bench", "schedules",
            "entries \"replicated\", \"s1\" or \"s2\", each optionally with \"+shadow\", got "
            "\"" +
                s + "\"");
    require(!shadowed || !c.plan.cluster.empty(), o, "plan", "cluster",
            "a cluster file (inputs/clusters/*.toml) for the bench's \"+shadow\" variants");
  }
}

// Turns "moe.top_k=2" into a one-line TOML document and merges it into root.
void apply_override(toml::table& root, const std::string& origin, const std::string& ov) {
  const auto eq = ov.find('=');
  const auto dot = ov.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    throw_collective("--set " + ov + ": expected section.key=value");
  const std::string section = ov.substr(0, dot);
  const std::string key = ov.substr(dot + 1, eq - dot - 1);
  const std::string value = ov.substr(eq + 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", value}};  // a bare word is a string
  }
  if (!root.contains(section)) root.insert(section, toml::table{});
  toml::table* sec = root[section].as_table();
  if (!sec) throw_collective(origin + ": [" + section + "] must be a table");
  sec->insert_or_assign(key, *parsed.get("v"));
}

}  // namespace

std::string config_stored_string(const std::string& toml_text, const std::string& origin,
                                 const char* section, const char* key,
                                 const std::string& fallback) {
  const toml::table root = parse_toml(toml_text, origin);
  return root[section][key].value_or(fallback);
}

Config config_parse(const std::string& text, const std::string& origin,
                    const std::vector<std::string>& overrides) {
  toml::table root = parse_toml(text, origin);
  for (const auto& ov : overrides) apply_override(root, origin, ov);

  static const char* sections[] = {"parallel", "device",    "moe",        "model",     "data",
                                   "train",    "bench",     "checkpoint", "placement", "plan",
                                   "watchdog", "straggler", "debug"};
  for (const auto& [k, v] : root) {
    bool known = false;
    std::string names;
    for (const char* s : sections) {
      known |= (k.str() == s);
      names += (names.empty() ? "" : ", ") + std::string(s);
    }
    if (!known)
      throw_collective(origin + ": unknown section [" + std::string(k.str()) +
                       "] (known: " + names + ")");
  }

  // Without model.type the synthetic stack would train and [model] and [data]
  // would be ignored without a word.
  const toml::table* model = root["model"].as_table();
  if ((root.contains("model") || root.contains("data")) && !(model && model->contains("type")))
    throw_collective(
        origin +
        ": model.type: expected \"gpt\", \"bert\", \"swin\" or \"stack\" whenever [model] "
        "or [data] is given (without it the synthetic stack would train and ignore "
        "them)");

  Config c;
  c.origin = origin;
  read_section(
      root, origin, "parallel",
      {int_key("mp", c.parallel.mp), int_key("ep", c.parallel.ep), int_key("esp", c.parallel.esp),
       int_key("ranks_per_node", c.parallel.ranks_per_node),
       string_key("split", c.parallel.split)});
  read_section(root, origin, "plan", {string_key("cluster", c.plan.cluster)});
  read_section(root, origin, "device",
               {string_key("type", c.device.type), string_key("collectives", c.device.collectives),
                string_key("precision", c.device.precision)});
  MoeConfig& m = c.moe;
  read_section(root, origin, "moe",
               {int_key("d_model", m.d_model),
                int_key("d_hidden", m.d_hidden),
                int_key("num_experts", m.num_experts),
                int_key("top_k", m.top_k),
                string_key("activation", m.activation),
                double_key("capacity_factor", m.capacity_factor),
                bool_key("pad_to_capacity", m.pad_to_capacity),
                bool_key("renormalize", m.renormalize),
                double_key("aux_loss_coef", m.aux_loss_coef),
                double_key("z_loss_coef", m.z_loss_coef),
                string_key("schedule", m.schedule),
                int_key("chunks", m.chunks),
                string_key("a2a", m.a2a),
                string_key("a2a_order", m.a2a_order),
                string_key("a2a_precision", m.a2a_precision),
                string_key("progress", m.progress),
                string_key("expert_mode", m.expert_mode),
                string_key("balance", m.balance),
                double_key("bias_rate", m.bias_rate),
                int_key("shared_experts", m.shared_experts),
                string_key("shadow", m.shadow),
                string_key("weight_cache", m.weight_cache)});
  ModelConfig& md = c.model;
  read_section(
      root, origin, "model",
      {string_key("type", md.type), int_key("vocab_size", md.vocab_size),
       int_key("seq_len", md.seq_len), int_key("heads", md.heads), int_key("d_ffn", md.d_ffn),
       int_key("moe_every", md.moe_every), double_key("init_std", md.init_std),
       double_key("mask_prob", md.mask_prob), int_key("pad_token", md.pad_token),
       int_key("mask_token", md.mask_token), int_key("image_size", md.image_size),
       int_key("channels", md.channels), int_key("patch_size", md.patch_size),
       int_key("window", md.window), int_list_key("depths", md.depths),
       int_key("moe_from_stage", md.moe_from_stage), int_key("classes", md.classes)});
  if (md.d_ffn == 0) md.d_ffn = 4 * m.d_model;
  DataConfig& dc = c.data;
  read_section(root, origin, "data",
               {string_key("train", dc.train), string_key("val", dc.val),
                double_key("val_fraction", dc.val_fraction), string_key("format", dc.format)});
  TrainConfig& t = c.train;
  read_section(
      root, origin, "train",
      {int_key("steps", t.steps), int_key("layers", t.layers),
       int_key("tokens_per_step", t.tokens_per_step), double_key("lr", t.lr),
       int_key("warmup_steps", t.warmup_steps), double_key("min_lr_ratio", t.min_lr_ratio),
       double_key("weight_decay", t.weight_decay), double_key("beta1", t.beta1),
       double_key("beta2", t.beta2), double_key("adam_eps", t.adam_eps), int64_key("seed", t.seed),
       int_key("log_every", t.log_every), string_key("metrics_csv", t.metrics_csv),
       string_key("metrics_jsonl", t.metrics_jsonl), int_key("micro_batches", t.micro_batches),
       double_key("grad_clip", t.grad_clip), int_key("val_every", t.val_every),
       int_key("val_batches", t.val_batches), string_key("traffic_csv", t.traffic_csv)});
  BenchConfig& b = c.bench;
  read_section(root, origin, "bench",
               {int_key("tokens_per_step", b.tokens_per_step), int_key("repeats", b.repeats),
                int_key("warmup", b.warmup), string_list_key("schedules", b.schedules),
                string_key("csv", b.csv), string_key("routing", b.routing)});
  CheckpointConfig& ck = c.checkpoint;
  read_section(root, origin, "checkpoint",
               {string_key("dir", ck.dir), int_key("every", ck.every), int_key("keep", ck.keep),
                bool_key("verify", ck.verify), int_key("exit_after", ck.exit_after),
                bool_key("overwrite", ck.overwrite)});
  PlacementConfig& pl = c.placement;
  read_section(
      root, origin, "placement",
      {int_key("every", pl.every), string_key("policy", pl.policy),
       double_key("min_gain", pl.min_gain), double_list_key("device_speeds", pl.device_speeds)});
  read_section(
      root, origin, "watchdog",
      {bool_key("enabled", c.watchdog.enabled), double_key("min_seconds", c.watchdog.min_seconds),
       double_key("factor", c.watchdog.factor)});
  read_section(root, origin, "straggler", {double_key("factor", c.straggler.factor)});
  read_section(
      root, origin, "debug",
      {int_key("slow_rank", c.debug.slow_rank), double_key("slow_seconds", c.debug.slow_seconds),
       int_key("nan_step", c.debug.nan_step)});
  if (md.swin()) swin_derive(root, c);
  validate(c);
  std::ostringstream effective;
  effective << root;
  c.source_text = effective.str();
  return c;
}

std::vector<Config::MoeLayerSite> Config::moe_layer_sites() const {
  std::vector<MoeLayerSite> out;
  if (!model.transformer())
    return std::vector<MoeLayerSite>(static_cast<size_t>(train.layers), {moe, 1});
  if (!model.swin())
    return std::vector<MoeLayerSite>(static_cast<size_t>(train.layers / model.moe_every), {moe, 1});
  for (size_t s = 0; s < model.depths.size(); ++s)
    for (int i = 0; i < model.depths[s]; ++i) {
      if (!model.swin_moe_block(s, i)) continue;
      MoeLayerSite site{moe, int64_t{1} << (2 * s)};
      site.moe.d_model = moe.d_model << s;
      site.moe.d_hidden = moe.d_hidden << s;
      out.push_back(site);
    }
  return out;
}

Config config_load(const std::string& path, const std::vector<std::string>& overrides) {
  return config_parse(read_toml_text(path, "config file"), path, overrides);
}

}  // namespace paramoe
