#pragma once
// The byte-level tokenizer: token = byte value (0–255), so any text round-trips
// exactly and the vocabulary is 256 (+ the BERT model's pad and mask tokens, 256
// and 257 by default). Text files given as data are tokenized this way on the fly.
#include <cstdint>
#include <string>
#include <vector>

namespace paramoe {

constexpr int kByteVocab = 256;

std::vector<int32_t> byte_encode(const std::string& text);
// Tokens ≥ 256 (special tokens) are written as "<id>".
std::string byte_decode(const std::vector<int32_t>& tokens);

}  // namespace paramoe
