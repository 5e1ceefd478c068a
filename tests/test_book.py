"""The self-study book (`make book`, scripts/build_book.py): its transformation, and the site it builds.

The transformation is tested on small notebooks made here; the site on a real build of every
lesson in solutions/ (executed, as `make book` does), made once per test session, and on a
second build with only the first lesson, as a book looks before the others land. What is
expected is read off the solution notebooks independently of the script: the chapters, the
explorer calls, the solution cells, the hidden-test lines, the points.

Then headless Chromium opens pages from the files with every request that is not a local file
refused, and checks that text, math and images render. Under CI (``CI`` set) it must run; elsewhere
it is skipped, with the reason, where Chromium is missing.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import re
import struct
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import build_book  # noqa: E402

from convlib import widgets  # noqa: E402

SOLUTIONS = ROOT / "solutions"
CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


# ---------------------------------------------------------------------------------------------------------
# What the lessons are, read off solutions/ without the script


def lesson_paths() -> list[Path]:
    return sorted(p for p in SOLUTIONS.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def explorer_lines(nb) -> list[str]:
    """The lines of the notebook's code cells that call an explorer: ``name_explorer(`` outside an import."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or meta(cell).get("solution") or meta(cell).get("grade"):
            continue
        for line in cell.source.splitlines():
            for name in re.findall(r"\b(\w+)_explorer\(", line):
                if name in widgets.EXPLORERS:
                    found.append(line)
    return found


def hidden_lines() -> list[str]:
    """Every line of a hidden-tests region that appears nowhere else in the solution notebooks.

    A line that is also in a visible cell (a repeated hint, say) may rightly show in the book.
    """
    hidden, visible = set(), set()
    for path in lesson_paths():
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                stripped = " ".join(line.split())
                if line.strip() == HIDDEN_BEGIN:
                    inside = True
                elif line.strip() == HIDDEN_END:
                    inside = False
                elif stripped:
                    (hidden if inside else visible).add(stripped)
    return sorted(line for line in hidden - visible if len(line) >= 12)


# ---------------------------------------------------------------------------------------------------------
# Reading the built site


class Page(HTMLParser):
    """One HTML file: its tags with attributes, ids, visible text, and the text of each element by id."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.tags: list[tuple[str, dict]] = []
        self.ids: set[str] = set()
        self.text_parts: list[str] = []
        self._skip = 0  # inside <script> or <style>
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())


def html_files(site: Path) -> list[Path]:
    """The site's pages (the theme's template fragments in _static are not pages)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def code_lines(path: Path) -> set[str]:
    """Every line of every code block (``<pre>``) of a page, tags removed, whitespace collapsed."""
    lines = set()
    for block in re.findall(r"<pre[^>]*>(.*?)</pre>", path.read_text(encoding="utf-8"), re.S):
        for line in html.unescape(re.sub(r"<[^>]+>", "", block)).splitlines():
            if line.strip():
                lines.add(" ".join(line.split()))
    return lines


def cells(page_html: str, tag: str) -> list[str]:
    """The HTML of each MyST-NB cell whose class list has ``tag_<tag>``, up to the next cell."""
    starts = [m.start() for m in re.finditer(r'<div class="cell[ "]', page_html)]
    found = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(page_html)
        head = page_html[start:page_html.index(">", start)]
        if f"tag_{tag}" in head.split('"')[1].split():
            found.append(page_html[start:end])
    return found


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG file"
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------------------------------------------------
# The builds, once per session (the two xdist workers share them through a lock)


