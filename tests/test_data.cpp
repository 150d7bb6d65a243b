// Token data: the byte-level tokenizer and .bin shards round-trip, bad files are
// refused with the file, the offset and what was expected, and TokenDataset's
// sequences do not depend on how a batch is split over ranks, with BERT's
// masked-LM rule (15% picked; 80/10/10) and padding as documented. Image shards
// round-trip and bad ones are refused the same way; ImageDataset's images do not
// depend on the split either, and it checks the shards against the model.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/byte_tokenizer.h"
#include "data/image_dataset.h"
#include "data/image_file.h"
#include "data/image_import.h"
#include "data/token_dataset.h"
#include "data/token_file.h"

namespace paramoe::test {
namespace {

std::string tmp_path(const std::string& name) {
  return ::testing::TempDir() + "paramoe_data_" + name;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ByteTokenizer, RoundTripsEveryByte) {
  std::mt19937 rng(7);
  std::string text(5000, '\0');
  for (char& c : text) c = static_cast<char>(rng() & 0xff);
  text[0] = '\0';
  text[1] = static_cast<char>(0xff);
  const std::vector<int32_t> tokens = byte_encode(text);
  ASSERT_EQ(tokens.size(), text.size());
  for (int32_t t : tokens) EXPECT_TRUE(t >= 0 && t < kByteVocab);
  EXPECT_EQ(byte_decode(tokens), text);
}

TEST(TokenShard, RoundTrips) {
  std::mt19937 rng(11);
  std::vector<int32_t> tokens(10007);
  for (int32_t& t : tokens) t = static_cast<int32_t>(rng() % 65536);
  const std::string path = tmp_path("round.bin");
  token_shard_write(path, tokens);
  const TokenFile f(path, "auto", 65536);
  ASSERT_EQ(f.size(), static_cast<int64_t>(tokens.size()));
  for (size_t i = 0; i < tokens.size(); ++i) ASSERT_EQ(f[static_cast<int64_t>(i)], tokens[i]) << i;
  std::remove(path.c_str());
}

TEST(TokenShard, TextFileIsReadAsBytes) {
  const std::string path = tmp_path("text.txt");
  std::ofstream(path) << "In the beginning";
  const TokenFile f(path, "auto", 256);
  ASSERT_EQ(f.size(), 16);
  EXPECT_EQ(f[0], 'I');
  EXPECT_EQ(f[15], 'g');
}

void write_raw(const std::string& path, const std::vector<int32_t>& header, size_t tokens,
               uint16_t value) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  std::vector<int32_t> h(256, 0);
  std::copy(header.begin(), header.end(), h.begin());
  f.write(reinterpret_cast<const char*>(h.data()), 1024);
  std::vector<uint16_t> body(tokens, value);
  f.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(2 * tokens));
}

TEST(TokenShard, BadFilesNameFileOffsetAndExpectation) {
  const std::string p = tmp_path("bad.bin");
  write_raw(p, {12345, 1, 100}, 100, 1);
  std::string e = error_of([&] { TokenFile(p, "auto", 256); });
  EXPECT_NE(e.find(p + ": offset 0: magic 12345, expected 20240520"), std::string::npos) << e;

  write_raw(p, {20240520, 7, 100}, 100, 1);
  e = error_of([&] { TokenFile(p, "auto", 256); });
  EXPECT_NE(e.find("offset 4: version 7, expected 1"), std::string::npos) << e;

  write_raw(p, {20240520, 1, 100}, 60, 1);  // truncated
  e = error_of([&] { TokenFile(p, "auto", 256); });
  EXPECT_NE(e.find("offset 8: the header says 100 tokens, so the file should be 1224 bytes, but "
                   "it is 1144"),
            std::string::npos)
      << e;

  write_raw(p, {20240520, 1, 100}, 100, 300);  // token beyond the vocabulary
  e = error_of([&] { TokenFile(p, "auto", 256); });
  EXPECT_NE(e.find("offset 1024: token 300, expected < model.vocab_size = 256"), std::string::npos)
      << e;

  { std::ofstream(p, std::ios::trunc) << "short"; }
  e = error_of([&] { TokenFile(p, "bin", 256); });
  EXPECT_NE(e.find("5 bytes, expected a 1024-byte .bin shard header"), std::string::npos) << e;

  e = error_of([&] { TokenFile(tmp_path("missing.bin"), "auto", 256); });
  EXPECT_NE(e.find("missing.bin: cannot open token file"), std::string::npos) << e;
  std::remove(p.c_str());
}

