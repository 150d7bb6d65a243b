#include "app/run_context.h"

#include "core/log.h"
#include "kernels/cpu/gemm.h"

namespace paramoe {

RunContext run_context_create(const std::string& config_path,
                              const std::vector<std::string>& overrides) {
  RunContext rc;
  rc.config = config_load(config_path, overrides);
  cpu::blas_set_threads_default();
  rc.grid = std::make_unique<ProcessGrid>(
      ProcessGrid::create(MPI_COMM_WORLD, rc.config.parallel, rc.config.moe));
  rc.coll = std::make_unique<MpiCollectives>(*rc.grid);
  rc.coll->set_alltoall(a2a_method_from_string(rc.config.moe.a2a),
                        order_algorithm_from_string(rc.config.moe.a2a_order));
  rc.layers = layer_device_create(rc.config, *rc.grid, *rc.coll);
  log_info("paramoe: config " + rc.config.origin + " | " + rc.grid->describe() + " | " +
           rc.layers.describe);
  return rc;
}

}  // namespace paramoe
