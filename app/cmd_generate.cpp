// paramoe generate CONFIG --resume CKPT --prompt TEXT [--tokens N --temperature T
// --top-k K --seed S]: samples a continuation of the prompt from a GPT-MoE
// checkpoint under the config's parallel layout (lib/train/generator.h). Rank 0
// prints the text to stdout and the ids and timings to the log.
#include <cstdio>

#include "app/command.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stats.h"
#include "data/byte_tokenizer.h"
#include "data/token_file.h"
#include "train/generator.h"

namespace paramoe {

namespace {

struct GenerateArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume = "latest";
  std::string prompt;
  std::vector<int32_t> prompt_ids;
  int tokens = 32;
  SamplingOptions sampling;
};

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string s;
  for (const int32_t id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

int generate_main(const GenerateArgs& a) {
  const RunContext rc = run_context_create(a.config, a.overrides);
  const bool bytes = token_format_of(rc.config.data.train, rc.config.data.format) == "text";
  if (a.prompt.empty() == a.prompt_ids.empty())
    throw_collective("generate: expected exactly one of --prompt TEXT and --prompt-ids LIST");
  if (!a.prompt.empty() && !bytes)
    throw_collective("--prompt: the model was trained on a .bin token shard (data.train = " +
                     rc.config.data.train +
                     "), whose tokenizer paramoe does not have; give the ids with --prompt-ids");
  const std::vector<int32_t> prompt = a.prompt.empty() ? a.prompt_ids : byte_encode(a.prompt);
  Generator gen(rc, a.resume);
  GenerateTiming t;
  const Generated g = gen.generate({prompt}, a.tokens, a.sampling, &t);
  const std::vector<int32_t>& out = g.tokens.front();
  if (rc.grid->world_rank() == 0) {
    if (bytes)
      std::printf("%s%s\n", byte_decode(prompt).c_str(), byte_decode(out).c_str());
    else
      std::printf("%s\n", ids_text(out).c_str());
    std::fflush(stdout);
  }
  log_info("generated ids: " + ids_text(out));
  std::string logits;
  for (const float v : g.logits.front()) {
    char s[32];
    std::snprintf(s, sizeof s, "%s%.7g", logits.empty() ? "" : " ", static_cast<double>(v));
    logits += s;
  }
  log_info("generated logits: " + logits);
  char line[256];
  std::snprintf(line, sizeof line,
                "generate: prompt %zu tokens in %.4f s; %zu more at a median %.4f s/token "
                "(%.1f tokens/s); %.4f s in MoE layers",
                prompt.size(), t.prefill_seconds, t.step_seconds.size(),
                t.step_seconds.empty() ? 0.0 : median(t.step_seconds),
                t.step_seconds.empty() ? 0.0 : 1.0 / median(t.step_seconds), t.moe_seconds);
  log_info(line);
  return 0;
}

}  // namespace

void add_generate_command(CLI::App& app, Commands& out) {
  auto a = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "generate", "sample text from a GPT-MoE checkpoint, under any parallel layout (KV cache)");
  add_config_options(cmd, a->config, a->overrides);
  cmd->add_option("--resume", a->resume,
                  "the checkpoint: 'latest' in checkpoint.dir (the default), a checkpoint "
                  "directory, or a .h5 file");
  cmd->add_option("--prompt", a->prompt, "the prompt as text (byte-level models)");
  cmd->add_option("--prompt-ids", a->prompt_ids,
                  "the prompt as token ids, e.g. 15496,11 (models trained on .bin shards)")
      ->delimiter(',');
  cmd->add_option("--tokens", a->tokens, "tokens to generate (prompt + tokens <= model.seq_len)");
  cmd->add_option("--temperature", a->sampling.temperature,
                  "0 (the default): greedy; > 0: sample from softmax(logits / T)");
  cmd->add_option("--top-k", a->sampling.top_k, "sample among the K likeliest tokens (0: all)");
  cmd->add_option("--seed", a->sampling.seed, "the sampling seed");
  out.push_back({cmd, [a] { return generate_main(*a); }});
}

}  // namespace paramoe
