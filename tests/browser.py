"""The course in a real browser: JupyterLab started as `make lab` starts it, driven in Debian's Chromium.

What the browser tests (``tests/test_browser.py``) share:

- :func:`start_lab` runs ``make lab`` itself (the course's ``JUPYTER_CONFIG_PATH=grader``, nbgrader's
  extension, the repository as the notebook folder) with ``LAB_ARGS`` for a free loopback port and a
  token of its own, and private Jupyter folders, so that nothing of the user's ``~/.jupyter`` is read
  or written. The tests open exact copies of the notebooks (:func:`copy_notebook`, under the
  git-ignored ``build/browser/``): JupyterLab writes a checkpoint beside a notebook it opens and
  Validate saves it, so the course's own files are never opened; autosave is off besides.
- :func:`launch_chromium` starts the system Chromium through the ``playwright`` package (never
  ``playwright install``): ``/usr/lib/chromium/chromium`` from Debian's ``chromium`` package.
- :class:`Notebook` opens a notebook in JupyterLab and does what a student does: Run All, run a cell,
  type into a cell; :class:`ExplorerView` moves an explorer's sliders with the keyboard, types into
  their readouts, presses play; both read back what the page shows.
- The oracles, headless: :func:`explorer_calls` (which cells display which explorer),
  :func:`invalid_values` and :func:`valid_move` (asked of the explorer classes themselves) and
  :func:`run_in_process` (what a graded cell must show, from grader.checks run here).

Playwright's sync API is used; it must not run inside an asyncio loop.
"""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "browser"  # screenshots, the server's log, working copies (build/ is git-ignored)

# Debian's chromium package: /usr/bin/chromium is a wrapper script, this is the browser itself.
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/lib/chromium/chromium"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOW_TO_ENABLE = ("the browser tests need Debian's Chromium at /usr/lib/chromium/chromium: "
                 "`apt-get install -y chromium` (or set CHROMIUM to another Chromium binary); "
                 "with CI set they never skip")

# JupyterLab's settings for the tests, by plugin: no news toast over the page, and no autosave, so
# that running and typing into a course notebook never writes it.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


def chromium_missing() -> str:
    """Why the browser tests cannot run here (``""``: they can)."""
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install)"
    return ""


# ----------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab: its address, token and process (the process group of `make lab`)."""

    url: str
    token: str
    process: subprocess.Popen
    home: Path
    log: Path
    workspaces: int = 0

    def api(self, path: str, method: str = "GET", body: dict | None = None):
        """JSON from the server's REST API (``path`` like ``/api/contents/notebooks``)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def new_workspace(self) -> str:
        """A name for a JupyterLab workspace no page has used."""
        self.workspaces += 1
        return f"test{self.workspaces}"

    def shutdown_kernels(self) -> None:
        """Shut down every kernel (the notebooks a test opened keep theirs after its page closes)."""
        for kernel in self.api("/api/kernels") or []:
            with contextlib.suppress(urllib.error.HTTPError):
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")

    def stop(self) -> None:
        """Stop `make lab` and everything it started (the server, its kernels)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_lab(home: Path, timeout: float = 120) -> Lab:
    """``make lab`` on a free loopback port with a fresh token; Jupyter's own folders under ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "lab-settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    args = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}", "--LabApp.expose_app_in_browser=True"]
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "IPYTHONDIR": str(home / "ipython")}
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):  # when pytest itself runs under make
        env.pop(name, None)
    log = home / "lab.log"
    with open(log, "w") as out:
        process = subprocess.Popen(["make", "--no-print-directory", "-s", "lab", f"LAB_ARGS={' '.join(args)}"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, process, home, log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"make lab exited with {process.returncode}:\n{log.read_text()}")
        try:
            lab.api("/api/status")
            return lab
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                lab.stop()
                raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()}") from None
            time.sleep(0.25)


# ----------------------------------------------------------------------------- the browser


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)


@dataclass
class Console:
    """What a page wrote to the browser console at level error, and its uncaught exceptions."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.errors.append(
            f"console.error: {message.text} ({message.location.get('url', '')})"))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))


# ----------------------------------------------------------------------------- the notebooks, statically


def student_notebooks() -> list[Path]:
    """Every student notebook under notebooks/, as a path relative to the repository."""
    return sorted(p.relative_to(ROOT) for p in (ROOT / "notebooks").rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def copy_notebook(path: Path, folder: str) -> Path:
    """An exact copy of ``path`` (relative to the repository) under ARTIFACTS/work/<folder>/, relative to
    the repository: what a test opens. JupyterLab writes a checkpoint beside a file it opens, and Validate
    saves the notebook, so the course's own files are never opened."""
    target = ARTIFACTS / "work" / folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / path, target)
    return target.relative_to(ROOT)


