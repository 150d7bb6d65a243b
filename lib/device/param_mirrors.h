#pragma once
// The live copies of parameters on one device (core/param.h: ResidentParam): the
// Params' own host vectors where the device's memory is the host's, else a value
// and a gradient array per parameter in the device's memory. The backward
// accumulates into the live gradients and the optimizer updates the live values
// in place; the host Params are the checkpoints' view, brought up to date by
// load_values (host → device, after the host's values changed) and store_grads
// (device gradients added into the host's, then zeroed).
#include <map>

#include "core/param.h"
#include "device/device_array.h"
#include "device/device_ops.h"

namespace paramoe {

class ParamMirrors {
 public:
  explicit ParamMirrors(const DeviceOps& ops) : ops_(ops) {}

  // Mirrors p (its values, zero gradients); again for a p already here, afresh.
  void add(Param& p);
  // p's live copy; off the host, p must have been added (the error names it).
  ResidentParam resident(Param& p);
  void load_values();
  void store_grads();

 private:
  struct Mirror {
    Param* host;
    DeviceArray<float> value, grad;
  };
  const DeviceOps& ops_;
  std::map<const Param*, Mirror> mirrors_;
};

}  // namespace paramoe
