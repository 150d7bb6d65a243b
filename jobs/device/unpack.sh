#!/usr/bin/env bash
# On the GPU machine: unpacks .devpack/pack.tar.gz (jobs/device/pack.sh) into
# /tmp/devpack, using a packed library only where the machine lacks it. Source it:
#   source jobs/device/unpack.sh   → PACK, PATH and LD_LIBRARY_PATH set
PACK=/tmp/devpack
rm -rf "$PACK" && mkdir -p "$PACK"
tar -C "$PACK" -xzf .devpack/pack.tar.gz
# Open MPI 4.1 from Debian, only where the machine has none (its own 4.x has the same
# libmpi.so.40 ABI and must not be mixed with ours).
command -v mpirun >/dev/null || cp -r --update=none "$PACK/sys/." /
mkdir -p "$PACK/use"
for lib in "$PACK"/lib/*; do
  ldconfig -p | grep -q "/$(basename "$lib")\$" || cp "$lib" "$PACK/use/"
done
# The CUDA libraries come from the machine: the toolkit's, else PyTorch's wheels.
cuda_libs=$(dirname "$(find /usr/local/cuda*/ /opt /usr/lib -name 'libcublas.so.1*' 2>/dev/null | head -1)")
nccl_libs=$(dirname "$(find /usr/local/cuda*/ /opt /usr/lib -name 'libnccl.so.2*' 2>/dev/null | head -1)")
export LD_LIBRARY_PATH="$PACK/use:$cuda_libs:$nccl_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$PACK/bin:$PATH"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
echo "devpack: cublas from $cuda_libs, nccl from $nccl_libs"
