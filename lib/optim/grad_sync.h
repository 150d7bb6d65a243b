#pragma once
// Sums every parameter's gradient over the ranks that replicate it: dense and gate
// parameters over dp, expert parameters over edp. Losses are normalised by the
// global token count, so a sum (not a mean) gives the full-batch gradient.
#include <vector>

#include "comm/collectives.h"
#include "core/param.h"

namespace paramoe {

void grad_sync(const std::vector<Param*>& params, Collectives& coll);

}  // namespace paramoe
