// paramoe data encode / inspect: make a .bin token shard from text with the
// byte-level tokenizer, and check any token file the way training opens it.
#include <fstream>
#include <sstream>

#include "app/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "data/byte_tokenizer.h"
#include "data/token_file.h"

namespace paramoe {

int cmd_data_encode(const DataArgs& args) {
  std::ifstream in(args.in, std::ios::binary);
  if (!in) throw_collective(args.in + ": cannot open text file");
  std::ostringstream text;
  text << in.rdbuf();
  const std::vector<int32_t> tokens = byte_encode(text.str());
  as_collective([&] { token_shard_write(args.out, tokens); });
  log_info(args.out + ": " + std::to_string(tokens.size()) + " tokens (byte-level, vocabulary " +
           std::to_string(kByteVocab) + ")");
  return 0;
}

int cmd_data_inspect(const DataArgs& args) {
  const TokenFile f(args.file, args.format, args.vocab);
  int32_t hi = 0;
  for (int64_t i = 0; i < f.size(); ++i) hi = std::max(hi, f[i]);
  log_info(args.file + ": " + std::to_string(f.size()) + " tokens, largest id " +
           std::to_string(hi) + " (all < " + std::to_string(args.vocab) + ")");
  std::vector<int32_t> head;
  for (int64_t i = 0; i < std::min<int64_t>(args.show, f.size()); ++i) head.push_back(f[i]);
  log_info("start (byte-level): " + byte_decode(head));
  return 0;
}

}  // namespace paramoe
