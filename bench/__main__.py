"""`python -m bench` (`make bench`): every benchmark of the course, as tables.

1. convlib against torch and numpy's bare matrix product, float32 and float64
   (:mod:`bench.bench_conv`), in a child interpreter whose environment has
   the OpenBLAS variables unset (``--blas-env unset``, the default: a user's
   machine), or as this shell has them (``inherited``), or both, one after the
   other, with their ratios side by side. OpenBLAS reads the variables when
   numpy loads it, so this process imports neither numpy nor convlib before
   its children have run.
2. ``import convlib`` in fresh interpreters (:mod:`bench.import_time`).
3. The explorers' redraw time (:mod:`bench.bench_widgets`), in its own child
   interpreter, as before: it does not wait for quiet.

``--save FILE`` writes every result as JSON, for ``python -m bench.compare``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from bench import compare, machine
from bench.quiet import BUDGET, ROUNDS, TIMEOUT, Waiter

PARTS = ("conv", "import", "widgets")


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="The course's benchmarks.")
    parser.add_argument("--blas-env", choices=(*machine.SETTINGS, "both"), default="unset",
                        help="OpenBLAS variables of the benchmark's process: unset (default), this shell's, or both")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed blocks per side, shape and dtype")
    parser.add_argument("--wait", type=float, default=TIMEOUT, help="most seconds to wait for quiet before a block")
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="most seconds to wait for quiet in all, per setting")
    parser.add_argument("--dtype", choices=("float32", "float64"), action="append", help="only this dtype")
    parser.add_argument("--only", help="only the convolutions whose name contains this")
    parser.add_argument("--skip", choices=PARTS, action="append", default=[], help="leave out a part")
    parser.add_argument("--save", help="write all results to this JSON file")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    return args


def run_conv(setting: str, args: argparse.Namespace, clock_mhz: float = 0.0) -> dict:
    """The convolution benchmark in a child interpreter with ``setting``'s environment; its result."""
    env = machine.blas_environment(os.environ, setting)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "result.json")
        command = [sys.executable, "-m", "bench.bench_conv", "--rounds", str(args.rounds), "--wait", str(args.wait),
                   "--budget", str(args.budget), "--clock-mhz", str(clock_mhz), "--json", path]
        command += [f"--dtype={d}" for d in args.dtype or ()]
        command += [f"--only={args.only}"] if args.only else []
        subprocess.run(command, env=env, check=True)
        with open(path) as f:
            return json.load(f)


def main(argv=None) -> None:
    args = parse(argv)
    saved = {"environ": {n: os.environ[n] for n in machine.BLAS_VARIABLES if n in os.environ}, "settings": {}}
    # unset first: its BLAS kernel is the one a user gets, and the clock its large
    # matrix product implies then sets the peak of the run with this shell's settings too
    settings = machine.SETTINGS if args.blas_env == "both" else (args.blas_env,)
    if "conv" not in args.skip:
        clock = 0.0
        for setting in settings:
            print(f"convlib against torch and numpy's matrix product\n{machine.describe_setting(os.environ, setting)}",
                  flush=True)
            saved["settings"][setting] = result = run_conv(setting, args, clock)
            clock = max(clock, (result["peak"] or {}).get("mhz", 0.0))
            print(flush=True)
        if len(settings) == 2:
            print("the same ratios with this shell's OpenBLAS settings and without them")
            print(compare.format_comparison(compare.compare(saved["settings"]["inherited"],
                                                            saved["settings"]["unset"]), "inherited", "unset"))
            print(flush=True)

    clean = machine.blas_environment(os.environ, "unset")
    if "import" not in args.skip:
        from bench import import_time

        print("import in a fresh interpreter (OpenBLAS variables unset)", flush=True)
        saved["import"] = import_time.run(env=clean, waiter=Waiter(args.wait, args.budget))
        print(import_time.format_rows(saved["import"]), flush=True)

    if "widgets" not in args.skip:
        print("\nexplorers: one parameter change, recompute and redraw (Python side)", flush=True)
        subprocess.run([sys.executable, "-m", "bench.bench_widgets"], env=clean, check=True)

    if args.save:
        with open(args.save, "w") as f:
            json.dump(saved, f, indent=1)
        print(f"\nsaved to {args.save}; compare two runs with: python -m bench.compare FIRST.json {args.save}")


if __name__ == "__main__":
    main()