def shared_build(tmp_path_factory, name: str, only: list[str] | None = None) -> Path:
    """Build once per session into a folder both xdist workers see; executed chapters go to a shared
    cache, so the partial build runs no notebook the full one has run."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, common to the workers
    out = root / f"book-{name}"
    with open(root / f"book-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = out / "built.json"
        if not done.exists():
            logs = []
            build_book.build(out, only, jobs=2, log=logs.append, cache=root / "book-executed")
            done.write_text(json.dumps(logs))
        fcntl.flock(lock, fcntl.LOCK_UN)
    return out


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> Path:
    """A build of every lesson; the site is ``book / "html"``."""
    return shared_build(tmp_path_factory, "all")


@pytest.fixture(scope="session")
def partial_book(tmp_path_factory, book) -> Path:
    """A build of the first lesson alone: the others missing, as before they land (after the full
    build, whose execution of that lesson it reuses)."""
    return shared_build(tmp_path_factory, "first", [lesson_paths()[0].parent.name])


@pytest.fixture(scope="session")
def site(book) -> Path:
    return book / "html"


def chapter_html(site: Path, path: Path) -> Path:
    return site / "lessons" / path.parent.name / f"{path.stem}.html"


# ---------------------------------------------------------------------------------------------------------
# The transformation, on notebooks made here


def lesson(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# Assignment 9 · A test\n\nLecture 5, section 9. Text."), *cells]
    return nb


def nbgrader_cell(kind: str, source: str, **fields):
    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    defaults = {"grade": False, "solution": False, "locked": False, "schema_version": 3, "task": False}
    return make(source, metadata={"nbgrader": {**defaults, **fields}})


def transform(nb):
    chapter = build_book.Chapter("09_test", ROOT / "solutions" / "09_test" / "test.ipynb")
    out, pictures = build_book.book_notebook(nb, chapter)
    return out, pictures, chapter


SOLUTION = '''def twice(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
'''
GRADED = '''"""twice doubles."""
assert twice(2) == 4
### BEGIN HIDDEN TESTS
assert twice(-7) == -14  # a hidden case
### END HIDDEN TESTS
'''


def test_a_solution_shows_its_stub_and_folds_the_solution():
    nb = lesson(nbformat.v4.new_markdown_cell("### Exercise 1 (1 point): `twice`"),
                nbgrader_cell("code", SOLUTION, solution=True, grade_id="twice"))
    out, _, chapter = transform(nb)
    stub, solution = out.cells[-2], out.cells[-1]
    assert stub.cell_type == "markdown"
    assert "raise NotImplementedError()" in stub.source and "return 2 * x" not in stub.source
    assert solution.cell_type == "code"
    assert "return 2 * x" in solution.source
    assert "BEGIN SOLUTION" not in solution.source and "END SOLUTION" not in solution.source
    assert "hide-input" in solution.metadata["tags"]
    assert solution.metadata["mystnb"]["code_prompt_show"] == "Show solution"
    assert chapter.exercises == [("Exercise 1 (1 point): `twice`", 0)]


def test_a_graded_cell_loses_its_hidden_tests_and_keeps_its_checks():
    nb = lesson(nbformat.v4.new_markdown_cell("### Exercise 1 (2 points): `twice`"),
                nbgrader_cell("code", SOLUTION, solution=True, grade_id="twice"),
                nbgrader_cell("code", GRADED, grade=True, locked=True, points=2, grade_id="test_twice_basic"))
    out, _, chapter = transform(nb)
    graded = out.cells[-1]
    assert graded.source == '"""twice doubles."""\nassert twice(2) == 4'
    assert build_book.GRADED_TAG in graded.metadata["tags"]
    assert "twice(-7)" not in json.dumps(out) and "HIDDEN" not in json.dumps(out)
    assert "Run them at home" in out.cells[-2].source  # the note before a run of graded cells
    assert chapter.points == 2 and chapter.exercises == [("Exercise 1 (2 points): `twice`", 2)]


def test_an_unmatched_hidden_marker_stops_the_build():
    broken = GRADED.replace("### END HIDDEN TESTS\n", "")
    nb = lesson(nbgrader_cell("code", broken, grade=True, locked=True, points=1, grade_id="test_twice_basic"))
    with pytest.raises(Exception, match="HIDDEN|hidden"):
        transform(nb)


def test_a_written_answer_is_folded():
    nb = lesson(nbgrader_cell("markdown", "Because the pointwise step mixes the channels.", solution=True,
                              grade=True, points=2, grade_id="why"))
    out, _, chapter = transform(nb)
    folded = out.cells[-1].source
    assert folded.startswith("````{dropdown} Show solution")
    assert "Because the pointwise step mixes the channels." in folded
    assert chapter.points == 2


def test_headings_get_labels_and_sections():
    nb = lesson(nbformat.v4.new_markdown_cell("## 1 · The idea\n\nText about stride.\n\n```python\n# not a heading\n"
                                              "```\n### Try it\nMore."))
    out, _, chapter = transform(nb)
    assert "(lesson-09-test-1-the-idea)=\n## 1 · The idea" in out.cells[-1].source
    assert "(lesson-09-test-try-it)=\n### Try it" in out.cells[-1].source
    assert "# not a heading" not in [s.title for s in chapter.sections]
    assert [s.label for s in chapter.sections] == ["lesson-09-test-test", "lesson-09-test-1-the-idea",
                                                   "lesson-09-test-try-it"]
    assert "stride" in chapter.sections[1].text
    assert chapter.title == "Assignment 9 · A test" and chapter.lecture == "section 9"


def test_explorer_calls_are_read_from_the_cell():
    calls = build_book.explorer_calls
    assert calls("from convlib.widgets import conv2d_explorer\n\nconv2d_explorer(stride=2, padding=1)", "t") == \
        [("conv2d", {"stride": 2, "padding": 1})]
    assert calls("from convlib import widgets\nwidgets.transposed_explorer()", "t") == [("transposed", {})]
    assert calls("%matplotlib inline\nmy_explorer(3)\nprint('explorer')", "t") == []  # not one of convlib's
    with pytest.raises(build_book.BookError, match=r"t: conv2d_explorer\(stride=\.\.\.\) is not a literal"):
        calls("s = 2\nconv2d_explorer(stride=s)", "t")
    with pytest.raises(build_book.BookError, match="keyword arguments only"):
        calls("conv2d_explorer(5)", "t")


def test_an_explorer_cell_is_followed_by_its_pictures():
    code = nbformat.v4.new_code_cell("from convlib.widgets import conv2d_explorer\n"
                                     "conv2d_explorer(input_size=6, kernel_size=3, stride=2, padding=1)")
    out, pictures, _ = transform(lesson(code))
    assert build_book.EXPLORER_TAG in out.cells[-2].metadata["tags"]
    gallery = out.cells[-1].source
    assert gallery.startswith("````{container} explorer-gallery")
    assert [p.path for p in pictures] == re.findall(r"```\{figure\} (\S+)", gallery)
    start = {"input_size": 6, "kernel_size": 3, "stride": 2, "padding": 1}
    assert pictures[0].values == start
    assert "stride s = 2" in pictures[0].caption and "padding p = 1" in pictures[0].caption
    assert 2 <= len(pictures) <= 1 + build_book.MAX_VARIATIONS
    assert len({json.dumps(p.values, sort_keys=True) for p in pictures}) == len(pictures)
    for picture in pictures:  # each a valid view, as the explorer itself judges it
        assert widgets.EXPLORERS["conv2d"](**picture.values).state.message == ""
    assert pictures[1].values == {**start, "stride": 1}
    assert "stride s = 1 (instead of stride s = 2)" in pictures[1].caption


@pytest.mark.parametrize("name", sorted(widgets.EXPLORERS))
def test_every_explorer_has_a_gallery_the_book_can_draw(name, tmp_path):
    """Lessons still to come use the other explorers: each, opened with its defaults, gives valid pictures."""
    shown = build_book.gallery(name, {}, "t")
    assert len(shown) >= 2, f"{name}: no variation of its default view is valid"
    for params, caption, _ in shown:
        assert widgets.EXPLORERS[name](**params).state.message == "", (name, params)
        assert caption.endswith(".")
    path = build_book.draw(build_book.Picture(name, shown[0][0], shown[0][1], "p.png", shown[0][2]), tmp_path)
    assert png_size(path)[0] >= 400


def test_an_explorer_that_opens_invalid_stops_the_build():
    code = nbformat.v4.new_code_cell("conv2d_explorer(input_size=3, kernel_size=5, padding=0)")
    with pytest.raises(build_book.BookError, match="conv2d_explorer.*invalid combination"):
        transform(lesson(code))


def test_discover_finds_the_lessons_in_order_and_refuses_unknown_ones():
    chapters = build_book.discover()
    assert [c.path for c in chapters] == lesson_paths()
    with pytest.raises(build_book.BookError, match=r"--lessons: \['99_nothing'\]"):
        build_book.discover(only=["99_nothing"])


def test_glossary_links_only_to_lessons_that_exist():
    terms = build_book.load_glossary()
    first = build_book.discover(only=[lesson_paths()[0].parent.name])
    for chapter in first:
        build_book.outline(nbformat.read(chapter.path, as_version=4), chapter)
    page = build_book.glossary_page(terms, first)
    labels = {s.label for c in first for s in c.sections} | {c.label for c in first}
    targets = re.findall(r"\{ref\}`[^`]*<([^>]+)>`", page)
    assert targets and set(targets) <= labels
    missing = [t for t in terms if not any(str(n) == first[0].number for n in t["lessons"])]
    assert missing, "the glossary should have terms of the later lessons"
    assert page.count("not in this edition yet") >= len(missing)


def test_execution_stops_on_an_error_and_names_the_cell(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nb.cells = [nbformat.v4.new_code_cell("print('fine')"),
                nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]})]
    with pytest.raises(build_book.BookError, match=r"t.ipynb, book cell 1: ZeroDivisionError"):
        build_book.execute(nb, tmp_path, "t.ipynb")


# ---------------------------------------------------------------------------------------------------------
# The built site


def test_every_lesson_is_a_chapter_in_the_lecture_order(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    positions = []
    for path in lesson_paths():
        page = chapter_html(site, path)
        assert page.is_file(), f"no chapter for {path.relative_to(ROOT)}"
        title = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0].removeprefix("# ")
        shown = Page(page).text.replace("\u2019", "'")  # Sphinx's smart quotes: ' is shown as a right quote
        assert title in shown, f"{path.parent.name}: its title {title!r} is not on its page"
        link = f'href="lessons/{path.parent.name}/{path.stem}.html"'
        assert link in index, f"the home page does not link to {path.parent.name}"
        positions.append(index.index(link))
    assert positions == sorted(positions), "the chapters are not in the lecture's order"


def test_the_home_page_says_what_the_course_is_and_how_to_run_it(site):
    text = Page(site / "index.html").text
    for needed in ("Types of convolutional layers", "Who it is for", "git clone", "make lab", "Glossary",
                   "For teachers"):
        assert needed in text, needed


def test_every_link_and_image_resolves(site):
    problems = []
    pages = {path.resolve(): Page(path) for path in html_files(site)}
    for path, page in pages.items():
        for tag, attrs in page.tags:
            for attr in ("href", "src"):
                url = attrs.get(attr)
                if not url or url.startswith(("mailto:", "javascript:", "data:")):
                    continue
                parts = urlsplit(url)
                if parts.scheme or parts.netloc:
                    continue  # an external link a reader may follow; scripts and styles are checked below
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    problems.append(f"{path.relative_to(site)}: <{tag} {attr}={url!r}>: no such file")
                elif parts.fragment and target.suffix == ".html":
                    ids = pages[target].ids if target in pages else Page(target).ids
                    if unquote(parts.fragment) not in ids:
                        problems.append(f"{path.relative_to(site)}: <{tag} {attr}={url!r}>: no such anchor")
    assert not problems, "\n".join(problems)


def test_nothing_a_page_needs_comes_from_outside(site):
    """Scripts, styles, fonts, images and frames: all from the site itself (CSS url() and @import too)."""
    external = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
    problems = []
    for path in html_files(site):
        for tag, attrs in Page(path).tags:
            needed = {"script": "src", "img": "src", "iframe": "src", "source": "src", "embed": "src",
                      "video": "src", "audio": "src", "object": "data"}.get(tag)
            if tag == "link" and attrs.get("rel") not in ("canonical", "next", "prev", "search", "index",
                                                          "author", "license"):
                needed = "href"
            url = attrs.get(needed) if needed else None
            if url and external.match(url):
                problems.append(f"{path.relative_to(site)}: <{tag} {needed}={url!r}>")
    for path in sorted(site.rglob("*.css")):
        css = path.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(r"@import\s+['\"]([^'\"]+)", css):
            if external.match(url.strip()):
                problems.append(f"{path.relative_to(site)}: {url}")
    assert not problems, "\n".join(problems)


def test_no_executed_cell_shows_an_error(site):
    for path in html_files(site):
        text = path.read_text(encoding="utf-8")
        assert "output traceback" not in text, f"{path.relative_to(site)} shows an error output"
        assert "Traceback (most recent call last)" not in text, f"{path.relative_to(site)} shows a traceback"
        assert "CheckFailed" not in Page(path).text, f"{path.relative_to(site)} shows a failed check"


def test_every_graded_cell_shows_a_check_that_passed(site):
    for path in lesson_paths():
        nb = nbformat.read(path, as_version=4)
        graded = [c for c in nb.cells if c.cell_type == "code" and meta(c).get("grade") and not meta(c).get("solution")]
        page = chapter_html(site, path).read_text(encoding="utf-8")
        shown = cells(page, build_book.GRADED_TAG)
        assert len(shown) == len(graded), f"{path.parent.name}: {len(shown)} checks shown, {len(graded)} graded cells"
        for n, cell in enumerate(shown):
            assert "✓ passed" in html.unescape(re.sub(r"<[^>]+>", "", cell)), \
                f"{path.parent.name}: graded cell {n} shows no passed line"


def test_every_solution_is_folded_under_show_solution(site):
    for path in lesson_paths():
        nb = nbformat.read(path, as_version=4)
        solutions = [c for c in nb.cells if meta(c).get("solution")]
        page = chapter_html(site, path).read_text(encoding="utf-8")
        folded = cells(page, build_book.SOLUTION_TAG)
        assert len(folded) == sum(c.cell_type == "code" for c in solutions)
        written = re.findall(rf'<details[^>]*class="[^"]*\b{build_book.SOLUTION_TAG}\b[^>]*>\s*<summary[^>]*>'
                             r'.*?Show solution', page, re.S)
        assert len(written) == sum(c.cell_type == "markdown" for c in solutions)
        for cell in folded:
            assert re.search(r"<details[^>]*>\s*<summary[^>]*>.*?Show solution", cell, re.S), cell[:300]
            assert cell.index("<details") < cell.index('class="cell_input')  # the code inside the fold
        assert "BEGIN SOLUTION" not in page and "END SOLUTION" not in page


def test_every_explorer_shows_its_pictures(site):
    total = 0
    for path in lesson_paths():
        expected = explorer_lines(nbformat.read(path, as_version=4))
        page_path = chapter_html(site, path)
        page = page_path.read_text(encoding="utf-8")
        explorers = cells(page, build_book.EXPLORER_TAG)
        assert len(explorers) == len(expected), f"{path.parent.name}: {len(explorers)} explorer cells shown, " \
                                                f"{len(expected)} in the notebook"
        for cell in explorers:
            gallery = cell[cell.index('<div class="explorer-gallery'):]
            images = re.findall(r'<img[^>]*src="([^"]+)"', gallery)
            captions = re.findall(r'<figcaption>', gallery)
            assert images and len(captions) == len(images), f"{path.parent.name}: an explorer without pictures"
            for src in images:
                image = (page_path.parent / unquote(src)).resolve()
                assert image.is_file(), f"{path.parent.name}: {src} does not exist"
                width, height = png_size(image)
                assert width >= 400 and height >= 200, f"{src} is {width}x{height}"
                total += 1
        for placeholder in ("widget-view+json", "VBox(", "Loading widget", "jupyter-widgets"):
            assert placeholder not in page, f"{path.parent.name} shows a widget placeholder: {placeholder}"
    assert total > 0


def test_no_hidden_test_appears_anywhere(site):
    lines = hidden_lines()
    assert lines, "the lessons have hidden tests: the check would be empty"
    shown = {path: code_lines(path) for path in html_files(site)}
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".js", ".txt", ".ipynb", ".json", ".html"):
            raw = path.read_text(encoding="utf-8", errors="replace")
            assert HIDDEN_BEGIN not in raw and "HIDDEN TESTS" not in raw, f"{path.relative_to(site)}"
    found = [f"{path.relative_to(site)}: {line}" for line in lines for path, code in shown.items() if line in code]
    assert not found, "hidden tests in the site:\n" + "\n".join(found[:20])


def test_the_glossary_has_every_term_in_both_languages_linked_to_the_course(site):
    terms = build_book.load_glossary()
    page = Page(site / "glossary.html")
    dts = [attrs for tag, attrs in page.tags if tag == "dt"]
    assert len(dts) >= len(terms)
    for term in terms:
        assert term["ru"] in page.text and term["en"] in page.text, term["en"]
    for ru, en in [("свертка", "convolution"), ("шаг", "stride"), ("дополнение нулями", "padding"),
                   ("прореживание рецептивного поля", "dilated"), ("поканальная свертка", "group convolution"),
                   ("перемешивание каналов", "channel shuffle"), ("транспонированная свертка", "transposed"),
                   ("обратная свертка", "deconvolution"), ("Depthwise", "depthwise separable")]:
        assert ru in page.text and en in page.text, (ru, en)
    existing = {p.parent.name for p in lesson_paths()}
    links = [a.get("href", "") for tag, a in page.tags if tag == "a" and "lessons/" in a.get("href", "")]
    assert links, "the glossary links to no lesson"
    assert {h.split("lessons/")[1].split("/")[0] for h in links} <= existing


def test_a_book_with_lessons_missing_links_only_to_what_it_has(partial_book):
    site = partial_book / "html"
    first = lesson_paths()[0]
    assert sorted(p.relative_to(site).as_posix() for p in (site / "lessons").rglob("*.html")) == \
        [f"lessons/{first.parent.name}/{first.stem}.html"]
    page = Page(site / "glossary.html")
    targets = [a["href"] for tag, a in page.tags if tag == "a" and "lessons/" in a.get("href", "")]
    assert targets and all(f"lessons/{first.parent.name}/" in href for href in targets)
    for href in targets:  # and each resolves, anchor included
        path, _, fragment = href.partition("#")
        target = Page((site / path).resolve())
        assert not fragment or fragment in target.ids, href
    assert "not in this edition yet" in page.text
    teachers = Page(site / "teachers.html").text
    assert first.parent.name in teachers
    assert all(p.parent.name not in teachers for p in lesson_paths()[1:])


def test_the_teachers_page_gives_the_walkthrough_and_each_assignments_points(site):
    text = Page(site / "teachers.html").text
    for needed in ("git clone", "make lab", "make release", "Formgrader"):
        assert needed in text, needed
    from grader.cli import command_modules

    commands = set(command_modules())
    named = set(re.findall(r"python -m grader (\w[\w-]*)", text))
    assert named <= commands, f"the page names commands that do not exist: {sorted(named - commands)}"
    assert {"release", "collect", "autograde", "integrity", "feedback", "export"} <= named
    for path in lesson_paths():
        nb = nbformat.read(path, as_version=4)
        points = sum(meta(c).get("points", 0) for c in nb.cells if meta(c).get("grade"))
        page = (site / "teachers.html").read_text(encoding="utf-8")
        start = page.index(f"<h3>{path.parent.name}: ")  # the assignment's section
        section = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page[start:start + 3000])).split())
        assert f"{points} points; the chapter" in section, f"{path.parent.name}: its {points} points are not stated"
    total = sum(meta(c).get("points", 0) for p in lesson_paths() for c in nbformat.read(p, as_version=4).cells
                if meta(c).get("grade"))
    assert re.search(rf"\ball \d+ {total}\b", text), f"the total, {total} points, is not stated"


# ---------------------------------------------------------------------------------------------------------
# In a browser, offline


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI: Chromium is needed for the book's browser checks, and {CHROMIUM} is missing "
                        "(apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}: the book's browser checks need it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def open_offline(browser, url: str):
    """A page with every request refused that is not a file: what was refused, failed or logged as an error."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"refused": [], "failed": [], "errors": []}

    def route(request_route):
        if request_route.request.url.startswith("file://"):
            request_route.continue_()
        else:
            seen["refused"].append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda request: seen["failed"].append(request.url))
    page.on("console", lambda message: message.type == "error" and seen["errors"].append(message.text))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.goto(url, wait_until="load")
    return page, seen


