#pragma once
// A read-only token file, memory-mapped so that shards of any size cost no copy:
//  - "bin": an llm.c/nanoGPT shard: a header of 256 little-endian int32 (magic
//    20240520, version 1, token count), then that many little-endian uint16 tokens;
//  - "text": any file, read as bytes; token = byte value (the byte-level tokenizer,
//    byte_tokenizer.h).
// Opening checks the header, the file size and that every token is < vocab_size and
// none is a reserved id (BERT's padding and [MASK], which the data must not hold:
// a [MASK] in the input would be taken for a masked position), and names the file,
// the byte offset and what was expected when one is wrong.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace paramoe {

class MappedFile;

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardVersion = 1;
constexpr int64_t kShardHeaderBytes = 256 * 4;

// "bin" (a token shard) or "text" (bytes): how `path` is read under data.format.
std::string token_format_of(const std::string& path, const std::string& format);

class TokenFile {
 public:
  // format: "bin", "text" or "auto" (by the .bin extension). reserved: ids the data
  // must not hold, each with the config key that reserves it.
  using Reserved = std::vector<std::pair<int32_t, std::string>>;
  TokenFile(const std::string& path, const std::string& format, int64_t vocab_size,
            const Reserved& reserved = {});
  ~TokenFile();
  TokenFile(const TokenFile&) = delete;
  TokenFile& operator=(const TokenFile&) = delete;

  int64_t size() const { return count_; }
  int32_t operator[](int64_t i) const {
    return wide_ ? static_cast<int32_t>(u16_[i]) : static_cast<int32_t>(u8_[i]);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<MappedFile> file_;
  size_t map_bytes_ = 0;
  bool wide_ = false;
  const uint16_t* u16_ = nullptr;
  const uint8_t* u8_ = nullptr;
  int64_t count_ = 0;
};

// Writes tokens (each < 65536) as a .bin shard; throws naming the path on failure.
void token_shard_write(const std::string& path, const std::vector<int32_t>& tokens);

}  // namespace paramoe
