#include "plan/schedule_choice.h"

#include <algorithm>
#include <cstdio>

namespace paramoe {

std::vector<std::pair<std::string, int>> schedule_candidates(
    const Layout& layout, const std::vector<int>& chunks, const std::vector<std::string>& names) {
  auto wanted = [&](const char* n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  std::vector<std::pair<std::string, int>> out;
  if (wanted("replicated") && layout.esp == layout.mp) out.push_back({"replicated", 1});
  if (wanted("s1")) out.push_back({"s1", 1});
  if (wanted("s2"))
    for (int r : chunks) out.push_back({"s2", r});
  if (wanted("dc")) out.push_back({"dc", 1});
  return out;
}

ScheduleOption schedule_option(const std::string& name, int chunks, const LayerShape& shape,
                               const Layout& layout, const ClusterSpec& cluster) {
  return {name, chunks, predict_layer(schedule_build(name, chunks), shape, layout, cluster)};
}

std::vector<ScheduleOption> schedule_options(const LayerShape& shape, const Layout& layout,
                                             const ClusterSpec& cluster,
                                             const std::vector<int>& chunks,
                                             const std::vector<std::string>& names) {
  std::vector<ScheduleOption> out;
  for (const auto& [name, r] : schedule_candidates(layout, chunks, names))
    out.push_back(schedule_option(name, r, shape, layout, cluster));
  return out;
}

const ScheduleOption& schedule_best(const std::vector<ScheduleOption>& options, std::string& why) {
  const ScheduleOption* best = &options.front();
  for (const ScheduleOption& o : options)
    if (o.prediction.total() < best->prediction.total()) best = &o;
  why = "predicted fwd+bwd";
  char buf[96];
  for (const ScheduleOption& o : options) {
    std::snprintf(buf, sizeof buf, " %s%s %.3f ms", o.name.c_str(),
                  o.name == "s2" ? ("(r=" + std::to_string(o.chunks) + ")").c_str() : "",
                  o.prediction.total() * 1e3);
    why += buf;
  }
  return *best;
}

}  // namespace paramoe
