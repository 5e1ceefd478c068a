"""Submissions from a learning management system's download, and from a folder, through to grades and a report.

First the file names alone (``grader.lms``): Moodle's and Canvas's download layouts, renamed
and duplicate copies, files that belong to nobody or to no notebook. Then the whole path in a
temporary course: ``python -m grader release``, then ``collect --from`` a Moodle zip, a
Canvas zip and a folder, ``autograde --jobs 2``, ``feedback``, ``export`` and ``report``; every
grade is checked against what the answers deserve, every file left out is reported.
"""

from __future__ import annotations

import zipfile

import matplotlib.image
import pytest

from grader import lms
from tests.grading import (
    answered,
    deserved,
    first_lesson,
    grader,
    jupyter_env,
    make_course,
    read_csv,
    shared,
    write,
)
from tests.lessons import graded_cells, read

NOTEBOOKS = ["convolution.ipynb"]
ELSEWHERE = {"dilated.ipynb": "03_dilated"}


def decide(paths, layout):
    return {f.path: f for f in lms.decide(paths, lms.PATTERNS[layout], NOTEBOOKS, ELSEWHERE)}


# ----------------------------------------------------------------------------- file names

def test_moodle_names_the_student_by_their_full_name():
    files = decide(["all/Ivan Petrov_1234567_assignsubmission_file_/convolution.ipynb",
                    "all/Anna Maria Schmidt_1234568_assignsubmission_file_convolution.ipynb",
                    "all/Анна Смирнова_1234569_assignsubmission_file_/convolution.ipynb"], "moodle")
    found = [(f.student, f.first_name, f.last_name, f.notebook, f.problem) for f in files.values()]
    assert sorted(found) == sorted([("ivan_petrov", "Ivan", "Petrov", "convolution.ipynb", ""),
                                    ("anna_maria_schmidt", "Anna Maria", "Schmidt", "convolution.ipynb", ""),
                                    ("анна_смирнова", "Анна", "Смирнова", "convolution.ipynb", "")])


def test_canvas_names_the_student_by_canvas_login_and_takes_late_and_renamed_files():
    files = decide(["petrovivan_12345_678901_convolution.ipynb",
                    "sidorovpavel_late_12346_678902_convolution-1.ipynb",
                    "kuznetsovoleg_LATE_12347_678903_convolution.ipynb"], "canvas")
    assert {(f.student, f.notebook, f.problem) for f in files.values()} == {
        ("petrovivan", "convolution.ipynb", ""), ("sidorovpavel", "convolution.ipynb", ""),
        ("kuznetsovoleg", "convolution.ipynb", "")}


def test_a_folder_per_student():
    files = decide(["download/alice/convolution.ipynb", "bob/convolution (2).ipynb"], "folders")
    assert {(f.student, f.notebook) for f in files.values()} == {("alice", "convolution.ipynb"),
                                                                   ("bob", "convolution.ipynb")}


def test_every_file_left_out_says_why():
    files = decide(["Ivan Petrov_1_assignsubmission_file_/convolution.ipynb",
                    "Ivan Petrov_1_assignsubmission_file_/convolution (1).ipynb",
                    "Ivan Petrov_1_assignsubmission_onlinetext_onlinetext.html",
                    "Participant_2_assignsubmission_file_/convolution.ipynb",
                    "Olga Orlova_3_assignsubmission_file_/dilated.ipynb",
                    "Olga Orlova_3_assignsubmission_file_/homework.ipynb",
                    "Olga Orlova_3_assignsubmission_file_/notes.txt"], "moodle")
    problems = {path: f.problem for path, f in files.items()}
    kept = "Ivan Petrov_1_assignsubmission_file_/convolution.ipynb"
    assert problems == {
        kept: "",
        "Ivan Petrov_1_assignsubmission_file_/convolution (1).ipynb":
            f"a second copy of convolution.ipynb from ivan_petrov; collected {kept}",
        "Ivan Petrov_1_assignsubmission_onlinetext_onlinetext.html":
            "its name does not match the pattern, so whose it is is unknown",
        "Participant_2_assignsubmission_file_/convolution.ipynb":
            "its name does not match the pattern, so whose it is is unknown",
        "Olga Orlova_3_assignsubmission_file_/dilated.ipynb": "a notebook of 03_dilated, not of this assignment",
        "Olga Orlova_3_assignsubmission_file_/homework.ipynb":
            "no notebook of this assignment is called homework.ipynb (its notebooks: convolution.ipynb)",
        "Olga Orlova_3_assignsubmission_file_/notes.txt": "not a notebook",
    }


