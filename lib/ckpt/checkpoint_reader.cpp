// Reading, validating and inspecting checkpoint files. See checkpoint_file.h.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "ckpt/checkpoint_file.h"
#include "ckpt/checksum.h"
#include "ckpt/h5_util.h"
#include "comm/agreement.h"
#include "core/error.h"
#include "core/slab.h"

namespace paramoe {
namespace {

std::string where(const std::string& path) {
  return "checkpoint " + path;
}

h5::Handle open_serial(const std::string& path) {
  h5::silence_error_stack();
  if (!std::filesystem::exists(path)) throw Error(where(path) + ": no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw Error(where(path) + ": not an HDF5 file (truncated or corrupt?)");
  return h5::checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                     where(path) + ": cannot open (truncated or corrupt?)");
}

CheckpointMeta read_meta(hid_t file, const std::string& path) {
  const std::string w = where(path);
  const std::string format = h5::read_attr_string(file, "format", w);
  if (format != kCheckpointFormat)
    throw Error(w + ": attribute format is '" + format + "', expected '" + kCheckpointFormat +
                "' (not a paramoe checkpoint)");
  const int64_t version = h5::read_attr_i64(file, "format_version", w);
  if (version < 1 || version > kCheckpointFormatVersion)
    throw Error(w + ": format_version " + std::to_string(version) +
                ", this build reads versions 1 to " + std::to_string(kCheckpointFormatVersion));
  const std::string algo = h5::read_attr_string(file, "checksum_algorithm", w);
  if (algo != kChecksumAlgorithm)
    throw Error(w + ": checksum_algorithm '" + algo + "', expected '" + kChecksumAlgorithm + "'");
  CheckpointMeta m;
  m.step = h5::read_attr_i64(file, "step", w);
  m.tokens_seen = h5::read_attr_i64(file, "tokens_seen", w);
  m.rng_seed = h5::read_attr_i64(file, "rng_seed", w);
  m.rng_counter = h5::read_attr_i64(file, "rng_counter", w);
  m.config_toml = h5::read_attr_string(file, "config", w);
  if (H5Lexists(file, "layout", H5P_DEFAULT) <= 0) throw Error(w + ": group /layout is missing");
  h5::Handle g =
      h5::checked(H5Gopen2(file, "layout", H5P_DEFAULT), H5Gclose, w + ": group /layout");
  const std::string wl = w + ": /layout";
  m.layout.world = static_cast<int>(h5::read_attr_i64(g.get(), "world", wl));
  m.layout.mp = static_cast<int>(h5::read_attr_i64(g.get(), "mp", wl));
  m.layout.ep = static_cast<int>(h5::read_attr_i64(g.get(), "ep", wl));
  m.layout.esp = static_cast<int>(h5::read_attr_i64(g.get(), "esp", wl));
  m.layout.ranks_per_node = static_cast<int>(h5::read_attr_i64(g.get(), "ranks_per_node", wl));
  if (version >= 2) {
    const uint64_t stored = h5::read_attr_u64(file, "meta_checksum", w);
    const uint64_t computed = fnv1a64(checkpoint_meta_text(m, version));
    if (stored != computed) {
      char hex[80];
      std::snprintf(hex, sizeof hex, "stored %016llx, computed %016llx",
                    static_cast<unsigned long long>(stored),
                    static_cast<unsigned long long>(computed));
      throw Error(w +
                  ": the root attributes (step, tokens_seen, rng_*, config, layout) do not "
                  "match meta_checksum (" +
                  hex +
                  "): altered or corrupt; expected an intact "
                  "file (resume from an earlier checkpoint)");
    }
  }
  return m;
}

// Rank 0's serial pass: meta, the exact set of datasets, their types and shapes,
// and their stored checksums.
CheckpointMeta validate(const std::string& path, const std::vector<TensorSlab>& tensors,
                        const std::string& unread, std::vector<uint64_t>& stored) {
  h5::Handle file = open_serial(path);
  CheckpointMeta meta = read_meta(file.get(), path);
  std::vector<std::string> present = h5::list_datasets(file.get());
  std::set<std::string> expected;
  for (const TensorSlab& t : tensors) expected.insert(t.name);
  for (const std::string& name : present)
    if (!expected.count(name) && (unread.empty() || name.rfind(unread, 0) != 0))
      throw Error(where(path) + ": dataset /" + name +
                  " is not part of the model the config describes (different train.layers or "
                  "moe.activation?)");
  stored.assign(tensors.size(), 0);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorSlab& t = tensors[i];
    const std::string w = where(path) + ": dataset /" + t.name;
    if (std::find(present.begin(), present.end(), t.name) == present.end())
      throw Error(w + " is missing");
    h5::Handle d = h5::checked(H5Dopen2(file.get(), t.name.c_str(), H5P_DEFAULT), H5Dclose, w);
    if (!h5::dataset_is_f32(d.get())) throw Error(w + ": expected float32 values");
    const std::vector<int64_t> shape = h5::dataset_shape(d.get(), w);
    if (shape != t.global_shape)
      throw Error(w + ": shape " + h5::shape_string(shape) + " in the file, but the config gives " +
                  h5::shape_string(t.global_shape));
    stored[i] = h5::read_attr_u64(d.get(), "checksum", w);
  }
  return meta;
}

void bcast_meta(CheckpointMeta& m, MPI_Comm comm) {
  int64_t v[4] = {m.step, m.tokens_seen, m.rng_seed, m.rng_counter};
  int l[5] = {m.layout.world, m.layout.mp, m.layout.ep, m.layout.esp, m.layout.ranks_per_node};
  MPI_CHECK(MPI_Bcast(v, 4, MPI_INT64_T, 0, comm));
  MPI_CHECK(MPI_Bcast(l, 5, MPI_INT, 0, comm));
  m.step = v[0], m.tokens_seen = v[1], m.rng_seed = v[2], m.rng_counter = v[3];
  m.layout.world = l[0], m.layout.mp = l[1], m.layout.ep = l[2], m.layout.esp = l[3];
  m.layout.ranks_per_node = l[4];
  bcast_string(m.config_toml, 0, comm);
}

void read_slab(hid_t file, const std::string& path, const TensorSlab& t) {
  const std::string w = where(path) + ": dataset /" + t.name;
  h5::Handle d = h5::checked(H5Dopen2(file, t.name.c_str(), H5P_DEFAULT), H5Dclose, w);
  h5::Handle fspace = h5::checked(H5Dget_space(d.get()), H5Sclose, w);
  const bool reads = shape_numel(t.shape) > 0;
  const h5::SlabTransfer x = h5::select_slab(fspace.get(), t.offset, t.shape, t.dim0, reads, w);
  h5::check(H5Dread(d.get(), H5T_NATIVE_FLOAT, x.mspace.get(), fspace.get(), x.dxpl.get(),
                    reads ? t.data : nullptr),
            w + ": read failed (truncated file?)");
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string checksum_mismatch(const std::string& path, const std::string& name, uint64_t stored,
                              uint64_t computed) {
  return where(path) + ": dataset /" + name + ": checksum mismatch (stored " + hex(stored) +
         ", computed " + hex(computed) + "); the file is corrupt";
}

// Reads a whole float32 dataset serially and fills d (name, dtype, shape, both checksums).
std::vector<float> read_whole(hid_t file, const std::string& path, const std::string& name,
                              DatasetInfo& d) {
  const std::string w = where(path) + ": dataset /" + name;
  h5::Handle ds = h5::checked(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, w);
  d.name = name;
  if (!h5::dataset_is_f32(ds.get())) throw Error(w + ": expected float32 values");
  d.dtype = "float32";
  d.shape = h5::dataset_shape(ds.get(), w);
  d.stored_checksum = h5::read_attr_u64(ds.get(), "checksum", w);
  std::vector<float> data(shape_numel(d.shape));
  h5::check(H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
            w + ": read failed (truncated file?)");
  d.computed_checksum =
      checksum_slab(data.data(), d.shape, std::vector<int64_t>(d.shape.size(), 0), d.shape);
  return data;
}

}  // namespace

CheckpointMeta checkpoint_read(const std::string& path, MPI_Comm comm,
                               const std::vector<TensorSlab>& tensors, const std::string& unread) {
  h5::silence_error_stack();
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  CheckpointMeta meta;
  std::vector<uint64_t> stored(tensors.size(), 0);
  agree_on(comm, [&] {
    if (rank == 0) meta = validate(path, tensors, unread, stored);
  });
  bcast_meta(meta, comm);
  MPI_CHECK(MPI_Bcast(stored.data(), static_cast<int>(stored.size()), MPI_UINT64_T, 0, comm));

  h5::Handle file;
  agree_on(comm, [&] {
    h5::Handle fapl = h5::checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path);
    h5::check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), path);
    h5::check(H5Pset_all_coll_metadata_ops(fapl.get(), true), path);
    file = h5::checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose,
                       where(path) + ": cannot open");
  });
  for (const TensorSlab& t : tensors) agree_on(comm, [&] { read_slab(file.get(), path, t); });
  file.reset();

  const std::vector<uint64_t> sums = tensor_checksums(comm, tensors);
  for (size_t i = 0; i < tensors.size(); ++i)
    if (sums[i] != stored[i])
      throw_collective(checksum_mismatch(path, tensors[i].name, stored[i], sums[i]));
  return meta;
}

