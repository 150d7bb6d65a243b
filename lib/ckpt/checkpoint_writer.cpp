// Writing a checkpoint file collectively. See checkpoint_file.h for the layout.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include "ckpt/checkpoint_file.h"
#include "ckpt/checksum.h"
#include "ckpt/h5_util.h"
#include "comm/agreement.h"
#include "core/error.h"
#include "core/slab.h"

namespace paramoe {
namespace {

// Fault injection for tests, off unless PARAMOE_FAULT_CKPT_KILL="RANK:N" is set:
// rank RANK kills itself with SIGKILL after writing N datasets, as a node lost in
// the middle of a checkpoint would. The previous checkpoint must survive it.
void maybe_die_mid_write(int rank, size_t datasets_written) {
  static const char* spec = std::getenv("PARAMOE_FAULT_CKPT_KILL");
  if (!spec) return;
  const std::string s(spec);
  const auto colon = s.find(':');
  if (colon == std::string::npos) return;
  if (std::atoi(s.substr(0, colon).c_str()) == rank &&
      static_cast<size_t>(std::atol(s.substr(colon + 1).c_str())) == datasets_written)
    std::raise(SIGKILL);
}

// PARAMOE_FAULT_CKPT_SLOW=SECONDS: every rank sleeps that long after writing the
// datasets, as a save to a slow file system would take, so that tests can show a
// save outliving a launcher's kill timeout.
void maybe_slow_down() {
  static const char* spec = std::getenv("PARAMOE_FAULT_CKPT_SLOW");
  if (spec) std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(spec)));
}

h5::Handle create_file(const std::string& path, MPI_Comm comm) {
  h5::Handle fapl = h5::checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path);
  h5::check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), path);
  // Metadata is identical on every rank: let HDF5 write it collectively.
  h5::check(H5Pset_coll_metadata_write(fapl.get(), true), path);
  h5::check(H5Pset_all_coll_metadata_ops(fapl.get(), true), path);
  return h5::checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose,
                     "checkpoint " + path + ": cannot create the file");
}

void write_dataset(hid_t file, const std::string& path, const TensorSlab& t, bool owner,
                   uint64_t checksum) {
  const std::string what = "checkpoint " + path + ": dataset /" + t.name;
  const std::vector<hsize_t> gdims(t.global_shape.begin(), t.global_shape.end());
  h5::Handle fspace = h5::checked(
      H5Screate_simple(static_cast<int>(gdims.size()), gdims.data(), nullptr), H5Sclose, what);
  h5::Handle lcpl = h5::checked(H5Pcreate(H5P_LINK_CREATE), H5Pclose, what);
  h5::check(H5Pset_create_intermediate_group(lcpl.get(), 1), what);
  h5::Handle dcpl = h5::checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
  // Every element is written, so skip writing fill values first.
  h5::check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), what);
  h5::Handle dset = h5::checked(H5Dcreate2(file, t.name.c_str(), H5T_IEEE_F32LE, fspace.get(),
                                           lcpl.get(), dcpl.get(), H5P_DEFAULT),
                                H5Dclose, what);

  const bool writes = owner && shape_numel(t.shape) > 0;
  const h5::SlabTransfer x = h5::select_slab(fspace.get(), t.offset, t.shape, t.dim0, writes, what);
  h5::check(H5Dwrite(dset.get(), H5T_NATIVE_FLOAT, x.mspace.get(), fspace.get(), x.dxpl.get(),
                     writes ? t.data : nullptr),
            what + ": write failed");
  h5::write_attr_u64(dset.get(), "checksum", checksum);
  if (!dset.reset()) h5::fail(what + ": close failed");
}

void write_meta(hid_t file, const CheckpointMeta& meta) {
  h5::write_attr_string(file, "format", kCheckpointFormat);
  h5::write_attr_i64(file, "format_version", kCheckpointFormatVersion);
  h5::write_attr_i64(file, "step", meta.step);
  h5::write_attr_i64(file, "tokens_seen", meta.tokens_seen);
  h5::write_attr_i64(file, "rng_seed", meta.rng_seed);
  h5::write_attr_i64(file, "rng_counter", meta.rng_counter);
  h5::write_attr_string(file, "config", meta.config_toml);
  h5::write_attr_string(file, "checksum_algorithm", kChecksumAlgorithm);
  h5::write_attr_u64(file, "meta_checksum",
                     fnv1a64(checkpoint_meta_text(meta, kCheckpointFormatVersion)));
  h5::Handle layout = h5::checked(H5Gcreate2(file, "layout", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                  H5Gclose, "group layout");
  const Layout& l = meta.layout;
  h5::write_attr_i64(layout.get(), "world", l.world);
  h5::write_attr_i64(layout.get(), "mp", l.mp);
  h5::write_attr_i64(layout.get(), "dp", l.dp());
  h5::write_attr_i64(layout.get(), "ep", l.ep);
  h5::write_attr_i64(layout.get(), "esp", l.esp);
  h5::write_attr_i64(layout.get(), "edp", l.edp());
  h5::write_attr_i64(layout.get(), "ranks_per_node", l.ranks_per_node);
}

}  // namespace

std::string checkpoint_meta_text(const CheckpointMeta& meta, int64_t format_version) {
  const Layout& l = meta.layout;
  return std::string("format=") + kCheckpointFormat +
         "\nformat_version=" + std::to_string(format_version) +
         "\nstep=" + std::to_string(meta.step) +
         "\ntokens_seen=" + std::to_string(meta.tokens_seen) +
         "\nrng_seed=" + std::to_string(meta.rng_seed) +
         "\nrng_counter=" + std::to_string(meta.rng_counter) +
         "\nchecksum_algorithm=" + kChecksumAlgorithm + "\nlayout=" + std::to_string(l.world) +
         "," + std::to_string(l.mp) + "," + std::to_string(l.ep) + "," + std::to_string(l.esp) +
         "," + std::to_string(l.ranks_per_node) + "\nconfig=" + meta.config_toml;
}

void checkpoint_write(const std::string& path, MPI_Comm comm, const CheckpointMeta& meta,
                      const std::vector<TensorSlab>& tensors) {
  h5::silence_error_stack();
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  const std::vector<char> owners = slab_owners(comm, tensors);
  const std::vector<uint64_t> sums = tensor_checksums(comm, tensors);

  h5::Handle file;
  agree_on(comm, [&] { file = create_file(path, comm); });
  // Agreeing after every dataset keeps a failure on one rank (ENOSPC under one
  // writer) from leaving the others in the next collective create.
  for (size_t i = 0; i < tensors.size(); ++i) {
    agree_on(comm, [&] { write_dataset(file.get(), path, tensors[i], owners[i], sums[i]); });
    maybe_die_mid_write(rank, i + 1);
  }
  maybe_slow_down();
  agree_on(comm, [&] { write_meta(file.get(), meta); });
  const bool closed = file.reset();
  agree(comm, closed,
        closed ? "" : "checkpoint " + path + ": closing (final flush) failed: " + h5::last_error());
}

}  // namespace paramoe
