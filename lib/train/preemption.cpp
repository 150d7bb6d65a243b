#include "train/preemption.h"

#include <csignal>

namespace paramoe {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) {
  g_signal = sig;
}

}  // namespace

void preemption_install() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // keep MPI's and HDF5's blocking calls going
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int preemption_signal() {
  return g_signal;
}

void preemption_reset() {
  g_signal = 0;
}

}  // namespace paramoe
