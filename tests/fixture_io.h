#pragma once
// Reads the golden fixtures written by tests/golden/make_fixtures.py.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace paramoe::test {

struct FixtureTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

using Fixture = std::map<std::string, FixtureTensor>;

Fixture fixture_read(const std::string& path);
std::string golden_dir();
std::vector<std::string> golden_cases();

}  // namespace paramoe::test
