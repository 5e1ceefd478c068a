"""environment.yml and requirements.txt install the same pinned packages.

The conda path (``conda env create -f environment.yml``) wraps the pip path
(``pip install -r requirements.txt``): the pins live in requirements.txt once, and
conda itself supplies only python and pip.
"""

import importlib.metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of a pip requirements file, following ``-r`` includes."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            lines += requirement_lines(path.parent / line.split(maxsplit=1)[1])
        else:
            lines.append(line)
    return lines


def pins(lines) -> dict[str, str]:
    """name -> exact version; every line must be an exact ``==`` pin."""
    out = {}
    for line in lines:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{line!r} is not pinned exactly (==)"
        name = req.name.lower().replace("_", "-")
        assert name not in out, f"{name} is pinned twice"
        out[name] = specs[0].version
    return out


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


@pytest.fixture(scope="module")
def required():
    return pins(requirement_lines(ROOT / "requirements.txt"))


def pip_section(environment) -> list[str]:
    sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, "environment.yml needs exactly one '- pip:' section"
    return sections[0]


def test_environment_names_python_and_pip(environment):
    assert environment["name"] == "convlib-course"
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda
    assert "pip" in conda


def test_conda_installs_nothing_that_pip_pins(environment, required):
    """Anything conda installed beside python and pip would be a second, unpinned copy."""
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    names = {d.split("=")[0].split("<")[0].split(">")[0].strip().lower() for d in conda}
    assert not names & set(required), f"conda and pip both install {sorted(names & set(required))}"


def test_pip_section_installs_exactly_requirements_txt(environment, required):
    """Following ``-r`` includes, the pip section resolves to exactly the same pins."""
    lines = []
    for entry in pip_section(environment):
        entry = entry.strip()
        if entry in ("-e .", "."):  # the course's own package, from the checkout: not a pin
            continue
        if entry.startswith(("-r ", "--requirement ")):
            lines += requirement_lines(ROOT / entry.split(maxsplit=1)[1])
        else:
            lines.append(entry)
    assert pins(lines) == required


def test_torch_is_pinned_exactly(required):
    """A looser pin lets pip pick a multi-gigabyte CUDA build or a torch the tests never saw."""
    assert required["torch"] == "2.13.0"


def test_core_needs_are_pinned(required):
    for name in ("numpy", "torch", "pytest", "hypothesis", "ipywidgets", "matplotlib", "nbgrader"):
        assert name in required, f"{name} is not pinned in requirements.txt"


def test_installed_versions_are_the_pins(required):
    """The environment the tests run in is the one the files describe (a local build tag
    such as torch's ``+cpu`` is allowed)."""
    wrong = {}
    for name, version in required.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            wrong[name] = ("not installed", version)
            continue
        if installed.split("+")[0] != version:
            wrong[name] = (installed, version)
    assert not wrong, f"installed vs pinned: {wrong}"
