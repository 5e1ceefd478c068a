"""The sandbox a submission's kernel runs in (grader/sandbox.py), probed from inside a real kernel.

Each probe is code a hostile student could write; the sandbox must make it fail (or, for the
caps, make it stop at the cap). These need bubblewrap and root, as grading does: under CI
they always run; elsewhere they skip with the reason.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.sandbox import UIDS, Kernel, Limits, processes_of, unavailable_reason
from grader.verdict import PRELUDE

ROOT = Path(__file__).resolve().parent.parent
REASON = unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None and not os.environ.get("CI"),
                                reason=f"the grading sandbox cannot run here: {REASON}")


def probe(kernel: Kernel, code: str):
    """Run ``code`` in the kernel; it prints one JSON value as its last line, which is returned."""
    run = kernel.execute(textwrap.dedent(code), timeout=60)
    assert run.status == "ok", (run.status, run.error, run.outputs)
    text = "".join(o.get("text", "") for o in run.outputs if o.output_type == "stream" and o.name == "stdout")
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    files = tmp_path_factory.mktemp("submission")
    (files / "data.txt").write_text("the student's own file")
    (files / "other.ipynb").write_text("{}")
    kernel = Kernel(files=files, limits=Limits(memory_bytes=2 * 2**30, processes=32))
    kernel.start()
    assert kernel.execute(PRELUDE, timeout=60, silent=True).status == "ok"  # as grading starts every kernel
    yield kernel
    kernel.shutdown()


def test_runs_as_its_own_user_without_capabilities(kernel):
    status = probe(kernel, """
        import os, json
        caps = {l.split(':')[0]: l.split()[1] for l in open('/proc/self/status') if l.startswith('Cap')}
        print(json.dumps([os.getuid(), os.geteuid(), os.getgid(), caps['CapEff'], caps['CapBnd'],
                          open('/proc/self/status').read().count('NoNewPrivs:\\t1')]))
    """)
    assert status[0] in UIDS and status[1] == status[0] and status[2] == status[0]
    assert status[3:] == ["0000000000000000", "0000000000000000", 1]


def test_sees_no_course_no_gradebook_no_other_student(kernel):
    seen = probe(kernel, f"""
        import os, json, sys
        paths = {[str(ROOT), str(ROOT / 'solutions'), str(ROOT / 'grader'), str(ROOT / 'convlib'),
                  str(ROOT / 'notebooks')]!r}
        found = {{'gradebook.db': [], 'solutions': []}}
        for top, dirs, files in os.walk('/'):
            if top == '/':
                dirs[:] = [d for d in dirs if d not in ('proc', 'sys', 'dev', 'usr')]
            if top.startswith(sys.prefix) or top.startswith(sys.base_prefix):
                dirs[:] = []
            for name in dirs + files:
                if name in found:
                    found[name].append(os.path.join(top, name))
        # The course's folder exists only if the environment lives inside it (.venv), and holds nothing else.
        inside = sorted(os.listdir(paths[0])) if os.path.isdir(paths[0]) else []
        print(json.dumps([inside] + [os.path.exists(p) for p in paths[1:]] + [found['gradebook.db'],
                          found['solutions'], sorted(os.listdir('.'))]))
    """)
    assert seen[0] in ([], [".venv"]) and seen[1:5] == [False] * 4
    assert seen[5:7] == [[], []]
    assert seen[7] == ["data.txt"]  # its own files, not the notebooks


def test_the_references_and_the_course_cannot_be_imported(kernel):
    errors = probe(kernel, """
        import json
        found = []
        for name in ('torch', 'scipy', 'convlib', 'grader', 'torch.nn.functional'):
            try:
                __import__(name)
                found.append('imported')
            except ImportError as error:
                found.append(type(error).__name__ + ': ' + str(error))
        import numpy as np
        for convolution in (np.convolve, np.correlate, np._core.multiarray.correlate2):
            try:
                convolution([1, 2], [1])
                found.append('convolved')
            except BaseException as error:
                found.append(type(error).__name__)
        print(json.dumps(found))
    """)
    assert all(e.startswith(("ImportError", "ModuleNotFoundError")) for e in errors[:5]), errors
    assert "not available while your work is graded" in errors[0]
    assert errors[5:] == ["ReferenceUsed"] * 3  # numpy's own convolutions, removed by the grader's prelude


def test_writes_only_to_its_scratch_folder(kernel):
    results = probe(kernel, f"""
        import os, json, sys
        def attempt(path):
            try:
                with open(path, 'w') as f:
                    f.write('x')
                return 'written'
            except OSError as error:
                return type(error).__name__
        print(json.dumps([attempt('mine.txt'), attempt('/tmp/t.txt'), attempt(sys.prefix + '/pwned'),
                          attempt('/usr/pwned'), attempt({str(Path(sys.executable).resolve().parent)!r} + '/pwned'),
                          attempt('/etc/passwd'), attempt('/root/pwned')]))
    """)
    assert results[:2] == ["written", "written"]
    assert "written" not in results[2:], results
    assert not (Path(sys.prefix) / "pwned").exists()


def test_has_no_network(kernel):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        results = probe(kernel, f"""
            import socket, json
            out = []
            for address in [('127.0.0.1', {port}), ('pypi.org', 443), ('8.8.8.8', 53)]:
                try:
                    socket.create_connection(address, timeout=2).close()
                    out.append('connected')
                except OSError as error:
                    out.append(type(error).__name__)
            print(json.dumps(out))
        """)
    finally:
        server.close()
    assert "connected" not in results, results


def test_its_sockets_cannot_be_replaced(kernel):
    result = probe(kernel, f"""
        import os, json
        run = {str(kernel.cell.run)!r}
        out = []
        for action in (lambda: os.rename(run + '/kernel-1', run + '/moved'),
                       lambda: os.symlink('/dev/null', run + '/evil'), lambda: os.unlink(run + '/kernel.json')):
            try:
                action()
                out.append('done')
            except OSError as error:
                out.append(type(error).__name__)
        print(json.dumps(out))
    """)
    assert result == ["PermissionError"] * 3


def test_memory_is_capped(kernel):
    """A memory bomb, actually run: it stops at the cap with a MemoryError, and the kernel lives on."""
    result = probe(kernel, """
        import json
        blocks = []
        try:
            while True:
                blocks.append(bytearray(64 * 2**20))
        except MemoryError:
            pass
        total = len(blocks) * 64
        del blocks
        print(json.dumps(total))
    """)
    assert 256 < result < 2048  # MiB: numpy and the kernel take the rest of the 2 GiB
    assert kernel.alive()


def test_processes_are_capped_and_die_with_the_kernel(tmp_path):
    kernel = Kernel(limits=Limits(processes=16))
    kernel.start()
    uid = kernel.cell.uid
    try:
        started = probe(kernel, """
            import subprocess, json, os
            if os.fork() == 0:  # a grandchild that detaches itself
                os.setsid()
                import time
                time.sleep(600)
                os._exit(0)
            children = []
            try:
                for _ in range(64):
                    children.append(subprocess.Popen(['sleep', '600'], start_new_session=True))
            except OSError:
                pass
            print(json.dumps(len(children)))
        """)
        assert 0 < started < 16
        assert len(processes_of(uid)) > started
        limits = probe(kernel, """
            import resource, json
            print(json.dumps([resource.getrlimit(r)[0] for r in (resource.RLIMIT_AS, resource.RLIMIT_CPU,
                             resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE)]))
        """)
        defaults = Limits()
        assert limits == [defaults.memory_bytes, defaults.cpu_seconds, 16, defaults.file_bytes, defaults.open_files]
    finally:
        kernel.shutdown()
    deadline = time.monotonic() + 5
    while processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_of(uid) == []
