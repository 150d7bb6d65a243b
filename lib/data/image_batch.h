#pragma once
// A batch of images as the Swin model consumes it: uint8 pixels, height × width ×
// channels per image (HWC), and one class label each.
#include <cstdint>
#include <vector>

namespace paramoe {

struct ImageBatch {
  int64_t images = 0, height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;  // [images, height, width, channels]
  std::vector<int32_t> labels;  // [images]
};

}  // namespace paramoe
