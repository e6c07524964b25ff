#!/usr/bin/env bash
# Installs the Debian packages Syllo builds and tests with, only those missing.
# Idempotent: a second run installs nothing. Nothing is fetched from anywhere but apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libsqlite3-dev sqlite3 liblua5.4-dev
  libfmt-dev nlohmann-json3-dev libedit-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  # lld lays out the syllo executable's run-time functions together (cli/hot_functions.txt)
  lld
  swi-prolog-nox tmux
  libcpp-httplib-dev wrk
  # learned models: LibTorch (used only by the learners module), a fast BLAS
  # for it (OpenBLAS takes over libblas.so.3 from the reference BLAS), the
  # Fashion-MNIST data set, zlib for its .gz files
  libtorch-dev libopenblas0-pthread dataset-fashion-mnist zlib1g-dev
)
# Extra packages a target needs (make bench-learn: python3-torch).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
