#include "data/token_file.h"

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "data/mapped_file.h"

namespace paramoe {

std::string token_format_of(const std::string& path, const std::string& format) {
  return format == "bin" || (format == "auto" && path.ends_with(".bin")) ? "bin" : "text";
}

TokenFile::TokenFile(const std::string& path, const std::string& format, int64_t vocab_size,
                     const Reserved& reserved)
    : path_(path) {
  wide_ = token_format_of(path, format) == "bin";
  file_ = std::make_unique<MappedFile>(path, "token file",
                                       "a .bin shard or a text file (see data.train / data.val)");
  map_bytes_ = file_->size();
  const uint8_t* bytes = file_->data();
  if (wide_) {
    if (map_bytes_ < static_cast<size_t>(kShardHeaderBytes))
      throw_collective(path + ": " + std::to_string(map_bytes_) + " bytes, expected a " +
                       std::to_string(kShardHeaderBytes) + "-byte .bin shard header at offset 0");
    int32_t header[3];
    std::memcpy(header, bytes, sizeof header);  // the format is little-endian, as is x86/ARM
    if (header[0] != kShardMagic)
      throw_collective(path + ": offset 0: magic " + std::to_string(header[0]) + ", expected " +
                       std::to_string(kShardMagic) + " (an llm.c/nanoGPT .bin token shard)");
    if (header[1] != kShardVersion)
      throw_collective(path + ": offset 4: version " + std::to_string(header[1]) + ", expected " +
                       std::to_string(kShardVersion));
    count_ = header[2];
    const int64_t want = kShardHeaderBytes + 2 * count_;
    if (count_ < 0 || static_cast<int64_t>(map_bytes_) != want)
      throw_collective(path + ": offset 8: the header says " + std::to_string(count_) +
                       " tokens, so the file should be " + std::to_string(want) +
                       " bytes, but it is " + std::to_string(map_bytes_) +
                       " (truncated or corrupt?)");
    u16_ = reinterpret_cast<const uint16_t*>(bytes + kShardHeaderBytes);
  } else {
    count_ = static_cast<int64_t>(map_bytes_);
    u8_ = bytes;
  }
  if (count_ < 2)
    throw_collective(path + ": " + std::to_string(count_) + " tokens, expected at least 2");
  auto offset_of = [&](int64_t i) { return std::to_string(wide_ ? kShardHeaderBytes + 2 * i : i); };
  for (int64_t i = 0; i < count_; ++i) {
    const int32_t t = (*this)[i];
    if (t >= vocab_size)
      throw_collective(path + ": offset " + offset_of(i) + ": token " + std::to_string(t) +
                       ", expected < model.vocab_size = " + std::to_string(vocab_size));
    for (const auto& [id, key] : reserved)
      if (t == id)
        throw_collective(path + ": offset " + offset_of(i) + ": token " + std::to_string(t) +
                         " is " + key +
                         ", which the model reserves; expected data without it "
                         "(re-tokenize, or set " +
                         key + " to an id the data does not use)");
  }
}

TokenFile::~TokenFile() = default;

void token_shard_write(const std::string& path, const std::vector<int32_t>& tokens) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(path + ": cannot create token shard");
  int32_t header[256] = {};
  header[0] = kShardMagic;
  header[1] = kShardVersion;
  header[2] = static_cast<int32_t>(tokens.size());
  f.write(reinterpret_cast<const char*>(header), sizeof header);
  std::vector<uint16_t> body(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] > 65535)
      throw Error(path + ": token " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                  " does not fit a uint16 shard");
    body[i] = static_cast<uint16_t>(tokens[i]);
  }
  f.write(reinterpret_cast<const char*>(body.data()),
          static_cast<std::streamsize>(2 * body.size()));
  if (!f) throw Error(path + ": write failed");
}

}  // namespace paramoe
