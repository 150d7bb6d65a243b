#include "moe/expert_placement.h"

#include <algorithm>

#include "core/error.h"
#include "core/rng.h"

namespace paramoe {

std::vector<int64_t> ExpertPlacement::experts_of(int rank) const {
  std::vector<int64_t> out;
  for (int e = 0; e < num_experts(); ++e)
    if (owner[e] == rank) out.push_back(e);
  return out;
}

bool ExpertPlacement::contiguous() const {
  for (int e = 0; e < num_experts(); ++e)
    if (owner[e] != e / local_experts()) return false;
  return true;
}

std::string ExpertPlacement::describe() const {
  std::string s;
  for (int r = 0; r < ep; ++r) {
    if (r) s += ' ';
    s += std::to_string(r);
    s += ":[";
    const auto mine = experts_of(r);
    for (size_t i = 0; i < mine.size(); ++i) {
      if (i) s += ' ';
      s += std::to_string(mine[i]);
    }
    s += ']';
  }
  return s;
}

ExpertPlacement placement_contiguous(int num_experts, int ep) {
  PARAMOE_REQUIRE(ep >= 1 && num_experts % ep == 0, "placement: experts not divisible by ep");
  std::vector<int> owner(num_experts);
  for (int e = 0; e < num_experts; ++e) owner[e] = e / (num_experts / ep);
  return placement_from_owners(std::move(owner), ep, "contiguous placement");
}

ExpertPlacement placement_random(int num_experts, int ep, uint64_t seed) {
  const int E = num_experts;
  std::vector<int> perm(E);
  for (int i = 0; i < E; ++i) perm[i] = i;
  for (int i = E; i > 1; --i) std::swap(perm[i - 1], perm[splitmix64(seed ^ splitmix64(i)) % i]);
  std::vector<int> owner(E);
  for (int i = 0; i < E; ++i) owner[perm[i]] = i / (E / ep);
  if (placement_from_owners(owner, ep, "random placement").contiguous())
    for (int& r : owner) r = ep - 1 - r;
  return placement_from_owners(std::move(owner), ep, "random placement");
}

ExpertPlacement placement_from_owners(std::vector<int> owner, int ep, const std::string& what) {
  const int E = static_cast<int>(owner.size());
  if (ep < 1 || E % ep != 0)
    throw Error(what + ": " + std::to_string(E) +
                " experts cannot be split evenly over ep=" + std::to_string(ep));
  std::vector<int> held(ep, 0);
  for (int e = 0; e < E; ++e) {
    if (owner[e] < 0 || owner[e] >= ep)
      throw Error(what + ": expert " + std::to_string(e) + " is placed on rank " +
                  std::to_string(owner[e]) + ", expected a rank in [0, " + std::to_string(ep) +
                  ")");
    ++held[owner[e]];
  }
  for (int r = 0; r < ep; ++r)
    if (held[r] != E / ep)
      throw Error(what + ": EP rank " + std::to_string(r) + " holds " + std::to_string(held[r]) +
                  " experts, expected " + std::to_string(E / ep) + " (E/ep on every rank)");
  ExpertPlacement p;
  p.ep = ep;
  p.owner = std::move(owner);
  p.slot_of.assign(E, 0);
  p.expert_of.assign(E, 0);
  std::vector<int> next(ep, 0);
  for (int e = 0; e < E; ++e) {  // ascending e: local order is ascending
    const int slot = p.owner[e] * (E / ep) + next[p.owner[e]]++;
    p.slot_of[e] = slot;
    p.expert_of[slot] = e;
  }
  return p;
}

void placement_move_rows(MPI_Comm ep_comm, const ExpertPlacement& from, const ExpertPlacement& to,
                         const std::vector<std::vector<float>*>& tensors,
                         const std::vector<int64_t>& row_elems) {
  PARAMOE_REQUIRE(tensors.size() == row_elems.size(), "placement_move_rows: one size per tensor");
  PARAMOE_REQUIRE(from.num_experts() == to.num_experts() && from.ep == to.ep,
                  "placement_move_rows: placements of different shapes");
  int me = 0, n = 1;
  MPI_CHECK(MPI_Comm_rank(ep_comm, &me));
  MPI_CHECK(MPI_Comm_size(ep_comm, &n));
  PARAMOE_REQUIRE(n == from.ep, "placement_move_rows: communicator is not the EP group");
  const int E = from.num_experts(), L = from.local_experts();
  int64_t per_expert = 0;  // floats of one expert over all tensors
  for (size_t t = 0; t < tensors.size(); ++t) {
    PARAMOE_REQUIRE(static_cast<int64_t>(tensors[t]->size()) == L * row_elems[t],
                    "placement_move_rows: tensor is not [E/ep, row]");
    per_expert += row_elems[t];
  }
  // Experts travel in ascending order on both sides, so packing and unpacking walk
  // the same list: every expert this rank sends to peer q, then the next peer.
  std::vector<int> send_n(n, 0), recv_n(n, 0), sdispl(n, 0), rdispl(n, 0);
  for (int e = 0; e < E; ++e) {
    if (from.owner[e] == me) send_n[to.owner[e]] += static_cast<int>(per_expert);
    if (to.owner[e] == me) recv_n[from.owner[e]] += static_cast<int>(per_expert);
  }
  for (int q = 1; q < n; ++q) {
    sdispl[q] = sdispl[q - 1] + send_n[q - 1];
    rdispl[q] = rdispl[q - 1] + recv_n[q - 1];
  }
  std::vector<float> send(static_cast<size_t>(L) * per_expert), recv(send.size());
  std::vector<int> cursor = sdispl;
  for (int e = 0; e < E; ++e) {
    if (from.owner[e] != me) continue;
    const int64_t local = from.slot_of[e] - me * L;
    float* dst = send.data() + cursor[to.owner[e]];
    for (size_t t = 0; t < tensors.size(); ++t) {
      const float* src = tensors[t]->data() + local * row_elems[t];
      dst = std::copy(src, src + row_elems[t], dst);
    }
    cursor[to.owner[e]] += static_cast<int>(per_expert);
  }
  MPI_CHECK(MPI_Alltoallv(send.data(), send_n.data(), sdispl.data(), MPI_FLOAT, recv.data(),
                          recv_n.data(), rdispl.data(), MPI_FLOAT, ep_comm));
  cursor = rdispl;
  for (int e = 0; e < E; ++e) {
    if (to.owner[e] != me) continue;
    const int64_t local = to.slot_of[e] - me * L;
    const float* src = recv.data() + cursor[from.owner[e]];
    for (size_t t = 0; t < tensors.size(); ++t) {
      std::copy(src, src + row_elems[t], tensors[t]->data() + local * row_elems[t]);
      src += row_elems[t];
    }
    cursor[from.owner[e]] += static_cast<int>(per_expert);
  }
}

}  // namespace paramoe
