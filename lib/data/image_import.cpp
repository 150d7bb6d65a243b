#include "data/image_import.h"

#include <png.h>
#include <zip.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "core/rng.h"

namespace paramoe {

namespace {

// One array of a .npy file: its dtype string ("|u1", "<i8", ...), shape and bytes.
struct NpyArray {
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

// The .npy format (numpy.lib.format): magic "\x93NUMPY", major and minor version,
// a little-endian header length (2 bytes in version 1, 4 in 2 and 3), then a
// Python dict literal with 'descr', 'fortran_order' and 'shape'.
NpyArray npy_parse(const std::vector<uint8_t>& raw, const std::string& where) {
  auto fail = [&](const std::string& what) -> NpyArray {
    throw Error(where + ": " + what + " (expected a NumPy .npy array)");
  };
  if (raw.size() < 10 || std::memcmp(raw.data(), "\x93NUMPY", 6) != 0) return fail("bad magic");
  const int major = raw[6];
  size_t len = 0, start = 0;
  if (major == 1) {
    len = raw[8] | (raw[9] << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (raw.size() < 12) return fail("truncated header");
    len = raw[8] | (raw[9] << 8) | (raw[10] << 16) | (static_cast<size_t>(raw[11]) << 24);
    start = 12;
  } else {
    return fail("format version " + std::to_string(major));
  }
  if (raw.size() < start + len) return fail("truncated header");
  const std::string h(reinterpret_cast<const char*>(raw.data() + start), len);
  NpyArray a;
  const size_t d = h.find("'descr':");
  const size_t q0 = h.find('\'', d + 8), q1 = h.find('\'', q0 + 1);
  if (d == std::string::npos || q0 == std::string::npos || q1 == std::string::npos)
    return fail("no 'descr' in the header");
  a.dtype = h.substr(q0 + 1, q1 - q0 - 1);
  if (h.find("'fortran_order': False") == std::string::npos)
    return fail("Fortran-ordered array (save a C-ordered one: np.ascontiguousarray)");
  const size_t s = h.find("'shape':"), p0 = h.find('(', s), p1 = h.find(')', p0);
  if (s == std::string::npos || p0 == std::string::npos || p1 == std::string::npos)
    return fail("no 'shape' in the header");
  std::string dims = h.substr(p0 + 1, p1 - p0 - 1);
  for (size_t i = 0; i < dims.size();) {
    while (i < dims.size() && (dims[i] == ' ' || dims[i] == ',')) ++i;
    if (i >= dims.size()) break;
    size_t used = 0;
    a.shape.push_back(std::stoll(dims.substr(i), &used));
    i += used;
  }
  a.data.assign(raw.begin() + static_cast<std::ptrdiff_t>(start + len), raw.end());
  return a;
}

std::vector<uint8_t> zip_read(zip_t* z, const std::string& name, const std::string& path) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z, name.c_str(), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    throw Error(path + ": no array '" + name.substr(0, name.size() - 4) +
                "' (expected arrays 'images' and 'labels')");
  std::vector<uint8_t> out(st.size);
  zip_file_t* f = zip_fopen(z, name.c_str(), 0);
  if (!f) throw Error(path + ": cannot read " + name + " (" + zip_strerror(z) + ")");
  const zip_int64_t got = zip_fread(f, out.data(), st.size);
  zip_fclose(f);
  if (got != static_cast<zip_int64_t>(st.size))
    throw Error(path + ": " + name + " is truncated or corrupt");
  return out;
}

int64_t npy_int(const NpyArray& a, int64_t i, const std::string& where) {
  const uint8_t* p = a.data.data();
  auto get = [&](auto v) {
    std::memcpy(&v, p + i * static_cast<int64_t>(sizeof v), sizeof v);
    return static_cast<int64_t>(v);
  };
  if (a.dtype == "|u1") return get(uint8_t{});
  if (a.dtype == "|i1") return get(int8_t{});
  if (a.dtype == "<i2") return get(int16_t{});
  if (a.dtype == "<u2") return get(uint16_t{});
  if (a.dtype == "<i4") return get(int32_t{});
  if (a.dtype == "<u4") return get(uint32_t{});
  if (a.dtype == "<i8") return get(int64_t{});
  if (a.dtype == "<u8") return get(uint64_t{});
  throw Error(where + ": dtype " + a.dtype + ", expected an integer array");
}

int64_t dtype_bytes(const std::string& dtype) {
  return dtype.size() >= 3 ? std::stoll(dtype.substr(2)) : 0;
}

}  // namespace

ImageSet image_set_from_npz(const std::string& path) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!z) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    const std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    throw Error(path + ": cannot open as .npz (" + why + ")");
  }
  std::unique_ptr<zip_t, int (*)(zip_t*)> hold(z, zip_close);
  const NpyArray images = npy_parse(zip_read(z, "images.npy", path), path + ": images");
  const NpyArray labels = npy_parse(zip_read(z, "labels.npy", path), path + ": labels");
  if (images.dtype != "|u1")
    throw Error(path + ": images: dtype " + images.dtype + ", expected uint8 (|u1)");
  if (images.shape.size() != 3 && images.shape.size() != 4)
    throw Error(path + ": images: " + std::to_string(images.shape.size()) +
                " dimensions, expected [N, H, W] or [N, H, W, C]");
  ImageSet s;
  const int64_t n = images.shape[0];
  s.shape =
      ImageShape{images.shape[1], images.shape[2], images.shape.size() == 4 ? images.shape[3] : 1};
  if (n < 1 || s.shape.bytes() < 1 || s.shape.channels > 4)
    throw Error(path + ": images: an empty shape, or more than 4 channels");
  if (static_cast<int64_t>(images.data.size()) != n * s.shape.bytes())
    throw Error(path + ": images: the data is not the shape's size (truncated?)");
  if (labels.shape.size() != 1 || labels.shape[0] != n)
    throw Error(path + ": labels: expected one label per image, shape [" + std::to_string(n) + "]");
  if (static_cast<int64_t>(labels.data.size()) != n * dtype_bytes(labels.dtype))
    throw Error(path + ": labels: the data is not the shape's size (truncated?)");
  s.pixels = images.data;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = npy_int(labels, i, path + ": labels");
    if (v < 0 || v > INT32_MAX - 1)
      throw Error(path + ": labels[" + std::to_string(i) + "] = " + std::to_string(v) +
                  ", expected a class index >= 0");
    s.labels.push_back(static_cast<int32_t>(v));
    s.classes = std::max(s.classes, static_cast<int32_t>(v) + 1);
  }
  return s;
}

