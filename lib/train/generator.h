#pragma once
// Text generation from a trained GPT-MoE checkpoint (`paramoe generate`, and the
// requests of `paramoe bench infer`): the prompts run through the model once
// (prefill), then one token at a time over the attention layers' KV caches, the
// MoE layers running their distributed forward under the config's layout. Each
// data-parallel shard (MP group) serves its own sequences, as training holds a
// shard; the MP group's first rank chooses each token and its choice is
// broadcast, so that the group continues one text whatever rounding its layout
// gives. (`paramoe generate` gives every shard the same prompt.)
#include <cstdint>
#include <string>
#include <vector>

#include "model/transformer.h"
#include "train/run_context.h"

namespace paramoe {

struct SamplingOptions {
  double temperature = 0.0;  // 0: greedy (the likeliest token, the lowest id on ties)
  int top_k = 0;             // > 0: sample among the k likeliest tokens only
  uint64_t seed = 1;
};

// The next token from one sequence's logits over the whole vocabulary. `draw`
// numbers the random draw (sequence and position), so a run is reproducible.
int32_t sample_token(const float* logits, int64_t vocab, const SamplingOptions& o, uint64_t draw);

struct Generated {
  std::vector<std::vector<int32_t>> tokens;  // per sequence, the new tokens
  std::vector<std::vector<float>> logits;    // each new token's logit (rank 0's), for checks
};

struct GenerateTiming {
  double prefill_seconds = 0;        // the prompts' forward, to the first new token
  std::vector<double> step_seconds;  // each later token's forward and choice
  double moe_seconds = 0;            // in MoE layers, this rank
  // Of which in their compute steps (neither collectives nor waits).
  double moe_compute_seconds = 0;
};

class Generator {
 public:
  // Builds the config's model (model.type = "gpt") and loads the parameters of
  // `checkpoint` ("latest", a checkpoint directory or a .h5 file) under rc's layout;
  // empty: keeps the initial weights (benchmarks).
  // The MoE layers run dropless (capacity_factor 0), so that a token's output does
  // not depend on which other tokens share its step. Collective.
  Generator(const RunContext& rc, const std::string& checkpoint);

  // Continues every prompt (all of one length) by `tokens` tokens. Prompt ids must be in [0,
  // vocab_size) and prompt + tokens must fit model.seq_len (collective Errors otherwise).
  // Collective.
  Generated generate(const std::vector<std::vector<int32_t>>& prompts, int tokens,
                     const SamplingOptions& sampling, GenerateTiming* timing = nullptr);
  TransformerModel& model() { return model_; }

 private:
  // Every sequence's last logits over the whole vocabulary, [batch, vocab], from
  // this rank's slice (MP ranks hold a slice each).
  std::vector<float> full_logits(const std::vector<float>& slice, int64_t batch);

  const RunContext& rc_;
  std::vector<MoeConfig> moe_layers_;  // rc's, dropless
  TransformerModel model_;
  std::string path_;
};

}  // namespace paramoe
