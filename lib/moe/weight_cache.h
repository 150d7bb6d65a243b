#pragma once
// HEXA-MoE's weight cache for data-centric layers: one buffer, sized for the
// largest attached layer, into which the expert group all-gathers the expert
// blocks (expert_blocks.h) of whichever layer computes next, plus one buffer of the
// same size for that layer's weight gradients, reduce-scattered back to their
// owners. All MoE layers of a model attach to one cache, so its memory is one
// layer's expert weights (and gradients), not L layers'.
//
// Overlap: once layer l's experts have run, the cache is free, and the gather of
// layer l+1 (forward) or l−1 (backward) starts then; it is in flight during layer
// l's combine and whatever the model runs between the two MoE layers, and layer
// l+1 waits for it only when its experts need the weights.
//
// Validity: a forward pass always gathers (the values may have changed since the
// last pass); the backward reuses what the forward or a backward prefetch left.
// invalidate() (MoeLayer::load_params) drops the contents.
//
// Memory: the buffers are made by the first attached layer's StepBackend, so they
// are host memory on the CPU and device memory on the GPU, where the cache's
// Collectives (the layers' own: MPI, NCCL or staged MPI) move them. Every attached
// layer's backend computes in that one memory: a model's MoE layers share a device.
#include <cstdint>
#include <memory>
#include <vector>

#include "comm/collectives.h"
#include "moe/expert_blocks.h"
#include "moe/moe_params.h"
#include "moe/step_backend.h"

namespace paramoe {

class WeightCache {
 public:
  explicit WeightCache(Collectives& coll) : coll_(coll) {}
  WeightCache(const WeightCache&) = delete;
  WeightCache& operator=(const WeightCache&) = delete;

  // Registers a layer (its params and the backend that packs them and takes their
  // gradients, in execution order) and returns its id; a layer's neighbours for
  // prefetching are ids ± 1.
  int attach(MoeParams& params, StepBackend& backend);
  int layers() const { return static_cast<int>(layers_.size()); }
  int64_t block_floats(int id) const { return layers_.at(id).block.size; }

  // Makes sure the gather of layer id's weights is done or in flight. fresh: a
  // completed gather does not count (a forward pass). True if it started one.
  bool request(int id, bool fresh);
  // Starts layer id's gather if id is attached and it is neither done nor in
  // flight: the prefetch. True if it started one.
  bool prefetch(int id, bool fresh);
  // Completes layer id's requested gather; returns the gathered experts.
  GatheredExperts complete(int id);
  void invalidate();

  // Layer id's gradient blocks, zeroed: the gathered backward writes them.
  float* zeroed_grads(int id);
  // Starts the reduce-scatter of the gradient blocks to their owners; after
  // wait(h), add_grads adds this rank's block into layer id's expert grads.
  Collectives::Handle start_grad_reduce(int id);
  void add_grads(int id);

  // Bytes this cache holds (weights, gradients, the packed shard and the reduced block).
  int64_t bytes() const;
  // How the layers' requests were served: gathers started, those a neighbour's
  // prefetch had started before the layer asked, and backward requests that found
  // the weights still in the cache.
  struct Stats {
    int64_t gathers = 0, prefetched = 0, reused = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Layer {
    StepBackend* backend;
    ExpertBlock block;
  };
  int64_t capacity() const;  // floats of the largest attached layer's gathered blocks
  void reserve();
  void start_gather(int id, bool prefetch);
  void wait_incoming();
  std::vector<int> block_counts(int id) const;

  Collectives& coll_;
  std::vector<Layer> layers_;
  std::unique_ptr<BackendBuffer> weights_, grads_, pack_, mine_;
  int holder_ = -1;    // whose weights `weights_` holds, complete
  int incoming_ = -1;  // whose gather is in flight
  Collectives::Handle gather_ = 0;
  bool incoming_prefetched_ = false;  // the gather in flight was started by a prefetch
  Stats stats_;
};

}  // namespace paramoe