@dataclass(frozen=True)
class ExplorerCall:
    """A code cell whose last line displays an explorer: ``conv2d_explorer(kernel_size=5)``."""

    cell: int  # index among all cells of the notebook
    kind: str  # its key in convlib.widgets.EXPLORERS
    values: dict  # its keyword arguments, the sliders' starting values


def explorer_calls(nb) -> list[ExplorerCall]:
    """The cells of ``nb`` (an nbformat notebook) that end by displaying one of convlib.widgets' explorers."""
    from convlib import widgets

    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            body = ast.parse(cell.source).body
        except SyntaxError:
            continue
        last = body[-1] if body else None
        if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
            func = last.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            kind = name.removesuffix("_explorer")
            if name.endswith("_explorer") and kind in widgets.EXPLORERS:
                values = {k.arg: ast.literal_eval(k.value) for k in last.value.keywords}
                found.append(ExplorerCall(index, kind, values))
    return found


def _validity(kind: str, start: dict):
    """Explorer ``kind``'s full parameters from ``start``, and a test of whether changes to them are valid.

    Asked of the explorer itself, headless: an invalid combination makes its scene raise convlib's
    ValueError.
    """
    from convlib import widgets

    cls = widgets.EXPLORERS[kind]
    params = {name: int(start.get(name, default)) for name, (_, _, default, _) in cls.sliders.items()}
    explorer = cls.__new__(cls)  # inputs() and scene() need no widgets

    def valid(changes: dict) -> bool:
        p = {**params, **changes}
        try:
            explorer.scene(explorer.inputs(p), p, 0)
        except ValueError:
            return False
        return True

    choices = {name: range(low, high + 1) for name, (low, high, _, _) in cls.sliders.items()}
    return params, valid, choices


def invalid_values(kind: str, start: dict) -> dict | None:
    """The fewest slider changes (up to three) from ``start`` that make explorer ``kind`` invalid, or None."""
    params, valid, choices = _validity(kind, start)
    for count in (1, 2, 3):
        for names in itertools.combinations(params, count):
            for values in itertools.product(*(choices[n] for n in names)):
                change = {n: v for n, v in zip(names, values, strict=True) if v != params[n]}
                if len(change) == count and not valid(change):
                    return change
    return None


def valid_move(kind: str, current: dict, name: str) -> tuple[dict, int] | None:
    """How to show a change of slider ``name`` of explorer ``kind`` from ``current``: ``(first, target)``.

    ``target`` is the nearest other value of ``name`` that gives a valid picture; ``first`` the
    other sliders to set beforehand when no value does from ``current`` (multichannel's groups from
    3 in and 2 out maps: set 4 and 4 first, then groups 2 is valid). None if nothing does.
    """
    params, valid, choices = _validity(kind, current)

    def nearest(values):
        return sorted((v for v in values if v != params[name]), key=lambda v: (abs(v - params[name]), v))

    for target in nearest(choices[name]):
        if valid({name: target}):
            return {}, target
    for other in params:
        if other == name:
            continue
        for value in sorted(choices[other], key=lambda v: abs(v - params[other])):
            first = {other: value}
            if value == params[other] or not valid(first):
                continue
            for target in nearest(choices[name]):
                if valid({**first, name: target}):
                    return first, target
    return None


# ----------------------------------------------------------------------------- what a graded cell must show

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_in_process(nb, answers: dict[str, str], cell: int) -> tuple[str, str]:
    """What graded cell ``cell`` of ``nb`` shows, computed here without a browser: ``("error", text)`` with
    the text a failing check renders, or ``("passed", line)`` with the green line of a passing cell.

    The setup cell, then every answer cell (``answers`` by grade_id swapped in; a stub that raises is
    left undefined, as in the kernel), then the graded cell, as the kernel runs them on Run All.
    """
    from grader import checks

    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):  # the setup cell's greeting
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("grade_id") == "setup":
                exec(c.source, namespace)
        for c in nb.cells:
            meta = c.metadata.get("nbgrader", {})
            if c.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
                with contextlib.suppress(NotImplementedError):
                    exec(answers.get(meta["grade_id"], c.source), namespace)
        checks._checks_run = 0
        try:
            exec(nb.cells[cell].source, namespace)
        except checks.CheckFailed as failure:
            return "error", ANSI.sub("", "\n".join(failure._render_traceback_()))
    return "passed", ANSI.sub("", checks.passed_message(nb.cells[cell].source, checks._checks_run))


