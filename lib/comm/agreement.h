#pragma once
// Turning a failure that some ranks see (a file they cannot open, a disk that fills
// up under one writer) into the same collective error on every rank, so no rank is
// left waiting in a collective that its peers will never enter.
#include <mpi.h>

#include <string>

namespace paramoe {

// Every rank gets root's s (collective over comm).
void bcast_string(std::string& s, int root, MPI_Comm comm);

// Collective over comm. If any rank passes ok = false, every rank throws a
// collective paramoe::Error carrying the message of the lowest failing rank.
void agree(MPI_Comm comm, bool ok, const std::string& message);

// Runs f on this rank; a paramoe::Error it throws is agreed on as above.
template <class F>
void agree_on(MPI_Comm comm, F&& f) {
  bool ok = true;
  std::string message;
  try {
    f();
  } catch (const std::exception& e) {
    ok = false;
    message = e.what();
  }
  agree(comm, ok, message);
}

}  // namespace paramoe
