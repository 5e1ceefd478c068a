"""Grading a class: ``python -m grader autograde --jobs 2`` against serial stock ``nbgrader autograde``, same run.

``make bench-grading`` (kept apart from ``make bench``: it takes minutes). In a temporary
copy of the course with every assignment of ``solutions/``, ``STUDENTS`` students each
submit every assignment, their answers a mix of right, wrong (returning None) and blank,
built from the notebooks. Three identical copies are then graded, one after the other:

1. ``nbgrader autograde <assignment>`` for each assignment, serially: the command itself,
   with the course's configuration;
2. ``python -m grader autograde --jobs 2``;
3. ``nbgrader autograde`` again, with nbgrader's default autograde preprocessors (the
   course's configuration may replace them, for example with a sandboxed kernel).

Each is timed from the command's start to its end (process start-up included), and the
exported grades of 1 and 2 must be equal. Then one solved notebook per assignment is run
alone, cell by cell, to show where a notebook's time goes: the kernel's start and stop,
the imports, the lesson's own cells, the student's code with the graded cells' checks,
and, the rest of a serial notebook's share, nbgrader's own work (sanitising, the gradebook,
writing the result), besides this tool's merge of a submission into the gradebook.

    python -m bench.bench_grading [--students 20] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grader.course import ROOT, prepare_environment

STUDENTS = 20
STUB = "raise NotImplementedError()"
DEFAULT_PREPROCESSORS = """\
c = get_config()  # noqa: F821
from nbgrader.converters import Autograde
traits = Autograde.class_traits()
c.Autograde.sanitize_preprocessors = list(traits["sanitize_preprocessors"].default_value)
c.Autograde.autograde_preprocessors = list(traits["autograde_preprocessors"].default_value)
"""


def env(base: Path) -> dict[str, str]:
    """The course's environment, with Jupyter's folders of its own (no user kernels or config)."""
    out = prepare_environment(dict(os.environ))
    folders = {key: base / name for key, name in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                                                  ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"))}
    for key, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        out[key] = str(folder)
    out.pop("JUPYTER_PATH", None)
    return out


def run(command: list[str], environ: dict, cwd: Path, check: bool = True) -> float:
    """Run ``command``; return its wall time in seconds."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return seconds


def grader(course: Path, *args: str, environ: dict, check: bool = True) -> float:
    return run([sys.executable, "-m", "grader", *args, "--course-dir", str(course)], environ, course.parent, check)


def exercises(source) -> list[str]:
    """The exercises of a source notebook: its code solution cells that are not graded."""
    found = []
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            found.append(meta["grade_id"])
    return found


def submission(source, released, student: int):
    """Student ``student``'s answers: exercise j is right, returns None or is left blank, by (student + j) % 3."""
    nb = nbformat.reads(nbformat.writes(released), as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("grade_id")}
    how = {name: (student + j) % 3 for j, name in enumerate(exercises(source))}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if how.get(gid) == 0:
            cell.source = answers[gid]
        elif how.get(gid) == 1 and STUB in cell.source:
            cell.source = cell.source.replace(STUB, "return None")
    return nb


