#include "train/train_state.h"

#include "core/error.h"
#include "data/token_file.h"

namespace paramoe {

std::vector<TensorSlab> train_state_slabs(const std::vector<Param*>& params, AdamW& opt) {
  std::vector<TensorSlab> slabs;
  for (size_t i = 0; i < params.size(); ++i)
    slabs.push_back(slab_like(*params[i], "params/", params[i]->value.data()));
  for (size_t i = 0; i < params.size(); ++i)
    slabs.push_back(slab_like(*params[i], "optimizer/adam_m/", opt.first_moment(i).data()));
  for (size_t i = 0; i < params.size(); ++i)
    slabs.push_back(slab_like(*params[i], "optimizer/adam_v/", opt.second_moment(i).data()));
  return slabs;
}

std::vector<TensorSlab> balance_bias_slabs(const std::vector<MoeLayer*>& layers) {
  std::vector<TensorSlab> slabs;
  for (MoeLayer* m : layers) {
    std::vector<float>& bias = m->params().balance_bias;
    if (bias.empty()) continue;
    std::string name = m->params().gate.name;  // "<layer>/gate"
    name = "balance/" + name.substr(0, name.size() - 4) + "bias";
    const int64_t E = static_cast<int64_t>(bias.size());
    slabs.push_back(TensorSlab{name, {E}, {0}, {E}, {}, bias.data()});
  }
  return slabs;
}

std::string token_format_describe(const std::string& format) {
  return format == "bin" ? "a .bin token shard" : "byte-level text";
}

void checkpoint_require_same_model(const CheckpointMeta& meta, const std::string& path,
                                   const Config& cfg) {
  // A checkpoint of another model of the same shapes would load without an error.
  const std::string stored = path + " (stored config)";
  const std::string was = config_stored_string(meta.config_toml, stored, "model", "type", "stack");
  if (was != cfg.model.type)
    throw_collective(path + ": written by a model.type = \"" + was +
                     "\" run, but the config has model.type = \"" + cfg.model.type +
                     "\"; expected the same model type");
  // Byte-level text and a tokenizer's .bin shard can share a vocabulary size, but
  // not the meaning of the ids the embedding was trained on.
  if (cfg.model.language_model()) {
    const std::string was_data =
        config_stored_string(meta.config_toml, stored, "data", "train", "");
    const std::string was_tokens = token_format_of(
        was_data, config_stored_string(meta.config_toml, stored, "data", "format", "auto"));
    const std::string tokens = token_format_of(cfg.data.train, cfg.data.format);
    if (was_tokens != tokens)
      throw_collective(path + ": trained on " + token_format_describe(was_tokens) + " (" +
                       was_data + "), but data.train = " + cfg.data.train + " is " +
                       token_format_describe(tokens) + "; expected data tokenized the same way");
  }
}

}  // namespace paramoe
