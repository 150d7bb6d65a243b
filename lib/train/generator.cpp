#include "train/generator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ckpt/checkpoint_dir.h"
#include "ckpt/checkpoint_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/row_split.h"
#include "core/timer.h"
#include "train/train_state.h"

namespace paramoe {

namespace {

std::vector<MoeConfig> dropless(std::vector<MoeConfig> layers) {
  for (MoeConfig& m : layers) m.capacity_factor = 0.0;
  return layers;
}

const RunContext& require_gpt(const RunContext& rc) {
  const Config& c = rc.config;
  if (c.model.type != "gpt")
    throw_collective(c.origin + ": model.type = \"" + c.model.type +
                     "\": generation needs a causal language model, expected \"gpt\"");
  if (c.device.type != "cpu")
    throw_collective(c.origin + ": device.type = \"" + c.device.type +
                     "\": generation runs on \"cpu\" (no GPU kernel for the KV cache yet)");
  return rc;
}

}  // namespace

int32_t sample_token(const float* logits, int64_t vocab, const SamplingOptions& o, uint64_t draw) {
  if (o.temperature <= 0.0)
    return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
  std::vector<int32_t> ids(static_cast<size_t>(vocab));
  std::iota(ids.begin(), ids.end(), 0);
  int64_t keep = vocab;
  if (o.top_k > 0 && o.top_k < vocab) {
    keep = o.top_k;
    std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(),
                      [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  }
  float mx = logits[ids[0]];
  for (int64_t i = 0; i < keep; ++i) mx = std::max(mx, logits[ids[i]]);
  std::vector<double> w(static_cast<size_t>(keep));
  double total = 0.0;
  for (int64_t i = 0; i < keep; ++i)
    total += (w[i] = std::exp((static_cast<double>(logits[ids[i]]) - mx) / o.temperature));
  double u = uniform01(o.seed, stream_id("generate/sample"), draw) * total;
  for (int64_t i = 0; i < keep; ++i)
    if ((u -= w[i]) < 0.0) return ids[i];
  return ids[keep - 1];
}

Generator::Generator(const RunContext& rc, const std::string& checkpoint)
    : rc_(require_gpt(rc)),
      moe_layers_(dropless(rc.moe_layers)),
      model_(rc.config, moe_layers_, *rc.layers.coll, static_cast<uint64_t>(rc.config.train.seed),
             rc.layers.make, rc.layers.make_dense) {
  if (checkpoint.empty()) return;
  MPI_Comm world = rc.grid->comm(Group::World);
  path_ = checkpoint_resolve(checkpoint, rc.config.checkpoint.dir, world);
  if (path_.empty())
    throw_collective("--resume " + checkpoint + ": no checkpoint in " + rc.config.checkpoint.dir +
                     "; expected a directory with checkpoints or an .h5 file");
  std::vector<TensorSlab> slabs;
  for (Param* p : model_.params()) slabs.push_back(slab_like(*p, "params/", p->value.data()));
  for (TensorSlab& b : balance_bias_slabs(model_.moe_layers())) slabs.push_back(b);
  const CheckpointMeta meta = checkpoint_read(path_, world, slabs, "optimizer/");
  checkpoint_require_same_model(meta, path_, rc.config);
  model_.load_params();
  model_.values_changed();
  log_info("generate: " + path_ + " at step " + std::to_string(meta.step));
}

std::vector<float> Generator::full_logits(const std::vector<float>& slice, int64_t batch) {
  const ProcessGrid& g = *rc_.grid;
  const int64_t V = rc_.config.model.vocab_size;
  const int mp = g.size(Group::Mp);
  if (mp == 1) return slice;
  // The slices are gathered as vocabulary rows of `batch` floats, then transposed.
  std::vector<int> rows(static_cast<size_t>(mp));
  for (int r = 0; r < mp; ++r) {
    int64_t v0 = 0, n = 0;
    split_rows(V, mp, r, v0, n);
    rows[static_cast<size_t>(r)] = static_cast<int>(n);
  }
  const int64_t mine = rows[static_cast<size_t>(g.index().mp)];
  std::vector<float> t(static_cast<size_t>(mine * batch)), all(static_cast<size_t>(V * batch));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t v = 0; v < mine; ++v) t[v * batch + b] = slice[b * mine + v];
  rc_.coll->allgatherv_rows(Group::Mp, t.data(), all.data(), rows, static_cast<int>(batch));
  std::vector<float> out(static_cast<size_t>(V * batch));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t v = 0; v < V; ++v) out[b * V + v] = all[v * batch + b];
  return out;
}

