#pragma once
// Images from the formats people keep them in, for `paramoe data images`:
//  - a NumPy .npz (np.savez or savez_compressed) with arrays "images", uint8
//    [N, H, W] (one channel) or [N, H, W, C], and "labels", any integer type [N];
//  - a directory of PNGs, one subdirectory per class (ImageFolder's layout): the
//    classes are the subdirectory names in sorted order, each image is decoded to
//    `channels` channels (1: gray, 3: RGB, 4: RGBA), and every image must have the
//    first one's size.
// And synthetic images (uniform random pixels and labels) for speed and memory runs.
// Errors name the file (and the array or image) and what was expected.
#include <cstdint>
#include <string>
#include <vector>

#include "data/image_file.h"

namespace paramoe {

struct ImageSet {
  ImageShape shape;
  int32_t classes = 0;          // labels are in [0, classes)
  std::vector<uint8_t> pixels;  // [labels.size(), shape] HWC
  std::vector<int32_t> labels;
  std::vector<std::string> class_names;  // PNG directories only
};

ImageSet image_set_from_npz(const std::string& path);
ImageSet image_set_from_png_dir(const std::string& dir, int channels);
ImageSet image_set_synthetic(int64_t count, const ImageShape& shape, int32_t classes,
                             uint64_t seed);

}  // namespace paramoe
