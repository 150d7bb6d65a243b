#include "plan/layer_grid.h"

#include "core/error.h"
#include "core/toml_keys.h"

namespace paramoe {

namespace {

std::vector<int> ints(const std::vector<double>& v, const std::string& at) {
  std::vector<int> out;
  for (double x : v) {
    if (x != static_cast<int>(x) || x < 1) throw_collective(at + ": expected integers >= 1");
    out.push_back(static_cast<int>(x));
  }
  return out;
}

}  // namespace

LayerGrid grid_parse(const std::string& text, const std::string& origin) {
  const toml::table root = parse_toml(text, origin);
  std::vector<double> batch, seq, d_model, ratio, experts, top_k, capacity = {0}, chunks = {2};
  std::vector<std::string> activation = {"gelu"};
  std::vector<std::vector<int>> layouts;
  LayerGrid g;
  Key layouts_key{"layouts", [&](const toml::node& n, const std::string& at) {
                    const auto* arr = n.as_array();
                    if (!arr) throw_collective(at + ": expected [[mp, ep, esp], ...]");
                    for (const auto& e : *arr) {
                      const auto* l = e.as_array();
                      if (!l || l->size() != 3)
                        throw_collective(at + ": expected [[mp, ep, esp], ...]");
                      std::vector<int> v;
                      for (const auto& x : *l) {
                        if (!x.is_integer() || *x.value<int64_t>() < 1)
                          throw_collective(at + ": expected positive integers mp, ep, esp");
                        v.push_back(static_cast<int>(*x.value<int64_t>()));
                      }
                      layouts.push_back(v);
                    }
                  }};
  read_section(
      root, origin, "grid",
      {string_key("name", g.name), double_list_key("batch", batch), double_list_key("seq_len", seq),
       double_list_key("d_model", d_model), double_list_key("ffn_ratio", ratio),
       double_list_key("experts", experts), double_list_key("top_k", top_k),
       double_list_key("capacity_factor", capacity), string_list_key("activation", activation),
       layouts_key, double_list_key("chunks", chunks), string_list_key("schedules", g.schedules)});
  for (const auto& [k, v] : root)
    if (std::string(k.str()) != "grid")
      throw_collective(origin + ": unknown section [" + std::string(k.str()) + "] (known: grid)");
  auto need = [&](const std::vector<double>& v, const char* key) {
    if (v.empty()) throw_collective(where(origin, "grid", key) + ": expected a non-empty list");
    return ints(v, where(origin, "grid", key));
  };
  const auto B = need(batch, "batch"), L = need(seq, "seq_len"), M = need(d_model, "d_model"),
             R = need(ratio, "ffn_ratio"), E = need(experts, "experts"), K = need(top_k, "top_k");
  g.chunks = need(chunks, "chunks");
  if (layouts.empty())
    throw_collective(where(origin, "grid", "layouts") + ": expected [[mp, ep, esp], ...]");
  for (double c : capacity)
    if (c < 0) throw_collective(where(origin, "grid", "capacity_factor") + ": expected >= 0");
  for (const auto& a : activation)
    if (a != "gelu" && a != "swiglu")
      throw_collective(where(origin, "grid", "activation") + ": expected \"gelu\" or \"swiglu\"");
  if (g.schedules.empty())
    throw_collective(where(origin, "grid", "schedules") + ": expected a non-empty list");
  for (const auto& s : g.schedules)
    if (s != "replicated" && s != "s1" && s != "s2" && s != "dc")
      throw_collective(where(origin, "grid", "schedules") +
                       ": expected entries \"replicated\", \"s1\", \"s2\" or \"dc\", got \"" + s +
                       "\"");
  if (g.name.empty()) g.name = origin;
  for (const auto& lay : layouts)
    for (int b : B)
      for (int l : L)
        for (int m : M)
          for (int r : R)
            for (int e : E)
              for (int k : K)
                for (double c : capacity)
                  for (const auto& a : activation) {
                    GridPoint p;
                    p.batch = b;
                    p.seq_len = l;
                    p.moe.d_model = m;
                    p.moe.d_hidden = r * m;
                    p.moe.num_experts = e;
                    p.moe.top_k = k;
                    p.moe.capacity_factor = c;
                    p.moe.activation = a;
                    p.mp = lay[0];
                    p.ep = lay[1];
                    p.esp = lay[2];
                    if (k > e)
                      throw_collective(where(origin, "grid", "top_k") + ": " + std::to_string(k) +
                                       " exceeds experts = " + std::to_string(e));
                    g.points.push_back(p);
                  }
  return g;
}

LayerGrid grid_load(const std::string& path) {
  return grid_parse(read_toml_text(path, "grid file"), path);
}

}  // namespace paramoe
