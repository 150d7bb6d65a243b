#pragma once
// A checkpoint directory: DIR/ckpt-00000040.h5 files and DIR/latest, a one-line
// text file naming the newest complete one. A checkpoint is written as
// ckpt-….h5.tmp, closed, fsync'ed and renamed; only then is `latest` replaced (by
// the same write-and-rename). A crash at any point leaves `latest` naming a whole,
// earlier checkpoint.
#include <mpi.h>

#include <string>
#include <vector>

#include "ckpt/checkpoint_file.h"

namespace paramoe {

std::string checkpoint_file_name(int64_t step);  // "ckpt-00000040.h5"

// Collective. Writes DIR/ckpt-<step>.h5 atomically, points `latest` at it and
// deletes all but the newest `keep` checkpoints. Returns the file's path. On any
// failure the partial file is removed and every rank throws a collective error
// saying which earlier checkpoint is still intact.
// With verify, the file is read back and every checksum checked before it is
// published (see checkpoint_verify).
std::string checkpoint_save(const std::string& dir, int keep, bool verify, MPI_Comm comm,
                            const CheckpointMeta& meta, const std::vector<TensorSlab>& tensors);

// Collective (rank 0 looks, then broadcasts). `what` is "latest" (the checkpoint
// DIR/latest names; "" when DIR has no checkpoint at all), a checkpoint directory
// (its latest; an error if it has none) or a checkpoint file. Where `latest` is
// missing or empty but checkpoint files exist (a crash between a rename and the
// write of `latest`, or a hand-edited directory), the newest file whose every
// checksum verifies is used, and the log says which: a resume never starts over
// from step 0 while checkpoints exist. An error if none verifies.
std::string checkpoint_resolve(const std::string& what, const std::string& dir, MPI_Comm comm);

// Collective. For a run that starts fresh: throws a collective Error if `dir`
// already holds checkpoints, naming them and suggesting --resume, a new directory
// or checkpoint.overwrite = true. Their files are not touched.
void checkpoint_dir_require_unused(const std::string& dir, MPI_Comm comm);

}  // namespace paramoe