def test_of_two_renamed_copies_the_highest_number_is_kept():
    files = decide(["petrovivan_1_2_convolution-1.ipynb", "petrovivan_1_3_convolution-2.ipynb"], "canvas")
    assert files["petrovivan_1_3_convolution-2.ipynb"].problem == ""
    assert files["petrovivan_1_2_convolution-1.ipynb"].problem.startswith("a second copy")


def test_a_pattern_must_say_whose_and_which_notebook():
    with pytest.raises(ValueError, match=r"has no \(\?P<file_id>...\) group"):
        lms.read("alice/convolution.ipynb", r"(?P<student_id>\w+)/\w+\.ipynb", NOTEBOOKS, {})
    with pytest.raises(ValueError, match="needs a .*student_id.* group, or first_name and last_name"):
        lms.read("alice/convolution.ipynb", r"\w+/(?P<file_id>\w+\.ipynb)", NOTEBOOKS, {})


def test_a_custom_pattern_in_nbgraders_named_regexp_form():
    pattern = r"(?P<student_id>[a-z]+)_hw_(?P<file_id>\w+\.ipynb)"
    file = lms.read("mail/alice_hw_convolution.ipynb", pattern, NOTEBOOKS, {})
    assert (file.student, file.notebook, file.problem) == ("alice", "convolution.ipynb", "")


# ----------------------------------------------------------------------------- the whole path

LESSON = first_lesson()
EXERCISES = list(LESSON.exercises)
ALL_RIGHT = {e: "right" for e in EXERCISES}
FIRST_ONLY = {EXERCISES[0]: "right", **{e: "none" for e in EXERCISES[1:]}}
# student id -> (how the file is named in its download, answers)
MOODLE = {"ivan_petrov": ("Ivan Petrov_1234567_assignsubmission_file_/convolution.ipynb", ALL_RIGHT),
          "анна_смирнова": ("Анна Смирнова_1234568_assignsubmission_file_/convolution.ipynb", FIRST_ONLY)}
CANVAS = {"petrovaolga": ("petrovaolga_12345_678901_convolution.ipynb", {}),
          "sidorovpavel": ("sidorovpavel_late_12346_678902_convolution-1.ipynb", ALL_RIGHT)}
FOLDER = {"noor": ("noor/convolution.ipynb", FIRST_ONLY)}
STRAY = {  # files of the downloads that are no one's submission
    "moodle": ["Анна Смирнова_1234568_assignsubmission_file_/convolution (1).ipynb",
               "Ivan Petrov_1234567_assignsubmission_onlinetext_onlinetext.html"],
    "canvas": ["kuznetsovoleg_12347_678903_homework.ipynb"],
}


def run_lms_workflow(base) -> dict:
    course = make_course(base, [LESSON])
    env = jupyter_env(base / "jupyter")
    outputs = {"release": grader(course, "release", env=env).stdout}
    released = read(course / "notebooks" / LESSON.assignment / f"{LESSON.notebook}.ipynb")
    for name, students in (("moodle", MOODLE), ("canvas", CANVAS)):
        with zipfile.ZipFile(base / f"{name}.zip", "w") as archive:
            for student, (path, answers) in students.items():
                archive.writestr(path, _text(answered(LESSON, released, answers, f"by {student}")))
            for path in STRAY[name]:
                archive.writestr(path, _text(released) if path.endswith(".ipynb") else "<p>done!</p>")
        outputs[f"collect {name}"] = grader(course, "collect", LESSON.assignment, "--from", str(base / f"{name}.zip"),
                                            "--lms", name, env=env).stdout
    for path, answers in FOLDER.values():
        write(answered(LESSON, released, answers), base / "inbox" / path)
    outputs["collect folder"] = grader(course, "collect", LESSON.assignment, "--from", str(base / "inbox"),
                                       env=env).stdout
    outputs["autograde"] = grader(course, "autograde", "--jobs", "2", env=env).stdout
    outputs["feedback"] = grader(course, "feedback", env=env).stdout
    outputs["export"] = grader(course, "export", env=env).stdout
    outputs["report"] = grader(course, "report", env=env).stdout
    return outputs


