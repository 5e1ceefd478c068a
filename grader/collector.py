"""The nbgrader collector plugin of ``collect --from``: nbgrader's zip_collect asks it whose each file is.

It reads every file name of the unpacked download at once with :func:`grader.lms.decide`
(so that of two copies of one notebook the better is kept), answers nbgrader for each file,
and keeps what became of every file in :attr:`Collector.files` for ``collect`` to report.
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Dict as DictTrait

from grader.lms import File, decide


class Collector(FileNameCollectorPlugin):
    """nbgrader's file-name collector, with the additions listed in grader/lms.py.

    ``notebooks``: this assignment's notebook file names; ``elsewhere``: other assignments' notebook file
    names -> their assignment. After ``zip_collect``, :attr:`files` holds every file and its fate.
    """

    notebooks = DictTrait(help="this assignment's notebook file names (as keys)").tag(config=True)
    elsewhere = DictTrait(help="other assignments' notebook file names -> assignment").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.files: list[File] | None = None
        self._by_path: dict[str, File] = {}

    def _decide(self, root: Path) -> None:
        archives = tuple(self.parent.extractor_plugin_inst.zip_ext)
        paths = [str(p.relative_to(root)) for p in sorted(root.rglob("*"))
                 if p.is_file() and not p.name.endswith(archives)]  # an archive's contents were unpacked beside it
        self.files = decide(paths, self.named_regexp, list(self.notebooks), dict(self.elsewhere))
        self._by_path = {str(root / f.path): f for f in self.files}

    def collect(self, submitted_file: str) -> dict | None:
        if self.files is None:
            self._decide(Path(self.parent._format_collect_path(self.parent.extracted_directory)))
        file = self._by_path.get(submitted_file)
        if file is None or file.problem:
            return None
        info = {"student_id": file.student, "file_id": file.notebook}
        if file.timestamp:
            info["timestamp"] = file.timestamp
        return info
