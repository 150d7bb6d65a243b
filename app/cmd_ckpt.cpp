// paramoe ckpt inspect | export: serial tools over one checkpoint file. Under
// mpirun, rank 0 does the work and the others share its verdict.
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "app/command.h"
#include "ckpt/checkpoint_file.h"
#include "ckpt/h5_util.h"
#include "comm/agreement.h"
#include "core/error.h"
#include "core/slab.h"

namespace paramoe {

namespace {

struct CkptArgs {
  std::string file;
  std::string out;  // export only
};

}  // namespace
namespace {

bool is_rank0() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank == 0;
}

}  // namespace

static int cmd_ckpt_inspect(const CkptArgs& args) {
  agree_on(MPI_COMM_WORLD, [&] {
    if (!is_rank0()) return;
    const CheckpointInfo info = checkpoint_inspect(args.file);
    const CheckpointMeta& m = info.meta;
    const Layout& l = m.layout;
    std::printf("checkpoint %s\n", args.file.c_str());
    std::printf("  format %s v%" PRId64 ", checksums %s\n", kCheckpointFormat,
                kCheckpointFormatVersion, "mix64sum-v1");
    std::printf("  step %" PRId64 ", tokens_seen %" PRId64 ", rng seed %" PRId64 " counter %" PRId64
                "\n",
                m.step, m.tokens_seen, m.rng_seed, m.rng_counter);
    std::printf("  layout world=%d mp=%d dp=%d ep=%d esp=%d edp=%d ranks_per_node=%d\n", l.world,
                l.mp, l.dp(), l.ep, l.esp, l.edp(), l.ranks_per_node);
    std::printf("  %-40s %-8s %-18s %-18s %s\n", "dataset", "dtype", "shape", "checksum",
                "verified");
    int64_t bad = 0, elements = 0;
    for (const DatasetInfo& d : info.datasets) {
      char sum[24];
      std::snprintf(sum, sizeof sum, "%016" PRIx64, d.stored_checksum);
      std::printf("  %-40s %-8s %-18s %-18s %s\n", ("/" + d.name).c_str(), d.dtype.c_str(),
                  h5::shape_string(d.shape).c_str(), sum, d.checksum_ok() ? "ok" : "MISMATCH");
      bad += !d.checksum_ok();
      elements += shape_numel(d.shape);
    }
    std::printf("  %zu datasets, %" PRId64 " elements\n", info.datasets.size(), elements);
    std::printf("config:\n%s\n", m.config_toml.c_str());
    std::fflush(stdout);
    if (bad)
      throw Error("checkpoint " + args.file + ": " + std::to_string(bad) +
                  " dataset(s) fail their checksum; the file is corrupt");
  });
  return 0;
}

static int cmd_ckpt_export(const CkptArgs& args) {
  agree_on(MPI_COMM_WORLD, [&] {
    if (!is_rank0()) return;
    h5::silence_error_stack();
    const CheckpointInfo info = checkpoint_inspect(args.file);  // verifies every checksum
    for (const DatasetInfo& d : info.datasets)
      if (!d.checksum_ok())
        throw Error("checkpoint " + args.file + ": dataset /" + d.name +
                    ": checksum mismatch; refusing to export a corrupt file");
    const std::string tmp = args.out + ".tmp";
    {
      h5::Handle out = h5::checked(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                                   H5Fclose, "export " + tmp + ": cannot create the file");
      h5::Handle lcpl = h5::checked(H5Pcreate(H5P_LINK_CREATE), H5Pclose, tmp);
      h5::check(H5Pset_create_intermediate_group(lcpl.get(), 1), tmp);
      const std::string prefix = "params/";
      for (const DatasetInfo& d : info.datasets) {
        if (d.name.rfind(prefix, 0) != 0) continue;
        std::vector<int64_t> shape;
        const std::vector<float> data = checkpoint_read_full(args.file, d.name, shape);
        const std::string name = d.name.substr(prefix.size());
        const std::vector<hsize_t> dims(shape.begin(), shape.end());
        const std::string w = "export " + tmp + ": dataset /" + name;
        h5::Handle space = h5::checked(
            H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, w);
        h5::Handle ds = h5::checked(H5Dcreate2(out.get(), name.c_str(), H5T_IEEE_F32LE, space.get(),
                                               lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                                    H5Dclose, w);
        h5::check(H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
                  w);
      }
      h5::write_attr_i64(out.get(), "step", info.meta.step);
      h5::write_attr_string(out.get(), "config", info.meta.config_toml);
      if (!out.reset()) h5::fail("export " + tmp + ": close failed");
    }
    std::filesystem::rename(tmp, args.out);
    std::printf("exported the parameters of %s (step %lld) to %s\n", args.file.c_str(),
                static_cast<long long>(info.meta.step), args.out.c_str());
  });
  return 0;
}

void add_ckpt_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<CkptArgs>();
  CLI::App* ckpt = app.add_subcommand("ckpt", "inspect and export HDF5 checkpoints");
  ckpt->require_subcommand(1);
  CLI::App* inspect = ckpt->add_subcommand(
      "inspect", "list tensors, shapes, dtypes, step, layout and config; verify every checksum");
  inspect->add_option("file", args->file, "checkpoint file (.h5)")->required();
  out.push_back({inspect, [args] { return cmd_ckpt_inspect(*args); }});
  CLI::App* exp = ckpt->add_subcommand(
      "export", "write the parameters alone to a plain HDF5 file, one dataset per tensor");
  exp->add_option("file", args->file, "checkpoint file (.h5)")->required();
  exp->add_option("out", args->out, "output HDF5 file")->required();
  out.push_back({exp, [args] { return cmd_ckpt_export(*args); }});
}

}  // namespace paramoe
