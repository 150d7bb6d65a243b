#pragma once
// A read-only image shard (the Swin model's data), memory-mapped like the token
// shards. Little-endian:
//  - a header of 256 int32: magic 20241102, version 1, image count, height,
//    width, channels, classes (the rest zero);
//  - count int32 labels, each in [0, classes);
//  - count uint8 images of height × width × channels (HWC, row-major).
// Opening checks the header, the file size and every label, and names the file,
// the byte offset and what was expected when one is wrong.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace paramoe {

class MappedFile;

constexpr int32_t kImageShardMagic = 20241102;
constexpr int32_t kImageShardVersion = 1;
constexpr int64_t kImageShardHeaderBytes = 256 * 4;

struct ImageShape {
  int64_t height = 0, width = 0, channels = 0;
  int64_t bytes() const { return height * width * channels; }
};

class ImageFile {
 public:
  explicit ImageFile(const std::string& path);
  ~ImageFile();
  ImageFile(const ImageFile&) = delete;
  ImageFile& operator=(const ImageFile&) = delete;

  int64_t size() const { return count_; }
  const ImageShape& shape() const { return shape_; }
  int32_t classes() const { return classes_; }
  const uint8_t* image(int64_t i) const { return pixels_ + i * shape_.bytes(); }
  int32_t label(int64_t i) const { return labels_[i]; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<MappedFile> file_;
  ImageShape shape_;
  int32_t classes_ = 0;
  int64_t count_ = 0;
  const int32_t* labels_ = nullptr;
  const uint8_t* pixels_ = nullptr;
};

// Writes an image shard; pixels [labels.size(), shape] HWC. Throws naming the path
// (or the image) on failure.
void image_shard_write(const std::string& path, const ImageShape& shape, int32_t classes,
                       const std::vector<uint8_t>& pixels, const std::vector<int32_t>& labels);

}  // namespace paramoe
