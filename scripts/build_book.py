"""Build the self-study book: the course as a static site that reads without a kernel (`make book`).

    python scripts/build_book.py                                    every lesson of solutions/, into build/book/
    python scripts/build_book.py --out DIR                          into DIR (DIR/html is the site)
    python scripts/build_book.py --lessons 01_convolution 03_dilated   those lessons only

The site is Sphinx's, with MyST-NB reading the notebooks and the Jupyter Book theme
(``book/conf.py``). This script prepares what Sphinx reads, in ``<out>/src``:

1. **the lessons**: every ``solutions/<assignment>/<notebook>.ipynb`` (the rule of
   ``grader.release``), in name order, which is the lecture's; no list to keep by hand;
2. **each made into a chapter** (:func:`book_notebook`): a solution cell becomes the stub
   the student gets (nbgrader's own ``ClearSolutions``) followed by the solution, folded
   under "Show solution"; a graded cell loses its hidden tests (nbgrader's
   ``ClearHiddenTests``) and stays a check the reader can run at home; a written answer is
   folded like a solution; every explorer cell is followed by its pictures (see 4);
   every heading gets a label, which the glossary links to;
3. **executed** with nbclient (two at a time), in the lesson's folder: the solutions pass, so
   each graded cell shows the green "✓ passed" line of ``grader/checks.py``; any error
   output stops the build, naming the cell. The explorers' widget views and widget state
   are dropped: a static page cannot show them, and embedding them would need scripts from
   a CDN;
4. **the explorers' pictures**: an explorer cell is read with ``ast`` (its
   ``*_explorer(...)`` call and literal keyword arguments) and drawn, as
   ``scripts/make_figures.py`` does, by the explorer's own drawing function: the view the
   cell opens with, then up to two variations (:data:`GALLERY`), each with a caption;
5. **the pages**: ``book/index.md`` and ``book/teachers.md`` with their generated tables
   filled in, and the glossary from ``book/glossary.toml``, linking each term to the
   section of an existing lesson that explains it (:func:`glossary_page`).

Then ``sphinx-build -W``: any warning, a reference to a missing label among them, fails the
build.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import copy
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout, installed or not
    sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from grader import release  # noqa: E402

BOOK = ROOT / "book"  # conf.py and the hand-written pages
SOLUTIONS = ROOT / "solutions"
DEFAULT_OUT = ROOT / "build" / "book"
DPI = 100  # the explorers' pictures at 800 px wide, as in docs/figures
# Cell tags the book adds (MyST-NB turns a tag into the class tag_<tag> of the cell's HTML).
SOLUTION_TAG, GRADED_TAG, EXPLORER_TAG = "book-solution", "book-check", "book-explorer"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")

# Besides the view an explorer cell opens with, up to MAX_VARIATIONS of these, tried in order: a
# variation is skipped where it changes nothing, repeats a picture, names a slider the explorer
# does not have, or is invalid (the explorer would show convlib's message instead).
GALLERY: dict[str, list[dict[str, int]]] = {
    "conv2d": [{"stride": 1}, {"stride": 2}, {"padding": 0}, {"padding": 1}],
    "multichannel": [{"in_channels": 4, "out_channels": 4, "groups": 2}, {"stride": 2}],
    "conv1d": [{"stride": 2}, {"dilation": 2}, {"stride": 1}],
    "separable": [{"padding": 1}, {"out_channels": 6}],
    "dilated": [{"dilation": 1}, {"dilation": 3}, {"dilation": 2}],
    "shuffle": [{"groups": 2}, {"channels": 12, "groups": 4}],
    "conv3d": [{"stride": 2}, {"padding": 1}],
    "transposed": [{"stride": 1, "output_padding": 0}, {"padding": 0}],
}
MAX_VARIATIONS = 2


class BookError(Exception):
    """Something in a lesson or a page that the book cannot be built from; the message says where."""


def nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell) -> bool:
    return bool(nbgrader(cell).get("solution"))


def is_graded_code(cell) -> bool:
    return cell.cell_type == "code" and bool(nbgrader(cell).get("grade")) and not is_solution(cell)


# ---------------------------------------------------------------------------------------------------------
# The lessons


@dataclass
class Section:
    """A heading of a chapter: its level (2 for ``##``), text, label, and the markdown under it."""

    level: int
    title: str
    label: str
    text: str = ""


@dataclass
class Chapter:
    """One lesson notebook and what the pages say of it."""

    assignment: str
    path: Path
    title: str = ""
    lecture: str = ""  # the top cell's line naming the lecture sections
    sections: list[Section] = field(default_factory=list)
    exercises: list[tuple[str, int]] = field(default_factory=list)  # (heading, points)
    points: int = 0

    @property
    def notebook(self) -> str:
        return self.path.stem

    @property
    def docname(self) -> str:
        return f"lessons/{self.assignment}/{self.notebook}"

    @property
    def number(self) -> str:
        """The assignment's number as it is written (``"01"`` for ``01_convolution``)."""
        return self.assignment.split("_", 1)[0]

    @property
    def prefix(self) -> str:
        """The start of the chapter's labels: ``lesson-01-convolution`` (an HTML id must start with a letter)."""
        return f"lesson-{slug(self.assignment)}"

    @property
    def label(self) -> str:
        return f"{self.prefix}-{slug(self.notebook)}"


def discover(solutions: Path = SOLUTIONS, only: list[str] | None = None) -> list[Chapter]:
    """The lessons: every notebook of every assignment folder of ``solutions``, in name order.

    ``only`` keeps the assignments named (each must exist): a book with lessons missing.
    """
    # grader.release.assignments's rule, for any folder: every subfolder holding a notebook
    names = sorted(p.name for p in solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
    if only is not None:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise BookError(f"--lessons: {unknown} not in {solutions} (it has {names})")
        names = [n for n in names if n in only]
    if not names:
        raise BookError(f"no lesson in {solutions}: expected <assignment>/<notebook>.ipynb")
    return [Chapter(name, path) for name in names for path in release.notebooks(solutions / name)]


def slug(text: str) -> str:
    """An ASCII label part: ``"2.1 · 2D convolution: one element"`` -> ``"2-1-2d-convolution-one-element"``."""
    text = re.sub(r"`([^`]*)`", r"\1", text).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "section"


HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def label_headings(source: str, chapter: Chapter, taken: set[str]) -> str:
    """Put a MyST label ``(lesson-<assignment>-<slug>)=`` before every heading of a markdown cell.

    Records each heading as a :class:`Section` of ``chapter`` (the first ``#`` heading is its
    title); the markdown that follows a heading, up to the next, is the section's text.
    """
    out, in_fence = [], False
    for line in source.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if match:
            level, title = len(match.group(1)), match.group(2)
            if level == 1 and not chapter.title:
                chapter.title = title
                label = chapter.label
            else:
                base = label = f"{chapter.prefix}-{slug(title)}"
                n = 2
                while label in taken:
                    label, n = f"{base}-{n}", n + 1
            taken.add(label)
            chapter.sections.append(Section(level, title, label))
            out += [f"({label})=", line]
        else:
            if chapter.sections:
                chapter.sections[-1].text += line + "\n"
            out.append(line)
    return "\n".join(out)


def outline(nb, chapter: Chapter) -> Chapter:
    """Fill in ``chapter``'s title and sections from the notebook's headings alone (no pictures, no run)."""
    taken: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            label_headings(cell.source, chapter, taken)
    return chapter


# ---------------------------------------------------------------------------------------------------------
# The chapter: solutions folded, hidden tests removed, explorers drawn


def fence(text: str, minimum: int = 3) -> str:
    """A backtick fence longer than any run of backticks in ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(minimum, longest + 1)


def stub_of(cell) -> str:
    """What the student's copy has in place of a solution cell: nbgrader's own ClearSolutions."""
    from nbgrader.preprocessors import ClearSolutions

    cleared, _ = ClearSolutions().preprocess_cell(copy.deepcopy(cell), {"language": "python"}, 0)
    return cleared.source


def without_solution_markers(source: str) -> str:
    """The solution as a reader should see it: the ``### BEGIN/END SOLUTION`` lines left out."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def without_hidden_tests(cell) -> str:
    """A graded cell's source without its hidden tests: nbgrader's own ClearHiddenTests."""
    from nbgrader.preprocessors import ClearHiddenTests

    cleared, _ = ClearHiddenTests().preprocess_cell(copy.deepcopy(cell), {"language": "python"}, 0)
    if any(marker in cleared.source for marker in HIDDEN_MARKERS):  # an unmatched marker nbgrader left
        raise BookError(f"a graded cell ({nbgrader(cell).get('grade_id')}) still has a hidden-tests marker "
                        "after nbgrader's ClearHiddenTests: check its BEGIN/END pairs")
    return cleared.source.rstrip()


def folded_markdown(answer: str) -> str:
    """A written answer folded under "Show solution" (a sphinx-design dropdown)."""
    marks = fence(answer, 4)
    return f"{marks}{{dropdown}} Show solution\n:class-container: {SOLUTION_TAG}\n\n{answer.strip()}\n{marks}"


@dataclass
class Picture:
    """One picture of an explorer cell: which explorer, its starting values, caption and file."""

    explorer: str
    values: dict[str, int]
    caption: str
    path: str  # relative to the chapter's folder
    shown: object = field(default=None, repr=False, compare=False)  # the explorer, set to these values


def explorer_calls(source: str, where: str) -> list[tuple[str, dict[str, int]]]:
    """The ``<name>_explorer(**values)`` calls of a code cell, as (name, values), in source order.

    Only explorers of ``convlib.widgets.EXPLORERS`` count; their arguments must be literal
    keywords, since the book draws the picture without running the cell.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    from convlib import widgets

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError as error:
        raise BookError(f"{where}: the cell does not parse ({error})") from None
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else \
            node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if not name.endswith("_explorer") or name.removesuffix("_explorer") not in widgets.EXPLORERS:
            continue
        if node.args or any(k.arg is None for k in node.keywords):
            raise BookError(f"{where}: {name}(...) takes keyword arguments only, for the book to draw it")
        values = {}
        for keyword in node.keywords:
            try:
                values[keyword.arg] = ast.literal_eval(keyword.value)
            except ValueError:
                raise BookError(f"{where}: {name}({keyword.arg}=...) is not a literal value, so the book "
                                "cannot draw its picture; write the number itself") from None
        calls.append((node.lineno, node.col_offset, name.removesuffix("_explorer"), values))
    return [(name, values) for _, _, name, values in sorted(calls)]


def describe(explorer_cls, params: dict[str, int], names=None) -> str:
    """``"input size i = 6, stride s = 2"``: the sliders' labels with their values."""
    sliders = getattr(explorer_cls, "sliders", {})
    names = params if names is None else names
    return ", ".join(f"{sliders[n][3] if n in sliders else n.replace('_', ' ')} = {params[n]}" for n in names)


def gallery(name: str, values: dict[str, int], where: str) -> list[tuple[dict[str, int], str, object]]:
    """The settings to draw for one explorer call: (slider values, caption, the explorer set so), the
    starting view first. Each explorer has computed its scene already; :func:`draw` paints it."""
    from convlib import widgets

    cls = widgets.EXPLORERS[name]
    try:
        explorer = cls(**values)
    except ValueError as error:
        raise BookError(f"{where}: {name}_explorer: {error}") from None
    if explorer.state.message:
        raise BookError(f"{where}: {name}_explorer({values}) opens on an invalid combination: "
                        f"{explorer.state.message}")
    start = dict(explorer.params)
    title = getattr(cls, "title", name)
    shown = [(start, f"{title}, as the cell opens it: {describe(cls, start)}.", explorer)]
    for change in GALLERY.get(name, []):
        if len(shown) > MAX_VARIATIONS:
            break
        if not set(change) <= set(start):
            continue
        params = {**start, **change}
        if any(params == p for p, _, _ in shown):
            continue
        try:
            trial = cls(**params)
        except ValueError:
            continue
        if trial.state.message:
            continue
        changed = [n for n in change if change[n] != start[n]]
        shown.append((params, f"{title} with {describe(cls, params, changed)} (instead of "
                              f"{describe(cls, start, changed)}); "
                              f"the rest as above.", trial))
    return shown


def draw(picture: Picture, folder: Path) -> Path:
    """Draw one picture as scripts/make_figures.py does: the explorer's scene by its own drawing function."""
    from convlib import widgets

    explorer = picture.shown or widgets.EXPLORERS[picture.explorer](**picture.values)
    figure = explorer.draw(explorer.state.scene, footer=True)  # a new figure, with the sum and formula under it
    path = folder / picture.path
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, facecolor="white")
    return path


def pictures_markdown(pictures: list[Picture], title: str) -> str:
    """The figures after an explorer cell, in one container (class ``explorer-gallery``)."""
    parts = ["````{container} explorer-gallery",
             f"*In Jupyter this cell shows an explorer, {title}, with sliders to move. Here are its pictures: "
             "the view it opens with" + (", then other settings.*" if len(pictures) > 1 else ".*"), ""]
    for picture in pictures:
        alt = picture.caption.replace("\n", " ").replace('"', "'")
        parts += [f"```{{figure}} {picture.path}", f":alt: {alt}", ":class: explorer-picture", "",
                  picture.caption, "```", ""]
    parts.append("````")
    return "\n".join(parts)


def book_notebook(nb, chapter: Chapter) -> tuple[nbformat.NotebookNode, list[Picture]]:
    """The chapter's notebook (not executed) and the explorer pictures it refers to.

    Fills in ``chapter``'s title, sections, exercises and points on the way.
    """
    from convlib import widgets

    out = nbformat.v4.new_notebook(metadata=copy.deepcopy(nb.metadata))
    pictures: list[Picture] = []
    taken: set[str] = set()
    previous_graded = False
    for index, cell in enumerate(nb.cells):
        where = f"{chapter.path.relative_to(ROOT) if chapter.path.is_relative_to(ROOT) else chapter.path}, " \
                f"cell {index}"
        meta = nbgrader(cell)
        graded = is_graded_code(cell)
        if meta.get("grade"):
            chapter.points += int(meta.get("points", 0))
        if cell.cell_type == "markdown":
            source = label_headings(cell.source, chapter, taken)
            if index == 0:
                # "Lecture 5, "...", sections 1 and 2. In this..." -> "sections 1 and 2"
                match = re.search(r"\bsections?\s[^.:;*]*", next(
                    (line for line in cell.source.splitlines() if line.lower().startswith("lecture")), ""))
                chapter.lecture = match.group(0).strip().rstrip(",") if match else ""
            for line in cell.source.splitlines():
                if line.startswith("### Exercise"):
                    chapter.exercises.append((line.removeprefix("### ").strip(), 0))
            if is_solution(cell):  # a written answer, graded by hand
                if SOLUTION_MARKERS[0] in source:
                    head, rest = source.split(SOLUTION_MARKERS[0], 1)
                    answer, _, tail = rest.partition(SOLUTION_MARKERS[1])
                    source = "\n\n".join(p for p in (head.strip(), folded_markdown(answer), tail.strip()) if p)
                else:
                    source = folded_markdown(source)
            out.cells.append(nbformat.v4.new_markdown_cell(source))
        elif cell.cell_type == "code" and is_solution(cell):
            stub = stub_of(cell)
            marks = fence(stub)
            out.cells.append(nbformat.v4.new_markdown_cell(
                f"The stub in your notebook:\n\n{marks}python\n{stub.rstrip()}\n{marks}"))
            solution = nbformat.v4.new_code_cell(without_solution_markers(cell.source), metadata={
                "tags": ["hide-input", SOLUTION_TAG],
                "mystnb": {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}})
            out.cells.append(solution)
        elif graded:
            if not previous_graded:
                out.cells.append(nbformat.v4.new_markdown_cell(
                    "*The checks* (the graded cells, without the autograder's hidden cases). Run them at home "
                    "after your own answer: each prints a green line when it passes."))
            tags = [*cell.metadata.get("tags", []), GRADED_TAG]
            out.cells.append(nbformat.v4.new_code_cell(without_hidden_tests(cell), metadata={"tags": tags}))
            if chapter.exercises:
                heading, points = chapter.exercises[-1]
                chapter.exercises[-1] = (heading, points + int(meta.get("points", 0)))
        elif cell.cell_type == "code":
            calls = explorer_calls(cell.source, where)
            tags = [*cell.metadata.get("tags", [])] + ([EXPLORER_TAG] if calls else [])
            out.cells.append(nbformat.v4.new_code_cell(cell.source, metadata={"tags": tags} if tags else {}))
            found = []
            for n, (name, values) in enumerate(calls):
                for k, (params, caption, shown) in enumerate(gallery(name, values, where)):
                    found.append(Picture(name, params, caption,
                                         f"explorers/{chapter.notebook}-cell{index:02d}-{n}{k}-{name}.png", shown))
            if found:
                pictures += found
                title = getattr(widgets.EXPLORERS[calls[0][0]], "title", calls[0][0])
                out.cells.append(nbformat.v4.new_markdown_cell(pictures_markdown(found, title)))
        else:  # raw cells: the book has no use for them
            continue
        previous_graded = graded
    if not chapter.title:
        raise BookError(f"{chapter.path}: no '# ' title in its first markdown cells")
    return out, pictures


# ---------------------------------------------------------------------------------------------------------
# Execution


def execute(nb, cwd: Path, where: str, timeout: int = 600):
    """Run the chapter top to bottom with nbclient; raise BookError on any error output.

    Widget views (the explorers) and widget state are dropped from the result: a static page
    can show neither without the widget scripts, which would come from a CDN.
    """
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    # Unix sockets rather than TCP on localhost: no port to listen on, and no warning about it. Their
    # path must be absolute: the kernel runs in the lesson's folder, the client here.
    with tempfile.TemporaryDirectory(prefix="book-kernel-") as sockets:
        manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
        client = NotebookClient(nb, km=manager, timeout=timeout, store_widget_state=False,
                                resources={"metadata": {"path": str(cwd)}})
        try:
            client.execute()
        finally:  # a manager passed in is ours to stop, not nbclient's
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
    errors = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "error":
                errors.append(f"{where}, book cell {index}: {output.ename}: {output.evalue}")
            if WIDGET_MIME in output.get("data", {}):
                continue
            kept.append(output)
        cell.outputs = kept
    nb.metadata.pop("widgets", None)
    if errors:
        raise BookError("the solutions must run without errors, but:\n  " + "\n  ".join(errors))
    return nb


# ---------------------------------------------------------------------------------------------------------
# The pages


def load_glossary(path: Path = BOOK / "glossary.toml") -> list[dict]:
    """The glossary's terms: ``ru``, ``en``, ``text``, ``lecture``, ``lessons`` (numbers), optional ``find``."""
    terms = tomllib.loads(path.read_text(encoding="utf-8")).get("term", [])
    for n, term in enumerate(terms):
        missing = [k for k in ("ru", "en", "text", "lecture", "lessons") if k not in term]
        if missing:
            raise BookError(f"{path.name}: term {n} ({term.get('en', '?')}) has no {', '.join(missing)}")
    return terms


def find_section(chapter: Chapter, phrases: list[str]) -> Section | None:
    """The section that explains a term: the first heading naming one of ``phrases``, else the first
    section whose text does (the chapter's title and top cell left out: they name everything)."""
    patterns = [re.compile(r"(?<![\w-])" + re.escape(p.lower()), re.IGNORECASE) for p in phrases]
    body = [s for s in chapter.sections if s.level > 1]
    for section in body:
        if any(p.search(section.title) for p in patterns):
            return section
    for section in body:
        if any(p.search(section.text) for p in patterns):
            return section
    return None


def ref_text(text: str) -> str:
    """Text safe inside a ``{ref}`` role: no backticks or angle brackets."""
    return re.sub(r"[`<>]", "", text).strip()


@dataclass
class GlossaryLink:
    term: str
    chapter: Chapter | None
    section: Section | None


def glossary_links(terms: list[dict], chapters: list[Chapter]) -> list[list[GlossaryLink]]:
    """For each term, where the course explains it: one link per existing lesson of its ``lessons``
    that mentions it (the first is where it is explained; the others "see also"). A term whose
    lessons are all missing gets none, so that no link points at a chapter the book does not have."""
    by_number: dict[str, list[Chapter]] = {}
    for chapter in chapters:
        by_number.setdefault(chapter.number, []).append(chapter)
    links = []
    for term in terms:
        phrases = term.get("find", [term["en"]])
        found = []
        for number in term["lessons"]:
            for chapter in by_number.get(str(number), []):
                section = find_section(chapter, phrases)
                found.append(GlossaryLink(term["en"], chapter, section))
        links.append(found)
    return links


def glossary_page(terms: list[dict], chapters: list[Chapter]) -> str:
    """The glossary: a Sphinx glossary, each term in Russian and English, linked to the course."""
    lines = ["(glossary)=", "# Glossary · Глоссарий", "",
             "The lecture's terms in Russian and English, in the order the lecture meets them. Each links to "
             "the section of the course that explains it; a term whose lesson is not in this edition yet "
             "names the lecture section instead.", "", "```{glossary}"]
    for term, found in zip(terms, glossary_links(terms, chapters), strict=True):
        names = [term["ru"]] if term["ru"].lower() == term["en"].lower() else [term["ru"], term["en"]]
        lines += [*names, f"  {term['text'].strip()}"]
        if found:
            refs = []
            for link in found:
                target = link.section.label if link.section else link.chapter.label
                where = ref_text(link.chapter.title.split("·", 1)[0])  # "Assignment 1"
                if link.section:
                    where += f", {ref_text(link.section.title)}"
                refs.append(f"{{ref}}`{where} <{target}>`")
            if found[0].chapter.number == str(term["lessons"][0]):
                see = f" See also {'; '.join(refs[1:])}." if len(refs) > 1 else ""
                lines.append(f"  Explained in {refs[0]}.{see}")
            else:
                lines.append(f"  Lecture section {term['lecture']}; its own lesson is not in this edition yet. "
                             f"See {'; '.join(refs)}.")
        else:
            lines.append(f"  Lecture section {term['lecture']}; its lesson is not in this edition yet.")
        lines.append("")
    lines.append("```")
    return "\n".join(lines) + "\n"


def assignments_table(chapters: list[Chapter]) -> str:
    """What each assignment covers and its points, read off the notebooks: a summary table, then
    one subsection per assignment with its sections and exercises."""
    rows = ["| assignment | lecture | exercises | points |", "|---|---|---|---|"]
    for chapter in chapters:
        rows.append(f"| [{chapter.assignment}](#{chapter.label}-teachers) | {ref_text(chapter.lecture)} | "
                    f"{len(chapter.exercises)} | {chapter.points} |")
    rows.append(f"| **all** | | {sum(len(c.exercises) for c in chapters)} | **{sum(c.points for c in chapters)}** |")
    parts = ["\n".join(rows)]
    for chapter in chapters:
        sections = [s for s in chapter.sections if s.level == 2 and not s.title.lower().startswith("before you")]
        lines = [f"({chapter.label}-teachers)=", f"### {chapter.assignment}: {ref_text(chapter.title)}", "",
                 f"Lecture {ref_text(chapter.lecture)}; {chapter.points} points; "
                 f"the chapter: {{doc}}`/{chapter.docname}`.", "", "Sections:", ""]
        lines += [f"- {{ref}}`{ref_text(s.title)} <{s.label}>`" for s in sections]
        lines += ["", "Exercises:", ""]
        lines += [f"- {ref_text(h)}" + ("" if f"{p} point" in h else f" ({p} points)") for h, p in chapter.exercises]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def lessons_list(chapters: list[Chapter]) -> str:
    """The home page's list of chapters."""
    return "\n".join(f"1. {{doc}}`/{c.docname}` (lecture {ref_text(c.lecture) or c.assignment}; {c.points} points)"
                     for c in chapters)


def fill(template: Path, marker: str, text: str) -> str:
    page = template.read_text(encoding="utf-8")
    if marker not in page:
        raise BookError(f"{template}: the marker {marker} is missing")
    return page.replace(marker, text)


# ---------------------------------------------------------------------------------------------------------
# The build


def fingerprint(nb) -> str:
    """What an execution depends on: the chapter as it goes to the kernel, the course's code, the pins."""
    digest = hashlib.sha256(nbformat.writes(nb).encode())
    for path in sorted([*ROOT.glob("convlib/*.py"), *ROOT.glob("grader/*.py"), ROOT / "requirements.txt"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def prepare(out: Path, chapters: list[Chapter], jobs: int = 2, log=print, cache: Path | None = None
            ) -> dict[str, float]:
    """Write ``out/src``: the executed chapters, their pictures and the pages. Returns step timings.

    ``cache``: a folder of executed chapters by :func:`fingerprint`; one found there is not run again
    (the tests' second, partial build). ``make book`` runs every chapter.
    """
    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    timings = {}
    start = time.perf_counter()
    books = []
    for chapter in chapters:
        nb, pictures = book_notebook(nbformat.read(chapter.path, as_version=4), chapter)
        books.append((chapter, nb, pictures))
        folder = src / "lessons" / chapter.assignment
        for picture in pictures:
            draw(picture, folder)
    timings["transform and draw"] = time.perf_counter() - start
    log(f"book: {len(chapters)} chapters, {sum(len(p) for _, _, p in books)} explorer pictures "
        f"({timings['transform and draw']:.1f} s)")

    start = time.perf_counter()

    def run(item):
        chapter, nb, _ = item
        cached = cache / f"{fingerprint(nb)}.ipynb" if cache else None
        if cached and cached.exists():
            return nbformat.read(cached, as_version=4)
        done = execute(nb, chapter.path.parent, str(chapter.path.relative_to(ROOT)
                                                    if chapter.path.is_relative_to(ROOT) else chapter.path))
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(done, cached)
        return done

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        executed = list(pool.map(run, books))
    timings["execute"] = time.perf_counter() - start
    log(f"book: executed {len(executed)} notebooks ({timings['execute']:.1f} s)")
    for (chapter, _, _), nb in zip(books, executed, strict=True):
        path = src / f"{chapter.docname}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)

    (src / "index.md").write_text(fill(BOOK / "index.md", "<!-- lessons -->", lessons_list(chapters)),
                                  encoding="utf-8")
    (src / "teachers.md").write_text(fill(BOOK / "teachers.md", "<!-- assignments -->",
                                          assignments_table(chapters)), encoding="utf-8")
    (src / "glossary.md").write_text(glossary_page(load_glossary(), chapters), encoding="utf-8")
    return timings


def sphinx(out: Path, jobs: int = 2) -> float:
    """``sphinx-build -W`` from ``out/src`` into ``out/html`` (both made anew)."""
    html, doctrees = out / "html", out / "doctrees"
    shutil.rmtree(html, ignore_errors=True)
    shutil.rmtree(doctrees, ignore_errors=True)
    start = time.perf_counter()
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", "-j", str(jobs),
               "-c", str(BOOK), "-d", str(doctrees), str(out / "src"), str(html)]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if result.returncode != 0:
        raise BookError(f"sphinx-build failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - start


def size(folder: Path) -> tuple[int, int]:
    """(bytes, files) of a folder."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def build(out: Path = DEFAULT_OUT, only: list[str] | None = None, solutions: Path = SOLUTIONS, jobs: int = 2,
          log=print, cache: Path | None = None) -> Path:
    """Build the book into ``out/html``; return that folder. ``cache``: see :func:`prepare`."""
    start = time.perf_counter()
    chapters = discover(solutions, only)
    timings = prepare(out, chapters, jobs, log, cache)
    timings["sphinx"] = sphinx(out, jobs)
    total = time.perf_counter() - start
    nbytes, nfiles = size(out / "html")
    log(f"book: sphinx {timings['sphinx']:.1f} s; built in {total:.1f} s: {out / 'html' / 'index.html'} "
        f"({nbytes / 2**20:.1f} MiB in {nfiles} files)")
    return out / "html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/build_book.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="build folder (default build/book)")
    parser.add_argument("--lessons", nargs="+", metavar="ASSIGNMENT", help="only these assignments")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once, Sphinx's -j (default 2)")
    args = parser.parse_args(argv)
    try:
        build(args.out.resolve(), args.lessons, jobs=args.jobs)
    except BookError as error:
        print(f"book: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
