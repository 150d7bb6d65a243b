#pragma once
// Reading TOML tables key by key, with errors that name the file, the section and
// the key and say what was expected (collective: every rank reads the same file).
// The config (config.h) and the cluster files (plan/cluster.h) read this way.
#include <toml++/toml.h>

#include <functional>
#include <string>
#include <vector>

namespace paramoe {

// "origin: section.key"
std::string where(const std::string& origin, const std::string& section, const std::string& key);

// One readable key: how to read it and where to store it.
struct Key {
  std::string name;
  std::function<void(const toml::node&, const std::string& at)> read;
};

Key int_key(const char* name, int& out);
Key int64_key(const char* name, int64_t& out);
Key double_key(const char* name, double& out);
Key bool_key(const char* name, bool& out);
Key string_key(const char* name, std::string& out);
Key string_list_key(const char* name, std::vector<std::string>& out);
Key double_list_key(const char* name, std::vector<double>& out);
Key int_list_key(const char* name, std::vector<int>& out);

// The text of a file, or a collective Error "<what> <path>: cannot be opened
// (expected a TOML file)".
std::string read_toml_text(const std::string& path, const std::string& what);
// Parses text, or a collective Error "<origin>:<line>: invalid TOML: ...".
toml::table parse_toml(const std::string& text, const std::string& origin);

// Reads [section] of root (absent: nothing read); unknown keys are errors that
// list the known ones.
void read_section(const toml::table& root, const std::string& origin, const std::string& section,
                  const std::vector<Key>& keys);

}  // namespace paramoe
