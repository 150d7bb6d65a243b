#pragma once
// Preemption: Slurm sends SIGUSR1 ahead of time with --signal=USR1@120, and
// SIGTERM before it kills a job; mpirun forwards SIGUSR1 to every rank. The
// handler only records the signal; training checks it at each step boundary,
// agrees on it across ranks, writes a checkpoint and exits 0.
namespace paramoe {

void preemption_install();  // handlers for SIGUSR1 and SIGTERM
int preemption_signal();    // the signal received so far on this rank, or 0
void preemption_reset();    // forgets it (a process that trains again, e.g. a test)

}  // namespace paramoe
