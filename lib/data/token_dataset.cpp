#include "data/token_dataset.h"

#include "core/error.h"
#include "core/rng.h"

namespace paramoe {

TokenDataset::TokenDataset(const ModelConfig& model, const DataConfig& data, uint64_t seed)
    : model_(model), seed_(seed) {
  TokenFile::Reserved reserved;
  if (model.type == "bert")
    reserved = {{model.pad_token, "model.pad_token"}, {model.mask_token, "model.mask_token"}};
  train_file_ = std::make_unique<TokenFile>(data.train, data.format, model.vocab_size, reserved);
  train_end_ = train_file_->size();
  if (!data.val.empty()) {
    val_file_ = std::make_unique<TokenFile>(data.val, data.format, model.vocab_size, reserved);
    val_end_ = val_file_->size();
  } else {
    val_begin_ = train_end_ - static_cast<int64_t>(data.val_fraction * train_end_);
    val_end_ = train_end_;
    train_end_ = val_begin_;
  }
  // gpt windows need seq_len + 1 tokens (inputs and shifted targets).
  const int64_t need = model.seq_len + 1;
  if (train_tokens() < need)
    throw_collective(
        data.train + ": " + std::to_string(train_tokens()) +
        " training tokens, expected at least model.seq_len + 1 = " + std::to_string(need));
  if (val_tokens() < need)
    throw_collective(
        (data.val.empty() ? data.train : data.val) + ": " + std::to_string(val_tokens()) +
        " validation tokens, expected at least model.seq_len + 1 = " + std::to_string(need) +
        (data.val.empty() ? " (raise data.val_fraction?)" : ""));
}

std::string TokenDataset::describe() const {
  return train_file_->path() + ": " + std::to_string(train_tokens()) + " training tokens, " +
         std::to_string(val_tokens()) + " validation tokens" +
         (val_file_ ? " from " + val_file_->path() : " (its tail)");
}

TokenBatch TokenDataset::make(int64_t count) const {
  TokenBatch b;
  b.sequences = count;
  b.seq_len = model_.seq_len;
  b.input.resize(b.tokens());
  b.target.resize(b.tokens());
  if (model_.type == "bert") b.key_valid.resize(b.tokens());
  return b;
}

TokenBatch TokenDataset::train(int64_t first, int64_t count) const {
  static const uint64_t offsets = stream_id("data/train/offset");
  TokenBatch b = make(count);
  const int64_t starts = train_tokens() - model_.seq_len;  // ≥ 1
  for (int64_t i = 0; i < count; ++i) {
    const int64_t g = first + i;
    const auto r =
        static_cast<int64_t>(uniform01(seed_, offsets, static_cast<uint64_t>(g)) * starts);
    fill(*train_file_, {train_begin_, train_end_}, train_begin_ + r, stream_id("data/train/bert"),
         g, i, b);
  }
  return b;
}

TokenBatch TokenDataset::val(int64_t first, int64_t count) const {
  const TokenFile& f = val_file_ ? *val_file_ : *train_file_;
  TokenBatch b = make(count);
  const int64_t windows = (val_tokens() - 1) / model_.seq_len;  // ≥ 1
  for (int64_t i = 0; i < count; ++i) {
    const int64_t g = first + i;
    fill(f, {val_begin_, val_end_}, val_begin_ + (g % windows) * model_.seq_len,
         stream_id("data/val/bert"), g, i, b);
  }
  return b;
}

void TokenDataset::fill(const TokenFile& f, std::pair<int64_t, int64_t> split, int64_t start,
                        uint64_t stream, int64_t g, int64_t row, TokenBatch& b) const {
  const int64_t S = model_.seq_len;
  int32_t* in = b.input.data() + row * S;
  int32_t* tg = b.target.data() + row * S;
  if (model_.type != "bert") {
    for (int64_t j = 0; j < S; ++j) {
      in[j] = f[start + j];
      tg[j] = f[start + j + 1];
    }
    return;
  }
  // Counter-based draws per (sequence, purpose, position).
  auto draw = [&](uint64_t purpose, int64_t j) {
    return uniform01(seed_, stream ^ purpose, static_cast<uint64_t>(g * (S + 1) + j));
  };
  int64_t len = S;
  if (S > 1 && draw(1, S) < 0.1) len = S / 2 + static_cast<int64_t>(draw(2, S) * (S - S / 2));
  uint8_t* valid = b.key_valid.data() + row * S;
  int64_t picked = 0;
  for (int64_t j = 0; j < S; ++j) {
    valid[j] = j < len;
    tg[j] = -1;
    if (j >= len) {
      in[j] = model_.pad_token;
      continue;
    }
    in[j] = f[start + j];
    if (draw(3, j) < model_.mask_prob) {
      tg[j] = in[j];
      ++picked;
    }
  }
  if (picked == 0) {  // every sequence contributes to the loss
    const auto j = static_cast<int64_t>(draw(4, S) * len);
    tg[j] = in[j];
  }
  for (int64_t j = 0; j < len; ++j) {
    if (tg[j] < 0) continue;
    const double u = draw(5, j);
    if (u < 0.8)
      in[j] = model_.mask_token;
    else if (u < 0.9)  // a token of the same split, so validation never feeds training
      in[j] = f[split.first + static_cast<int64_t>(draw(6, j) * (split.second - split.first))];
  }
}

}  // namespace paramoe
