#include "plan/cluster.h"

#include <algorithm>

#include "core/error.h"
#include "core/toml_keys.h"
#include "core/trace.h"

namespace paramoe {

namespace {

void require(bool ok, const std::string& origin, const char* section, const char* key,
             const std::string& expected) {
  if (!ok) throw_collective(where(origin, section, key) + ": expected " + expected);
}

void require_present(const toml::table& root, const std::string& origin, const char* section,
                     const char* key) {
  const toml::node* s = root.get(section);
  const bool present = s && s->as_table() && s->as_table()->get(key);
  require(present, origin, section, key, "a value (the key is missing)");
}

}  // namespace

ClusterSpec cluster_parse(const std::string& text, const std::string& origin) {
  const toml::table root = parse_toml(text, origin);
  for (const auto& [k, v] : root) {
    const std::string s(k.str());
    if (s != "cluster" && s != "intra" && s != "inter" && s != "device")
      throw_collective(origin + ": unknown section [" + s +
                       "] (known: cluster, intra, inter, device)");
  }
  ClusterSpec c;
  c.origin = origin;
  const char* required[][2] = {{"cluster", "nodes"},        {"cluster", "ranks_per_node"},
                               {"intra", "bandwidth_GBps"}, {"intra", "latency_us"},
                               {"inter", "bandwidth_GBps"}, {"inter", "latency_us"},
                               {"device", "gemm_TFLOPs"},   {"device", "memory_GBps"}};
  for (const auto& rk : required) require_present(root, origin, rk[0], rk[1]);
  read_section(root, origin, "cluster",
               {string_key("name", c.name), int_key("nodes", c.nodes),
                int_key("ranks_per_node", c.ranks_per_node)});
  read_section(root, origin, "intra",
               {double_key("bandwidth_GBps", c.intra.bandwidth_GBps),
                double_key("latency_us", c.intra.latency_us),
                double_key("incast_penalty", c.intra.incast_penalty)});
  read_section(root, origin, "inter",
               {double_key("bandwidth_GBps", c.inter.bandwidth_GBps),
                double_key("latency_us", c.inter.latency_us),
                double_key("incast_penalty", c.inter.incast_penalty)});
  read_section(
      root, origin, "device",
      {double_key("gemm_TFLOPs", c.gemm_TFLOPs), double_key("memory_GBps", c.memory_GBps),
       double_key("launch_us", c.launch_us), double_key("activation_Gps", c.activation_Gps),
       double_list_key("speeds", c.speeds)});
  require(c.nodes >= 1, origin, "cluster", "nodes", "an integer >= 1");
  require(c.ranks_per_node >= 1, origin, "cluster", "ranks_per_node", "an integer >= 1");
  require(c.intra.bandwidth_GBps > 0, origin, "intra", "bandwidth_GBps", "a number > 0");
  require(c.inter.bandwidth_GBps > 0, origin, "inter", "bandwidth_GBps", "a number > 0");
  require(c.intra.latency_us >= 0, origin, "intra", "latency_us", "a number >= 0");
  require(c.inter.latency_us >= 0, origin, "inter", "latency_us", "a number >= 0");
  require(c.intra.incast_penalty >= 0, origin, "intra", "incast_penalty", "a number >= 0");
  require(c.inter.incast_penalty >= 0, origin, "inter", "incast_penalty", "a number >= 0");
  require(c.gemm_TFLOPs > 0, origin, "device", "gemm_TFLOPs", "a number > 0");
  require(c.memory_GBps > 0, origin, "device", "memory_GBps", "a number > 0");
  require(c.launch_us >= 0, origin, "device", "launch_us", "a number >= 0");
  require(c.activation_Gps >= 0, origin, "device", "activation_Gps", "a number >= 0");
  require(c.speeds.empty() || static_cast<int>(c.speeds.size()) == c.world(), origin, "device",
          "speeds", "one value per rank (" + std::to_string(c.world()) + ") or none");
  for (double s : c.speeds) require(s > 0, origin, "device", "speeds", "positive numbers");
  if (c.name.empty()) c.name = origin;
  return c;
}

A2aLinkModel a2a_link_model(const ClusterSpec& c, bool across_nodes) {
  const Link& link = across_nodes ? c.inter : c.intra;
  A2aLinkModel model;
  model.bytes_per_s = {link.bandwidth_GBps * 1e9};
  model.latency_s = link.latency_us * 1e-6;
  model.incast_penalty = link.incast_penalty;
  model.intra_bytes_per_s = c.intra.bandwidth_GBps * 1e9;
  model.intra_latency_s = c.intra.latency_us * 1e-6;
  return model;
}

ShadowCosts shadow_costs(const ClusterSpec& c, bool across_nodes) {
  const Link& link = across_nodes ? c.inter : c.intra;
  const double slowest =
      c.speeds.empty() ? 1.0 : *std::min_element(c.speeds.begin(), c.speeds.end());
  return ShadowCosts{c.gemm_TFLOPs * 1e12 * slowest, link.bandwidth_GBps * 1e9,
                     link.latency_us * 1e-6};
}

ClusterSpec cluster_load(const std::string& path) {
  return cluster_parse(read_toml_text(path, "cluster file"), path);
}

void cluster_write(std::ostream& out, const ClusterSpec& c) {
  const auto precision = out.precision(17);
  out << "[cluster]\nname = " << json_string(c.name) << "\nnodes = " << c.nodes
      << "\nranks_per_node = " << c.ranks_per_node << "\n\n";
  out << "[intra]\nbandwidth_GBps = " << c.intra.bandwidth_GBps
      << "\nlatency_us = " << c.intra.latency_us << "\nincast_penalty = " << c.intra.incast_penalty
      << "\n\n";
  out << "[inter]\nbandwidth_GBps = " << c.inter.bandwidth_GBps
      << "\nlatency_us = " << c.inter.latency_us << "\nincast_penalty = " << c.inter.incast_penalty
      << "\n\n";
  out << "[device]\ngemm_TFLOPs = " << c.gemm_TFLOPs << "\nmemory_GBps = " << c.memory_GBps
      << "\nlaunch_us = " << c.launch_us << "\nactivation_Gps = " << c.activation_Gps << "\n";
  if (!c.speeds.empty()) {
    out << "speeds = [";
    for (size_t r = 0; r < c.speeds.size(); ++r) out << (r ? ", " : "") << c.speeds[r];
    out << "]\n";
  }
  out.precision(precision);
}

std::vector<double> slowest_speeds(const std::vector<double>& rank_speeds,
                                   const std::vector<int>& index_of_rank, int n) {
  if (rank_speeds.empty()) return std::vector<double>(n, 1.0);
  PARAMOE_REQUIRE(rank_speeds.size() == index_of_rank.size(), "speeds: one per rank");
  std::vector<double> s(n, 0.0);
  for (size_t r = 0; r < rank_speeds.size(); ++r) {
    double& v = s[index_of_rank[r]];
    v = v == 0.0 ? rank_speeds[r] : std::min(v, rank_speeds[r]);
  }
  return s;
}

}  // namespace paramoe
