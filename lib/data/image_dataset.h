#pragma once
// Training and validation images from image shards, for the swin model. As for
// token data, every value is a function of (seed, image number): training image g
// is drawn uniformly (with replacement) from the training split, so a step's global
// batch is the same under any layout, each data-parallel rank builds only its own
// images, and a resumed run continues the same stream. Validation images are the
// validation split's in order, the same every evaluation. The validation split is
// data.val, or the last data.val_fraction of data.train.
#include <memory>

#include "core/config.h"
#include "data/image_batch.h"
#include "data/image_file.h"

namespace paramoe {

class ImageDataset {
 public:
  // Checks both shards' image shape and labels against model.image_size,
  // model.channels and model.classes.
  ImageDataset(const ModelConfig& model, const DataConfig& data, uint64_t seed);

  ImageBatch train(int64_t first, int64_t count) const;
  ImageBatch val(int64_t first, int64_t count) const;
  int64_t train_images() const { return train_end_ - train_begin_; }
  int64_t val_images() const { return val_end_ - val_begin_; }
  std::string describe() const;

 private:
  ImageBatch make(int64_t count) const;
  void fill(const ImageFile& f, int64_t index, int64_t row, ImageBatch& b) const;

  uint64_t seed_;
  std::unique_ptr<ImageFile> train_file_, val_file_;  // val_file_ null: val is train's tail
  int64_t train_begin_ = 0, train_end_ = 0, val_begin_ = 0, val_end_ = 0;
};

}  // namespace paramoe
