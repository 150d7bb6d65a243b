#pragma once
namespace paramoe {

// Linear warmup to `peak` over `warmup` steps, then cosine decay to peak·min_ratio
// at `total` steps.
double lr_at(int step, int warmup, int total, double peak, double min_ratio);

}  // namespace paramoe
