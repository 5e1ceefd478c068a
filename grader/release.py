"""Regenerate the students' notebooks from the nbgrader sources, with nbgrader itself.

    python -m grader.release                   every assignment in solutions/
    python -m grader.release 01_convolution    the assignments named
    python -m grader.release --check           regenerate in a temporary folder; exit 1 if notebooks/ differs

For each ``solutions/<assignment>/`` this strips outputs and execution counts
from the source notebooks (they are committed clean), then runs
``nbgrader generate_assignment <assignment> --force`` with the course's
configuration (``JUPYTER_CONFIG_PATH=grader``, as the Makefile sets it). That
writes ``notebooks/<assignment>/`` (solutions replaced by stubs, hidden tests
removed, outputs cleared, graded cells locked) and records the assignment's
cells, hidden tests included, in ``grader/gradebook.db``, from which
``nbgrader autograde`` later restores them. The student copies are never
edited by hand; this is the one way they are made.

``--check`` writes nothing in the repository: it copies the sources to a
temporary course directory with its own gradebook, generates there, and
compares with the committed ``notebooks/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "solutions"  # CourseDirectory.source_directory in grader/nbgrader_config.py
RELEASE = "notebooks"  # CourseDirectory.release_directory


def assignments(root: Path = ROOT) -> list[str]:
    """The assignments: every folder of ``solutions/`` holding a notebook, sorted."""
    return sorted(p.name for p in (root / SOURCE).iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def notebooks(folder: Path) -> list[Path]:
    """The notebooks of an assignment folder (checkpoints left out), sorted."""
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def has_outputs(nb) -> bool:
    """Whether any code cell of ``nb`` has outputs or an execution count."""
    return any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
               for c in nb.cells)


def strip_outputs(path: Path) -> bool:
    """Clear the outputs and execution counts of a notebook in place; return whether it changed."""
    nb = nbformat.read(path, as_version=4)
    if not has_outputs(nb):
        return False
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)
    return True


def nbgrader_env(**extra: str) -> dict[str, str]:
    """The environment of the course's nbgrader commands, as the Makefile exports it.

    nbgrader finds ``grader/nbgrader_config.py`` through ``JUPYTER_CONFIG_PATH`` and
    calls ``alembic`` by name, so this Python's ``bin`` folder goes first on ``PATH``.
    """
    bin_dir = str(Path(sys.executable).parent)  # not resolved: a venv's python is a symlink
    return {**os.environ, "JUPYTER_CONFIG_PATH": str(ROOT / "grader"),
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), **extra}


def run_nbgrader(*args: str, course_dir: Path | None = None, db_url: str | None = None, cwd: Path | None = None,
                 env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` with the course's configuration; raise with nbgrader's log if it fails.

    ``course_dir`` and ``db_url`` override the configuration's course root and
    gradebook (``--course-dir``, ``--db``), e.g. to work in a temporary copy.
    """
    command = [sys.executable, "-m", "nbgrader", *args]
    if course_dir is not None:
        command.append(f"--course-dir={course_dir}")
    if db_url is not None:
        command.append(f"--db={db_url}")
    result = subprocess.run(command, cwd=cwd or ROOT, env=env or nbgrader_env(), capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed with exit code {result.returncode}:\n"
                           f"{result.stdout}\n{result.stderr}")
    return result


def generate(assignment: str, course_dir: Path | None = None, db_url: str | None = None,
             **kwargs) -> subprocess.CompletedProcess:
    """``nbgrader generate_assignment <assignment> --force``: writes ``<course>/notebooks/<assignment>/``."""
    return run_nbgrader("generate_assignment", assignment, "--force", course_dir=course_dir, db_url=db_url, **kwargs)


def differences(generated: Path, committed: Path) -> list[str]:
    """What differs between two release folders of one assignment, notebook by notebook (empty: none)."""
    names = {p.relative_to(generated) for p in generated.rglob("*") if p.is_file()}
    committed_names = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()} \
        if committed.is_dir() else set()
    found = [f"{committed / name}: missing" for name in sorted(names - committed_names)]
    found += [f"{committed / name}: not generated by nbgrader" for name in sorted(committed_names - names)]
    for name in sorted(names & committed_names):
        if name.suffix == ".ipynb":
            same = json.loads((generated / name).read_text()) == json.loads((committed / name).read_text())
        else:
            same = (generated / name).read_bytes() == (committed / name).read_bytes()
        if not same:
            found.append(f"{committed / name}: differs from what nbgrader generates now")
    return found


def check(names: list[str], root: Path = ROOT) -> list[str]:
    """Regenerate ``names`` in a temporary course directory; return what differs from ``root``'s notebooks/."""
    found = [f"{path}: has outputs" for name in names for path in notebooks(root / SOURCE / name)
             if has_outputs(nbformat.read(path, as_version=4))]
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        course = Path(tmp)
        for name in names:
            shutil.copytree(root / SOURCE / name, course / SOURCE / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            generate(name, course_dir=course, db_url=f"sqlite:///{course / 'gradebook.db'}", cwd=course)
            found += differences(course / RELEASE / name, root / RELEASE / name)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.release", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignments to release (default: every one in solutions/)")
    parser.add_argument("--check", action="store_true",
                        help="regenerate in a temporary folder and report differences; write nothing")
    args = parser.parse_args(argv)
    known = assignments()
    unknown = sorted(set(args.assignments) - set(known))
    if unknown:
        parser.error(f"no notebooks in {SOURCE}/ for {unknown}; the assignments are {known}")
    names = args.assignments or known
    if args.check:
        found = check(names)
        for line in found:
            print(line)
        print(f"{len(names)} assignment(s) checked: " + ("notebooks/ is up to date" if not found else
                                                         "run `python -m grader.release` and commit"))
        return 1 if found else 0
    for name in names:
        for path in notebooks(ROOT / SOURCE / name):
            if strip_outputs(path):
                print(f"stripped outputs: {path.relative_to(ROOT)}")
        generate(name)
        print(f"released {SOURCE}/{name} -> {RELEASE}/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
