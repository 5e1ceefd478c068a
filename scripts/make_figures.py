"""Write the README's picture of each explorer: docs/figures/<explorer>.png (`make figures`).

Each picture is what the explorer shows for the parameters and position below:
its convlib.scenes scene, drawn by the same convlib.drawing function with the
sum of products and the formula written underneath (the explorer writes
those as text under its picture instead).

Usage: python scripts/make_figures.py [output directory, default docs/figures]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout, installed or not
    sys.path.insert(0, str(ROOT))

from convlib import widgets  # noqa: E402

DPI = 100  # 800 px wide: sharp at README width

# Starting values and the highlighted output element of each picture: chosen so that the
# window touches the padding where there is any, as the learner will see it do.
PICTURES = {
    "conv2d": ({"input_size": 5, "kernel_size": 3, "stride": 2, "padding": 1}, 5),
    "multichannel": ({}, 5),
    "conv1d": ({"input_size": 9, "kernel_size": 3, "stride": 2, "padding": 1}, 4),
    "separable": ({}, 5),
    "dilated": ({}, 4),
    "shuffle": ({}, 4),
    "conv3d": ({}, 14),
    "transposed": ({}, 8),
}


def main(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (values, position) in PICTURES.items():
        explorer = widgets.EXPLORERS[name](**values)
        explorer.controls["position"].value = position
        if explorer.state.message:
            raise SystemExit(f"make_figures: {name} {values}: {explorer.state.message}")
        figure = explorer.draw(explorer.state.scene, footer=True)
        path = out_dir / f"{name}.png"
        figure.savefig(path, dpi=DPI, facecolor="white")
        written.append(path)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return written


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "figures")
