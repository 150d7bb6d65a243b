#pragma once
// Which EP rank holds which expert. Every EP rank holds E/ep experts, so all
// ranks' parameter shapes stay equal, and holds them in ascending expert order.
// An expert's "slot" is its position in rank-major order: owner·(E/ep) + its
// index among that owner's experts. The dispatch plan sends rows in slot order,
// so after the counts exchange nothing else in the layer depends on the placement.
// The contiguous placement (expert e on rank e / (E/ep)) is the default.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace paramoe {

struct ExpertPlacement {
  int ep = 1;
  std::vector<int> owner;      // [E] the EP rank holding expert e
  std::vector<int> slot_of;    // [E] expert → slot
  std::vector<int> expert_of;  // [E] slot → expert

  int num_experts() const { return static_cast<int>(owner.size()); }
  int local_experts() const { return num_experts() / ep; }
  std::vector<int64_t> experts_of(int rank) const;  // ascending
  bool contiguous() const;
  std::string describe() const;  // "0:[0 5] 1:[1 2] ..."
};

ExpertPlacement placement_contiguous(int num_experts, int ep);

// A seeded random placement, never the contiguous one when ep > 1: the baseline
// that load-aware plans are compared with, and a test that results do not depend
// on where experts live.
ExpertPlacement placement_random(int num_experts, int ep, uint64_t seed);

// Throws Error (naming `what`) unless owner[e] is in [0, ep) and every rank holds
// exactly E/ep experts.
ExpertPlacement placement_from_owners(std::vector<int> owner, int ep, const std::string& what);

// Moves expert rows to their new owners: each tensor is [E/ep, row_elems[i]]
// packed, its rows ordered as `from` places this rank's experts; on return it is
// ordered as `to` does. Collective over the EP communicator ep_comm (whose rank
// is the EP index); all ranks must pass the same placements and tensor list.
void placement_move_rows(MPI_Comm ep_comm, const ExpertPlacement& from, const ExpertPlacement& to,
                         const std::vector<std::vector<float>*>& tensors,
                         const std::vector<int64_t>& row_elems);

}  // namespace paramoe
