#!/bin/sh
# Installs Syllo into a temporary prefix, builds examples/embed against the
# installed CMake package (find_package(Syllo), Syllo::syllo) and runs it.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -eu
build="$1"
source="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/syllo/syllo.h"
# The public headers name no LibTorch, Lua or SQLite type.
if grep -l -E '#include .*(torch|lua|sqlite)|torch::|lua_State|sqlite3' "$work/prefix/include/syllo/"*.h; then
  echo "install_test: a public header mentions an internal library" >&2
  exit 1
fi
cmake -S "$source/examples/embed" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
out=$("$work/build/embed_example" 1200:de 40:fr 10:us)
expected="order1 express by shipping#1
order2 standard by shipping#2
order3 freight by shipping#3"
if [ "$out" != "$expected" ]; then
  echo "install_test: unexpected output:" >&2
  echo "$out" >&2
  exit 1
fi
echo "install_test: ok"
