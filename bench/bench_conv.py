"""convlib against torch on the course's benchmark shapes, timed in the same run.

Both run float32 on the same inputs (torch on its own aligned copy), torch
pinned to 2 threads. Each side is timed in blocks, alternating, each block after
a pause that lets the other library's worker threads go idle (``PAUSE``), and
the median of all its runs is kept. The ratio is convlib's median over torch's: below 1, convlib
is faster. "gemm ms" is numpy's matrix product alone on the same number of
multiply-adds (one call, as im2col would make it): the floor that numpy's BLAS
sets for any convolution written with it.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import convlib

# Seconds between timed blocks. BLAS and OpenMP worker threads spin for a while
# after their last job (OpenBLAS about 0.1 s), stealing a core from whichever
# library is timed next; the pause lets them fall asleep first.
PAUSE = 0.3
# Seconds each side runs untimed before its block: after the pause the cores
# need a moment of work to come back to full speed.
WARM = 0.2


@dataclass(frozen=True)
class Case:
    name: str
    target: float  # the ratio convlib must stay at or under
    ours: Callable
    theirs: Callable
    inputs: Callable  # rng -> tuple of arrays
    gemm: tuple[int, int, int, int]  # (groups, M, K, N): the one matrix product with the same multiply-adds


def _conv_case(name, n, c_in, size, c_out, target, stride=1, groups=1, rank=2):
    import torch.nn.functional as F

    def inputs(rng):
        x = rng.standard_normal((n, c_in) + (size,) * rank, dtype=np.float32)
        w = rng.standard_normal((c_out, c_in // groups) + (3,) * rank, dtype=np.float32)
        return x, w

    ours = {2: convlib.conv2d, 3: convlib.conv3d}[rank]
    theirs = {2: F.conv2d, 3: F.conv3d}[rank]
    out = convlib.conv_output_size(size, 3, stride, 1) ** rank
    gemm = (groups, c_out // groups, c_in // groups * 3**rank, n * out)
    return Case(name, target,
                lambda x, w: ours(x, w, stride=stride, padding=1, groups=groups),
                lambda x, w: theirs(x, w, stride=stride, padding=1, groups=groups), inputs, gemm)


def cases() -> list[Case]:
    import torch.nn.functional as F

    def transposed_inputs(rng):
        return (rng.standard_normal((8, 64, 28, 28), dtype=np.float32),
                rng.standard_normal((64, 64, 3, 3), dtype=np.float32))

    return [
        _conv_case("conv2d 3x3 N=8 C=64 56x56", 8, 64, 56, 64, 1.25),
        _conv_case("conv2d 3x3 N=16 C=128 28x28", 16, 128, 28, 128, 1.25),
        _conv_case("conv2d 3x3 N=8 C=256 14x14", 8, 256, 14, 256, 1.25),
        _conv_case("conv2d 3x3 s2 N=1 3->32 224x224", 1, 3, 224, 32, 1.0, stride=2),
        _conv_case("depthwise 3x3 N=8 C=256 28x28", 8, 256, 28, 256, 2.0, groups=256),
        Case("conv_transpose2d 3x3 s2 N=8 C=64 28x28", 1.5,
             lambda x, w: convlib.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
             lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
             transposed_inputs, gemm=(1, 64 * 9, 64, 8 * 28 * 28)),
        _conv_case("conv3d 3x3x3 N=2 C=32 16^3", 2, 32, 16, 32, 2.0, rank=3),
    ]


def _median_time(fn, args, repeats, rounds, other=None, other_args=None) -> tuple[float, float]:
    """Median seconds of ``fn`` and of ``other``, timed in alternating blocks."""
    times = {0: [], 1: []}
    pairs = [(0, fn, args)] + ([(1, other, other_args)] if other else [])
    for _ in range(rounds):
        for key, f, a in pairs:
            time.sleep(PAUSE)
            warm_until = time.perf_counter() + WARM
            while time.perf_counter() < warm_until:  # caches, thread pools, torch's kernel choice, clock speed
                f(*a)
            for _ in range(repeats):
                start = time.perf_counter()
                f(*a)
                times[key].append(time.perf_counter() - start)
    return float(np.median(times[0])), float(np.median(times[1])) if other else float("nan")


def gemm_floor(case: Case, rng, repeats: int, rounds: int) -> float:
    """Median seconds of numpy's matrix product with the case's multiply-adds: one call, BLAS's own threads.

    What numpy's BLAS alone costs for the arithmetic, with no copies around it.
    """
    groups, m, k, n = case.gemm
    a = rng.standard_normal((groups, m, k), dtype=np.float32)
    b = rng.standard_normal((groups, k, n), dtype=np.float32)
    out = np.empty((groups, m, n), dtype=np.float32)
    return _median_time(lambda: np.matmul(a, b, out=out), (), repeats, rounds)[0]


def peak_memory(fn, args) -> int:
    """Peak bytes numpy allocates during one call (numpy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(repeats: int = 5, rounds: int = 3) -> list[dict]:
    import torch

    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    rows = []
    for case in cases():
        arrays = case.inputs(rng)
        tensors = tuple(torch.from_numpy(a).clone() for a in arrays)
        with torch.inference_mode():
            ours, theirs = _median_time(case.ours, arrays, repeats, rounds, case.theirs, tensors)
            expected = case.theirs(*tensors).numpy()
        floor = gemm_floor(case, rng, repeats, rounds)
        got = case.ours(*arrays)
        error = float(np.max(np.abs(got - expected)) / max(np.max(np.abs(expected)), 1e-30))
        output_bytes = got.nbytes
        rows.append({
            "case": case.name,
            "convlib_ms": ours * 1e3,
            "torch_ms": theirs * 1e3,
            "ratio": ours / theirs,
            "gemm_ms": floor * 1e3,
            "target": case.target,
            "ok": ours / theirs <= case.target,
            "max_rel_error": error,
            "peak_mb": peak_memory(case.ours, arrays) / 2**20,
            "output_mb": output_bytes / 2**20,
        })
    return rows


def format_rows(rows: list[dict]) -> str:
    header = (f"{'case':40} {'convlib ms':>10} {'torch ms':>9} {'ratio':>6} {'target':>7} "
              f"{'gemm ms':>8} {'peak MB':>8} {'out MB':>7} {'rel err':>8}")
    lines = [header, "-" * len(header)]
    for r in rows:
        mark = "" if r["ok"] else "  <- over target"
        target = "<=" + format(r["target"], ".2f")
        lines.append(f"{r['case']:40} {r['convlib_ms']:10.2f} {r['torch_ms']:9.2f} {r['ratio']:6.2f} {target:>7} "
                     f"{r['gemm_ms']:8.2f} {r['peak_mb']:8.1f} {r['output_mb']:7.1f} {r['max_rel_error']:8.1e}{mark}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_rows(run()))
