// Checkpoint files under MPI: a file written under one process grid loads under
// every other grid of the same world size, bit for bit (values and AdamW moments);
// corrupt, truncated, incomplete or mismatched files give one collective error that
// names the file and dataset; the directory logic keeps `latest` and prunes.
// Resharding across world sizes (np 4 -> np 1) is tested through the binary
// (tests/ckpt/reshard.sh).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ckpt/checkpoint_dir.h"
#include "ckpt/checkpoint_file.h"
#include "ckpt/checksum.h"
#include "comm/mpi_collectives.h"
#include "core/error.h"
#include "core/slab.h"
#include "model/moe_stack.h"
#include "tests/mpi_test_args.h"

namespace fs = std::filesystem;

namespace paramoe::test {
namespace {

// A scratch directory with the same name on every rank.
std::string scratch_dir() {
  static std::string dir;
  if (!dir.empty()) return dir;
  char buf[256] = {0};
  if (comm_rank() == 0) {
    std::string tmpl = (fs::temp_directory_path() / "paramoe_ckpt_test_XXXXXX").string();
    std::snprintf(buf, sizeof buf, "%s", tmpl.c_str());
    if (!mkdtemp(buf)) buf[0] = 0;
  }
  MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, MPI_COMM_WORLD);
  dir = buf;
  return dir;
}

// Removes the scratch directory after the last test, before MPI_Finalize.
class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    MPI_Barrier(MPI_COMM_WORLD);
    if (comm_rank() == 0 && !scratch_dir().empty()) fs::remove_all(scratch_dir());
  }
};
const auto* const g_cleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

void barrier() {
  MPI_Barrier(MPI_COMM_WORLD);
}

// The layouts every world size can run: every power-of-two (mp, ep) with esp = 1
// or esp = mp.
std::vector<ParallelConfig> layouts(int world) {
  std::set<std::tuple<int, int, int>> seen;
  std::vector<ParallelConfig> out;
  for (int mp = 1; mp <= world; mp *= 2)
    for (int ep = 1; ep <= world; ep *= 2)
      for (int esp : {1, mp}) {
        if (world % mp || world % (ep * esp) || !seen.insert({mp, ep, esp}).second) continue;
        ParallelConfig p;
        p.mp = mp, p.ep = ep, p.esp = esp;
        out.push_back(p);
      }
  return out;
}

MoeConfig model_config(int d_hidden = 32) {
  MoeConfig m;
  m.d_model = 16;
  m.d_hidden = d_hidden;
  m.num_experts = 8;
  m.top_k = 2;
  return m;
}

// A model, its optimizer-moment stand-ins and their slabs under one layout. The
// moments are filled by global index too, so they are layout-independent.
struct Trainee {
  std::unique_ptr<ProcessGrid> grid;
  std::unique_ptr<MpiCollectives> coll;
  std::unique_ptr<MoeStack> model;
  std::vector<Param> moments;
  std::vector<TensorSlab> slabs;
};

// The slabs follow the params' hyperslabs (dim0 changes when experts move).
void rebuild_slabs(Trainee& t) {
  const std::vector<Param*> ps = t.model->params();
  t.slabs.clear();
  for (Param* p : ps) t.slabs.push_back(slab_like(*p, "params/", p->value.data()));
  for (size_t i = 0; i < ps.size(); ++i)
    t.slabs.push_back(slab_like(*ps[i], "optimizer/adam_m/", t.moments[i].value.data()));
}

Trainee make_trainee(const ParallelConfig& par, uint64_t seed, int layers = 2,
                     const MoeConfig& cfg = model_config()) {
  Trainee t;
  t.grid = std::make_unique<ProcessGrid>(ProcessGrid::create(MPI_COMM_WORLD, par, cfg));
  t.coll = std::make_unique<MpiCollectives>(*t.grid);
  t.model = std::make_unique<MoeStack>(std::vector<MoeConfig>(layers, cfg), *t.coll, seed);
  for (Param* p : t.model->params()) {
    Param m = *p;
    m.name = p->name + "/adam_m";
    param_init_uniform(m, 0.5f, seed + 1);
    t.moments.push_back(std::move(m));
  }
  rebuild_slabs(t);
  return t;
}

CheckpointMeta meta_for(const Trainee& t, int64_t step) {
  CheckpointMeta m;
  m.step = step;
  m.tokens_seen = step * 512;
  m.rng_seed = 77;
  m.rng_counter = step;
  m.config_toml = "[train]\nsteps = 3\n";
  m.layout = t.grid->layout();
  return m;
}