def build(base: Path, students: int, environ: dict) -> tuple[Path, list[str]]:
    """A released course copy with every assignment, and ``students`` submissions of each."""
    course = base / "course"
    for folder in sorted((ROOT / "solutions").iterdir()):
        if folder.is_dir() and any(folder.glob("*.ipynb")):
            shutil.copytree(folder, course / "solutions" / folder.name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (course / "grader").mkdir(parents=True)
    grader(course, "release", environ=environ)
    names = sorted(p.name for p in (course / "solutions").iterdir())
    for name in names:
        for path in sorted((course / "solutions" / name).glob("*.ipynb")):
            source = nbformat.read(path, as_version=4)
            released = nbformat.read(course / "notebooks" / name / path.name, as_version=4)
            for i in range(students):
                target = course / "grader" / "submitted" / f"student{i:02d}" / name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(submission(source, released, i), target)
    return course, names


def stock(course: Path, names: list[str], environ: dict) -> float:
    """Serial ``nbgrader autograde`` of every assignment, as a teacher runs it, one command after another."""
    flags = [f"--CourseDirectory.root={course}", f"--CourseDirectory.db_url=sqlite:///{course}/grader/gradebook.db"]
    return sum(run([sys.executable, "-m", "nbgrader", "autograde", name, *flags], environ, course.parent, check=False)
               for name in names)


def grades(course: Path, environ: dict) -> list[dict]:
    grader(course, "export", environ=environ)
    with open(course / "grader" / "export" / "grades.csv", newline="") as handle:
        return list(csv.DictReader(handle))


# ----------------------------------------------------------------------------- one notebook, cell by cell

PROBE = """\
import time as _t
_s = _t.perf_counter()
import {module}
print(_t.perf_counter() - _s)
"""


def profile(source_path: Path, environ: dict, base: Path) -> dict[str, float]:
    """Run the solved source notebook (hidden tests and all, as autograde does) alone: seconds by part."""
    from nbclient import NotebookClient

    os.environ.update({k: v for k, v in environ.items() if k.startswith(("JUPYTER", "IPYTHON", "PATH"))})
    nb = nbformat.read(source_path, as_version=4)
    parts = dict.fromkeys(["kernel start", "setup cell", "lesson cells", "answer cells", "graded cells",
                           "kernel stop"], 0.0)
    workdir = base / "profile"
    workdir.mkdir(exist_ok=True)
    from grader.course import Course

    stop_how = Course(ROOT).app.config.ExecutePreprocessor.get("shutdown_kernel", "graceful")  # as autograde does
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True, shutdown_kernel=stop_how,
                            resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    with client.setup_kernel():
        parts["kernel start"] = time.perf_counter() - start
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            part = ("setup cell" if meta.get("grade_id") == "setup" else "graded cells" if meta.get("grade")
                    else "answer cells" if meta.get("solution") else "lesson cells")
            begin = time.perf_counter()
            client.execute_cell(cell, index)
            parts[part] += time.perf_counter() - begin
        stop = time.perf_counter()
    parts["kernel stop"] = time.perf_counter() - stop
    # The imports alone, each in a fresh kernel: what the setup and lesson cells above include.
    for module in ("numpy, convlib, grader.checks", "torch", "convlib.widgets"):
        parts[f"import {module}"] = import_seconds(module, workdir)
    return parts


def import_seconds(module: str, workdir: Path) -> float:
    """Seconds ``import <module>`` takes in a fresh kernel."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(workdir))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        out: list[str] = []
        kc.execute_interactive(PROBE.format(module=module), timeout=300,
                               output_hook=lambda m: out.append(m["content"].get("text", "")))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return float("".join(out).strip().splitlines()[-1])


def merge_seconds(course: Path, names: list[str]) -> float:
    """Median seconds to read one submission's rows out of a gradebook and store them into another."""
    from grader import gradebooks

    copy = course.parent / "merge-copy.db"
    gradebooks.snapshot(course / "grader" / "gradebook.db", copy)
    times = []
    for name in names:
        for student in sorted(p.name for p in (course / "grader" / "submitted").iterdir()):
            begin = time.perf_counter()
            rows = gradebooks.submission_rows(f"sqlite:///{copy}", name, student)
            gradebooks.store(f"sqlite:///{course}/grader/gradebook.db", name, student, rows)
            times.append(time.perf_counter() - begin)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_grading", description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=STUDENTS, help="submissions per assignment (%(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs of the parallel run (%(default)s)")
    args = parser.parse_args(argv)
    if args.students < 1 or args.jobs < 1:
        parser.error(f"--students and --jobs must be at least 1, got {args.students} and {args.jobs}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        environ = env(base / "jupyter")
        course, names = build(base, args.students, environ)
        copies = {key: base / key / "course" for key in ("stock", "parallel", "defaults")}
        for path in copies.values():
            shutil.copytree(course, path)
        (copies["defaults"] / "nbgrader_config.py").write_text(DEFAULT_PREPROCESSORS)
        n = args.students * len(names)
        print(f"grading {args.students} students x {len(names)} assignment(s) = {n} notebooks, "
              f"{os.cpu_count()} cores", flush=True)
        seconds = {"stock": stock(copies["stock"], names, environ)}
        print(f"  nbgrader autograde, serial: {seconds['stock']:.1f} s", flush=True)
        seconds["parallel"] = grader(copies["parallel"], "autograde", "--jobs", str(args.jobs), environ=environ,
                                     check=False)
        print(f"  python -m grader autograde --jobs {args.jobs}: {seconds['parallel']:.1f} s", flush=True)
        seconds["defaults"] = stock(copies["defaults"], names, environ)
        print(f"  nbgrader autograde, serial, nbgrader's default preprocessors: {seconds['defaults']:.1f} s",
              flush=True)
        equal = grades(copies["stock"], environ) == grades(copies["parallel"], environ)
        parts = {name: profile(next((course / "solutions" / name).glob("*.ipynb")), environ, base) for name in names}
        merge = merge_seconds(copies["parallel"], names)
    print()
    print(format_runs(seconds, n, args.jobs, equal))
    print()
    print(format_parts(parts, seconds["stock"] / n, merge))
    return 0 if equal else 1


def format_runs(seconds: dict[str, float], n: int, jobs: int, equal: bool) -> str:
    rows = [("nbgrader autograde, serial (the course's configuration)", seconds["stock"]),
            (f"python -m grader autograde --jobs {jobs}", seconds["parallel"]),
            ("nbgrader autograde, serial (nbgrader's default preprocessors)", seconds["defaults"])]
    lines = [f"{'run':<64}{'seconds':>9}{'s/notebook':>12}{'speed-up':>10}", "-" * 95]
    for name, value in rows:
        lines.append(f"{name:<64}{value:9.1f}{value / n:12.2f}{seconds['stock'] / value:10.2f}")
    lines.append(f"grades of the serial and the parallel run equal (exported CSVs): {'yes' if equal else 'NO'}")
    return "\n".join(lines)


def format_parts(parts: dict[str, dict[str, float]], per_notebook: float, merge: float) -> str:
    names = list(parts)
    keys = list(next(iter(parts.values())))
    lines = [f"{'one solved notebook, alone (seconds)':<44}" + "".join(f"{n:>18}" for n in names),
             "-" * (44 + 18 * len(names))]
    for key in keys:
        label = f"  of which {key}" if key.startswith("import") else key
        lines.append(f"{label:<44}" + "".join(f"{parts[n][key]:18.2f}" for n in names))
    executed = {n: sum(v for k, v in parts[n].items() if not k.startswith("import")) for n in names}
    lines.append(f"{'executing it, in all':<44}" + "".join(f"{executed[n]:18.2f}" for n in names))
    lines.append(f"serial nbgrader autograde, per notebook: {per_notebook:.2f} s; nbgrader's own work (sanitising, "
                 f"gradebook, writing) is the rest: {per_notebook - statistics.fmean(executed.values()):.2f} s")
    lines.append(f"merging one submission into the gradebook (--jobs): {1000 * merge:.0f} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