def wait_for_math(page) -> None:
    """Until MathJax has typeset the page and its fonts are in (Sphinx loads MathJax only where there is math)."""
    if page.locator(".math").count() == 0:
        return
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("MathJax.startup.promise")
    page.wait_for_function("document.fonts.status === 'loaded'")


def test_pages_render_offline_in_chromium(browser, site):
    first = lesson_paths()[0]
    for name in ("index.html", f"lessons/{first.parent.name}/{first.stem}.html", "glossary.html", "teachers.html"):
        page, seen = open_offline(browser, (site / name).as_uri())
        try:
            wait_for_math(page)
            heading = page.locator("main article h1").first
            assert heading.is_visible() and heading.inner_text().strip(), f"{name}: no visible title"
            assert len(page.locator("main").inner_text()) > 500, f"{name}: hardly any text"
            images = page.evaluate("[...document.querySelectorAll('main img')].map(i => [i.src, i.complete, "
                                   "i.naturalWidth])")
            for src, complete, width in images:
                assert complete and width > 0, f"{name}: image {src} did not load"
            assert not seen["refused"], f"{name} asked the network for {seen['refused']}"
            assert not seen["failed"], f"{name}: requests failed: {seen['failed']}"
            assert not seen["errors"], f"{name}: errors in the console: {seen['errors']}"
        finally:
            page.close()


