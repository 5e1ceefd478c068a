"""The integrity report: what each submission tried, with the evidence, and what it was scored.

Two sources of evidence, both gathered by the trusted grader and neither trusting the
student's process:

- **the code**, read, never run: :func:`scan` parses every cell the student wrote and
  reports what it reaches for (a reference such as ``convlib`` or ``numpy.convolve``, the
  checks or numpy's comparisons patched, IPython's error display replaced, files of the
  course, processes, exits, printed verdicts), with the cell and the line;
- **what happened** while it ran in the sandbox (``grader.verdict``): a kernel that died,
  a cell or function that hung, an interrupt ignored, output cut, graded cells edited,
  deleted or copied, a kernelspec changed.

``grader.verdict`` writes one ``grader/integrity/<assignment>/<student>.json`` per
submission at autograde time; ``python -m grader integrity <assignment>`` (grader/commands/integrity.py)
joins them with the gradebook's scores and prints the table a teacher follows up from.
"""

from __future__ import annotations

import ast
import json
from dataclasses import asdict, dataclass
from pathlib import Path

REFERENCE_MODULES = ("convlib", "torch", "scipy", "tensorflow", "jax", "sklearn")
COURSE_MODULES = ("grader", "nbgrader", "sqlite3", "sqlalchemy")
REFERENCE_ATTRS = ("convolve", "correlate", "correlate2", "fftconvolve", "oaconvolve", "convolve2d", "correlate2d",
                   "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                   "channel_shuffle")
CHECK_NAMES = ("call", "check_array", "check_equal", "check_int", "check_number", "check_shape", "check_true",
               "CheckFailed")
PROCESS_CALLS = {("os", "_exit"), ("sys", "exit"), ("os", "kill"), ("os", "fork"), ("os", "forkpty"),
                 ("os", "system"), ("os", "popen"), ("os", "setsid"), ("os", "setpgid"), ("signal", "signal"),
                 ("os", "execv"), ("os", "execvp"), ("os", "spawnl"), ("os", "abort")}
PROCESS_MODULES = ("subprocess", "multiprocessing", "threading", "concurrent", "ctypes", "signal", "socket",
                   "resource", "pty")
IPYTHON_ATTRS = ("showtraceback", "set_custom_exc", "input_transformers_cleanup", "input_transformers_post",
                 "ast_transformers", "events", "run_cell", "run_code", "_showtraceback", "showsyntaxerror",
                 "display_formatter", "displayhook", "kernel", "ex", "user_global_ns")
TAMPER_ATTRS = ("__code__", "__globals__", "__builtins__", "__class__", "modules", "settrace", "setprofile",
                "get_objects", "get_referrers", "reload", "meta_path", "path_hooks", "excepthook", "displayhook")
COURSE_PATHS = ("solutions", "gradebook", "submitted", "autograded", "feedback", "nbgrader_config", "exchange",
                ".db", "/work", "/root", "/etc", "../")
VERDICT_WORDS = ("passed", "✓", "checkfailed", "full marks", "points")


@dataclass
class Finding:
    """One thing a submission did or tried: ``kind`` (reference, tampering, process, files, output, cells,
    runtime), the cell's index in the notebook, the line in it (1-based, 0 if none), and what."""

    kind: str
    cell: int
    line: int
    what: str

    def __str__(self) -> str:
        where = f"cell {self.cell}" + (f", line {self.line}" if self.line else "")
        return f"[{self.kind}] {where}: {self.what}"


# ----------------------------------------------------------------------------- reading the code

def scan(source: str, cell: int) -> list[Finding]:
    """What one cell of the student's code reaches for (not run: parsed)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError as error:
        return [Finding("code", cell, error.lineno or 0, f"does not parse: {error.msg}")]
    found: list[Finding] = []
    aliases = module_aliases(tree)
    # `%timeit f(x)` becomes get_ipython().run_line_magic(...): a magic, not a reach into IPython.
    magics = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)
              and node.attr in ("run_line_magic", "run_cell_magic") and isinstance(node.value, ast.Call)}

    def add(kind: str, node: ast.AST, what: str) -> None:
        found.append(Finding(kind, cell, getattr(node, "lineno", 0), what))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                top = name.split(".")[0]
                if top in REFERENCE_MODULES:
                    add("reference", node, f"imports {name}, a reference the exercises ask to do without")
                elif top in COURSE_MODULES:
                    add("tampering", node, f"imports {name}, the course's grading machinery")
                elif top in PROCESS_MODULES:
                    add("process", node, f"imports {name}")
                elif top in ("IPython", "ipykernel", "gc", "importlib", "builtins", "inspect"):
                    add("tampering", node, f"imports {name}")
        elif isinstance(node, ast.Attribute):
            base = dotted(node.value)
            if node.attr in REFERENCE_ATTRS and (base.split(".")[0] in aliases or base.startswith("np")
                                                 or base.startswith("numpy")):
                add("reference", node, f"uses {base}.{node.attr}")
            elif (base, node.attr) in {(aliases.get(a, a), b) for a, b in PROCESS_CALLS} or \
                    (aliases.get(base, base), node.attr) in PROCESS_CALLS:
                add("process", node, f"uses {base}.{node.attr}")
            elif node.attr in IPYTHON_ATTRS and ("get_ipython" in base or "ip" == base or "shell" in base):
                add("tampering", node, f"touches IPython's {node.attr}")
            elif node.attr in TAMPER_ATTRS:
                add("tampering", node, f"touches {base}.{node.attr}")
        elif isinstance(node, ast.Call):
            name = dotted(node.func)
            if name in ("exit", "quit", "os._exit", "sys.exit"):
                add("process", node, f"calls {name}()")
            elif name in ("__import__", "importlib.import_module", "getattr", "setattr", "delattr", "eval", "exec",
                          "compile", "globals", "vars"):
                constants = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if any(c.split(".")[0] in REFERENCE_MODULES or c in REFERENCE_ATTRS for c in constants):
                    add("reference", node, f"calls {name}({', '.join(map(repr, constants))})")
                elif name in ("setattr", "delattr", "eval", "exec", "compile", "globals"):
                    add("tampering", node, f"calls {name}()")
            elif name in ("print", "display", "sys.stdout.write") and any(
                    isinstance(a, ast.Constant) and isinstance(a.value, str)
                    and any(w in a.value.lower() for w in VERDICT_WORDS) for a in ast.walk(node)):
                add("output", node, "prints text that looks like a grader's verdict")
            elif name == "get_ipython" and id(node) not in magics:
                add("tampering", node, "calls get_ipython()")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name) and leaf.id in CHECK_NAMES:
                        add("tampering", node, f"redefines the check {leaf.id}")
                    elif isinstance(leaf, ast.Attribute) and dotted(leaf.value).split(".")[0] in (
                            "np", "numpy", "builtins", "math", "sys", "os", *aliases):
                        add("tampering", node, f"assigns {dotted(leaf)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if any(p in text for p in COURSE_PATHS) and len(text) < 300 and ("/" in text or "." in text):
                add("files", node, f"names a path of the course: {text[:80]!r}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in CHECK_NAMES:
            add("tampering", node, f"redefines the check {node.name}")
        elif isinstance(node, ast.While) and isinstance(node.test, ast.Constant) and node.test.value:
            if not any(isinstance(n, (ast.Break, ast.Return)) for n in ast.walk(node)):
                add("runtime", node, "a `while True` loop with no break or return")
    return found


def module_aliases(tree: ast.AST) -> dict[str, str]:
    """``{alias: module}`` for every import in ``tree`` (``import numpy as np`` gives ``{"np": "numpy"}``)."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def dotted(node: ast.AST) -> str:
    """``np.testing.assert_allclose`` for the expression ``np.testing.assert_allclose``; ``""`` if not a name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(dotted(node.func) + "()")
    return ".".join(reversed(parts))


def references_of_functions(sources: list[str]) -> dict[str, str]:
    """For each top-level function the student defined: the reference it reaches, directly or through
    another of their functions (``{"conv1d": "numpy.convolve"}``); functions that reach none are left out."""
    from IPython.core.inputtransformer2 import TransformerManager

    functions: dict[str, ast.AST] = {}
    aliases: dict[str, str] = {}
    for source in sources:
        try:
            tree = ast.parse(TransformerManager().transform_cell(source))
        except SyntaxError:
            continue
        aliases.update(module_aliases(tree))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions[node.name] = node
    forbidden = {alias for alias, module in aliases.items() if module.split(".")[0] in REFERENCE_MODULES}
    direct: dict[str, str] = {}
    calls: dict[str, set[str]] = {}
    for name, node in functions.items():
        calls[name] = set()
        for leaf in ast.walk(node):
            if isinstance(leaf, ast.Name) and leaf.id in forbidden and name not in direct:
                direct[name] = aliases[leaf.id]
            elif isinstance(leaf, (ast.Import, ast.ImportFrom)):
                module = leaf.module if isinstance(leaf, ast.ImportFrom) else leaf.names[0].name
                if module and module.split(".")[0] in REFERENCE_MODULES:
                    direct.setdefault(name, module)
            elif isinstance(leaf, ast.Attribute) and leaf.attr in REFERENCE_ATTRS[:7] and \
                    dotted(leaf.value).split(".")[0] in ("np", "numpy", *forbidden, *aliases):
                direct.setdefault(name, f"numpy.{leaf.attr.rstrip('2')}")
            elif isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and \
                    (leaf.value in REFERENCE_ATTRS[:7] or leaf.value.split(".")[0] in REFERENCE_MODULES[:3]):
                direct.setdefault(name, leaf.value if "." in leaf.value or leaf.value in REFERENCE_MODULES
                                  else f"numpy.{leaf.value}")
            if isinstance(leaf, ast.Name) and leaf.id in functions and leaf.id != name:
                calls[name].add(leaf.id)
    reached = dict(direct)
    changed = True
    while changed:  # through the student's own helpers
        changed = False
        for name, callees in calls.items():
            if name not in reached:
                hit = next((reached[c] for c in sorted(callees) if c in reached), None)
                if hit:
                    reached[name] = hit
                    changed = True
    return reached


# ----------------------------------------------------------------------------- the report

def report_path(root: Path, assignment: str, student: str, notebook: str) -> Path:
    return root / assignment / f"{student}--{notebook}.json"


def write(root: Path, assignment: str, student: str, notebook: str, findings: list[Finding], cells: dict) -> Path:
    """Save one submitted notebook's evidence (``cells``: graded cell -> "passed" or the check's message)."""
    path = report_path(root, assignment, student, notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    unique = list(dict.fromkeys((f.kind, f.cell, f.line, f.what) for f in findings))
    data = {"assignment": assignment, "student": student, "notebook": notebook,
            "findings": [asdict(Finding(*f)) for f in unique], "cells": cells}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    return path


def folder_findings(folder: Path, notebooks: list[str]) -> list[Finding]:
    """What a submitted folder holds that cannot be graded: an assignment's notebook missing or unreadable,
    and notebooks no one asked for (not graded)."""
    import nbformat

    found = []
    for name in notebooks:
        path = folder / f"{name}.ipynb"
        if not path.exists():
            found.append(Finding("cells", 0, 0, f"{name}.ipynb was not submitted: it scores 0"))
            continue
        try:
            nbformat.read(path, as_version=4)
        except Exception as error:  # noqa: BLE001 (any reason a notebook cannot be read is the finding)
            found.append(Finding("cells", 0, 0, f"{name}.ipynb is not a notebook that can be read "
                                                f"({type(error).__name__}): it scores 0"))
    for path in sorted(folder.glob("*.ipynb")):
        if path.stem not in notebooks:
            found.append(Finding("cells", 0, 0, f"{path.name} is not part of the assignment: not graded"))
    return found


def collect(root: Path, submitted: Path, assignment: str, notebooks: list[str]) -> list[dict]:
    """One report per submission of ``assignment``: what autograde found in each notebook, and what the
    submitted folder holds (``submitted``: nbgrader's submitted directory)."""
    reports: dict[str, dict] = {}
    folder = root / assignment
    for path in sorted(folder.glob("*--*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text())
        report = reports.setdefault(data["student"], {"student": data["student"], "findings": [], "cells": {}})
        report["findings"] += data["findings"]
        report["cells"].update(data["cells"])
    for student_folder in sorted(submitted.glob(f"*/{assignment}")):
        student = student_folder.parent.name
        report = reports.setdefault(student, {"student": student, "findings": [], "cells": {}})
        report["findings"] = [asdict(f) for f in folder_findings(student_folder, notebooks)] + report["findings"]
    return [reports[s] for s in sorted(reports)]


def table(reports: list[dict], scores: dict[str, tuple[float, float]]) -> list[tuple[str, str, str, str]]:
    """Rows (student, score, kind, evidence): one per finding, submissions with none left out."""
    rows = []
    for report in reports:
        student = report["student"]
        score, out_of = scores.get(student, (None, None))
        shown = "?" if score is None else f"{score:g}/{out_of:g}"
        for finding in report["findings"]:
            rows.append((student, shown, finding["kind"], str(Finding(**finding))))
    return rows
