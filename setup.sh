#!/usr/bin/env bash
# Installs the Debian packages paramoe builds and tests with. Idempotent: apt-get
# skips what is already installed. Run as root (or with sudo available).
set -euo pipefail
pkgs=(build-essential cmake pkg-config
      openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
      libopenblas-dev libgtest-dev libgmock-dev libbenchmark-dev
      libtomlplusplus-dev libcli11-dev clang-format
      # paramoe data images: PNG directories and NumPy .npz archives
      libpng-dev libzip-dev
      # jobs/emulated: network namespaces and tc for the emulated multi-node cluster
      iproute2
      # jobs/slurm: a real two-node Slurm on this host for the sbatch scripts' test
      slurm-wlm
      # tests: the independent checkpoint reader (h5py + PyTorch, run by /usr/bin/python3),
      # which also regenerates the golden fixtures
      python3-h5py python3-numpy python3-torch
      # perf/ plots
      python3-matplotlib
      # the default training text (inputs/data/make_corpus.sh): the King James Bible
      bible-kjv
      # the swin model's small real image set (inputs/data/make_digits.py): the
      # handwritten digits scikit-learn ships
      python3-sklearn)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup: all packages present"
"$(dirname "$0")/inputs/data/make_corpus.sh"
/usr/bin/python3 "$(dirname "$0")/inputs/data/make_digits.py"
