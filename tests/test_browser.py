"""The course in JupyterLab, in Chromium, as students and teachers use it.

One JupyterLab (started by ``make lab`` itself, see ``tests/browser.py``) and one Chromium serve
every browser test an xdist worker runs (one of each per worker, on ports of their own). Every
student notebook under ``notebooks/`` is found and tested, and every explorer in it, with no list
per lesson:

- Run All on the untouched notebook runs every cell; only the graded cells of the (unsolved)
  exercises show an error, and each shows its check's message first and alone; every explorer is
  drawn, sharp at device scale factor 2, fits a 1024x768 window with its controls, and answers each
  of its controls; an invalid combination disables play. Screenshots of each explorer after that,
  at 1280x800 and 1024x768 (scale factor 2), go to ``build/browser/screenshots/``.
- A student types the solution into one exercise and sees its graded cells pass, in green; then
  a wrong one, and sees the check's message.
- A teacher finds the Nbgrader menu, validates a solved and an unsolved notebook, and opens
  Formgrader: no warning, release and collect work.
- The browser console shows no error.

Without Chromium they skip, saying how to enable them, unless ``CI`` is set: then they fail.
Besides, ``test_the_raises_exception_tag_changes_no_grade`` grades the same submissions with nbgrader
with and without the tag that lets Run All go on past an unsolved exercise.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time

import nbformat
import pytest

from convlib import widgets as W
from tests import browser as B
from tests.lessons import ROOT, Lesson, cells_by_id, graded_cells, lessons, nbgrader_meta, read
from tests.test_lessons import grade, graded  # noqa: F401 (graded: the session's nbgrader runs, a fixture)

NOTEBOOKS = B.student_notebooks()
SIZES = [(1280, 800), (1024, 768)]
SCREENSHOTS = B.ARTIFACTS / "screenshots"
on_every_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)


in_browser = pytest.mark.browser  # on the JupyterLab and Chromium of the worker running it


def lesson_of(path) -> Lesson:
    """The lesson of a student notebook ``notebooks/<assignment>/<notebook>.ipynb``."""
    return Lesson(path.parent.name, path.stem)


# ----------------------------------------------------------------------------- the session's server and browser


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab as `make lab` starts it, one per xdist worker that runs browser tests, on its own port."""
    why = B.chromium_missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, but {why}: .ci/run installs it with apt-get install -y chromium")
        pytest.skip(f"{why}; {B.HOW_TO_ENABLE}")
    fresh_artifacts(tmp_path_factory)
    started = time.monotonic()
    lab = B.start_lab(tmp_path_factory.mktemp("jupyter"))
    print(f"JupyterLab up in {time.monotonic() - started:.1f} s at {lab.url}")
    yield lab
    lab.stop()
    shutil.copyfile(lab.log, B.ARTIFACTS / f"lab-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log")