// Runs f and checks that every rank throws a collective paramoe::Error whose
// message contains `needle`.
void expect_collective_error(const std::function<void()>& f, const std::string& needle) {
  std::string what;
  bool collective = false;
  try {
    f();
  } catch (const Error& e) {
    what = e.what();
    collective = e.collective();
  }
  int ok = collective && what.find(needle) != std::string::npos;
  int all = ok;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  EXPECT_TRUE(all) << "rank " << comm_rank() << " got \"" << what << "\" (collective " << collective
                   << "), expected a collective error containing \"" << needle << "\"";
}

std::string write_reference(const std::string& name) {
  Trainee a = make_trainee(layouts(comm_size()).front(), 11);
  const std::string path = scratch_dir() + "/" + name;
  checkpoint_write(path, MPI_COMM_WORLD, meta_for(a, 7), a.slabs);
  return path;
}

// Rank 0 edits the file (serially) while the others wait.
void on_rank0(const std::function<void()>& f) {
  if (comm_rank() == 0) f();
  barrier();
}

TEST(Checksum, PartialSumsOverAnyTilingAddUp) {
  const std::vector<int64_t> g = {3, 5, 4};
  std::vector<float> full(60);
  for (size_t i = 0; i < full.size(); ++i) full[i] = 0.25f * static_cast<float>(i) - 3.0f;
  const uint64_t whole = checksum_slab(full.data(), g, {0, 0, 0}, g);
  uint64_t parts = 0;
  for (int64_t e = 0; e < 3; ++e)
    for (int64_t h0 : {0, 2}) {
      std::vector<int64_t> off = {e, 0, h0}, shape = {1, 5, 2};
      std::vector<float> local(10);
      hyperslab_extract(full.data(), g, off, shape, local.data());
      parts += checksum_slab(local.data(), g, off, shape);
    }
  EXPECT_EQ(whole, parts);
  full[17] = std::nextafter(full[17], 1e9f);  // one ulp
  EXPECT_NE(whole, checksum_slab(full.data(), g, {0, 0, 0}, g));
}

