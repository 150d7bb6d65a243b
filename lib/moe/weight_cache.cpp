#include "moe/weight_cache.h"

#include <algorithm>
#include <climits>

#include "core/error.h"

namespace paramoe {

int WeightCache::attach(MoeParams& params, StepBackend& backend) {
  const ExpertBlock b = expert_block(params.dims());
  if (b.size > INT_MAX)
    throw Error("data-centric weight cache: one rank's expert shard has " + std::to_string(b.size) +
                " floats, above the 2^31 an MPI count holds; use more ep or esp ranks");
  layers_.push_back(Layer{&backend, b});
  return static_cast<int>(layers_.size()) - 1;
}

int64_t WeightCache::capacity() const {
  int64_t n = 0;
  for (const Layer& l : layers_) n = std::max(n, l.block.size);
  return n * coll_.grid().size(Group::Expert);
}

// Sized on first use, when every layer has attached.
void WeightCache::reserve() {
  const int64_t n = capacity();
  if (weights_ && weights_->size() >= n) return;
  PARAMOE_REQUIRE(incoming_ < 0, "weight cache resized while a gather is in flight");
  StepBackend& memory = *layers_.at(0).backend;
  for (auto* b : {&weights_, &grads_, &pack_, &mine_})
    if (!*b) *b = memory.new_buffer();
  weights_->assign_zeros(n);
  grads_->assign_zeros(n);
  pack_->assign_zeros(n / coll_.grid().size(Group::Expert));
  mine_->assign_zeros(pack_->size());
}

std::vector<int> WeightCache::block_counts(int id) const {
  return std::vector<int>(coll_.grid().size(Group::Expert),
                          static_cast<int>(layers_.at(id).block.size));
}

void WeightCache::wait_incoming() {
  if (incoming_ < 0) return;
  coll_.wait(gather_);
  holder_ = incoming_;
  incoming_ = -1;
}

void WeightCache::start_gather(int id, bool prefetch) {
  reserve();
  wait_incoming();  // one gather at a time: they share the buffer
  holder_ = -1;
  Layer& l = layers_.at(id);
  l.backend->pack_experts(l.block, pack_->data());
  gather_ = coll_.start_allgatherv_rows(Group::Expert, pack_->data(), weights_->data(),
                                        block_counts(id), 1);
  incoming_ = id;
  incoming_prefetched_ = prefetch;
  ++stats_.gathers;
}

bool WeightCache::request(int id, bool fresh) {
  PARAMOE_REQUIRE(id >= 0 && id < layers(), "weight cache: unknown layer");
  if (incoming_ == id) {
    stats_.prefetched += incoming_prefetched_;
    incoming_prefetched_ = false;
    return false;
  }
  if (!fresh && holder_ == id) {
    ++stats_.reused;
    return false;
  }
  start_gather(id, false);
  return true;
}

bool WeightCache::prefetch(int id, bool fresh) {
  if (id < 0 || id >= layers() || incoming_ == id || (!fresh && holder_ == id)) return false;
  start_gather(id, true);
  return true;
}

GatheredExperts WeightCache::complete(int id) {
  if (incoming_ == id) wait_incoming();
  PARAMOE_REQUIRE(holder_ == id, "weight cache: layer's weights used before they were requested");
  const ProcessGrid& g = coll_.grid();
  return GatheredExperts{g.layout().ep, g.layout().esp, layers_[id].block, weights_->data()};
}

void WeightCache::invalidate() {
  wait_incoming();
  holder_ = -1;
}

float* WeightCache::zeroed_grads(int id) {
  grads_->zero(layers_.at(id).block.size * coll_.grid().size(Group::Expert));
  return grads_->data();
}

Collectives::Handle WeightCache::start_grad_reduce(int id) {
  return coll_.start_reduce_scatterv_rows(Group::Expert, grads_->data(), mine_->data(),
                                          block_counts(id), 1);
}

void WeightCache::add_grads(int id) {
  Layer& l = layers_.at(id);
  l.backend->add_expert_grads(l.block, mine_->data());
}

int64_t WeightCache::bytes() const {
  int64_t n = 0;
  for (const auto* b : {&weights_, &grads_, &pack_, &mine_})
    if (*b) n += (*b)->size();
  return static_cast<int64_t>(sizeof(float)) * n;
}

}  // namespace paramoe
