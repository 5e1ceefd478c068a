"""``python -m grader``: help for a teacher at every level, commands found by module, clear errors, any folder.

Quick tests: nothing here grades a notebook (tests/test_workflow.py, test_lms.py and
test_parallel.py do, end to end), except ``check``, which grades two notebooks per
assignment in a temporary copy of the course.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import nbformat
import pytest

from grader import cli, commands, feedback
from grader.course import ROOT
from tests.grading import first_lesson, grader, jupyter_env, make_course, write
from tests.lessons import cells_by_id, read

COMMANDS = ["release", "collect", "autograde", "integrity", "feedback", "export", "report", "check"]


def python_m_grader(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_every_command_is_listed_in_the_workflows_order():
    assert list(cli.command_modules()) == COMMANDS
    result = python_m_grader("--help")
    assert result.returncode == 0
    listed = [name for name in COMMANDS if f"\n    {name}" in result.stdout]
    assert listed == COMMANDS
    assert f"course: {ROOT}" in result.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_explains_itself_with_examples(name):
    result = python_m_grader(name, "--help")
    assert result.returncode == 0, result.stderr
    module = cli.command_modules()[name]
    assert module.__doc__.strip().splitlines()[0] in result.stdout
    assert f"python -m grader {name}" in result.stdout.split("examples:")[1]
    for option in ("--course-dir", "--db", "--exchange-dir"):
        assert option in result.stdout


@pytest.mark.parametrize("folder", ["notebooks", "grader", "tests/mistakes", "/"])
def test_it_finds_the_course_from_any_folder(folder):
    result = python_m_grader("--help", cwd=ROOT / folder if not folder.startswith("/") else folder)
    assert result.returncode == 0
    assert f"course: {ROOT}" in result.stdout


def test_a_new_command_is_one_module(tmp_path, monkeypatch, capsys):
    (tmp_path / "similarity.py").write_text(
        '"""Say which submissions look alike.\n\nexamples:\n  python -m grader similarity\n"""\n'
        'HELP = "which submissions look alike"\n\n'
        'def add_arguments(parser):\n    parser.add_argument("--strict", action="store_true")\n\n'
        'def run(args, course):\n    print("strict" if args.strict else "lenient", course.root)\n    return 3\n')
    monkeypatch.setattr(commands, "__path__", [*commands.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "grader.commands.similarity", raising=False)
    monkeypatch.chdir(tmp_path)  # main() moves to the course's folder
    try:
        assert list(cli.command_modules())[-1] == "similarity"  # no ORDER: after the workflow's commands
        help_text = cli.parser().format_help()
        assert "similarity" in help_text and "which submissions look alike" in help_text
        assert cli.main(["similarity", "--strict"]) == 3
        assert capsys.readouterr().out == f"strict {ROOT}\n"
    finally:
        sys.modules.pop("grader.commands.similarity", None)


def errors(*args: str, course=None) -> str:
    result = python_m_grader(*args, *(["--course-dir", str(course)] if course else []))
    assert result.returncode == 2, (result.stdout, result.stderr)
    return result.stdout + result.stderr


def test_bad_input_is_named_with_what_was_expected(tmp_path):
    course = make_course(tmp_path, [first_lesson()])
    assert f"assignment '99_nothing' is not in {course / 'solutions'}; the assignments are " \
           f"{first_lesson().assignment}" in errors("autograde", "99_nothing", course=course)
    assert "--jobs must be at least 1, got 0" in errors("autograde", "--jobs", "0", course=course)
    assert "--lms and --pattern describe a download: give it with --from" in \
        errors("collect", first_lesson().assignment, "--lms", "moodle", course=course)
    assert f"--from {tmp_path / 'nowhere.zip'}: no such file or folder" in \
        errors("collect", first_lesson().assignment, "--from", str(tmp_path / "nowhere.zip"), course=course)
    assert f"no gradebook at {course / 'grader' / 'gradebook.db'}: run `python -m grader release` first" in \
        errors("export", course=course)
    assert f"--course-dir {tmp_path}: no solutions/ folder there" in errors("report", course=tmp_path)
    result = python_m_grader("collect", first_lesson().assignment, "--lms", "blackboard")
    assert result.returncode == 2 and "invalid choice: 'blackboard' (choose from" in result.stderr


# ----------------------------------------------------------------------------- check

def test_check_passes_a_sound_assignment_and_names_what_is_wrong_in_another(tmp_path):
    """One assignment as it is, and a copy whose first solution returns None: the copy's solution loses points."""
    lesson = first_lesson()
    course = make_course(tmp_path, [lesson])
    broken = read(lesson.source_path)
    first = next(iter(lesson.exercises))
    cell = cells_by_id(broken)[first]
    cell.source = cell.source.replace("### BEGIN SOLUTION", "### BEGIN SOLUTION\n    return None", 1)
    write(broken, course / "solutions" / "99_broken" / f"{lesson.notebook}.ipynb")
    result = grader(course, "check", "--jobs", "2", env=jupyter_env(tmp_path / "jupyter"), check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("│")}
    total = lesson.auto_points
    assert rows[lesson.assignment].rstrip("│ ").endswith("ok")
    lost = lesson.exercises[first]
    assert f"solution {total - lost:g} of {total:g}" in rows["99_broken"]
    assert not (course / "grader" / "gradebook.db").exists()  # the check works in a copy of its own