TEST(Checkpoint, LoadsBitExactUnderEveryLayout) {
  const auto all = layouts(comm_size());
  for (const ParallelConfig& from : all) {
    Trainee a = make_trainee(from, 11);
    const std::string path = scratch_dir() + "/reshard.h5";
    checkpoint_write(path, MPI_COMM_WORLD, meta_for(a, 5), a.slabs);
    for (const ParallelConfig& to : all) {
      Trainee b = make_trainee(to, 99);  // different values, overwritten by the load
      const CheckpointMeta m = checkpoint_read(path, MPI_COMM_WORLD, b.slabs);
      EXPECT_EQ(m.step, 5);
      EXPECT_EQ(m.tokens_seen, 5 * 512);
      EXPECT_EQ(m.rng_seed, 77);
      EXPECT_EQ(m.layout.mp, from.mp);
      EXPECT_EQ(m.layout.ep, from.ep);
      EXPECT_EQ(m.layout.esp, from.esp);
      EXPECT_EQ(m.config_toml, "[train]\nsteps = 3\n");
      Trainee want = make_trainee(to, 11);  // what seed 11 gives under the new layout
      int64_t mismatches = 0;
      for (size_t i = 0; i < b.slabs.size(); ++i)
        for (int64_t j = 0; j < shape_numel(b.slabs[i].shape); ++j)
          mismatches += b.slabs[i].data[j] != want.slabs[i].data[j];
      MPI_Allreduce(MPI_IN_PLACE, &mismatches, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
      EXPECT_EQ(mismatches, 0) << "mp " << from.mp << " ep " << from.ep << " esp " << from.esp
                               << " -> mp " << to.mp << " ep " << to.ep << " esp " << to.esp;
    }
  }
}

// Moves every MoE layer's experts (and the moment stand-ins with them) to
// `placement`, then rebuilds the slabs, whose dim0 lists changed.
void move_experts(Trainee& t, const ExpertPlacement& placement) {
  const std::vector<Param*> ps = t.model->params();
  auto moments_of = [&](const Param& p) {
    for (size_t i = 0; i < ps.size(); ++i)
      if (ps[i] == &p) return std::vector<std::vector<float>*>{&t.moments[i].value};
    return std::vector<std::vector<float>*>{};
  };
  for (MoeLayer* layer : t.model->moe_layers()) layer->apply_placement(placement, moments_of);
  rebuild_slabs(t);
}

// What seed `seed` gives under `placement`: values and moments drawn per global
// element, so this is independent of how the experts got there.
Trainee fresh_under(const ParallelConfig& par, const ExpertPlacement& placement, uint64_t seed) {
  Trainee t = make_trainee(par, seed);
  const int ep_rank = t.grid->index().ep;
  for (MoeLayer* layer : t.model->moe_layers()) {
    moe_params_place(layer->params(), placement, ep_rank);
    moe_params_init(layer->params(), seed);
  }
  const std::vector<Param*> ps = t.model->params();
  for (size_t i = 0; i < ps.size(); ++i) {
    t.moments[i].dim0 = ps[i]->dim0;
    t.moments[i].offset = ps[i]->offset;
    param_init_uniform(t.moments[i], 0.5f, seed + 1);
  }
  rebuild_slabs(t);
  return t;
}

int64_t mismatches(const Trainee& a, const Trainee& b) {
  int64_t n = 0;
  for (size_t i = 0; i < a.slabs.size(); ++i) {
    EXPECT_EQ(a.slabs[i].dim0, b.slabs[i].dim0) << a.slabs[i].name;
    for (int64_t j = 0; j < shape_numel(a.slabs[i].shape); ++j)
      n += a.slabs[i].data[j] != b.slabs[i].data[j];
  }
  MPI_Allreduce(MPI_IN_PLACE, &n, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  return n;
}

// Load-aware placement moves experts between steps. Files store every tensor by
// logical expert, so one written before a move loads after it and the reverse,
// bit for bit, and the file does not depend on the placement it was written under.
TEST(Checkpoint, ExpertMovesAndCheckpointsCommute) {
  for (const ParallelConfig& par : layouts(comm_size())) {
    if (par.ep == 1) continue;
    const std::string what = "mp " + std::to_string(par.mp) + " ep " + std::to_string(par.ep) +
                             " esp " + std::to_string(par.esp);
    const ExpertPlacement moved = placement_random(model_config().num_experts, par.ep, 5);
    const ExpertPlacement home = placement_contiguous(model_config().num_experts, par.ep);
    Trainee a = make_trainee(par, 11);
    const std::string before = scratch_dir() + "/before-move.h5";
    const std::string after = scratch_dir() + "/after-move.h5";
    checkpoint_write(before, MPI_COMM_WORLD, meta_for(a, 3), a.slabs);
    const std::vector<uint64_t> sums_before = tensor_checksums(MPI_COMM_WORLD, a.slabs);

    move_experts(a, moved);
    EXPECT_EQ(mismatches(a, fresh_under(par, moved, 11)), 0) << what << ": the move itself";
    EXPECT_EQ(tensor_checksums(MPI_COMM_WORLD, a.slabs), sums_before) << what;
    checkpoint_write(after, MPI_COMM_WORLD, meta_for(a, 3), a.slabs);

    // Written before the move, loaded after it (into scrambled tensors).
    Trainee b = make_trainee(par, 99);
    move_experts(b, moved);
    checkpoint_read(before, MPI_COMM_WORLD, b.slabs);
    EXPECT_EQ(mismatches(b, fresh_under(par, moved, 11)), 0) << what << ": before → after";
    // Written after the move, loaded under the contiguous placement.
    Trainee c = make_trainee(par, 99);
    checkpoint_read(after, MPI_COMM_WORLD, c.slabs);
    EXPECT_EQ(mismatches(c, fresh_under(par, home, 11)), 0) << what << ": after → home";
    // And moving back home restores the original tensors exactly.
    move_experts(a, home);
    EXPECT_EQ(mismatches(a, fresh_under(par, home, 11)), 0) << what << ": moved back";

    if (comm_rank() == 0)
      for (const TensorSlab& t : a.slabs) {
        std::vector<int64_t> s1, s2;
        EXPECT_EQ(checkpoint_read_full(before, t.name, s1), checkpoint_read_full(after, t.name, s2))
            << what << ": " << t.name << " differs between the files";
      }
    barrier();
  }
}

TEST(Checkpoint, FlippedByteInDataIsCaughtAndNamed) {
  const std::string path = write_reference("flip.h5");
  on_rank0([&] {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "params/layers/1/moe/w2", H5P_DEFAULT);
    const haddr_t at = H5Dget_offset(d);
    H5Dclose(d);
    H5Fclose(f);
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(at + 123));
    char c = 0;
    io.read(&c, 1);
    c ^= 0x10;
    io.seekp(static_cast<std::streamoff>(at + 123));
    io.write(&c, 1);
  });
  Trainee b = make_trainee(layouts(comm_size()).back(), 1);
  expect_collective_error([&] { checkpoint_read(path, MPI_COMM_WORLD, b.slabs); },
                          "flip.h5: dataset /params/layers/1/moe/w2: checksum mismatch");
}