def test_a_chapter_shows_its_math_and_explorer_pictures_offline(browser, site):
    for path in lesson_paths():
        page, seen = open_offline(browser, chapter_html(site, path).as_uri())
        try:
            wait_for_math(page)
            rendered = page.locator("main mjx-container").count()
            assert rendered > 0, f"{path.parent.name}: no formula rendered"
            assert page.locator("main mjx-merror").count() == 0, f"{path.parent.name}: a formula failed"
            # Every formula was typeset (none left as TeX), in MathJax's web fonts, which came from the site.
            untyped = page.locator("main .math").evaluate_all("els => els.filter(e => !e.querySelector("
                                                              "'mjx-container')).map(e => e.textContent)")
            assert not untyped, f"{path.parent.name}: formulas left as TeX: {untyped[:3]}"
            assert page.evaluate("[...document.fonts].some(f => f.family.includes('MJX') && f.status === 'loaded')")
            pictures = page.locator("main div.explorer-gallery img")
            assert pictures.count() > 0 or not explorer_lines(nbformat.read(path, as_version=4))
            for n in range(pictures.count()):
                picture = pictures.nth(n)
                picture.scroll_into_view_if_needed()
                assert picture.evaluate("i => i.complete && i.naturalWidth > 0"), f"{path.parent.name}: picture {n}"
            summary = page.locator("details.hide summary").first
            if summary.count():  # a folded solution opens on a click, without any script from outside
                hidden = page.locator("details.hide").first
                assert not hidden.evaluate("d => d.open")
                summary.click()
                assert hidden.evaluate("d => d.open")
            assert not seen["refused"] and not seen["failed"], (path.parent.name, seen)
            assert not seen["errors"], f"{path.parent.name}: errors in the console: {seen['errors']}"
        finally:
            page.close()


def test_search_works_offline(browser, site):
    page, seen = open_offline(browser, (site / "search.html").as_uri() + "?q=stride")
    try:
        page.wait_for_selector("#search-results li", timeout=30_000)
        results = page.locator("#search-results li a").all_inner_texts()
        assert any("Assignment" in r for r in results), results
        assert not seen["refused"] and not seen["failed"], seen
    finally:
        page.close()