def _text(nb) -> str:
    import nbformat

    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def lms_workflow(tmp_path_factory):
    return shared(tmp_path_factory, "workflow-lms", run_lms_workflow)


def test_grades_from_the_downloads_are_what_the_answers_deserve(lms_workflow):
    base, _ = lms_workflow
    rows = {r["student_id"]: r for r in read_csv(base / "course" / "grader" / "export" / "grades.csv")}
    everyone = {**MOODLE, **CANVAS, **FOLDER}
    assert set(rows) == set(everyone)
    for student, (_, answers) in everyone.items():
        expected = deserved(LESSON, answers)
        assert {gid: float(rows[student][gid]) for gid in graded_cells(LESSON.source)} == expected, student
        assert float(rows[student]["score"]) == sum(expected.values()), student


def test_new_students_are_added_with_the_names_the_files_give(lms_workflow):
    base, outputs = lms_workflow
    rows = {r["student_id"]: r for r in read_csv(base / "course" / "grader" / "export" / "grades.csv")}
    assert (rows["ivan_petrov"]["first_name"], rows["ivan_petrov"]["last_name"]) == ("Ivan", "Petrov")
    assert (rows["анна_смирнова"]["first_name"], rows["анна_смирнова"]["last_name"]) == ("Анна", "Смирнова")
    assert rows["sidorovpavel"]["first_name"] == ""  # Canvas's file names carry no names
    for name, students in (("moodle", MOODLE), ("canvas", CANVAS)):
        collected = {row[0]: row for row in table_rows(outputs[f"collect {name}"]) if row[0] in students}
        assert set(collected) == set(students)
        assert all(row[3] == "yes" for row in collected.values())  # new in gradebook


def test_every_stray_file_is_reported(lms_workflow):
    _, outputs = lms_workflow
    for name, strays in STRAY.items():
        said = outputs[f"collect {name}"]
        assert f"not collected: {len(strays)} file(s)" in said
        for path in strays:
            assert path in said, path
    assert "a second copy of convolution.ipynb from анна_смирнова" in outputs["collect moodle"]
    assert "no notebook of this assignment is called homework.ipynb" in outputs["collect canvas"]
    assert "not collected" not in outputs["collect folder"]


def test_feedback_pages_are_written_for_every_submission(lms_workflow):
    base, outputs = lms_workflow
    pages = sorted((base / "course" / "grader" / "feedback").rglob("*.html"))
    assert sorted(p.parts[-3] for p in pages) == sorted({**MOODLE, **CANVAS, **FOLDER})
    assert "exchange" not in outputs["feedback"].split("the pages are in")[-1]


def table_rows(text: str) -> list[list[str]]:
    """The rows of the tables ``python -m grader`` printed, as lists of cells."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


def test_the_report_shows_each_exercise_and_draws_both_plots(lms_workflow):
    base, outputs = lms_workflow
    everyone = {**MOODLE, **CANVAS, **FOLDER}
    rows = {row[1]: row for row in table_rows(outputs["report"]) if row[0] == LESSON.assignment}
    for exercise, points in LESSON.exercises.items():
        # an exercise is all right (all its points) or all wrong (0): the shares follow from the answers
        right = sum(answers.get(exercise) == "right" for _, answers in everyone.values())
        n = len(everyone)
        mean = points * right / n
        assert rows[exercise][2:8] == [f"{points:g}", str(n), f"{mean:.2f}".rstrip("0").rstrip("."),
                                       rows[exercise][5], f"{100 * right / n:.0f} %", f"{100 * (n - right) / n:.0f} %"]
    for name in ("scores.png", "exercises.png"):
        image = matplotlib.image.imread(base / "course" / "grader" / "report" / name)
        assert image.shape[0] > 200 and image.shape[1] > 300, name
        assert image[..., :3].std() > 0.05, f"{name} is blank"
