#pragma once
// Training and validation sequences from token files, for the gpt and bert models.
// Every value is a function of (seed, sequence number), so a step's global batch is
// the same under any layout, each data-parallel rank builds only its own sequences,
// and a run resumed at sequence g continues the same stream.
//  - gpt: sequence g starts at a random offset of the training split (as nanoGPT
//    samples); the target is the next token.
//  - bert: the same windows; one in ten is cut short at a random length and padded
//    (so attention masks are exercised), and masked-LM picks each real position with
//    probability model.mask_prob (at least one per sequence): 80% become [MASK],
//    10% a token drawn from the same split, 10% stay; only picked positions have targets.
// Validation sequences are consecutive windows of the validation split, the same
// every evaluation.
#include <memory>
#include <utility>

#include "core/config.h"
#include "data/token_batch.h"
#include "data/token_file.h"

namespace paramoe {

class TokenDataset {
 public:
  TokenDataset(const ModelConfig& model, const DataConfig& data, uint64_t seed);

  TokenBatch train(int64_t first, int64_t count) const;
  TokenBatch val(int64_t first, int64_t count) const;
  int64_t train_tokens() const { return train_end_ - train_begin_; }
  int64_t val_tokens() const { return val_end_ - val_begin_; }
  std::string describe() const;

 private:
  // Row `row` of b: sequence g, from the window at `start` of the token range `split`.
  void fill(const TokenFile& f, std::pair<int64_t, int64_t> split, int64_t start, uint64_t stream,
            int64_t g, int64_t row, TokenBatch& b) const;
  TokenBatch make(int64_t count) const;

  ModelConfig model_;
  uint64_t seed_;
  std::unique_ptr<TokenFile> train_file_, val_file_;  // val_file_ null: val is train's tail
  int64_t train_begin_ = 0, train_end_ = 0, val_begin_ = 0, val_end_ = 0;
};

}  // namespace paramoe