TEST(Checkpoint, TruncatedFileIsNamed) {
  const std::string path = write_reference("truncated.h5");
  on_rank0([&] { fs::resize_file(path, fs::file_size(path) / 2); });
  Trainee b = make_trainee(layouts(comm_size()).back(), 1);
  expect_collective_error([&] { checkpoint_read(path, MPI_COMM_WORLD, b.slabs); },
                          "checkpoint " + path + ": cannot open (truncated or corrupt?)");
}

TEST(Checkpoint, NotAnHdf5File) {
  const std::string path = scratch_dir() + "/text.h5";
  on_rank0([&] { std::ofstream(path) << "not a checkpoint\n"; });
  Trainee b = make_trainee(layouts(comm_size()).back(), 1);
  expect_collective_error([&] { checkpoint_read(path, MPI_COMM_WORLD, b.slabs); },
                          "text.h5: not an HDF5 file");
  expect_collective_error(
      [&] { checkpoint_read(scratch_dir() + "/absent.h5", MPI_COMM_WORLD, b.slabs); },
      "absent.h5: no such file");
}

TEST(Checkpoint, MissingDatasetIsNamed) {
  const std::string path = write_reference("missing.h5");
  on_rank0([&] {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "optimizer/adam_m/layers/0/moe/b1", H5P_DEFAULT);
    H5Fclose(f);
  });
  Trainee b = make_trainee(layouts(comm_size()).back(), 1);
  expect_collective_error([&] { checkpoint_read(path, MPI_COMM_WORLD, b.slabs); },
                          "missing.h5: dataset /optimizer/adam_m/layers/0/moe/b1 is missing");
}

TEST(Checkpoint, ModelShapeMismatchWithTheConfigIsNamed) {
  const std::string path = write_reference("shape.h5");
  Trainee wider = make_trainee(layouts(comm_size()).back(), 1, 2, model_config(64));
  expect_collective_error(
      [&] { checkpoint_read(path, MPI_COMM_WORLD, wider.slabs); },
      "shape.h5: dataset /params/layers/0/moe/w1: shape [8, 16, 32] in the file, but the "
      "config gives [8, 16, 64]");
  Trainee shallower = make_trainee(layouts(comm_size()).back(), 1, 1);
  expect_collective_error([&] { checkpoint_read(path, MPI_COMM_WORLD, shallower.slabs); },
                          "is not part of the model the config describes");
}

TEST(CheckpointDir, SaveKeepsLatestAndPrunes) {
  Trainee a = make_trainee(layouts(comm_size()).front(), 11);
  const std::string dir = scratch_dir() + "/run";
  on_rank0([&] {
    fs::create_directories(dir);
    std::ofstream(dir + "/ckpt-00000009.h5.tmp") << "left by a killed write";
  });
  for (int step : {1, 2, 3})
    checkpoint_save(dir, 2, true, MPI_COMM_WORLD, meta_for(a, step), a.slabs);
  int ok = 1;
  if (comm_rank() == 0) {
    ok &= !fs::exists(dir + "/ckpt-00000001.h5");
    ok &= fs::exists(dir + "/ckpt-00000002.h5") && fs::exists(dir + "/ckpt-00000003.h5");
    ok &= !fs::exists(dir + "/ckpt-00000009.h5.tmp");
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  EXPECT_TRUE(ok);
  EXPECT_EQ(checkpoint_resolve("latest", dir, MPI_COMM_WORLD), dir + "/ckpt-00000003.h5");
  EXPECT_EQ(checkpoint_resolve(dir, "", MPI_COMM_WORLD), dir + "/ckpt-00000003.h5");
  EXPECT_EQ(checkpoint_resolve("latest", scratch_dir() + "/none", MPI_COMM_WORLD), "");
  expect_collective_error(
      [&] { checkpoint_resolve(scratch_dir() + "/nope.h5", dir, MPI_COMM_WORLD); },
      "nope.h5: no such checkpoint file or directory");
}

TEST(CheckpointDir, UnwritableDirectoryIsAClearErrorAndKeepsNothingHalfWritten) {
  Trainee a = make_trainee(layouts(comm_size()).front(), 11);
  expect_collective_error(
      [&] { checkpoint_save("/dev/null/ckpt", 2, true, MPI_COMM_WORLD, meta_for(a, 1), a.slabs); },
      "checkpoint directory /dev/null/ckpt: cannot be created");
}

}  // namespace
}  // namespace paramoe::test
