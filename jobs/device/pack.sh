#!/usr/bin/env bash
# Packs binaries built here for a GPU machine that has the CUDA toolkit, cuBLAS and
# NCCL but none of Debian's -dev packages (no Open MPI, OpenBLAS, HDF5, gtest or
# Google Benchmark). Writes .devpack/pack.tar.gz (git-ignored) holding
#   bin/   the given binaries,
#   lib/   every shared library they need except glibc and the CUDA libraries,
#   sys/   Open MPI with its PMIx plugins at their absolute paths, installed there
#          only if the machine has no mpirun of its own (jobs/device/unpack.sh).
# Usage: jobs/device/pack.sh BINARY...
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/sys"

# The GPU machine brings its own glibc and its own CUDA toolkit libraries, which must
# match its driver; everything else travels.
# Each library goes to lib/; unpack.sh uses one only where the machine lacks it, so
# that the machine's own (newer) libstdc++ or Open MPI wins.
skip_lib() { grep -qE '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so|/libcuda\.so|/libcublas|/libcudart|/libnccl' <<<"$1"; }
copy_deps() {
  ldd "$1" | awk '/=> \//{print $3}' | while read -r lib; do
    skip_lib "$lib" || cp -nL "$lib" "$stage/lib/"
  done
}

for b in "$@"; do
  cp "$b" "$stage/bin/"
  copy_deps "$b"
done

# Open MPI 4.1 with its external PMIx: launcher, daemons, plugins, help texts, config.
ompi_paths=(/usr/bin/orterun /usr/bin/orted /usr/lib/x86_64-linux-gnu/openmpi
  /usr/lib/x86_64-linux-gnu/pmix2 /usr/share/openmpi /usr/share/pmix /etc/openmpi)
for p in "${ompi_paths[@]}"; do
  [[ -e $p ]] || continue
  mkdir -p "$stage/sys$(dirname "$p")"
  cp -a "$p" "$stage/sys$p"
done
ln -s orterun "$stage/sys/usr/bin/mpirun"
while read -r so; do copy_deps "$so"; done < <(find "$stage/sys" -name '*.so*' -type f)
copy_deps /usr/bin/orterun

mkdir -p "$root/.devpack"
tar -C "$stage" -czf "$root/.devpack/pack.tar.gz" .
du -h "$root/.devpack/pack.tar.gz"