ModelConfig model_of(const std::string& type) {
  ModelConfig m;
  m.type = type;
  m.vocab_size = 258;
  m.seq_len = 32;
  return m;
}

DataConfig corpus() {
  DataConfig d;
  d.train = std::string(PARAMOE_TEST_INPUTS) + "/corpus_small.txt";
  d.val_fraction = 0.1;
  return d;
}

TEST(TokenDataset, GptTargetsAreTheNextTokenAndSplitsAgree) {
  const TokenDataset ds(model_of("gpt"), corpus(), 5);
  const TokenBatch all = ds.train(100, 8);
  ASSERT_EQ(all.tokens(), 8 * 32);
  for (int64_t s = 0; s < 8; ++s)
    for (int64_t j = 0; j + 1 < 32; ++j)
      EXPECT_EQ(all.target[s * 32 + j], all.input[s * 32 + j + 1]);
  // Two ranks' halves are the whole batch: the stream depends on the sequence number only.
  const TokenBatch a = ds.train(100, 3), b = ds.train(103, 5);
  std::vector<int32_t> joined = a.input;
  joined.insert(joined.end(), b.input.begin(), b.input.end());
  EXPECT_EQ(joined, all.input);
  EXPECT_NE(ds.train(0, 1).input, ds.train(1, 1).input);
  EXPECT_EQ(ds.val(0, 4).input, ds.val(0, 4).input);
}

TEST(TokenDataset, BertMaskingFollowsTheEightyTenTenRule) {
  const ModelConfig m = model_of("bert");
  const TokenDataset ds(m, corpus(), 9);
  const TokenBatch b = ds.train(0, 4000);
  const TokenDataset plain(model_of("gpt"), corpus(), 9);  // same windows, unmasked
  const TokenBatch orig = plain.train(0, 4000);
  int64_t real = 0, picked = 0, masked = 0, kept = 0, padded_seqs = 0;
  for (int64_t s = 0; s < b.sequences; ++s) {
    bool padded = false;
    for (int64_t j = 0; j < 32; ++j) {
      const int64_t i = s * 32 + j;
      if (!b.key_valid[i]) {
        padded = true;
        EXPECT_EQ(b.input[i], m.pad_token);
        EXPECT_EQ(b.target[i], -1);
        continue;
      }
      ++real;
      if (b.target[i] < 0) {
        EXPECT_EQ(b.input[i], orig.input[i]);
        continue;
      }
      ++picked;
      EXPECT_EQ(b.target[i], orig.input[i]);
      masked += b.input[i] == m.mask_token;
      kept += b.input[i] == orig.input[i];
    }
    padded_seqs += padded;
  }
  const double p = static_cast<double>(picked) / real;
  EXPECT_NEAR(p, 0.15, 0.01);  // ~19k picks: the binomial sd is 0.002
  EXPECT_NEAR(static_cast<double>(masked) / picked, 0.8, 0.015);
  // "Kept" includes random draws that hit the same token: 10% + 10%·P(same).
  EXPECT_NEAR(static_cast<double>(kept) / picked, 0.1, 0.02);
  EXPECT_NEAR(static_cast<double>(padded_seqs) / b.sequences, 0.1, 0.015);
}

TEST(TokenDataset, TooShortDataIsRefused) {
  const std::string p = tmp_path("short.txt");
  std::ofstream(p) << "tiny";
  DataConfig d;
  d.train = p;
  const std::string e = error_of([&] { TokenDataset(model_of("gpt"), d, 1); });
  EXPECT_NE(e.find("training tokens, expected at least model.seq_len + 1 = 33"), std::string::npos)
      << e;
}

// A small random image set written as a shard.
ImageSet write_images(const std::string& path, int64_t count, const ImageShape& shape,
                      int32_t classes) {
  const ImageSet set = image_set_synthetic(count, shape, classes, 11);
  image_shard_write(path, set.shape, set.classes, set.pixels, set.labels);
  return set;
}

