"""Whole-process timing shared by the benchmark drivers (bench/*/run.py):
run a command under GNU time with a timeout and an address-space limit, and
report its wall time, peak RSS, exit status and output.

Python 3 standard library only.
"""

import contextlib
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
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


@contextlib.contextmanager
def memory_limit_inherited(gib):
    """While the child is spawned, this process's soft address-space limit is
    GIB, which the child inherits. (A preexec_fn would do it in the child, but
    it makes Python fork and run Python code there: 13 ms more per run, which
    the small rows would measure.)"""
    if gib <= 0:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    b = int(gib * 2 ** 30)
    if hard != resource.RLIM_INFINITY:
        b = min(b, hard)
    resource.setrlimit(resource.RLIMIT_AS, (b, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_once(cmd, cwd, timeout, mem_gib, log_base):
    """Run cmd under GNU time with stdin empty; stdout and stderr go to
    LOG_BASE.out / LOG_BASE.err. The whole process group is killed at the
    timeout."""
    out_path, err_path = Path(f"{log_base}.out"), Path(f"{log_base}.err")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss, \
            open(out_path, "w") as out, open(err_path, "w") as err:
        argv = [GNU_TIME, "-f", "%M", "-o", rss.name, "--"] + cmd
        t0 = time.monotonic()
        with memory_limit_inherited(mem_gib):
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd,
                                 start_new_session=True)
        # A blocking wait, with a timer for the timeout: Popen.wait(timeout)
        # polls with sleeps growing to 50 ms, which rounded every short run
        # up to the next poll (17, 27, 67 ms...).
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            p.wait()
        finally:
            timer.cancel()
        wall = time.monotonic() - t0
        timed_out = timed_out.is_set()
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
