"""Two benchmark results side by side: do their ratios agree?

Two ``make bench`` runs on a quiet machine should agree within 10% on every
ratio (convlib over torch, convlib over the bare matrix product); the same
table shows what the OpenBLAS settings change when one run has them and the
other not. Save runs with ``python -m bench --save run1.json``, then::

    python -m bench.compare run1.json run2.json          # exit status 1 if a ratio moved more than 10%
    python -m bench.compare run1.json run2.json --tolerance 0.05 --setting unset

A change beyond the tolerance says whether the two runs' middle halves of
their round-by-round ratios (the table's IQR) overlap: if they do, the runs
differ by less than each run's own spread.

Pure Python (no numpy), so ``python -m bench`` can use it before and after its children.
"""

from __future__ import annotations

import argparse
import json
import sys

RATIOS = ("ratio", "over_gemm")  # convlib / torch, convlib / gemm
TOLERANCE = 0.10


def compare(a: dict, b: dict, keys=RATIOS) -> list[dict]:
    """Per case, dtype and ratio: the value in result ``a``, in ``b``, and ``b / a - 1``; cases both have."""
    index = {(r["dtype"], r["case"]): r for r in b["rows"]}
    out = []
    for ra in a["rows"]:
        rb = index.get((ra["dtype"], ra["case"]))
        if rb is None:
            continue
        for key in keys:
            out.append({"case": ra["case"], "dtype": ra["dtype"], "key": key, "a": ra[key], "b": rb[key],
                        "change": rb[key] / ra[key] - 1, "busy": ra["busy"] or rb["busy"],
                        "overlap": _overlap(ra.get(f"{key}_quartiles"), rb.get(f"{key}_quartiles"))})
    return out


def _overlap(a, b) -> bool | None:
    """Whether the middle halves of two runs' round-by-round ratios overlap; None where a run has none."""
    if not a or not b:
        return None
    return a[0] <= b[1] and b[0] <= a[1]


def format_comparison(rows: list[dict], label_a: str, label_b: str, tolerance: float | None = None) -> str:
    """A table of the ratios of two results; with ``tolerance``, a mark on every change beyond it and a verdict."""
    names = {"ratio": "convlib/torch", "over_gemm": "convlib/gemm"}
    header = f"{'case':40} {'dtype':7} {'ratio of':13} {label_a:>10} {label_b:>10} {'change':>7}"
    lines = [header, "-" * len(header)]
    for r in rows:
        mark = "  busy" if r["busy"] else ""
        if tolerance is not None and abs(r["change"]) > tolerance:
            spread = {True: ", within the runs' spread", False: ", the runs' spreads apart"}.get(r.get("overlap"), "")
            mark = "  <- beyond " + format(tolerance, ".0%") + spread + mark
        lines.append(f"{r['case']:40} {r['dtype']:7} {names.get(r['key'], r['key']):13} {r['a']:10.2f} "
                     f"{r['b']:10.2f} {r['change']:+7.1%}{mark}")
    if tolerance is not None and rows:
        worst = max(rows, key=lambda r: abs(r["change"]))
        verdict = "agree" if abs(worst["change"]) <= tolerance else "disagree"
        lines.append(f"{verdict} within {tolerance:.0%}: the largest change is {worst['change']:+.1%} "
                     f"({worst['case']}, {worst['dtype']}, {names.get(worst['key'], worst['key'])})")
    return "\n".join(lines)


def agree(rows: list[dict], tolerance: float = TOLERANCE) -> bool:
    return all(abs(r["change"]) <= tolerance for r in rows)


def _load(path: str, setting: str | None) -> tuple[dict, str]:
    with open(path) as f:
        saved = json.load(f)
    settings = saved.get("settings", {})
    if not settings:
        raise SystemExit(f"compare: {path} holds no benchmark settings; save one with python -m bench --save {path}")
    name = setting or next(iter(settings))
    if name not in settings:
        raise SystemExit(f"compare: {path} has settings {sorted(settings)}, not {name!r}")
    return settings[name], name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n")[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--setting", help="which OpenBLAS setting of the saved runs (default: the first saved)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="largest change allowed (0.10 = 10%%)")
    args = parser.parse_args(argv)
    a, name = _load(args.first, args.setting)
    b, _ = _load(args.second, name)
    rows = compare(a, b)
    print(f"OpenBLAS setting: {name}")
    print(format_comparison(rows, "first", "second", args.tolerance))
    return 0 if agree(rows, args.tolerance) else 1


if __name__ == "__main__":
    sys.exit(main())
