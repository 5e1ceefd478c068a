"""The course as the grading commands see it: where it is, its gradebook and exchange, its assignments.

Every command of ``python -m grader`` works on one :class:`Course`. By default it is the
course this package belongs to (``grader/`` is inside it, so it is found from any folder),
with nbgrader's configuration ``grader/nbgrader_config.py``; ``--course-dir`` points the
same commands at a copy of the course (a temporary one in the tests), whose gradebook and
exchange then default to ``<copy>/grader/gradebook.db`` and ``<copy>/grader/exchange``, so
that a copy never writes into the repository's.

nbgrader reads its configuration through ``JUPYTER_CONFIG_PATH`` and calls ``alembic`` by
name; :func:`prepare_environment` sets both for this process and everything it starts.
"""

from __future__ import annotations

import os
import sys
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "grader"  # holds nbgrader_config.py


def skip_unused_imports() -> None:
    """Keep ``rfc3987_syntax`` out of this process: jsonschema, which nbformat loads, imports it if it is
    installed and builds a grammar for 1.5 s, for IRI format checks that nbformat's validation never asks for.

    Called first thing by ``python -m grader`` and each grading process; nbgrader's own commands pay it each time.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # None in sys.modules: `import` raises ImportError


class CourseError(Exception):
    """A problem the teacher can fix (a missing folder, an unknown assignment): shown without a traceback."""


def failure(command: str, result: dict) -> CourseError:
    """The error for an nbgrader API call that did not succeed: its last message, not its whole traceback."""
    text = f"{result.get('log', '')}\n{result.get('error', '')}"
    lines = [line.split("] ", 1)[-1] for line in text.splitlines() if line.strip()]
    errors = [line for line in text.splitlines() if line.startswith("[ERROR]")]
    said = (errors[-1].split("] ", 1)[-1] if errors else lines[-1]) if lines else "no message"
    return CourseError(f"{command} failed: {said}")


def prepare_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Put ``grader/`` on ``JUPYTER_CONFIG_PATH`` and this Python's ``bin`` first on ``PATH`` (in place).

    ``environ`` defaults to ``os.environ``; returns it. Kernels, workers and nbgrader's
    commands started afterwards inherit both.
    """
    environ = os.environ if environ is None else environ
    paths = [p for p in environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    if str(CONFIG_DIR) not in paths:
        environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(CONFIG_DIR), *paths])
    bin_dir = str(Path(sys.executable).parent)  # not resolved: a venv's python is a symlink
    if environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        environ["PATH"] = bin_dir + os.pathsep + environ.get("PATH", "")
    return environ


class Course:
    """One course directory, with the gradebook and exchange its commands use.

    ``root`` is the course directory (``solutions/``, ``notebooks/``, ``grader/`` inside);
    ``db_url`` and ``exchange`` default to what ``grader/nbgrader_config.py`` says for the
    course itself (read when first needed: loading nbgrader takes seconds), and to
    ``<root>/grader/...`` for any other directory.
    """

    def __init__(self, root: Path = ROOT, db_url: str | None = None, exchange: Path | None = None):
        self.root = Path(root).resolve()
        if not (self.root / "solutions").is_dir():
            raise CourseError(f"--course-dir {self.root}: no solutions/ folder there; "
                              f"expected a copy of the course (solutions/, notebooks/, grader/)")
        if self.root != ROOT:  # a copy: its own gradebook and exchange, never the repository's
            (self.root / "grader").mkdir(exist_ok=True)
            db_url = db_url or f"sqlite:///{self.root / 'grader' / 'gradebook.db'}"
            exchange = exchange or self.root / "grader" / "exchange"
        self._db_url = db_url
        self._exchange = Path(exchange).resolve() if exchange is not None else None

    def __repr__(self) -> str:
        return f"Course({self.root}, db_url={self._db_url!r}, exchange={self._exchange!r})"

    @property
    def db_url(self) -> str:
        """The gradebook's database URL (nbgrader's ``CourseDirectory.db_url``)."""
        return self._db_url or self.app.coursedir.db_url

    @property
    def exchange(self) -> Path:
        """The exchange folder (nbgrader's ``Exchange.root``)."""
        if self._exchange is None:
            self._exchange = Path(self.app.config.Exchange.get("root", "/srv/nbgrader/exchange")).resolve()
        return self._exchange

    # ------------------------------------------------------------------ folders

    def path(self, kind: str, *parts: str) -> Path:
        """``<root>/<folder>/<parts>``, the folder of ``kind`` (source, release, submitted, autograded, feedback)
        as nbgrader's configuration names it (``CourseDirectory.<kind>_directory``)."""
        return self.root.joinpath(getattr(self.app.coursedir, f"{kind}_directory"), *parts)

    @property
    def db_path(self) -> Path | None:
        """The gradebook's file for a SQLite ``db_url``, else None."""
        prefix = "sqlite:///"
        return Path(self.db_url[len(prefix):]) if self.db_url.startswith(prefix) else None

    def assignments(self) -> list[str]:
        """Every folder of ``solutions/`` that holds a notebook, sorted."""
        return sorted(p.name for p in self.path("source").iterdir()
                      if p.is_dir() and any(p.glob("*.ipynb")))

    def notebooks(self, assignment: str) -> list[str]:
        """The notebook names (without ``.ipynb``) of an assignment, from its source folder."""
        return sorted(p.stem for p in self.path("source", assignment).glob("*.ipynb"))

    def check_assignments(self, names: list[str]) -> list[str]:
        """``names`` if each is an assignment, or every assignment if ``names`` is empty."""
        known = self.assignments()
        unknown = [n for n in names if n not in known]
        if unknown:
            raise CourseError(f"assignment {unknown[0]!r} is not in {self.path('source')}; the assignments are "
                              f"{', '.join(known) or 'none yet'}")
        return list(names) or known

    def submissions(self, assignment: str) -> list[str]:
        """The students with a collected submission of ``assignment`` (``grader/submitted/<student>/<assignment>/``)."""
        folder = self.path("submitted")
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())

    # ------------------------------------------------------------------ nbgrader

    def nbgrader_argv(self) -> list[str]:
        """Command-line configuration that points nbgrader at this course, gradebook and exchange."""
        argv = [f"--CourseDirectory.root={self.root}"]
        if self._db_url is not None:
            argv.append(f"--CourseDirectory.db_url={self._db_url}")
        if self._exchange is not None:
            argv.append(f"--Exchange.root={self._exchange}")
        return argv

    def nbgrader_app(self, *argv: str, log_level: str = "WARN"):
        """nbgrader's base application, initialised as ``nbgrader`` itself is: every configuration file, then argv.

        ``log_level`` WARN: nbgrader's warnings, not its running commentary (INFO).
        """
        from nbgrader.apps.baseapp import NbGrader

        prepare_environment()
        app = NbGrader()
        app.initialize([*self.nbgrader_argv(), f"--log-level={log_level}", *argv])
        return app

    @cached_property
    def app(self):
        """:meth:`nbgrader_app`, made once."""
        return self.nbgrader_app()

    @cached_property
    def api(self):
        """``nbgrader.apps.NbGraderAPI`` with the course's configuration (what the Formgrader uses)."""
        from nbgrader.apps import NbGraderAPI

        return NbGraderAPI(coursedir=self.app.coursedir, parent=self.app)

    def gradebook(self):
        """``nbgrader.api.Gradebook`` on this course's database, as a context manager."""
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.app.coursedir.course_id)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for nbgrader's commands and kernels (config path, PATH), plus ``extra``."""
        return {**prepare_environment(dict(os.environ)), **extra}
