#include "data/image_file.h"

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "data/mapped_file.h"

namespace paramoe {

ImageFile::ImageFile(const std::string& path) : path_(path) {
  file_ = std::make_unique<MappedFile>(path, "image shard",
                                       "an image shard (paramoe data images; see data.train)");
  const size_t bytes = file_->size();
  if (bytes < static_cast<size_t>(kImageShardHeaderBytes))
    throw_collective(path + ": " + std::to_string(bytes) + " bytes, expected a " +
                     std::to_string(kImageShardHeaderBytes) +
                     "-byte image shard header at offset 0");
  int32_t h[7];
  std::memcpy(h, file_->data(), sizeof h);  // little-endian, as is x86/ARM
  if (h[0] != kImageShardMagic)
    throw_collective(path + ": offset 0: magic " + std::to_string(h[0]) + ", expected " +
                     std::to_string(kImageShardMagic) +
                     " (an image shard from paramoe data images)");
  if (h[1] != kImageShardVersion)
    throw_collective(path + ": offset 4: version " + std::to_string(h[1]) + ", expected " +
                     std::to_string(kImageShardVersion));
  const char* names[] = {"image count", "height", "width", "channels", "classes"};
  for (int k = 2; k < 7; ++k)
    if (h[k] < 1)
      throw_collective(path + ": offset " + std::to_string(4 * k) + ": " + names[k - 2] + " " +
                       std::to_string(h[k]) + ", expected >= 1");
  count_ = h[2];
  shape_ = ImageShape{h[3], h[4], h[5]};
  classes_ = h[6];
  const int64_t want = kImageShardHeaderBytes + count_ * (4 + shape_.bytes());
  if (static_cast<int64_t>(bytes) != want)
    throw_collective(path + ": the header says " + std::to_string(count_) + " images of " +
                     std::to_string(shape_.height) + "x" + std::to_string(shape_.width) + "x" +
                     std::to_string(shape_.channels) + ", so the file should be " +
                     std::to_string(want) + " bytes, but it is " + std::to_string(bytes) +
                     " (truncated or corrupt?)");
  labels_ = reinterpret_cast<const int32_t*>(file_->data() + kImageShardHeaderBytes);
  pixels_ = file_->data() + kImageShardHeaderBytes + 4 * count_;
  for (int64_t i = 0; i < count_; ++i)
    if (labels_[i] < 0 || labels_[i] >= classes_)
      throw_collective(path + ": offset " + std::to_string(kImageShardHeaderBytes + 4 * i) +
                       ": label " + std::to_string(labels_[i]) + " of image " + std::to_string(i) +
                       ", expected a class in [0, " + std::to_string(classes_) + ")");
}

ImageFile::~ImageFile() = default;

void image_shard_write(const std::string& path, const ImageShape& shape, int32_t classes,
                       const std::vector<uint8_t>& pixels, const std::vector<int32_t>& labels) {
  const auto count = static_cast<int64_t>(labels.size());
  if (static_cast<int64_t>(pixels.size()) != count * shape.bytes())
    throw Error(path + ": " + std::to_string(pixels.size()) + " pixel bytes for " +
                std::to_string(count) + " images of " + std::to_string(shape.bytes()) +
                " bytes; expected their product");
  for (int64_t i = 0; i < count; ++i)
    if (labels[i] < 0 || labels[i] >= classes)
      throw Error(path + ": label " + std::to_string(labels[i]) + " of image " + std::to_string(i) +
                  ", expected a class in [0, " + std::to_string(classes) + ")");
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(path + ": cannot create image shard");
  int32_t header[256] = {};
  header[0] = kImageShardMagic;
  header[1] = kImageShardVersion;
  header[2] = static_cast<int32_t>(count);
  header[3] = static_cast<int32_t>(shape.height);
  header[4] = static_cast<int32_t>(shape.width);
  header[5] = static_cast<int32_t>(shape.channels);
  header[6] = classes;
  f.write(reinterpret_cast<const char*>(header), sizeof header);
  f.write(reinterpret_cast<const char*>(labels.data()), static_cast<std::streamsize>(4 * count));
  f.write(reinterpret_cast<const char*>(pixels.data()),
          static_cast<std::streamsize>(pixels.size()));
  if (!f) throw Error(path + ": write failed");
}

}  // namespace paramoe