def fresh_artifacts(tmp_path_factory) -> None:
    """Empty build/browser/ once per test session, by whichever worker comes first."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the session's workers
    with open(base / "browser-artifacts.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = base / "browser-artifacts.done"
        if not done.exists():
            shutil.rmtree(B.ARTIFACTS, ignore_errors=True)
            SCREENSHOTS.mkdir(parents=True)
            done.touch()


@pytest.fixture(scope="session")
def chromium(lab):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = B.launch_chromium(playwright)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(lab, chromium):
    """A fresh page at 1280x800, device scale factor 2, its console watched; its kernels shut down after."""
    context = chromium.new_context(viewport=dict(zip(("width", "height"), SIZES[0], strict=True)),
                                   device_scale_factor=2)
    page = context.new_page()
    page.console = B.Console()
    page.console.watch(page)
    page.set_default_timeout(60_000)
    yield page
    context.close()
    lab.shutdown_kernels()


def assert_console_clean(page) -> None:
    assert page.console.errors == [], "the browser console shows errors"


# ----------------------------------------------------------------------------- Run All, and every explorer


@in_browser
@on_every_notebook
def test_run_all_runs_every_cell_and_draws_every_explorer(lab, page, path):
    """Run All on the untouched notebook: every cell runs, past every unsolved exercise; the only errors
    are the graded cells', each its check's message alone; every explorer is drawn, sharp, and answers
    every control; screenshots of each."""
    nb = read(ROOT / path)
    notebook = B.Notebook.open(page, lab, B.copy_notebook(path, "untouched"))
    notebook.run_all()
    model = notebook.model()

    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    assert [i for i in code if not model[i]["count"]] == [], "cells that never ran"
    checked = {i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade") and c.cell_type == "code"}
    failed = {i for i in code if any(o["output_type"] == "error" for o in model[i]["outputs"])}
    assert failed - checked == set(), "cells other than graded ones show an error"
    assert failed == checked, "an unsolved exercise's graded cell shows no message"
    for i in sorted(checked):
        kind, expected = B.run_in_process(nb, {}, i)
        assert kind == "error" and expected.startswith("\u2717 ")
        assert notebook.output_text(i) == expected, f"cell {i} shows more than its message, or another one"
        assert "Traceback" not in notebook.output_text(i)

    calls = B.explorer_calls(nb)
    assert notebook.explorers().count() == len(calls), "an explorer is missing, or one too many"
    for call in calls:
        view = notebook.explorer(call.cell)
        assert view.root.count() == 1
        picture = view.picture()
        assert picture["complete"] and picture["naturalWidth"] > 0, f"cell {call.cell}: its picture is not drawn"
        check_sharp_and_unstretched(picture, f"cell {call.cell}")
        sizes = view.root.evaluate("""e => [e.querySelector('.convlib-shapes'), e.querySelector('.convlib-text pre')]
                                          .map(n => parseFloat(getComputedStyle(n).fontSize))""")
        assert sizes[0] >= 13 and sizes[0] == sizes[1], f"cell {call.cell}: the shapes line is {sizes[0]} px"
        check_invalid_state_stops_the_walk(view, call)
        check_every_control(view, call)
    for call in calls:
        screenshots(page, notebook, path, call)
    assert_console_clean(page)


def check_sharp_and_unstretched(picture: dict, where: str) -> None:
    """As many pixels as the device shows (at least), and the shape of the PNG itself."""
    assert picture["naturalWidth"] >= picture["width"] * picture["ratio"], \
        f"{where}: blurry, {picture['naturalWidth']} px shown {picture['width']} CSS px wide at x{picture['ratio']}"
    assert picture["width"] <= picture["naturalWidth"] / 2 + 0.5, f"{where}: stretched beyond its size"
    assert picture["height"] == pytest.approx(picture["width"] * picture["naturalHeight"] / picture["naturalWidth"],
                                              abs=1.0), f"{where}: its proportions changed"


def check_every_control(view: B.ExplorerView, call: B.ExplorerCall) -> None:
    """Each slider and the position, stepped with the arrow keys as a learner moves them, change the picture
    and its text; so does play. The sliders are left at the notebook's values."""

    for name in [*W.EXPLORERS[call.kind].sliders, "position"]:
        current = {k: int(v) for k, v in view.shown()["readouts"].items()}
        if name == "position":
            low, high = view.bounds(name)
            assert high > low, f"cell {call.cell}: an output of one element leaves nothing to walk"
            first, target = {}, current[name] + (1 if current[name] < high else -1)
        else:
            move = B.valid_move(call.kind, current, name)
            assert move is not None, f"cell {call.cell}: no value of {name} gives a valid picture"
            first, target = move
        for other, value in first.items():  # a slider this one needs moved first (groups needs channels)
            view.type_value(other, value)
        # With a prerequisite, its own picture first (the last move's picture and text have both come).
        before = view.settled() if first else view.shown()
        assert before["message"] == "" and all(before["readouts"][k] == str(v) for k, v in first.items())
        key = "ArrowRight" if target > current[name] else "ArrowLeft"
        for _ in range(abs(target - current[name])):
            seen = view.shown()["readouts"][name]
            view.press(name, key)
            view.wait_for("(now, b) => now.readouts[b.name] !== b.seen", {"name": name, "seen": seen})
        view.wait_for("(now, b) => now.readouts[b.name] === String(b.target) && now.message === '' && "
                      "now.src !== b.src && now.text + now.calls !== b.text + b.calls",
                      {**before, "name": name, "target": target})
    # Play walks the output element: the position moves on and the picture with it, until paused.
    before = view.shown()
    play = view.control("play").locator("button").first
    play.click()
    view.wait_for("(now, b) => now.readouts.position !== b.readouts.position && now.src !== b.src", before)
    play.click()  # pause
    # Back to the notebook's own values, the picture the lesson starts with.
    start = {name: call.values.get(name, default)
             for name, (_, _, default, _) in W.EXPLORERS[call.kind].sliders.items()}
    for name, value in start.items():
        if view.shown()["readouts"][name] != str(value):
            view.type_value(name, value)
    view.wait_for("(now, s) => now.message === '' && "
                  "Object.entries(s).every(([k, v]) => now.readouts[k] === String(v))", start)
    view.settled()