def wrong_answer(solution: str, name: str) -> str:
    """The solution with its return value changed by one: a plausible slip, the same for every lesson."""
    return (f"{solution}\n\n\n_{name}_as_written = {name}\n\n\n"
            f"def {name}(*args, **kwargs):\n    return _{name}_as_written(*args, **kwargs) + 1\n")


# ----------------------------------------------------------------------------- a notebook in JupyterLab

_PANEL = "window.jupyterapp.shell.currentWidget"
_IDLE = "[...document.querySelectorAll('.jp-StatusBar-TextItem')].some(e => /\\| Idle/.test(e.textContent))"


class Notebook:
    """One notebook open in a JupyterLab page (in a workspace of its own: the page's only notebook)."""

    def __init__(self, page, lab: Lab, path: Path):
        self.page, self.lab, self.path = page, lab, path

    @classmethod
    def open(cls, page, lab: Lab, path: Path, timeout: float = 120_000) -> Notebook:
        """Open ``path`` (relative to the repository) in JupyterLab and wait for its kernel to be idle.

        In a workspace of its own, so that JupyterLab does not reopen what earlier pages opened.
        """
        page.goto(f"{lab.url}/lab/workspaces/{lab.new_workspace()}/tree/{path.as_posix()}?token={lab.token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout)
        notebook = cls(page, lab, path)
        page.wait_for_function(f"() => {_IDLE}", timeout=timeout)
        return notebook

    # --- the kernel and the model

    def model(self) -> list[dict]:
        """Each cell's type, execution count and outputs (nbformat JSON), as the page holds them."""
        return self.page.evaluate(f"""() => {{
            const cells = {_PANEL}.content.model.cells, out = [];
            for (let i = 0; i < cells.length; i++) {{
                const cell = cells.get(i), entry = {{type: cell.type, count: null, outputs: []}};
                if (cell.type === 'code') {{
                    entry.count = cell.executionCount;
                    for (let j = 0; j < cell.outputs.length; j++) entry.outputs.push(cell.outputs.get(j).toJSON());
                }}
                out.push(entry);
            }}
            return out;
        }}""")

    def run_all(self, timeout: float = 300_000) -> None:
        """Run > Run All Cells, from the menu as a student does; wait until every cell has run."""
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator('li.lm-Menu-item[data-command="runmenu:run-all"]').click()
        self.page.wait_for_function(f"""() => {{
            const cells = {_PANEL}.content.model.cells;
            for (let i = 0; i < cells.length; i++)
                if (cells.get(i).type === 'code' && !cells.get(i).executionCount) return false;
            return {_IDLE};
        }}""", timeout=timeout, polling=250)

    def cell(self, index: int):
        """The cell's DOM node (a Playwright locator), scrolled into view."""
        self.page.evaluate(f"(i) => {_PANEL}.content.scrollToItem(i, 'start')", index)
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def type_into(self, index: int, text: str) -> None:
        """Replace the cell's text as a student pasting it would: click into its editor, select all, insert."""
        editor = self.cell(index).locator(".jp-InputArea-editor .cm-content")
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(text)

    def source(self, index: int) -> str:
        return self.page.evaluate(f"(i) => {_PANEL}.content.model.cells.get(i).sharedModel.getSource()", index)

    def run_cell(self, index: int, timeout: float = 120_000) -> None:
        """Select cell ``index``, press Shift+Enter, and wait for its new execution count and an idle kernel."""
        before = self.model()[index]["count"]
        self.cell(index).locator(".jp-InputPrompt").click()  # selects the cell, in command mode
        self.page.keyboard.press("Shift+Enter")
        self.page.wait_for_function(f"""([i, before]) => {{
            const c = {_PANEL}.content.model.cells.get(i);
            return c.executionCount && c.executionCount !== before && {_IDLE};
        }}""", arg=[index, before], timeout=timeout, polling=200)

    def output_text(self, index: int) -> str:
        """The text of the cell's outputs as shown (each output's text, one after another)."""
        return self.cell(index).locator(".jp-OutputArea-output").evaluate_all(
            "nodes => nodes.map(n => n.textContent.replace(/\\n$/, '')).join('\\n')")

    def output_colour(self, index: int) -> list[str]:
        """The ANSI colour classes of the cell's output text (``ansi-green-fg``, ...)."""
        return self.cell(index).locator(".jp-OutputArea-output span[class*='ansi-']").evaluate_all(
            "nodes => nodes.map(n => n.className)")

    def explorers(self):
        return self.page.locator(".jp-Notebook .convlib-explorer")

    def explorer(self, index: int) -> ExplorerView:
        """The explorer in cell ``index``'s output, scrolled to the top of the notebook's view."""
        view = ExplorerView(self.page, self.cell(index).locator(".convlib-explorer"))
        view.scroll_to_top()
        return view

    def view_box(self) -> dict:
        """The notebook's visible area, in CSS pixels of the page."""
        return self.page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").evaluate(
            "e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; }")


