#include "device/param_mirrors.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/elementwise.h"

namespace paramoe {

void ParamMirrors::add(Param& p) {
  if (ops_.host) return;  // the Param's own vectors are the live copy
  Mirror m{&p, {}, {}};
  upload(ops_.memory, p.value.data(), p.value.size(), m.value.fit(ops_.memory, p.value.size()));
  zero(ops_.memory, m.grad.fit(ops_.memory, p.grad.size()), p.grad.size());
  mirrors_.insert_or_assign(&p, std::move(m));
}

ResidentParam ParamMirrors::resident(Param& p) {
  if (ops_.host) return resident_on_host(p);
  auto it = mirrors_.find(&p);
  if (it == mirrors_.end())
    throw Error(std::string(ops_.name) + ": parameter " + p.name + " has no live copy here");
  return {&p, it->second.value.data(), it->second.grad.data()};
}

void ParamMirrors::load_values() {
  for (auto& [param, m] : mirrors_)
    upload(ops_.memory, m.host->value.data(), m.host->value.size(), m.value.data());
}

void ParamMirrors::store_grads() {
  std::vector<float> g;
  for (auto& [param, m] : mirrors_) {
    g.resize(m.host->grad.size());
    download(ops_.memory, m.grad.data(), g.size(), g.data());
    cpu::accumulate(g.data(), static_cast<int64_t>(g.size()), m.host->grad.data());
    zero(ops_.memory, m.grad.data(), g.size());
  }
}

}  // namespace paramoe
