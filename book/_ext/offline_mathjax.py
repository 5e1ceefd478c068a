"""Math without a CDN: MathJax 3 from the sphinx-mathjax-offline package, only the files a page loads.

sphinx-mathjax-offline (pinned in requirements.txt) ships the whole MathJax 3.2.2
distribution and its own ``setup`` copies all of it, 24 MB, into every site, ``latest.js``
(which asks CDNs for a newer version) among it. This extension uses the same files but copies
what the book's pages need: the combined ``tex-chtml.js`` component (TeX in, HTML and CSS
out, the menu and assistive MathML included), the TeX extensions it may autoload
(``\\boldsymbol``, ``\\color``, ...) and the CommonHTML output's web fonts, about 2 MB.
Speech (``sre``) and the accessibility explorer, which load only when a reader turns them
on in MathJax's menu, stay out; so do the SVG output and the other combined components.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.fileutil import copy_asset

PACKAGE = "sphinx-mathjax-offline"  # its import name has hyphens; it is a folder of static files
# Relative to the distribution's root: what tex-chtml.js loads, or may load for TeX on a page.
NEEDED = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2")


def mathjax_root() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(f"offline_mathjax: the package {PACKAGE} is not installed (pip install -r "
                             "requirements.txt)")
    root = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax"
    missing = [name for name in NEEDED if not (root / name).exists()]
    if missing:
        raise ExtensionError(f"offline_mathjax: {root} has no {', '.join(missing)}")
    return root


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = mathjax_root()
    target = Path(app.outdir) / "_static" / "mathjax"
    for name in NEEDED:
        source = root / name
        copy_asset(str(source), str(target / name if source.is_dir() else target))


def setup(app: Sphinx) -> dict:
    mathjax_root()  # fail at the start of a build, not at its end
    app.config.mathjax_path = "mathjax/tex-chtml.js"  # relative: under _static, beside the page
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