class ExplorerView:
    """One explorer as the page shows it (classes from convlib.widgets: ``convlib-control-<name>``, ...)."""

    def __init__(self, page, root):
        self.page, self.root = page, root

    def scroll_to_top(self) -> None:
        """Scroll the explorer to the top of the notebook's view, and again until it stays there.

        The windowed notebook measures the cells that come into view and lays
        them out anew (after the sidebar closes, too), which can move the
        explorer after one scroll: each poll scrolls, and the wait ends when two
        polls in a row find it at the same place, not above the view.
        """
        self.page.wait_for_function("""e => {
            e.scrollIntoView({block: 'start'});
            const view = e.closest('.jp-WindowedPanel-outer').getBoundingClientRect().top;
            const top = e.getBoundingClientRect().top, last = e.dataset.lastTop;
            e.dataset.lastTop = top;
            return last !== undefined && Math.abs(top - Number(last)) < 0.5 && top >= view - 1;
        }""", arg=self.root.element_handle(), polling=150, timeout=10_000)
        self.root.evaluate("e => { delete e.dataset.lastTop; }")

    def picture(self) -> dict:
        """The picture: its blob URL (a new one for every new PNG), natural and shown size, box."""
        return self.root.locator("img.convlib-picture").evaluate("""img => {
            const r = img.getBoundingClientRect();
            return {src: img.src, complete: img.complete, naturalWidth: img.naturalWidth,
                    naturalHeight: img.naturalHeight, width: r.width, height: r.height, top: r.top,
                    bottom: r.bottom, ratio: window.devicePixelRatio};
        }""")

    def shown(self) -> dict:
        """What the explorer shows now: the picture's URL, the text, the calls, the message, the readouts."""
        return self.root.evaluate("""e => {
            const text = (cls) => { const n = e.querySelector('.' + cls); return n ? n.textContent : ''; };
            const readouts = {};
            for (const c of e.querySelectorAll('[class*="convlib-control-"]')) {
                const name = [...c.classList].find(k => k.startsWith('convlib-control-')).slice(16);
                const r = c.querySelector('.widget-readout');
                if (r) readouts[name] = r.textContent.trim();
            }
            return {src: e.querySelector('img.convlib-picture').src, text: text('convlib-text'),
                    calls: text('convlib-calls'), message: text('convlib-message').trim(), readouts};
        }""")

    def control(self, name: str):
        return self.root.locator(f".convlib-control-{name}")

    def bounds(self, name: str) -> tuple[int, int]:
        handle = self.control(name).locator(".noUi-handle")
        return round(float(handle.get_attribute("aria-valuemin"))), round(float(handle.get_attribute("aria-valuemax")))

    def press(self, name: str, key: str) -> None:
        """Focus slider ``name``'s handle and press ``key`` (ArrowRight: one step up), as with a keyboard."""
        handle = self.control(name).locator(".noUi-handle")
        handle.focus()
        handle.press(key)

    def type_value(self, name: str, value: int) -> None:
        """Type ``value`` into slider ``name``'s readout and press Enter."""
        readout = self.control(name).locator(".widget-readout")
        readout.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.type(str(value))
        self.page.keyboard.press("Enter")

    def wait_for(self, condition: str, arg=None, timeout: float = 60_000) -> dict:
        """Until ``condition`` (a JS function of what :meth:`shown` returns and ``arg``) holds; return that."""
        deadline = time.monotonic() + timeout / 1000
        while True:
            now = self.shown()
            if self.page.evaluate(f"([now, arg]) => ({condition})(now, arg)", [now, arg]):
                return now
            if time.monotonic() > deadline:
                raise AssertionError(f"the explorer never showed {condition} (arg {arg}); it shows {now}")
            self.page.wait_for_timeout(100)

    def settled(self, quiet: float = 0.4, timeout: float = 60.0) -> dict:
        """What the explorer shows once it has stopped changing for ``quiet`` seconds (the kernel has
        answered every change sent so far: a readout changes at once, the picture when the kernel redraws)."""
        deadline, last, since = time.monotonic() + timeout, self.shown(), time.monotonic()
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            now = self.shown()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return now
        raise AssertionError(f"the explorer kept changing for {timeout} s")

    def walk_disabled(self) -> dict:
        """Whether each play button and the position slider refuse input."""
        return self.root.evaluate("""e => ({
            buttons: [...e.querySelectorAll('.convlib-control-play button')].map(b => b.disabled),
            position: e.querySelector('.convlib-control-position .noUi-target').hasAttribute('disabled'),
        })""")
