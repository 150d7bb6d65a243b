#pragma once
// Debian's parallel HDF5 is built without thread safety, so two models colocated
// in one process (lib/train/colocation.h) must never be inside HDF5 at once. An
// Hdf5Turn holds this process's HDF5 lock on every rank of a communicator, for a
// checkpoint's collective reads or writes. The ranks cannot simply lock and go: a
// rank whose lock the other model holds would wait, while that model's collective
// write waits on a peer rank whose lock this model took, and both would hang. So
// the ranks arrive together, each tries the lock, and unless all got it all let
// go and try again a little later.
#include <mpi.h>

namespace paramoe {

class Hdf5Turn {
 public:
  explicit Hdf5Turn(MPI_Comm comm);  // collective over comm; nests within a thread
  ~Hdf5Turn();
  Hdf5Turn(const Hdf5Turn&) = delete;
  Hdf5Turn& operator=(const Hdf5Turn&) = delete;
};

}  // namespace paramoe
