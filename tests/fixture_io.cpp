#include "tests/fixture_io.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace paramoe::test {

Fixture fixture_read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("fixture " + path + ": cannot be opened");
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "PMOEFIX1", 8) != 0)
    throw std::runtime_error("fixture " + path + ": bad magic (expected PMOEFIX1)");
  auto u32 = [&] {
    uint32_t v = 0;
    in.read(reinterpret_cast<char*>(&v), 4);
    return v;
  };
  Fixture f;
  const uint32_t count = u32();
  for (uint32_t i = 0; i < count; ++i) {
    std::string name(u32(), '\0');
    in.read(name.data(), static_cast<std::streamsize>(name.size()));
    FixtureTensor t;
    t.shape.resize(u32());
    in.read(reinterpret_cast<char*>(t.shape.data()),
            static_cast<std::streamsize>(8 * t.shape.size()));
    int64_t n = 1;
    for (auto d : t.shape) n *= d;
    t.data.resize(n);
    in.read(reinterpret_cast<char*>(t.data.data()), static_cast<std::streamsize>(4 * n));
    if (!in) throw std::runtime_error("fixture " + path + ": truncated at tensor " + name);
    f[name] = std::move(t);
  }
  return f;
}

std::string golden_dir() {
  // The build's source tree, unless the tests run elsewhere (a GPU machine that
  // got the binaries packed): then PARAMOE_GOLDEN_DIR in the environment says where.
  const char* env = std::getenv("PARAMOE_GOLDEN_DIR");
  return env && *env ? env : PARAMOE_GOLDEN_DIR;
}

std::vector<std::string> golden_cases() {
  return {"dropless_top2_gelu_uniform",    "dropless_top1_swiglu_zipf",
          "capacity_top2_gelu_zipf",       "capacity_top1_swiglu_uniform",
          "dropless_top1_gelu_all_to_one", "dropless_top2_swiglu_uneven",
          "dropless_top2_gelu_blocks",     "dropless_top1_swiglu_blocks",
          "shared2_top2_gelu_uniform",     "shared1_top1_swiglu_uneven",
          "shared1_top2_gelu_blocks"};
}

}  // namespace paramoe::test
