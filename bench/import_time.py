"""How long ``import convlib`` takes in a fresh interpreter (and ``import numpy``, most of it).

Each import runs in a new interpreter, so nothing is cached but the
operating system's file cache; the best of several runs is what a student's
notebook kernel pays, the median what it may pay. Each run waits for a quiet
moment first (:class:`bench.quiet.Waiter`); the child's CPU time is this
process's own once it has been waited for.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from bench.quiet import QUIET_CORES, Waiter

PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
MODULES = ("convlib", "numpy")
RUNS = 7


def time_import(module: str, env: dict | None = None) -> float:
    """Seconds ``import module`` takes in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], env=env, check=True,
                          capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def run(runs: int = RUNS, env: dict | None = None, waiter: Waiter | None = None) -> list[dict]:
    """Per module: ``best_s``, ``median_s``, ``runs``, ``quiet`` (runs with other processes under QUIET_CORES)."""
    waiter = waiter or Waiter()
    load = waiter.load
    rows = []
    for module in MODULES:
        times, quiet = [], 0
        for _ in range(runs):
            waiter()
            start = load.start()
            times.append(time_import(module, env))
            quiet += load.since(start) < QUIET_CORES
        rows.append({"module": module, "best_s": min(times), "median_s": statistics.median(times), "runs": runs,
                     "quiet": quiet})
    return rows


def format_rows(rows: list[dict]) -> str:
    """``import convlib: best 0.121 s, median 0.130 s of 7 fresh interpreters (7 quiet)``, one line a module."""
    return "\n".join(f"import {r['module']}: best {r['best_s']:.3f} s, median {r['median_s']:.3f} s of {r['runs']} "
                     f"fresh interpreters ({r['quiet']} quiet)" for r in rows)
