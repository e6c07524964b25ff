"""Whole-process timing shared by the benchmark drivers (bench/*/run.py):
run a command under GNU time with a timeout and an address-space limit, and
report its wall time, peak RSS, exit status and output.

Python 3 standard library only.
"""

import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GNU_TIME = "/usr/bin/time"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def fmt(x, digits=3):
    return "-" if x is None else f"{x:.{digits}f}"


class Run:
    """One process run: status is "ok", "timeout", "exit N" or "signal N"."""

    def __init__(self, status, wall, peak_mib, out, err):
        self.status, self.wall, self.peak, self.out, self.err = status, wall, peak_mib, out, err


def limit_memory(gib):
    def apply():
        os.setsid()
        if gib > 0:
            b = int(gib * 2 ** 30)
            resource.setrlimit(resource.RLIMIT_AS, (b, b))
    return apply


def run_once(cmd, cwd, timeout, mem_gib, log_base):
    """Run cmd under GNU time with stdin empty; stdout and stderr go to
    LOG_BASE.out / LOG_BASE.err. The whole process group is killed at the
    timeout."""
    out_path, err_path = Path(f"{log_base}.out"), Path(f"{log_base}.err")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss, \
            open(out_path, "w") as out, open(err_path, "w") as err:
        argv = [GNU_TIME, "-f", "%M", "-o", rss.name, "--"] + cmd
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd,
                             preexec_fn=limit_memory(mem_gib))
        timed_out = False
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        wall = time.monotonic() - t0
        words = rss.read().split()
    # GNU time writes "Command exited with non-zero status N" or
    # "Command terminated by signal N" before the figure.
    peak = int(words[-1]) / 1024 if words and words[-1].isdigit() else None
    m = re.search(r"terminated by signal (\d+)", " ".join(words))
    if timed_out:
        status = "timeout"
    elif m:
        status = f"signal {m.group(1)}"
    elif p.returncode != 0:
        status = f"exit {p.returncode}"
    else:
        status = "ok"
    return Run(status, wall, peak, out_path.read_text(errors="replace"),
               err_path.read_text(errors="replace"))
