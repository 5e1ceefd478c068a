"""Grading a class: ``python -m grader autograde --jobs 2`` against serial stock ``nbgrader autograde``, same run.

``make bench-grading`` (kept apart from ``make bench``: it takes minutes). In a temporary
copy of the course with every assignment of ``solutions/``, ``STUDENTS`` students each
submit every assignment, their answers a mix of right, wrong (returning None) and blank,
built from the notebooks. Identical copies are then graded, one after the other:
``nbgrader autograde <assignment>`` for each assignment serially (the command itself, with
the course's configuration: the trusted verdict and its sandbox), ``python -m grader
autograde --jobs 2`` twice, and the serial command again (so that a load drifting on a shared
machine weighs on both alike). Each is timed from the command's start to its end, process
start-up included, with the CPU time of all its processes; the exported grades of the four
runs must be equal.

Then one solved notebook per assignment is autograded alone through nbgrader's API, its
parts timed: the kernel's start and stop, the setup cell, the lesson's own cells
(explanations, explorers, torch), the answer cells, the graded cells (the student's functions
called by the checks, hidden tests included), and the rest, nbgrader's own work (sanitising,
the gradebook, writing the files). Once with the course's configuration (the trusted verdict
counts its own parts; it does not run the lesson's cells) and once with nbgrader's default
preprocessors (nbgrader's Execute timed from outside): the cost of the sandbox per notebook.
Then the big imports alone, each in a fresh kernel, and this tool's merge of one submission
into the gradebook.

    python -m bench.bench_grading [--students 20] [--jobs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.course import ROOT, prepare_environment

STUDENTS = 20
STUB = "raise NotImplementedError()"
DEFAULT_PREPROCESSORS = """\
c = get_config()  # noqa: F821
from nbgrader.converters import Autograde
traits = Autograde.class_traits()
c.Autograde.sanitize_preprocessors = list(traits["sanitize_preprocessors"].default())
c.Autograde.autograde_preprocessors = list(traits["autograde_preprocessors"].default())
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


# ----------------------------------------------------------------------------- one notebook, part by part

PROBE = """\
import time as _t
_s = _t.perf_counter()
import {module}
print(_t.perf_counter() - _s)
"""
PARTS = ["kernel start", "setup cell", "lesson cells", "answer cells", "graded cells", "kernel stop",
         "nbgrader's own work"]


@contextlib.contextmanager
def timed_kernels(parts: dict[str, float]):
    """While in effect, the notebook's execution adds the seconds of its kernel's start and stop and of each
    cell, by kind of cell, to ``parts``: nbgrader's Execute (nbconvert's ExecutePreprocessor, nbclient's
    NotebookClient) timed from outside, or the course's trusted verdict by its own count (``Outcome.parts``;
    it does not run the lesson's cells at all)."""
    from nbclient import NotebookClient
    from nbconvert.preprocessors import ExecutePreprocessor

    from grader import verdict

    def counted(*args, **kwargs):
        outcome = grade_notebook(*args, **kwargs)
        for part, seconds in outcome.parts.items():
            parts[part] += seconds
        return outcome

    grade_notebook = verdict.grade_notebook

    def timing(part_of, original):
        def wrapper(self, *args, **kwargs):
            begin = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                parts[part_of(*args)] += time.perf_counter() - begin
        return wrapper

    def kind(cell, *_):
        meta = cell.metadata.get("nbgrader", {})
        return ("setup cell" if meta.get("grade_id") == "setup" else "graded cells" if meta.get("grade")
                else "answer cells" if meta.get("solution") else "lesson cells")

    patches = [(NotebookClient, "start_new_kernel", lambda *a: "kernel start"),
               (NotebookClient, "start_new_kernel_client", lambda *a: "kernel start"),
               (NotebookClient, "_cleanup_kernel", lambda *a: "kernel stop"),
               (ExecutePreprocessor, "preprocess_cell", kind)]
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    try:
        for owner, name, part_of in patches:
            setattr(owner, name, timing(part_of, owner.__dict__[name]))
        verdict.grade_notebook = counted
        yield
    finally:
        verdict.grade_notebook = grade_notebook
        for owner, name, original in saved:
            setattr(owner, name, original)


def profile(course: Path, assignment: str, environ: dict, repeats: int = 3, imports: bool = True) -> dict[str, float]:
    """Autograde one solved submission of ``assignment`` with nbgrader's API, ``repeats`` times; the median
    seconds of each part of it (the rest of nbgrader's time is its own work: sanitising, gradebook, files),
    and of the imports alone, each in a fresh kernel."""
    from grader.course import Course

    os.environ.update({k: v for k, v in environ.items() if k.startswith(("JUPYTER", "IPYTHON", "PATH"))})
    source = next((course / "solutions" / assignment).glob("*.ipynb"))
    target = course / "grader" / "submitted" / "profiled" / assignment / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    here = os.getcwd()
    os.chdir(course)  # nbgrader reads the nbgrader_config.py of the folder it runs in (the defaults' copy has one)
    try:
        api = Course(course).api
        runs = [_profiled_run(api, assignment) for _ in range(repeats)]
    finally:
        os.chdir(here)
    out = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    workdir = course / "profile"
    workdir.mkdir(exist_ok=True)
    for module in ("numpy, convlib, grader.checks", "torch", "convlib.widgets") if imports else ():
        out[f"import {module}"] = statistics.median(import_seconds(module, workdir) for _ in range(repeats))
    return out