void checkpoint_verify(const std::string& path, MPI_Comm comm,
                       const std::vector<TensorSlab>& tensors) {
  std::vector<std::vector<float>> scratch;
  std::vector<TensorSlab> copies = tensors;
  for (TensorSlab& t : copies) {
    scratch.emplace_back(shape_numel(t.shape));
    t.data = scratch.back().data();
  }
  checkpoint_read(path, comm, copies);
}

std::vector<float> checkpoint_read_full(const std::string& path, const std::string& name,
                                        std::vector<int64_t>& shape) {
  h5::Handle file = open_serial(path);
  if (H5Lexists(file.get(), name.c_str(), H5P_DEFAULT) <= 0)
    throw Error(where(path) + ": dataset /" + name + " is missing");
  DatasetInfo d;
  std::vector<float> data = read_whole(file.get(), path, name, d);
  if (!d.checksum_ok())
    throw Error(checksum_mismatch(path, name, d.stored_checksum, d.computed_checksum));
  shape = d.shape;
  return data;
}

CheckpointInfo checkpoint_inspect(const std::string& path) {
  CheckpointInfo info;
  h5::Handle file = open_serial(path);
  info.meta = read_meta(file.get(), path);
  for (const std::string& name : h5::list_datasets(file.get())) {
    DatasetInfo d;
    read_whole(file.get(), path, name, d);
    info.datasets.push_back(std::move(d));
  }
  return info;
}

}  // namespace paramoe
