"""``python -m grader <command>``: the teacher's grading workflow, from releasing an assignment to the grades.

Each command is one module of ``grader/commands/``, found by name: a module there defines

- ``HELP``: one line for the list of commands,
- its docstring: the command's ``--help`` text,
- ``add_arguments(parser)``: its options (argparse),
- ``run(args, course) -> int``: the work, on a :class:`grader.course.Course`; the exit status.

So a new command is one new module, and ``--course-dir``, ``--db`` and ``--exchange-dir``
come with it. A command module imports what it needs inside ``run``, so that ``--help`` stays
quick. Paths given on the command line are taken relative to the folder the command was
run from; the course itself is found from this package, so every command works from any
folder of the course.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from pathlib import Path

from grader import commands
from grader.course import ROOT, Course, CourseError, prepare_environment, skip_unused_imports

EPILOG = """\
In order: release, collect, autograde, feedback, export, report (and check before releasing).
Each command's --help says what it does and gives examples.

course: {root}
"""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=28)


def path(value: str) -> Path:
    """An argparse type: a path taken relative to the folder the command runs in."""
    return Path(value).expanduser().resolve()


def command_modules() -> dict[str, object]:
    """Every module of grader/commands/, by command name (underscores become dashes), in workflow order
    (a module's ``ORDER``; those without one come last, by name)."""
    found = {}
    for info in pkgutil.iter_modules(commands.__path__):
        if not info.name.startswith("_"):
            found[info.name.replace("_", "-")] = importlib.import_module(f"grader.commands.{info.name}")
    return dict(sorted(found.items(), key=lambda item: (getattr(item[1], "ORDER", 1000), item[0])))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m grader", formatter_class=_formatter, epilog=EPILOG.format(root=ROOT),
        description="The course's grading workflow on nbgrader: release the assignments, collect the "
                    "submissions, grade them in parallel, return feedback, export the grades, see the report.")
    sub = top.add_subparsers(dest="command", metavar="<command>")
    for name, module in command_modules().items():
        doc = (module.__doc__ or module.HELP).strip()
        command = sub.add_parser(name, help=module.HELP, description=doc, formatter_class=_formatter)
        module.add_arguments(command)
        where = command.add_argument_group("where (defaults: this course, its gradebook and exchange)")
        where.add_argument("--course-dir", type=path, metavar="DIR",
                           help=f"a copy of the course to work on instead of {ROOT}")
        where.add_argument("--db", metavar="URL", help="the gradebook's database URL (nbgrader's db_url), "
                                                       "default: <course>/grader/gradebook.db")
        where.add_argument("--exchange-dir", type=path, metavar="DIR",
                           help="the nbgrader exchange folder, default: <course>/grader/exchange")
        command.set_defaults(run=module.run)
    return top


def main(argv: list[str] | None = None) -> int:
    skip_unused_imports()
    top = parser()
    args = top.parse_args(argv)
    if args.command is None:
        top.print_help()
        return 0
    prepare_environment()
    try:
        course = Course(args.course_dir or ROOT, db_url=args.db, exchange=args.exchange_dir)
        os.chdir(course.root)  # as if run from the course's top folder, whichever folder it was run from
        return args.run(args, course)
    except CourseError as error:
        from grader.progress import console

        console.print(f"[red]error:[/red] {error}")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
