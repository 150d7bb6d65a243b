#include "optim/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace paramoe {

double lr_at(int step, int warmup, int total, double peak, double min_ratio) {
  if (warmup > 0 && step < warmup) return peak * (step + 1) / warmup;
  const int span = std::max(1, total - warmup);
  const double progress = std::clamp(static_cast<double>(step - warmup) / span, 0.0, 1.0);
  const double cosine = 0.5 * (1.0 + std::cos(3.141592653589793 * progress));
  return peak * (min_ratio + (1.0 - min_ratio) * cosine);
}

}  // namespace paramoe
