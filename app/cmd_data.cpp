// paramoe data encode / inspect: make a .bin token shard from text with the
// byte-level tokenizer, and check any token file the way training opens it.
#include <fstream>
#include <sstream>

#include "app/command.h"
#include "core/error.h"
#include "core/log.h"
#include "data/byte_tokenizer.h"
#include "data/token_file.h"

namespace paramoe {

namespace {

struct DataArgs {
  std::string in, out;  // encode: text file → .bin shard
  std::string file;     // inspect
  int vocab = 65536;    // inspect: tokens must be below this
  int show = 64;        // inspect: tokens decoded (byte-level) from the start
  std::string format = "auto";
};

}  // namespace

static int cmd_data_encode(const DataArgs& args) {
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

static int cmd_data_inspect(const DataArgs& args) {
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

void add_data_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<DataArgs>();
  CLI::App* data = app.add_subcommand("data", "token files: make and check .bin shards");
  data->require_subcommand(1);
  CLI::App* encode = data->add_subcommand(
      "encode",
      "tokenize a text file with the byte-level tokenizer into a llm.c/nanoGPT .bin shard");
  encode->add_option("in", args->in, "text file")->required();
  encode->add_option("out", args->out, "output .bin shard")->required();
  out.push_back({encode, [args] { return cmd_data_encode(*args); }});
  CLI::App* inspect = data->add_subcommand(
      "inspect", "check a token file (.bin header, size, token range) and show its start");
  inspect->add_option("file", args->file, "a .bin shard or a text file")->required();
  inspect->add_option("--vocab", args->vocab, "tokens must be below this");
  inspect->add_option("--show", args->show, "tokens to decode from the start");
  inspect->add_option("--format", args->format, "auto | bin | text");
  out.push_back({inspect, [args] { return cmd_data_inspect(*args); }});
}

}  // namespace paramoe
