#include "ckpt/tensor_slab.h"

#include <set>

#include "ckpt/checksum.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/slab.h"

namespace paramoe {
namespace {

// A fixed-size stand-in for a slab's dim0 list in the owners' key, so every rank
// contributes the same number of integers whatever its list.
int64_t dim0_key(const std::vector<int64_t>& dim0) {
  uint64_t h = dim0.empty() ? 0 : splitmix64(dim0.size());
  for (int64_t r : dim0) h = splitmix64(h ^ static_cast<uint64_t>(r));
  return static_cast<int64_t>(h);
}

}  // namespace

TensorSlab slab_like(const Param& p, const std::string& prefix, float* data) {
  return TensorSlab{prefix + p.name, p.global_shape, p.offset, p.shape, p.dim0, data};
}

std::vector<char> slab_owners(MPI_Comm comm, const std::vector<TensorSlab>& slabs) {
  int size = 1, rank = 0;
  MPI_CHECK(MPI_Comm_size(comm, &size));
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  // Every rank lists the same tensors in the same order (same config), so the keys
  // line up; the length check guards that assumption.
  std::vector<int64_t> keys;
  for (const TensorSlab& s : slabs) {
    keys.insert(keys.end(), s.offset.begin(), s.offset.end());
    keys.insert(keys.end(), s.shape.begin(), s.shape.end());
    keys.push_back(dim0_key(s.dim0));
  }
  int len[2] = {static_cast<int>(keys.size()), -static_cast<int>(keys.size())};
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, len, 2, MPI_INT, MPI_MAX, comm));
  PARAMOE_REQUIRE(len[0] == -len[1], "checkpoint: ranks disagree on the list of tensors");
  std::vector<int64_t> all(keys.size() * size);
  MPI_CHECK(MPI_Allgather(keys.data(), static_cast<int>(keys.size()), MPI_INT64_T, all.data(),
                          static_cast<int>(keys.size()), MPI_INT64_T, comm));

  std::vector<char> owner(slabs.size(), 0);
  size_t at = 0;
  for (size_t i = 0; i < slabs.size(); ++i) {
    const size_t n = 2 * slabs[i].shape.size() + 1;
    auto key_of = [&](int r) {
      return std::vector<int64_t>(all.begin() + r * keys.size() + at,
                                  all.begin() + r * keys.size() + at + n);
    };
    std::set<std::vector<int64_t>> distinct;
    int first_holder = -1;
    const auto mine = key_of(rank);
    for (int r = 0; r < size; ++r) {
      auto k = key_of(r);
      if (first_holder < 0 && k == mine) first_holder = r;
      distinct.insert(std::move(k));
    }
    owner[i] = first_holder == rank;
    int64_t covered = 0;
    const size_t nd = slabs[i].shape.size();
    for (const auto& k : distinct)
      covered += shape_numel(std::vector<int64_t>(k.begin() + nd, k.begin() + 2 * nd));
    PARAMOE_REQUIRE(covered == shape_numel(slabs[i].global_shape),
                    "checkpoint: the slabs of " + slabs[i].name + " do not tile its global shape");
    at += n;
  }
  return owner;
}

std::vector<uint64_t> tensor_checksums(MPI_Comm comm, const std::vector<TensorSlab>& slabs) {
  const std::vector<char> owners = slab_owners(comm, slabs);
  std::vector<uint64_t> sums(slabs.size(), 0);
  for (size_t i = 0; i < slabs.size(); ++i)
    if (owners[i])
      sums[i] = checksum_slab(slabs[i].data, slabs[i].global_shape, slabs[i].offset, slabs[i].shape,
                              slabs[i].dim0);
  // Unsigned sums wrap modulo 2^64, which is the checksum's definition.
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(sums.size()), MPI_UINT64_T,
                          MPI_SUM, comm));
  return sums;
}

}  // namespace paramoe