Generated Generator::generate(const std::vector<std::vector<int32_t>>& prompts, int tokens,
                              const SamplingOptions& sampling, GenerateTiming* timing) {
  const ModelConfig& m = rc_.config.model;
  const auto B = static_cast<int64_t>(prompts.size());
  if (B == 0 || prompts[0].empty()) throw_collective("generate: expected a non-empty prompt");
  const auto P = static_cast<int64_t>(prompts[0].size());
  if (tokens <= 0)
    throw_collective("--tokens " + std::to_string(tokens) +
                     ": expected at least 1 token to generate");
  if (P + tokens > m.seq_len)
    throw_collective("--tokens " + std::to_string(tokens) + ": the prompt's " + std::to_string(P) +
                     " tokens + " + std::to_string(tokens) + " exceed model.seq_len = " +
                     std::to_string(m.seq_len) + " (the positions the model was trained for)");
  std::vector<int32_t> ids;
  ids.reserve(static_cast<size_t>(B * P));
  for (int64_t b = 0; b < B; ++b) {
    if (static_cast<int64_t>(prompts[b].size()) != P)
      throw_collective("generate: the prompts of one batch must have one length");
    for (const int32_t id : prompts[b]) {
      if (id < 0 || id >= m.vocab_size)
        throw_collective("prompt token " + std::to_string(id) +
                         " is outside the vocabulary: expected [0, model.vocab_size = " +
                         std::to_string(m.vocab_size) + ")");
      ids.push_back(id);
    }
  }
  MPI_Comm mp = rc_.grid->comm(Group::Mp);
  Generated out;
  out.tokens.resize(static_cast<size_t>(B));
  out.logits.resize(static_cast<size_t>(B));
  model_.reset_timers();
  model_.start_decoding(B, P + tokens);
  std::vector<int32_t> next(static_cast<size_t>(B));
  int64_t fresh = P;
  for (int step = 0; step < tokens; ++step) {
    const double t0 = now_seconds();
    const std::vector<float> logits = full_logits(model_.decode(ids.data(), fresh), B);
    for (int64_t b = 0; b < B; ++b)
      next[b] = sample_token(logits.data() + b * m.vocab_size, m.vocab_size, sampling,
                             static_cast<uint64_t>(b * m.seq_len + model_.decoded()));
    MPI_CHECK(MPI_Bcast(next.data(), static_cast<int>(B), MPI_INT32_T, 0, mp));
    for (int64_t b = 0; b < B; ++b) {
      out.tokens[b].push_back(next[b]);
      out.logits[b].push_back(logits[b * m.vocab_size + next[b]]);
    }
    ids = next;
    fresh = 1;
    if (timing) {
      for (MoeLayer* layer : model_.moe_layers())
        for (const StepRecord& r : layer->last_run().records)
          if (!op_is_collective(r.op) && r.op != Op::Wait)
            timing->moe_compute_seconds += r.end - r.start;
      const double dt = now_seconds() - t0;
      if (step == 0)
        timing->prefill_seconds = dt;
      else
        timing->step_seconds.push_back(dt);
    }
  }
  if (timing) timing->moe_seconds = model_.moe_seconds();
  return out;
}

}  // namespace paramoe
