#include "data/image_dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/rng.h"

namespace paramoe {

namespace {

void require_fits(const ImageFile& f, const ModelConfig& m) {
  const ImageShape& s = f.shape();
  if (s.height != m.image_size || s.width != m.image_size)
    throw_collective(f.path() + ": images of " + std::to_string(s.height) + "x" +
                     std::to_string(s.width) + " pixels, expected " + std::to_string(m.image_size) +
                     "x" + std::to_string(m.image_size) + " (model.image_size)");
  if (s.channels != m.channels)
    throw_collective(f.path() + ": images of " + std::to_string(s.channels) +
                     " channels, expected model.channels = " + std::to_string(m.channels));
  if (f.classes() > m.classes)
    throw_collective(f.path() + ": labels of " + std::to_string(f.classes()) +
                     " classes, expected at most model.classes = " + std::to_string(m.classes));
}

}  // namespace

ImageDataset::ImageDataset(const ModelConfig& model, const DataConfig& data, uint64_t seed)
    : seed_(seed) {
  train_file_ = std::make_unique<ImageFile>(data.train);
  require_fits(*train_file_, model);
  const int64_t n = train_file_->size();
  if (data.val.empty()) {
    const auto held = static_cast<int64_t>(std::ceil(data.val_fraction * static_cast<double>(n)));
    if (held < 1 || n - held < 1)
      throw_collective(data.train + ": " + std::to_string(n) +
                       " images; expected enough for both splits with data.val_fraction = " +
                       std::to_string(data.val_fraction) + " (or give data.val)");
    train_end_ = n - held;
    val_begin_ = train_end_;
    val_end_ = n;
  } else {
    val_file_ = std::make_unique<ImageFile>(data.val);
    require_fits(*val_file_, model);
    train_end_ = n;
    val_end_ = val_file_->size();
  }
}

ImageBatch ImageDataset::make(int64_t count) const {
  const ImageShape& s = train_file_->shape();
  ImageBatch b{count, s.height, s.width, s.channels, {}, {}};
  b.pixels.resize(count * s.bytes());
  b.labels.resize(count);
  return b;
}

void ImageDataset::fill(const ImageFile& f, int64_t index, int64_t row, ImageBatch& b) const {
  const int64_t bytes = f.shape().bytes();
  std::memcpy(b.pixels.data() + row * bytes, f.image(index), static_cast<size_t>(bytes));
  b.labels[row] = f.label(index);
}

ImageBatch ImageDataset::train(int64_t first, int64_t count) const {
  ImageBatch b = make(count);
  const int64_t n = train_images();
  static const uint64_t stream = stream_id("data/images");
  for (int64_t r = 0; r < count; ++r) {
    const auto pick = static_cast<int64_t>(
        uniform01(seed_, stream, static_cast<uint64_t>(first + r)) * static_cast<double>(n));
    fill(*train_file_, train_begin_ + std::min(pick, n - 1), r, b);
  }
  return b;
}

ImageBatch ImageDataset::val(int64_t first, int64_t count) const {
  ImageBatch b = make(count);
  const ImageFile& f = val_file_ ? *val_file_ : *train_file_;
  for (int64_t r = 0; r < count; ++r) fill(f, val_begin_ + (first + r) % val_images(), r, b);
  return b;
}

std::string ImageDataset::describe() const {
  const ImageShape& s = train_file_->shape();
  return "images " + std::to_string(s.height) + "x" + std::to_string(s.width) + "x" +
         std::to_string(s.channels) + ", " + std::to_string(train_images()) + " train (" +
         train_file_->path() + "), " + std::to_string(val_images()) + " val" +
         (val_file_ ? " (" + val_file_->path() + ")" : " (its tail)");
}

}  // namespace paramoe