# ----------------------------------------------------------------------------- feedback preprocessors

def test_short_errors_keep_the_checks_message_and_drop_every_traceback():
    nb = nbformat.v4.new_notebook()
    failed = nbformat.v4.new_output("error", ename="CheckFailed", evalue="f(1): expected 2, got 3",
                                    traceback=["\x1b[31m\x1b[1m✗ f(1): expected 2, got 3\x1b[0m", "Hint: add one"])
    crashed = nbformat.v4.new_output("error", ename="NameError", evalue="name 'f' is not defined",
                                     traceback=["-----", "Cell In[3], line 9", "    secret_hidden_case(7)",
                                                "NameError: name 'f' is not defined"])
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[failed]), nbformat.v4.new_code_cell("y", outputs=[crashed])]
    out, _ = feedback.ShortErrors().preprocess(nb, {})
    assert [feedback.plain(line) for line in out.cells[0].outputs[0].traceback] == \
        ["f(1): expected 2, got 3", "Hint: add one"]
    assert [feedback.plain(line) for line in out.cells[1].outputs[0].traceback] == \
        ["NameError: name 'f' is not defined"]


def test_results_table_lists_every_graded_cell_with_its_result_points_and_message():
    def graded(gid, docstring, outputs, score):
        return nbformat.v4.new_code_cell(f'"""{docstring}"""\ncheck()', outputs=outputs, metadata={"nbgrader": {
            "grade": True, "solution": False, "grade_id": gid, "points": 2, "score": score}})

    error = nbformat.v4.new_output("error", ename="CheckFailed", evalue="",
                                   traceback=["✗ g(0): expected 1 | 2, got None", "Hint: return it"])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Lesson"), graded("test_g_a", "g on zero.", [error], 0.0),
                graded("test_g_b", "g on one.", [], 2.0)]
    out, _ = feedback.ResultsTable().preprocess(nb, {})
    table = out.cells[0].source
    assert "## Your results" in table and len(out.cells) == 4
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    cells = [[feedback.plain(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
             for row in rows]
    assert cells == [["graded cell", "result", "points", "message"],
                     ["g on zero.", "✗ failed", "0 / 2", "g(0): expected 1 | 2, got NoneHint: return it"],
                     ["g on one.", "✓ passed", "2 / 2", ""]]
    assert "<br>Hint: return it" in rows[1]


def test_results_table_lists_the_written_answers_marked_or_not():
    def task(gid, score, comment, unmarked):  # as feedback.GetGrades leaves it: an unmarked answer scores 0
        return nbformat.v4.new_markdown_cell("Why?", metadata={"nbgrader": {
            "task": True, "grade": False, "solution": False, "grade_id": gid, "points": 2, "score": score,
            "comment": comment, "needs_manual_grade": unmarked}})

    nb = nbformat.v4.new_notebook()
    nb.cells = [task("why_a", 1.5, "Right idea; say what the 1x1 layer costs.", False),
                task("why_b", 0.0, None, True)]
    table = feedback.ResultsTable().preprocess(nb, {})[0].cells[0].source
    cells = [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
             for row in re.findall(r"<tr>(.*?)</tr>", table)[1:]]
    assert cells == [["written answer why_a", "marked by hand", "1.5 / 2", "Right idea; say what the 1x1 layer costs."],
                     ["written answer why_b", "not marked yet", "- / 2", ""]]


def test_check_counts_every_kind_of_hand_graded_answer(tmp_path, monkeypatch):
    """Points by hand: answer cells with points, and task cells (a mark scheme beside a question); the rest is auto."""
    from nbgrader.api import Gradebook

    from grader.commands.check import _points
    from grader.course import prepare_environment

    monkeypatch.setenv("PATH", prepare_environment({"PATH": os.environ["PATH"]})["PATH"])  # nbgrader calls alembic
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        gb.add_grade_cell("test_f_one", "nb", "a1", max_score=3, cell_type="code")
        gb.add_grade_cell("essay", "nb", "a1", max_score=2, cell_type="markdown")
        gb.add_solution_cell("essay", "nb", "a1")
        gb.add_task_cell("why", "nb", "a1", max_score=4, cell_type="markdown")
        assert _points(gb, "a1") == (3, 6)
