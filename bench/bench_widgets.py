"""The explorers' redraw time: one parameter change, recomputed and redrawn (Python side).

For each explorer of :mod:`convlib.widgets`, every slider is swept through its
range and back, as a learner drags it; each change is timed from setting the
slider's value to the new PNG in the image widget (scene from
:mod:`convlib.scenes`, drawn in place by :mod:`convlib.drawing`, PNG
encoding, at twice the shown size for 2x displays). Changes to an invalid
combination only show a message, so they are counted but not timed. The
position control is timed separately, stepping through the output. The
budget (issue #4) is a median of at most 50 ms per parameter change on the
course's 2-core machine. Beside the wall-clock time, the CPU time of the
same changes (the calling thread's: every step of a redraw runs on it) says
what a change costs when other processes share the cores.

Run ``python -m bench`` (``make bench``) or ``python bench/bench_widgets.py``.
"""

from __future__ import annotations

import time

import numpy as np

BUDGET_MS = 50.0


def _timed(control, value) -> tuple[float, float]:
    """Milliseconds of wall-clock and of this thread's CPU time to set ``control`` to ``value``."""
    start, cpu = time.perf_counter(), time.thread_time()
    control.value = value
    return (time.perf_counter() - start) * 1e3, (time.thread_time() - cpu) * 1e3


def run(rounds: int = 2) -> list[dict]:
    """Time every explorer; one row per explorer.

    Parameters
    ----------
    rounds : int
        Sweeps of every slider (the first explorer build and one redraw are warm-up).

    Returns
    -------
    list of dict
        ``explorer``, ``median_ms``, ``p90_ms``, ``max_ms`` (parameter changes that redraw),
        ``cpu_ms`` (their median CPU time), ``changes`` (how many were timed), ``invalid``
        (changes that only showed a message),
        ``position_ms`` (median of one step of the position control), ``budget_ms``, ``ok``.
    """
    from convlib import widgets

    rows = []
    for name, cls in widgets.EXPLORERS.items():
        explorer = cls()
        explorer.redraw()  # warm: caches of glyphs, imports, the figure's first layout
        changes, cpu, invalid = [], [], 0
        for _ in range(rounds):
            for slider, (low, high, default, _) in explorer.sliders.items():
                control = explorer.controls[slider]
                for value in [*range(low, high + 1), *range(high - 1, low - 1, -1), default]:
                    if value == control.value:
                        continue
                    elapsed, spent = _timed(control, value)
                    if explorer.state.message:
                        invalid += 1
                    else:
                        changes.append(elapsed)
                        cpu.append(spent)
        position = explorer.controls["position"]
        steps = [_timed(position, (position.value + 1) % (position.max + 1))[0]
                 for _ in range(min(40, position.max * 2))]
        rows.append({
            "explorer": name,
            "median_ms": float(np.median(changes)),
            "p90_ms": float(np.percentile(changes, 90)),
            "max_ms": float(np.max(changes)),
            "cpu_ms": float(np.median(cpu)),
            "changes": len(changes),
            "invalid": invalid,
            "position_ms": float(np.median(steps)) if steps else float("nan"),
            "budget_ms": BUDGET_MS,
            "ok": float(np.median(changes)) <= BUDGET_MS,
        })
    return rows


def format_rows(rows: list[dict]) -> str:
    header = (f"{'explorer':13} {'median ms':>9} {'p90 ms':>7} {'max ms':>7} {'cpu ms':>7} {'changes':>8} "
              f"{'invalid':>8} {'position ms':>11} {'budget':>7}")
    lines = [header, "-" * len(header)]
    for r in rows:
        mark = "" if r["ok"] else "  <- over budget"
        lines.append(f"{r['explorer']:13} {r['median_ms']:9.1f} {r['p90_ms']:7.1f} {r['max_ms']:7.1f} "
                     f"{r['cpu_ms']:7.1f} {r['changes']:8d} {r['invalid']:8d} {r['position_ms']:11.1f} "
                     f"{'<=' + format(r['budget_ms'], '.0f'):>7}{mark}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_rows(run()))