def check_invalid_state_stops_the_walk(view: B.ExplorerView, call: B.ExplorerCall) -> None:
    """In an invalid combination the picture stands still, and so do the position and play, disabled."""
    invalid = B.invalid_values(call.kind, call.values)
    if invalid is None:  # no three sliders make this explorer invalid (separable)
        return
    start = view.shown()
    *before, last = invalid.items()
    for name, value in before:  # these alone may still be valid, and redraw
        view.type_value(name, value)
    last_valid = view.settled()
    assert last_valid["message"] == "" and all(last_valid["readouts"][k] == str(v) for k, v in before)
    view.type_value(*last)
    view.wait_for("(now) => now.message !== ''")
    stuck = view.settled()
    assert stuck["src"] == last_valid["src"], "an invalid combination changed the picture"
    assert view.walk_disabled() == {"buttons": [True, True, True], "position": True}
    view.control("play").locator("button").first.click(force=True)  # a click on the disabled button...
    view.page.wait_for_timeout(1600)  # ...two steps of play, if it played
    still = view.shown()
    assert (still["readouts"]["position"], still["src"]) == (stuck["readouts"]["position"], stuck["src"])
    for name in reversed(invalid):
        view.type_value(name, int(start["readouts"][name]))
    view.wait_for("(now, s) => now.message === '' && Object.keys(s).every(k => now.readouts[k] === s[k])",
                  start["readouts"])
    assert view.walk_disabled() == {"buttons": [False, False, False], "position": False}


def screenshots(page, notebook: B.Notebook, path, call: B.ExplorerCall) -> None:
    """Each explorer at the top of the notebook's view, at each size, with the file browser open and closed:
    its controls and its picture in view together, the picture sharp."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for sidebar in ("files", "closed"):
            if sidebar == "closed":
                notebook.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
            view = notebook.explorer(call.cell)
            box, picture = notebook.view_box(), view.picture()
            top = view.root.evaluate("e => e.getBoundingClientRect().top")
            where = f"cell {call.cell} ({call.kind}) at {width}x{height}, sidebar {sidebar}"
            assert box["top"] - 1 <= top and picture["bottom"] <= box["bottom"], \
                f"{where}: the controls and the picture do not fit the window together"
            check_sharp_and_unstretched(picture, where)
            page.screenshot(path=SCREENSHOTS / f"{path.parent.name}-cell{call.cell:02d}-{call.kind}-"
                                               f"{width}x{height}-{sidebar}.png")
        notebook.page.evaluate("() => window.jupyterapp.shell.expandLeft()")
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[0], strict=True)))


# ----------------------------------------------------------------------------- the student


@in_browser
@on_every_notebook
def test_a_student_sees_right_answers_pass_and_a_wrong_one_told_why(lab, page, path):
    """The first exercise: its solution typed in, each graded cell passes with a green line; the solution
    with its return value off by one, each shows its check's message first and alone."""
    lesson, nb = lesson_of(path), read(ROOT / path)
    exercise = next(iter(lesson.exercises))
    ids = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells)}
    answer, checks = ids[exercise], [ids[gid] for gid in lesson.graded_cells_of(exercise)]
    solution = cells_by_id(lesson.source)[exercise].source
    notebook = B.Notebook.open(page, lab, B.copy_notebook(path, "student"))
    notebook.run_cell(ids["setup"])

    for source in (solution, B.wrong_answer(solution, exercise)):
        notebook.type_into(answer, source)
        assert notebook.source(answer) == source
        notebook.run_cell(answer)
        assert not any(o["output_type"] == "error" for o in notebook.model()[answer]["outputs"])
        failed = 0
        for cell in checks:
            notebook.run_cell(cell)
            kind, expected = B.run_in_process(nb, {exercise: source}, cell)
            shown = notebook.output_text(cell)
            assert shown == expected, f"cell {cell}"
            if source == solution:
                assert kind == "passed" and shown.startswith("\u2713 passed: ")
                assert "ansi-green-fg" in " ".join(notebook.output_colour(cell))
            elif kind == "error":  # (a cell that checks only the shape may still pass a value off by one)
                assert shown.startswith("\u2717 ") and "Traceback" not in shown
                failed += 1
        assert source == solution or failed, "the wrong answer failed no graded cell"
    assert_console_clean(page)


# ----------------------------------------------------------------------------- the teacher


