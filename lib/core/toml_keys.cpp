#include "core/toml_keys.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace paramoe {

std::string where(const std::string& origin, const std::string& section, const std::string& key) {
  return origin + ": " + section + "." + key;
}

Key int_key(const char* name, int& out) {
  return {name, [&out](const toml::node& n, const std::string& at) {
            auto v = n.value<int64_t>();
            if (!n.is_integer() || !v) throw_collective(at + ": expected an integer");
            if (*v < INT32_MIN || *v > INT32_MAX) throw_collective(at + ": integer out of range");
            out = static_cast<int>(*v);
          }};
}
Key int64_key(const char* name, int64_t& out) {
  return {name, [&out](const toml::node& n, const std::string& at) {
            if (!n.is_integer()) throw_collective(at + ": expected an integer");
            out = *n.value<int64_t>();
          }};
}
Key double_key(const char* name, double& out) {
  return {name, [&out](const toml::node& n, const std::string& at) {
            if (!n.is_number()) throw_collective(at + ": expected a number");
            out = *n.value<double>();
          }};
}
Key bool_key(const char* name, bool& out) {
  return {name, [&out](const toml::node& n, const std::string& at) {
            if (!n.is_boolean()) throw_collective(at + ": expected true or false");
            out = *n.value<bool>();
          }};
}
Key string_key(const char* name, std::string& out) {
  return {name, [&out](const toml::node& n, const std::string& at) {
            if (!n.is_string()) throw_collective(at + ": expected a string");
            out = *n.value<std::string>();
          }};
}
Key string_list_key(const char* name, std::vector<std::string>& out) {
  return {name, [&out](const toml::node& n, const std::string& at) {
            const auto* arr = n.as_array();
            if (!arr) throw_collective(at + ": expected an array of strings");
            out.clear();
            for (const auto& e : *arr) {
              if (!e.is_string()) throw_collective(at + ": expected an array of strings");
              out.push_back(*e.value<std::string>());
            }
          }};
}

Key double_list_key(const char* name, std::vector<double>& out) {
  return {name, [&out](const toml::node& n, const std::string& at) {
            const auto* arr = n.as_array();
            if (!arr) throw_collective(at + ": expected an array of numbers");
            out.clear();
            for (const auto& e : *arr) {
              if (!e.is_number()) throw_collective(at + ": expected an array of numbers");
              out.push_back(*e.value<double>());
            }
          }};
}

Key int_list_key(const char* name, std::vector<int>& out) {
  return {name, [&out](const toml::node& n, const std::string& at) {
            const auto* arr = n.as_array();
            if (!arr) throw_collective(at + ": expected an array of integers");
            out.clear();
            for (const auto& e : *arr) {
              if (!e.is_integer()) throw_collective(at + ": expected an array of integers");
              out.push_back(static_cast<int>(*e.value<int64_t>()));
            }
          }};
}

void read_section(const toml::table& root, const std::string& origin, const std::string& section,
                  const std::vector<Key>& keys) {
  const toml::node* node = root.get(section);
  if (!node) return;
  const toml::table* tbl = node->as_table();
  if (!tbl) throw_collective(origin + ": [" + section + "] must be a table");
  for (const auto& [k, v] : *tbl) {
    const std::string key(k.str());
    const Key* match = nullptr;
    for (const auto& candidate : keys)
      if (candidate.name == key) match = &candidate;
    if (!match) {
      std::string known;
      for (const auto& candidate : keys) known += (known.empty() ? "" : ", ") + candidate.name;
      throw_collective(where(origin, section, key) + ": unknown key (known keys: " + known + ")");
    }
    match->read(v, where(origin, section, key));
  }
}

std::string read_toml_text(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw_collective(what + " " + path + ": cannot be opened (expected a TOML file)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

toml::table parse_toml(const std::string& text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << origin << ":" << e.source().begin.line << ":" << e.source().begin.column
        << ": invalid TOML: " << e.description();
    throw_collective(msg.str());
  }
}

}  // namespace paramoe
