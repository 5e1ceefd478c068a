"""convlib against torch and numpy's bare matrix product, in float32 and float64, timed on a quiet machine.

Three sides are timed per shape and dtype, in blocks that alternate (the order
turns every round): convlib, torch (2 threads, on its own aligned copy of the
same inputs) and "gemm", numpy's matrix product alone on the same number of
multiply-adds, one call as im2col would make it: the floor that numpy's BLAS
sets for any convolution written with it. Before each block
:class:`bench.quiet.Waiter` waits (bounded) for other processes to use under a
tenth of a core, and the foreign load is measured again over the block; the
medians use the quiet blocks' samples only, and the table says how many blocks
were quiet (``quiet n/N``). A row with no quiet block for convlib or torch
falls back to all blocks and is marked ``busy``: its ratio says little.
Before anything is timed glibc's allocator is pinned (:mod:`bench.allocator`),
so that no side's time depends on which ran before it.

"ratio" is convlib's time over torch's (below 1, convlib is faster), "/gemm"
convlib's over the bare product's: each the median, over the rounds, of the
ratio of the two sides' blocks in that round (:func:`bench.quiet.paired_ratio`),
so that the host's slow changes of speed cancel; "IQR" is the middle half of
the rounds' convlib/torch ratios, the run's own spread (a second run's may lie
outside it when the host's load has changed in between: :mod:`bench.compare`
says which). The times are medians over all quiet blocks' samples. "% peak" is each side's
FLOP/s (2 per multiply-add) as a share of the machine's derived peak
(:func:`bench.machine.peak_flops`). "load" is the median foreign load of the
row's blocks, in cores; "peak MB" what convlib allocates at most in one call,
"rel err" its largest difference from torch over torch's largest magnitude.

Run by ``python -m bench`` in a child interpreter with the OpenBLAS variables
unset; ``python -m bench.bench_conv`` alone inherits the shell's.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import convlib
from bench import allocator, machine
from bench.quiet import (
    BUDGET,
    QUIET_CORES,
    ROUNDS,
    TIMEOUT,
    WINDOW,
    Block,
    Load,
    Ratio,
    Summary,
    Waiter,
    paired_ratio,
    summarize,
)

DTYPES = ("float32", "float64")
SIDES = ("convlib", "torch", "gemm")
# Seconds each side runs untimed at the start of its block, after the quiet
# wait: caches, thread pools, torch's kernel choice, and the cores' clock speed.
WARM = 0.1
# Seconds of timed calls in a block (at least MIN_CALLS calls): with the warm-up,
# 70 ticks of the two cores' counters, enough for the foreign load over the
# block to mean something; short, so that the three sides of a round run within
# two seconds and many rounds fit in a run.
BLOCK = 0.25
MIN_CALLS = 3
# The large matrix product that shows what BLAS reaches on this machine.
LARGE_GEMM = 2048


@dataclass(frozen=True)
class Case:
    name: str
    ours: Callable
    theirs: Callable
    inputs: Callable  # rng -> tuple of float32 arrays
    gemm: tuple[int, int, int, int]  # (groups, M, K, N): the one matrix product with the same multiply-adds

    @property
    def mult_adds(self) -> int:
        groups, m, k, n = self.gemm
        return groups * m * k * n


def _conv_case(name, n, c_in, size, c_out, stride=1, groups=1, rank=2):
    import torch.nn.functional as F

    def inputs(rng):
        x = rng.standard_normal((n, c_in) + (size,) * rank, dtype=np.float32)
        w = rng.standard_normal((c_out, c_in // groups) + (3,) * rank, dtype=np.float32)
        return x, w

    ours = {2: convlib.conv2d, 3: convlib.conv3d}[rank]
    theirs = {2: F.conv2d, 3: F.conv3d}[rank]
    out = convlib.conv_output_size(size, 3, stride, 1) ** rank
    gemm = (groups, c_out // groups, c_in // groups * 3**rank, n * out)
    return Case(name,
                lambda x, w: ours(x, w, stride=stride, padding=1, groups=groups),
                lambda x, w: theirs(x, w, stride=stride, padding=1, groups=groups), inputs, gemm)


def cases() -> list[Case]:
    import torch.nn.functional as F

    def transposed_inputs(rng):
        return (rng.standard_normal((8, 64, 28, 28), dtype=np.float32),
                rng.standard_normal((64, 64, 3, 3), dtype=np.float32))

    return [
        _conv_case("conv2d 3x3 N=8 C=64 56x56", 8, 64, 56, 64),
        _conv_case("conv2d 3x3 N=16 C=128 28x28", 16, 128, 28, 128),
        _conv_case("conv2d 3x3 N=8 C=256 14x14", 8, 256, 14, 256),
        _conv_case("conv2d 3x3 s2 N=1 3->32 224x224", 1, 3, 224, 32, stride=2),
        _conv_case("depthwise 3x3 N=8 C=256 28x28", 8, 256, 28, 256, groups=256),
        # weight^T @ input per image: (C_out * 9, C_in) @ (C_in, H * W), batched over the 8 images
        Case("conv_transpose2d 3x3 s2 N=8 C=64 28x28",
             lambda x, w: convlib.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
             lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
             transposed_inputs, gemm=(1, 64 * 9, 64, 8 * 28 * 28)),
        _conv_case("conv3d 3x3x3 N=2 C=32 16^3", 2, 32, 16, 32, rank=3),
    ]


def time_block(fn: Callable, args: tuple, waiter: Waiter, load: Load) -> Block:
    """Wait for quiet, warm up, then time calls for ``BLOCK`` seconds; the foreign load over warm-up and calls."""
    wait = waiter()
    start = load.start()
    warm_until = time.perf_counter() + WARM
    while time.perf_counter() < warm_until:
        fn(*args)
    samples = []
    stop = time.perf_counter() + BLOCK
    while len(samples) < MIN_CALLS or time.perf_counter() < stop:
        t0 = time.perf_counter()
        fn(*args)
        samples.append(time.perf_counter() - t0)
    return Block(tuple(samples), load.since(start), wait.waited)


def time_sides(sides: dict[str, tuple[Callable, tuple]], rounds: int, waiter: Waiter, load: Load
               ) -> dict[str, list[Block]]:
    """Blocks of every side, alternating; the order turns each round so that no side always follows another."""
    names = list(sides)
    blocks: dict[str, list[Block]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn, args = sides[name]
            blocks[name].append(time_block(fn, args, waiter, load))
    return blocks


def peak_memory(fn, args) -> int:
    """Peak bytes numpy allocates during one call (numpy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def row(case_name: str, dtype: str, mult_adds: int, summaries: dict[str, Summary], peak: float | None,
        ratios: dict[str, Ratio], **extra) -> dict:
    """One table row: times in ms from the sides' summaries, the paired ``ratios`` (``"ratio"``: convlib over
    torch, ``"over_gemm"``: convlib over gemm, round by round), shares of ``peak`` FLOP/s."""
    ms = {side: s.median * 1e3 for side, s in summaries.items()}
    flops = 2 * mult_adds
    return {
        "case": case_name,
        "dtype": dtype,
        **{f"{side}_ms": ms[side] for side in SIDES},
        **{key: ratios[key].median for key in ("ratio", "over_gemm")},
        **{f"{key}_quartiles": [ratios[key].low, ratios[key].high] for key in ("ratio", "over_gemm")},
        "rounds": ratios["ratio"].rounds,
        **{f"{side}_peak": (flops / summaries[side].median / peak if peak else float("nan")) for side in SIDES},
        "quiet": sum(s.quiet for s in summaries.values()),
        "blocks": sum(s.blocks for s in summaries.values()),
        "busy": summaries["convlib"].busy or summaries["torch"].busy or ratios["ratio"].busy,
        **extra,
    }


def run_case(case: Case, dtype: str, rng, rounds: int, waiter: Waiter, load: Load, peak: float | None) -> dict:
    import torch

    arrays = tuple(a.astype(dtype) for a in case.inputs(rng))
    tensors = tuple(torch.from_numpy(a).clone() for a in arrays)
    groups, m, k, n = case.gemm
    a = rng.standard_normal((groups, m, k)).astype(dtype)
    b = rng.standard_normal((groups, k, n)).astype(dtype)
    out = np.empty((groups, m, n), dtype=dtype)
    with torch.inference_mode():
        blocks = time_sides({"convlib": (case.ours, arrays), "torch": (case.theirs, tensors),
                             "gemm": (lambda: np.matmul(a, b, out=out), ())}, rounds, waiter, load)
        expected = case.theirs(*tensors).numpy()
    got = case.ours(*arrays)
    error = float(np.max(np.abs(got - expected)) / max(float(np.max(np.abs(expected))), 1e-30))
    summaries = {side: summarize(bs) for side, bs in blocks.items()}
    ratios = {"ratio": paired_ratio(blocks["convlib"], blocks["torch"]),
              "over_gemm": paired_ratio(blocks["convlib"], blocks["gemm"])}
    loads = [bl.load for bs in blocks.values() for bl in bs]
    return row(case.name, dtype, case.mult_adds, summaries, peak, ratios,
               load=float(np.median(loads)), max_rel_error=error,
               peak_mb=peak_memory(case.ours, arrays) / 2**20, output_mb=got.nbytes / 2**20,
               sides={side: {"quiet": s.quiet, "blocks": s.blocks, "best_ms": s.best * 1e3,
                             "loads": [bl.load for bl in blocks[side]],
                             "block_ms": [statistics.median(bl.samples) * 1e3 for bl in blocks[side]],
                             "samples": [len(bl.samples) for bl in blocks[side]]}
                      for side, s in summaries.items()})


def large_gemm(dtype: str, rng, rounds: int, waiter: Waiter, load: Load, size: int = LARGE_GEMM) -> dict:
    """The best rate (FLOP/s) of a large square matrix product, numpy's and torch's, over quiet blocks."""
    import torch

    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    out = np.empty_like(a)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    blocks = time_sides({"numpy": (lambda: np.matmul(a, b, out=out), ()), "torch": (lambda: torch.mm(ta, tb), ())},
                        rounds, waiter, load)
    result = {}
    for side, bs in blocks.items():
        used = [bl for bl in bs if bl.quiet] or bs
        result[side] = {"flops": 2 * size**3 / min(s for bl in used for s in bl.samples),
                        "quiet": sum(bl.quiet for bl in bs), "blocks": len(bs)}
    return result


def run(dtypes=DTYPES, rounds: int = ROUNDS, waiter: Waiter | None = None, only: str | None = None,
        clock_mhz: float = 0.0, progress: Callable[[str], None] = lambda line: None) -> dict:
    """Every case in every dtype; the machine's description, the large matrix products and the rows.

    The peak's clock is raised to what the large matrix products imply, and to
    ``clock_mhz`` (another run's, so that two runs share one peak). ``progress``
    gets a line as each case is done.
    """
    pinned = allocator.pin()  # before the first large allocation: every side meets the same allocator
    import torch

    torch.set_num_threads(machine.cores())
    waiter = waiter or Waiter()
    load = waiter.load
    rng = np.random.default_rng(0)
    chosen = [c for c in cases() if only is None or only in c.name]
    if not chosen:
        raise ValueError(f"run: no case name contains only={only!r}; cases: {[c.name for c in cases()]}")
    large = {dtype: large_gemm(dtype, rng, rounds, waiter, load) for dtype in dtypes}
    peak = machine.machine_peak()
    if peak is not None:
        peak = peak.at_least({d: max(r["flops"] for r in sides.values()) for d, sides in large.items()}, clock_mhz)
    result = {
        "pools": machine.thread_pools(),
        "torch": machine.torch_description(),
        "peak": None if peak is None else {"describe": peak.describe(), "flops": peak.flops, "mhz": peak.mhz,
                                           "nominal_mhz": peak.nominal_mhz},
        "allocator": pinned.describe(),
        "load_measured": load.available,
        "large_gemm": large,
        "rows": [],
    }
    for dtype in dtypes:
        for case in chosen:
            r = run_case(case, dtype, rng, rounds, waiter, load, None if peak is None else peak.flops[dtype])
            result["rows"].append(r)
            progress(f"  {dtype} {case.name}: ratio {r['ratio']:.2f}, quiet {r['quiet']}/{r['blocks']}")
    result["waits"] = {"blocks": len(waiter.waits), "quiet_before": sum(w.quiet for w in waiter.waits),
                       "waited_s": sum(w.waited for w in waiter.waits), "timeout_s": waiter.timeout,
                       "budget_s": waiter.budget}
    return result


def _percent(share: float) -> str:
    return "-" if math.isnan(share) else f"{100 * share:.0f}%"


def format_table(rows: list[dict], dtype: str) -> str:
    """The rows of one dtype as a table; a ``busy`` mark where convlib or torch had no quiet block."""
    header = (f"{'case':40} {'convlib ms':>10} {'torch ms':>9} {'ratio':>6} {'IQR':>11} {'gemm ms':>8} {'/gemm':>6} "
              f"{'% peak: convlib':>15} {'torch':>6} {'gemm':>5} {'quiet':>6} {'load':>5} {'peak MB':>8} "
              f"{'rel err':>8}")
    lines = [header, "-" * len(header)]
    for r in rows:
        if r["dtype"] != dtype:
            continue
        quiet = f"{r['quiet']}/{r['blocks']}"
        low, high = r["ratio_quartiles"]
        spread = f"{low:.2f}-{high:.2f}"
        lines.append(f"{r['case']:40} {r['convlib_ms']:10.2f} {r['torch_ms']:9.2f} {r['ratio']:6.2f} {spread:>11} "
                     f"{r['gemm_ms']:8.2f} {r['over_gemm']:6.2f} {_percent(r['convlib_peak']):>15} "
                     f"{_percent(r['torch_peak']):>6} {_percent(r['gemm_peak']):>5} {quiet:>6} {r['load']:5.2f} "
                     f"{r['peak_mb']:8.1f} {r['max_rel_error']:8.1e}" + ("  busy" if r["busy"] else ""))
    return "\n".join(lines)


def format_large_gemm(large: dict, peak: dict | None) -> str:
    """``best 2048^2 matrix product: float32 numpy 339 GFLOP/s (102% of peak), torch 172 (52%); ...``."""
    parts = []
    for dtype, sides in large.items():
        each = []
        for side, r in sides.items():
            share = f" ({_percent(r['flops'] / peak['flops'][dtype])} of peak)" if peak else ""
            busy = "" if r["quiet"] else ", busy"
            each.append(f"{side} {r['flops'] / 1e9:.0f} GFLOP/s{share}{busy}")
        parts.append(f"{dtype} " + ", ".join(each))
    return f"best {LARGE_GEMM}x{LARGE_GEMM} matrix product, {machine.cores()} threads: " + "; ".join(parts)


def format_result(result: dict) -> str:
    """The whole report of one run: the machine, the quiet record and a table per dtype."""
    lines = [*machine.describe_pools(result["pools"]), result["torch"],
             result["peak"]["describe"] if result["peak"] else "peak: unknown (no /proc/cpuinfo)",
             format_large_gemm(result["large_gemm"], result["peak"]), result["allocator"]]
    w = result["waits"]
    if result["load_measured"]:
        quiet = sum(r["quiet"] for r in result["rows"])
        blocks = sum(r["blocks"] for r in result["rows"])
        lines.append(f"quiet: {quiet}/{blocks} timed blocks had other processes under {QUIET_CORES} core; before "
                     f"each block the run waited up to {w['timeout_s']:g} s for such a moment "
                     f"({w['quiet_before']}/{w['blocks']} found one), {w['waited_s']:.0f} s in all with the "
                     f"{WINDOW:g} s pause each gets (at most {w['budget_s']:g} s beyond the pauses)")
    else:
        lines.append("quiet: unknown, this system has no /proc/stat; every block is counted busy")
    for dtype in dict.fromkeys(r["dtype"] for r in result["rows"]):
        rows = [r for r in result["rows"] if r["dtype"] == dtype]
        measured = [r for r in rows if not r["busy"]]
        faster = [r["case"] for r in measured if r["ratio"] < 1]
        lines += ["", f"{dtype}: medians over quiet blocks, torch on {machine.cores()} threads",
                  format_table(rows, dtype),
                  f"convlib faster than torch on {len(faster)} of {len(measured)} quiet shapes"
                  + (f" ({len(rows) - len(measured)} busy left out)" if len(measured) < len(rows) else "")
                  + (": " + ", ".join(faster) if faster else "")]
    if any(r["busy"] for r in result["rows"]):
        lines.append("busy: convlib or torch had no quiet block; the row's medians are over busy blocks")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_conv", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="blocks per side, shape and dtype")
    parser.add_argument("--wait", type=float, default=TIMEOUT, help="most seconds to wait before a block")
    parser.add_argument("--budget", type=float, default=BUDGET, help="most seconds to wait in all")
    parser.add_argument("--dtype", choices=DTYPES, action="append", help="only this dtype (repeatable)")
    parser.add_argument("--only", help="only the cases whose name contains this")
    parser.add_argument("--clock-mhz", type=float, default=0.0,
                        help="the peak's clock at least this (another run's, to share its peak)")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    result = run(tuple(args.dtype or DTYPES), args.rounds, Waiter(args.wait, args.budget), args.only,
                 args.clock_mhz, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(format_result(result), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