@in_browser
@on_every_notebook
@pytest.mark.parametrize("solved", [True, False], ids=["solved", "unsolved"])
def test_a_teacher_validates_a_notebook(lab, page, path, solved):
    """nbgrader's Validate button, on the student notebook with every solution in it and untouched."""
    lesson = lesson_of(path)
    copy = B.copy_notebook(path, "solved" if solved else "unsolved")
    if solved:
        nbformat.write(lesson.solved(list(lesson.exercises)), ROOT / copy)
    notebook = B.Notebook.open(page, lab, copy)
    notebook.page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-item", has_text="Validate").filter(
        visible=True).click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=300_000)
    body = dialog.locator("#validation-message")
    text = body.inner_text()
    if solved:
        assert "validation-success" in body.get_attribute("class")
        assert text.strip() == "Success! Your notebook passes all the tests."
    else:
        assert "validation-failed" in body.get_attribute("class")
        assert text.count("The following cell failed:") == len(graded_cells(lesson.student))
        assert "Traceback" not in text and text.count("\u2717 ") == len(graded_cells(lesson.student))
    dialog.locator("button", has_text="Ok").click()
    assert_console_clean(page)


@in_browser
def test_a_teacher_releases_and_collects_from_formgrader(lab, page):
    """The Nbgrader menu opens Formgrader on this course: no warning (grader/exchange is there), every
    assignment listed, and release, collect and unrelease answer with nbgrader's success."""
    B.Notebook.open(page, lab, B.copy_notebook(NOTEBOOKS[0], "teacher"))
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    menu = page.locator(".lm-Menu").filter(visible=True)
    for item in ("Assignment List", "Course List", "Formgrader"):
        assert menu.locator("li.lm-Menu-item", has_text=item).filter(visible=True).count() == 1, item
    menu.locator('li.lm-Menu-item[data-command="nbgrader:open-formgrader"]').click()
    page.wait_for_function("() => [...document.querySelectorAll('iframe')].some(f => /formgrader/.test(f.src))")
    frame = next(f for f in _wait_for_frames(page) if "/formgrader/manage_assignments" in f.url)
    frame.wait_for_selector("table tbody tr td.name")
    assert frame.locator(".alert-warning").count() == 0, frame.locator(".alert-warning").all_inner_texts()
    names = frame.locator("table tbody td.name").all_inner_texts()
    assert sorted(names) == sorted({lesson.assignment for lesson in lessons()})
    assignment = NOTEBOOKS[0].parent.name
    row = frame.locator("tr", has=frame.locator(f"td.name[data-order='{assignment}']"))
    for action, says in [("release", f"Successfully released '{assignment}'."),
                         ("collect", f"Successfully collected submissions of '{assignment}'."),
                         ("release", f"Successfully unreleased '{assignment}'.")]:  # the same cell, unrelease
        row.locator(f"td.{action} a").click()
        modal = frame.locator(".modal", has_text=says)
        modal.wait_for(timeout=60_000)
        modal.locator("button", has_text="OK").click()
        modal.wait_for(state="hidden")
    assert_console_clean(page)


def _wait_for_frames(page, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any("/formgrader/manage_assignments" in f.url for f in page.frames):
            return page.frames
        page.wait_for_timeout(200)
    raise AssertionError(f"Formgrader never loaded: frames {[f.url for f in page.frames]}")


# ----------------------------------------------------------------------------- the tag, under nbgrader


@pytest.mark.parametrize("lesson", lessons(), ids=str)
def test_the_raises_exception_tag_changes_no_grade(graded, lesson, tmp_path):  # noqa: F811
    """The same submissions, graded by nbgrader autograde from a source whose graded cells carry the
    raises-exception tag (as committed) and from one without it, get the same score in every cell."""
    # Full marks, none, and one exercise's points: every graded cell both passing and failing.
    names = ["solution", "blank", f"only_{next(iter(lesson.exercises))}"]
    with_tag = {name: graded(lesson).scores[name] for name in names}
    untagged = Lesson(lesson.assignment, lesson.notebook)
    untagged.source = strip_tag(lesson.source)
    untagged.student = strip_tag(lesson.student)
    without_tag = grade(untagged, tmp_path, source=untagged.source, only=names)
    assert json.dumps(without_tag, sort_keys=True) == json.dumps(with_tag, sort_keys=True)
    assert len({s["score"] for s in with_tag.values()}) == 3


def strip_tag(nb):
    """``nb`` with the raises-exception tag taken off every cell."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    for cell in nb.cells:
        tags = [t for t in cell.metadata.get("tags", []) if t != "raises-exception"]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    assert not re.search("raises-exception", nbformat.writes(nb))
    return nb
