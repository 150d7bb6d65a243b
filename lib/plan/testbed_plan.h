#pragma once
// The emulated testbed's numbers (jobs/emulated/cluster.sh up --profile): a real
// cluster's profile (inputs/clusters/*.toml), shrunk to the ranks this machine can
// run and slowed by a dilation factor, so that compute against communication keeps
// the real cluster's ratio here.
//
//   dilation = the real device's GEMM rate / this machine's sustained rate per rank
//   shaped link rate = the profile's bandwidth / dilation
//
// This machine's rate per rank comes from `paramoe calibrate` run with as many
// ranks as the testbed will have, so that the ranks share the cores as they will.
// Latency is dilated too, but cannot be added (no sch_netem): the testbed's
// latency is its TCP stack's own, and the plan reports both.
#include <string>

#include "plan/cluster.h"

namespace paramoe {

struct TestbedPlan {
  std::string profile;  // the profile's name
  int nodes = 0, ranks_per_node = 0;
  double dilation = 0;
  double local_gemm_TFLOPs = 0;  // per rank, as measured here (0 when --dilate is a number)
  // The shaped rates, bits per second per rank and direction.
  double intra_bits_per_s = 0, inter_bits_per_s = 0;
  // What the dilated cluster's latency would be (the profile's × dilation).
  double intra_latency_us = 0, inter_latency_us = 0;
  int ranks() const { return nodes * ranks_per_node; }
};

// Throws paramoe::Error for ranks that do not divide into the nodes.
void testbed_check_ranks(int nodes, int ranks);

// dilation: "auto" (needs `local`, a calibration of this machine at the testbed's
// rank count) or a number >= 1e-3. Throws paramoe::Error naming the option, the
// profile's file or the key for: ranks that do not divide into the nodes, a
// dilation that cannot be computed, and a shaped rate outside what tc can shape
// (1 kbit/s to 100 Gbit/s).
TestbedPlan testbed_plan(const ClusterSpec& profile, int nodes, int ranks,
                         const std::string& dilation, const ClusterSpec* local);

}  // namespace paramoe