def _profiled_run(api, assignment: str) -> dict[str, float]:
    parts = dict.fromkeys(PARTS, 0.0)
    begin = time.perf_counter()
    with timed_kernels(parts):
        result = api.autograde(assignment, "profiled", force=True)
    total = time.perf_counter() - begin
    if not result["success"]:
        raise RuntimeError(f"autograde of the solved {assignment} failed:\n{result.get('error', '')}")
    parts["nbgrader's own work"] = total - sum(parts.values())
    parts["in all"] = total
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


@dataclass
class Run:
    """One timed grading run: wall seconds, CPU seconds of its processes (kernels included), the load before."""

    label: str
    seconds: float
    cpu: float
    load: float


def settle(below: float, at_most: float) -> None:
    """Wait until the 1-minute load average is under ``below`` (others' jobs and our last run's tail), up to
    ``at_most`` seconds: on a shared machine a run that starts under load measures the load."""
    waited = 0.0
    while os.getloadavg()[0] >= below and waited < at_most:
        time.sleep(5)
        waited += 5


def measured(label: str, work) -> Run:
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = work()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"  {label}: {seconds:.1f} s (CPU {cpu:.1f} s, load {load:.1f} before)", flush=True)
    return Run(label, seconds, cpu, load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_grading", description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=STUDENTS, help="submissions per assignment (%(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs of the parallel run (%(default)s)")
    parser.add_argument("--settle", type=float, default=1.0, metavar="LOAD",
                        help="before each run, wait (up to 5 min) for the load average to fall under this "
                             "(%(default)s; 0: do not wait)")
    args = parser.parse_args(argv)
    if args.students < 1 or args.jobs < 1:
        parser.error(f"--students and --jobs must be at least 1, got {args.students} and {args.jobs}")
    serial, parallel = "nbgrader autograde, serial", f"python -m grader autograde --jobs {args.jobs}"
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        environ = env(base / "jupyter")
        course, names = build(base, args.students, environ)
        # serial, parallel, parallel, serial: a load that drifts during the run weighs on both alike
        order = [("stock-1", serial), ("parallel-1", parallel), ("parallel-2", parallel), ("stock-2", serial)]
        copies = {key: base / key / "course" for key in [*dict(order), "defaults"]}
        for path in copies.values():
            shutil.copytree(course, path)
        (copies["defaults"] / "nbgrader_config.py").write_text(DEFAULT_PREPROCESSORS)  # profiled below
        n = args.students * len(names)
        print(f"grading {args.students} students x {len(names)} assignment(s) = {n} notebooks per run, "
              f"{os.cpu_count()} cores", flush=True)
        runs = []
        for key, label in order:
            if args.settle > 0:
                settle(args.settle, 300)
            if label == parallel:
                work = functools.partial(grader, copies[key], "autograde", "--jobs", str(args.jobs),
                                         environ=environ, check=False)
            else:
                work = functools.partial(stock, copies[key], names, environ)
            runs.append(measured(label, work))
        exported = [grades(copies[key], environ) for key, _ in order[:4]]
        equal = all(e == exported[0] for e in exported)
        parts = {name: profile(copies["stock-1"], name, environ) for name in names}
        stock_parts = {name: profile(copies["defaults"], name, environ, imports=False) for name in names}
        if not any(p["lesson cells"] for p in stock_parts.values()):  # nbgrader's Execute runs every cell
            raise RuntimeError("the profile with nbgrader's default preprocessors ran no lesson cell: "
                               f"its configuration ({copies['defaults'] / 'nbgrader_config.py'}) was not used")
        merge = merge_seconds(copies["parallel-1"], names)
    print()
    print(format_runs(runs, n, equal))
    print()
    print(format_parts(parts, merge, "one solved notebook, autograded alone (s)"))
    print()
    print(format_parts(stock_parts, None, "the same with nbgrader's default preprocessors (s)"))
    return 0 if equal else 1


def format_runs(runs: list[Run], n: int, equal: bool) -> str:
    lines = [f"{'run':<62}{'seconds':>9}{'s/notebook':>12}{'CPU s':>8}{'load':>6}", "-" * 97]
    for run in runs:
        lines.append(f"{run.label:<62}{run.seconds:9.1f}{run.seconds / n:12.2f}{run.cpu:8.1f}{run.load:6.1f}")
    serial = [r.seconds for r in runs if r.label.endswith("serial")]
    parallel = [r.seconds for r in runs if r.label.startswith("python -m grader")]
    lines.append(f"speed-up, serial over parallel (sum of both runs each): {sum(serial) / sum(parallel):.2f}x"
                 f"  (runs in the order shown; 'load' is the 1-minute load average when each began)")
    lines.append(f"grades of all four serial and parallel runs equal (exported CSVs): {'yes' if equal else 'NO'}")
    return "\n".join(lines)


def format_parts(parts: dict[str, dict[str, float]], merge: float | None, title: str) -> str:
    names = list(parts)
    keys = list(next(iter(parts.values())))
    lines = [f"{title:<52}" + "".join(f"{n:>18}" for n in names),
             "-" * (52 + 18 * len(names))]
    for key in keys:
        label = f"  import {key[7:]} (fresh kernel)" if key.startswith("import") else key
        lines.append(f"{label:<52}" + "".join(f"{parts[n][key]:18.2f}" for n in names))
    if merge is not None:
        lines.append(f"merging one submission into the gradebook (--jobs only): {1000 * merge:.0f} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
