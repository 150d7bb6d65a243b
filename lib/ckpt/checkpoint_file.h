#pragma once
// One checkpoint = one HDF5 file, written and read collectively with parallel HDF5
// (MPI-IO). Every tensor is a dataset under its logical name with its global shape
// ("params/layers/0/moe/w1" is [E, D, H]); each rank reads or writes only its own
// hyperslab, so a file written under one process grid loads under any other.
//
// File layout (see README "Checkpoints"):
//   /                 attrs: format, format_version, step, tokens_seen, rng_seed,
//                            rng_counter, config (TOML text), checksum_algorithm,
//                            meta_checksum (uint64, version 2: fnv1a64 of
//                            checkpoint_meta_text)
//   /layout           attrs: world, mp, dp, ep, esp, edp, ranks_per_node
//   /params/...       float32 datasets, attr checksum (uint64)
//   /optimizer/...    float32 datasets (AdamW moments), attr checksum
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/tensor_slab.h"
#include "comm/process_grid.h"

namespace paramoe {

inline constexpr const char* kCheckpointFormat = "paramoe-checkpoint";
// Version 2 adds meta_checksum; version 1 files (no root checksum) still load.
inline constexpr int64_t kCheckpointFormatVersion = 2;

struct CheckpointMeta {
  int64_t step = 0;         // optimizer steps completed
  int64_t tokens_seen = 0;  // data position: global tokens consumed so far
  // All randomness is counter-based (core/rng.h): (seed, counter) is the whole
  // RNG state. The counter is the step the next batch is drawn for.
  int64_t rng_seed = 0;
  int64_t rng_counter = 0;
  std::string config_toml;  // the effective config the run was started with
  Layout layout;            // the process grid the file was written under
};

// The root attributes and the layout as one text, whose fnv1a64 is meta_checksum:
// "format=…\nformat_version=2\nstep=…\ntokens_seen=…\nrng_seed=…\nrng_counter=…\n
// checksum_algorithm=…\nlayout=world,mp,ep,esp,ranks_per_node\nconfig=<TOML>".
std::string checkpoint_meta_text(const CheckpointMeta& meta, int64_t format_version);

// Collective over comm. Writes `path` (truncating it): the owner of each distinct
// hyperslab writes it, with collective MPI-IO. Any rank's failure (disk full, bad
// directory) becomes the same collective error on every rank.
void checkpoint_write(const std::string& path, MPI_Comm comm, const CheckpointMeta& meta,
                      const std::vector<TensorSlab>& tensors);

// Collective over comm. Rank 0 first checks the file serially: it is a paramoe
// checkpoint of a known version, it holds exactly the expected datasets, each
// float32 with the expected global shape. Then every rank reads its hyperslabs and
// the per-dataset checksums are verified. Errors name the file and the dataset.
// Datasets whose names start with `unread` (when it is not empty) may be present
// and are skipped: inference reads "params/" and leaves "optimizer/".
CheckpointMeta checkpoint_read(const std::string& path, MPI_Comm comm,
                               const std::vector<TensorSlab>& tensors,
                               const std::string& unread = "");

// Collective. Reads a just-written file back and checks every checksum, without
// touching `tensors`' data. MPI-IO does not always report a failed write (Open
// MPI's OMPIO prints ENOSPC and returns success; ROMIO can hang), so a checkpoint
// is only published after it has been read back.
void checkpoint_verify(const std::string& path, MPI_Comm comm,
                       const std::vector<TensorSlab>& tensors);

// Everything `paramoe ckpt inspect` shows. Serial (this process alone).
struct DatasetInfo {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t stored_checksum = 0, computed_checksum = 0;
  bool checksum_ok() const { return stored_checksum == computed_checksum; }
};
struct CheckpointInfo {
  CheckpointMeta meta;
  std::vector<DatasetInfo> datasets;
};
CheckpointInfo checkpoint_inspect(const std::string& path);

// Reads one whole dataset (serial), verifying its checksum.
std::vector<float> checkpoint_read_full(const std::string& path, const std::string& name,
                                        std::vector<int64_t>& shape);

}  // namespace paramoe
