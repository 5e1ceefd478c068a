"""`python -m bench`: every benchmark of the course, as tables."""

import importlib.util

from bench import bench_conv

print("convlib against torch (float32, torch on 2 threads, median of alternating blocks)")
print(bench_conv.format_rows(bench_conv.run()))

if importlib.util.find_spec("bench.bench_widgets"):
    from bench import bench_widgets

    print("\nexplorers: one parameter change, recompute and redraw (Python side)")
    rows = bench_widgets.run()
    if hasattr(bench_widgets, "format_rows"):
        print(bench_widgets.format_rows(rows))
    else:
        for row in rows:
            print(row)
