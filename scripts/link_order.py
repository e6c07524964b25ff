#!/usr/bin/env python3
"""Writes cli/hot_functions.txt: the functions of the syllo executable that its
runs execute, in the order they are first met, for lld's
--symbol-ordering-file (cli/CMakeLists.txt).

Each run goes through callgrind (valgrind), which names every function that
executed; the names are the mangled symbols the linker sees. The runs are the
forward-chaining benchmarks at their small sizes (start-up, parsing, checking,
compiling the network and each kind of node), a `syllo check` and a piped REPL
session.

    make bench-fc BENCH_FC_ARGS=--quick     # generates the benchmark inputs
    python3 scripts/link_order.py [--syllo build/release/cli/syllo] [--data build/release/bench-fc/syllo]
    make build                              # relinks syllo with the new list

A list that has gone stale (functions renamed or gone) only costs memory: the
linker skips names it does not find.
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# (rules, data file under --data); the data files are bench-fc's quick sizes.
RUNS = [
    ("churn_counter.syl", "churn_counter_100000.data.syl"),
    ("manners.syl", "manners_16.data.syl"),
    ("tc.syl", "tc_chain_200.data.syl"),
    ("triangle.syl", "triangle_250.data.syl"),
    ("triangle_inline.syl", "triangle_250.data.syl"),
    ("churn_pingpong.syl", "churn_pingpong_100000.data.syl"),
    ("churn_bulk.syl", "churn_bulk_100000.data.syl"),
]


def executed_functions(cmd, stdin_text, binary, out_file):
    """The mangled names of the functions of `binary` that `cmd` executed."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", "--dump-instr=no",
         "--compress-strings=no", "--compress-pos=no", "--demangle=no"] + cmd,
        input=stdin_text, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    if result.returncode != 0:
        sys.exit(f"link_order: {' '.join(cmd)} failed:\n{result.stderr[-2000:]}")
    names, obj = [], None
    for line in Path(out_file).read_text().splitlines():
        if line.startswith("ob="):
            obj = line[3:].strip()
        elif line.startswith("fn=") and obj is not None and Path(obj).resolve() == binary:
            # callgrind marks recursion levels with 'N; an address means no symbol.
            name = re.sub(r"'\d+$", "", line[3:].strip())
            if not name.startswith("0x"):
                names.append(name)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--syllo", default=str(REPO / "build/release/cli/syllo"))
    ap.add_argument("--data", default=str(REPO / "build/release/bench-fc/syllo"))
    ap.add_argument("--out", default=str(REPO / "cli/hot_functions.txt"))
    a = ap.parse_args()
    syllo = Path(a.syllo).resolve()
    data = Path(a.data)
    for _, d in RUNS:
        if not (data / d).exists():
            sys.exit(f"link_order: {data / d} is missing (make bench-fc BENCH_FC_ARGS=--quick writes it)")
    jobs = [([str(syllo), "run", f"bench/fc/{rules}", str(data / d)], None) for rules, d in RUNS]
    jobs.append(([str(syllo), "check", "packs/car_diagnosis/car.syl"], None))
    jobs.append(([str(syllo), "repl", "packs/car_diagnosis/car.syl"], ":help\n:quit\n"))
    order, seen = [], set()
    with tempfile.TemporaryDirectory() as tmp:
        for i, (cmd, stdin_text) in enumerate(jobs):
            names = executed_functions(cmd, stdin_text, syllo, f"{tmp}/{i}.cg")
            for name in names:
                if name not in seen:
                    seen.add(name)
                    order.append(name)
            print(f"link_order: {' '.join(cmd[1:3])}: {len(names)} functions, {len(order)} in all", file=sys.stderr)
    header = ("# The syllo executable's functions that its runs execute, first met first:\n"
              "# lld lays them out together (cli/CMakeLists.txt). Written by scripts/link_order.py.\n")
    Path(a.out).write_text(header + "".join(n + "\n" for n in order))
    print(f"link_order: wrote {len(order)} functions to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
