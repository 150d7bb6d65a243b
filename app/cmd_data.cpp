// paramoe data encode / inspect: make a .bin token shard from text with the
// byte-level tokenizer, and check any token file the way training opens it.
// paramoe data images / synthetic-images: make an image shard (data/image_file.h)
// from a .npz or a directory of PNGs, or of random pixels.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/command.h"
#include "core/error.h"
#include "core/log.h"
#include "data/byte_tokenizer.h"
#include "data/image_import.h"
#include "data/token_file.h"

namespace paramoe {

namespace {

struct DataArgs {
  std::string in, out;  // encode: text file → .bin shard
  std::string file;     // inspect
  int vocab = 65536;    // inspect: tokens must be below this
  int show = 64;        // inspect: tokens decoded (byte-level) from the start
  std::string format = "auto";
  int channels = 3;  // images from PNGs
  int classes = 0;   // images: 0 = as many as the labels need
  int64_t count = 1024, size = 224;
  int64_t seed = 1;
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

static int write_image_shard(const ImageSet& set, const DataArgs& args) {
  const int32_t classes = args.classes > 0 ? args.classes : set.classes;
  if (classes < set.classes)
    throw_collective("--classes " + std::to_string(args.classes) + ": the labels need " +
                     std::to_string(set.classes) + " classes");
  as_collective([&] { image_shard_write(args.out, set.shape, classes, set.pixels, set.labels); });
  log_info(args.out + ": " + std::to_string(set.labels.size()) + " images of " +
           std::to_string(set.shape.height) + "x" + std::to_string(set.shape.width) + "x" +
           std::to_string(set.shape.channels) + ", " + std::to_string(classes) + " classes");
  for (size_t c = 0; c < set.class_names.size(); ++c)
    log_info("  class " + std::to_string(c) + ": " + set.class_names[c]);
  return 0;
}

static int cmd_data_images(const DataArgs& args) {
  ImageSet set;
  as_collective([&] {
    set = std::filesystem::is_directory(args.in) ? image_set_from_png_dir(args.in, args.channels)
                                                 : image_set_from_npz(args.in);
  });
  return write_image_shard(set, args);
}

static int cmd_data_synthetic_images(const DataArgs& args) {
  if (args.count < 1 || args.size < 1 || args.channels < 1 || args.channels > 4 || args.classes < 2)
    throw_collective(
        "synthetic-images: expected --count >= 1, --size >= 1, --channels in [1, 4] and "
        "--classes >= 2");
  const ImageSet set =
      image_set_synthetic(args.count, ImageShape{args.size, args.size, args.channels}, args.classes,
                          static_cast<uint64_t>(args.seed));
  return write_image_shard(set, args);
}

void add_data_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<DataArgs>();
  CLI::App* data =
      app.add_subcommand("data", "data files: make and check token shards and image shards");
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
  CLI::App* images = data->add_subcommand(
      "images",
      "make an image shard (the swin model's data) from a NumPy .npz (arrays 'images' uint8 "
      "[N,H,W(,C)] and 'labels') or a directory with one subdirectory of PNGs per class");
  images->add_option("in", args->in, ".npz file or directory of class subdirectories")->required();
  images->add_option("out", args->out, "output image shard")->required();
  images->add_option("--channels", args->channels, "PNGs: decode to 1 (gray), 3 (RGB) or 4");
  images->add_option("--classes", args->classes, "classes (default: as the labels need)");
  out.push_back({images, [args] { return cmd_data_images(*args); }});
  CLI::App* synthetic = data->add_subcommand(
      "synthetic-images", "make an image shard of uniform random pixels and labels (speed runs)");
  synthetic->add_option("out", args->out, "output image shard")->required();
  synthetic->add_option("--count", args->count, "images");
  synthetic->add_option("--size", args->size, "pixels per side");
  synthetic->add_option("--channels", args->channels, "channels");
  synthetic->add_option("--classes", args->classes, "classes")->required();
  synthetic->add_option("--seed", args->seed, "random seed");
  out.push_back({synthetic, [args] { return cmd_data_synthetic_images(*args); }});
}

}  // namespace paramoe