ImageSet image_set_from_png_dir(const std::string& dir, int channels) {
  namespace fs = std::filesystem;
  if (channels != 1 && channels != 3 && channels != 4)
    throw Error("--channels " + std::to_string(channels) + ": expected 1 (gray), 3 (RGB) or 4");
  if (!fs::is_directory(dir))
    throw Error(dir + ": not a directory (expected one subdirectory of PNGs per class)");
  ImageSet s;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) s.class_names.push_back(e.path().filename().string());
  std::sort(s.class_names.begin(), s.class_names.end());
  if (s.class_names.empty())
    throw Error(dir + ": no subdirectories (expected one subdirectory of PNGs per class)");
  s.classes = static_cast<int32_t>(s.class_names.size());
  std::string first;
  for (int32_t c = 0; c < s.classes; ++c) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(fs::path(dir) / s.class_names[c]))
      if (e.is_regular_file() && e.path().extension() == ".png") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      png_image img;
      std::memset(&img, 0, sizeof img);
      img.version = PNG_IMAGE_VERSION;
      if (!png_image_begin_read_from_file(&img, f.c_str()))
        throw Error(f.string() + ": cannot read as PNG (" + img.message + ")");
      img.format =
          channels == 1 ? PNG_FORMAT_GRAY : (channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA);
      const ImageShape shape{img.height, img.width, channels};
      if (first.empty()) {
        s.shape = shape;
        first = f.string();
      } else if (shape.height != s.shape.height || shape.width != s.shape.width) {
        png_image_free(&img);
        throw Error(f.string() + ": " + std::to_string(shape.height) + "x" +
                    std::to_string(shape.width) + " pixels, expected " +
                    std::to_string(s.shape.height) + "x" + std::to_string(s.shape.width) +
                    " like the first image (" + first + ")");
      }
      const size_t at = s.pixels.size();
      s.pixels.resize(at + static_cast<size_t>(shape.bytes()));
      if (!png_image_finish_read(&img, nullptr, s.pixels.data() + at, 0, nullptr))
        throw Error(f.string() + ": cannot decode PNG (" + img.message + ")");
      s.labels.push_back(c);
    }
  }
  if (s.labels.empty()) throw Error(dir + ": no .png files in its class subdirectories");
  return s;
}

ImageSet image_set_synthetic(int64_t count, const ImageShape& shape, int32_t classes,
                             uint64_t seed) {
  ImageSet s;
  s.shape = shape;
  s.classes = classes;
  s.pixels.resize(count * shape.bytes());
  const uint64_t pix = stream_id("synthetic/pixels"), lab = stream_id("synthetic/labels");
  for (size_t i = 0; i < s.pixels.size(); ++i)
    s.pixels[i] = static_cast<uint8_t>(uniform01(seed, pix, i) * 256.0);
  for (int64_t i = 0; i < count; ++i)
    s.labels.push_back(static_cast<int32_t>(uniform01(seed, lab, static_cast<uint64_t>(i)) *
                                            static_cast<double>(classes)));
  return s;
}

}  // namespace paramoe