void patch_file(const std::string& path, long offset, int32_t value) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  std::fseek(f, offset, SEEK_SET);
  std::fwrite(&value, 4, 1, f);
  std::fclose(f);
}

TEST(ImageShard, RoundTrips) {
  const std::string path = tmp_path("round.imgs");
  const ImageSet set = write_images(path, 5, ImageShape{3, 4, 2}, 7);
  const ImageFile f(path);
  ASSERT_EQ(f.size(), 5);
  EXPECT_EQ(f.shape().height, 3);
  EXPECT_EQ(f.shape().width, 4);
  EXPECT_EQ(f.shape().channels, 2);
  EXPECT_EQ(f.classes(), 7);
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(f.label(i), set.labels[i]);
    EXPECT_EQ(std::vector<uint8_t>(f.image(i), f.image(i) + 24),
              std::vector<uint8_t>(set.pixels.begin() + i * 24, set.pixels.begin() + (i + 1) * 24));
  }
}

TEST(ImageShard, BadFilesNameFileOffsetAndExpectation) {
  const std::string path = tmp_path("bad.imgs");
  write_images(path, 4, ImageShape{2, 2, 1}, 3);
  patch_file(path, 0, 20240520);  // a token shard's magic
  std::string e = error_of([&] { ImageFile f(path); });
  EXPECT_NE(e.find(path + ": offset 0: magic 20240520, expected 20241102"), std::string::npos) << e;

  write_images(path, 4, ImageShape{2, 2, 1}, 3);
  patch_file(path, kImageShardHeaderBytes + 4 * 2, 3);  // image 2's label
  e = error_of([&] { ImageFile f(path); });
  EXPECT_NE(e.find("label 3 of image 2, expected a class in [0, 3)"), std::string::npos) << e;

  write_images(path, 4, ImageShape{2, 2, 1}, 3);
  patch_file(path, 8, 5);  // the count: the file is now too short
  e = error_of([&] { ImageFile f(path); });
  EXPECT_NE(e.find("the header says 5 images of 2x2x1"), std::string::npos) << e;

  e = error_of([&] { ImageFile f(tmp_path("missing.imgs")); });
  EXPECT_NE(e.find("missing.imgs: cannot open image shard"), std::string::npos) << e;
  e = error_of([&] { ImageSet s = image_set_from_npz(path); });
  EXPECT_NE(e.find(path + ": cannot open as .npz"), std::string::npos) << e;
}

TEST(ImageDataset, ImagesDoNotDependOnTheSplitAndShardsMustFitTheModel) {
  const std::string train = tmp_path("train.imgs"), val = tmp_path("val.imgs");
  write_images(train, 40, ImageShape{4, 4, 3}, 5);
  write_images(val, 9, ImageShape{4, 4, 3}, 5);
  ModelConfig m;
  m.type = "swin";
  m.image_size = 4;
  m.channels = 3;
  m.classes = 5;
  DataConfig d;
  d.train = train;
  d.val = val;
  const ImageDataset ds(m, d, 3);
  const ImageBatch whole = ds.train(10, 6), a = ds.train(10, 2), b = ds.train(12, 4);
  std::vector<uint8_t> joined = a.pixels;
  joined.insert(joined.end(), b.pixels.begin(), b.pixels.end());
  EXPECT_EQ(whole.pixels, joined);
  EXPECT_EQ(ds.val(8, 2).labels[1], ImageFile(val).label(0));  // validation wraps around

  m.image_size = 8;
  std::string e = error_of([&] { ImageDataset x(m, d, 3); });
  EXPECT_NE(e.find(train + ": images of 4x4 pixels, expected 8x8 (model.image_size)"),
            std::string::npos)
      << e;
  m.image_size = 4;
  m.classes = 4;
  e = error_of([&] { ImageDataset x(m, d, 3); });
  EXPECT_NE(e.find("labels of 5 classes, expected at most model.classes = 4"), std::string::npos)
      << e;
  m.classes = 5;
  write_images(val, 9, ImageShape{4, 4, 1}, 5);
  e = error_of([&] { ImageDataset x(m, d, 3); });
  EXPECT_NE(e.find(val + ": images of 1 channels, expected model.channels = 3"), std::string::npos)
      << e;
}

}  // namespace
}  // namespace paramoe::test
