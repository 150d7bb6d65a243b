#include "data/byte_tokenizer.h"

namespace paramoe {

std::vector<int32_t> byte_encode(const std::string& text) {
  std::vector<int32_t> out(text.size());
  for (size_t i = 0; i < text.size(); ++i) out[i] = static_cast<unsigned char>(text[i]);
  return out;
}

std::string byte_decode(const std::vector<int32_t>& tokens) {
  std::string out;
  for (int32_t t : tokens) {
    if (t >= 0 && t < kByteVocab)
      out += static_cast<char>(t);
    else {
      out += '<';
      out += std::to_string(t);
      out += '>';
    }
  }
  return out;
}

}  // namespace paramoe
