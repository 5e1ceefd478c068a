"""The sandbox a submission's kernel runs in, and the kernel itself, driven from the trusted grader.

Confinement is bubblewrap's (``bwrap``, Debian's ``bubblewrap``), not Python's: the kernel
runs in its own mount, PID, network, IPC and UTS namespaces and sees

- ``/usr`` and the Python installation, read-only, with ``torch``, ``scipy`` and friends
  hidden (an ``__init__`` that raises ImportError is mounted over each) and no course at
  all: no ``convlib``, no ``grader``, no ``solutions/``, no gradebook, no other student;
- its own scratch folder, the only place it may write (``/tmp`` is a small tmpfs);
- no network (a new network namespace has only a loopback that is down); the grader
  talks to it over ZMQ's ``ipc`` transport, Unix sockets in a folder bound into the sandbox
  that the kernel cannot change once it has bound them.

It runs as a user of its own (a UID from :data:`UIDS`, one per kernel alive at a time, so
that the process cap of one never counts another's), with no capabilities and
``no_new_privs``, under ``prlimit``'s caps on address space, CPU time, processes, file
size and open files. ``--die-with-parent`` and the PID namespace make everything it
started die with it; :meth:`Kernel.shutdown` also kills whatever is left of its UID.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import KernelManager
from nbformat.v4 import output_from_msg

UIDS = range(61000, 61200)  # the sandbox users: no one else uses these on a grading machine
LOCKS = Path(tempfile.gettempdir()) / "convlib-grader-uids"
HIDDEN_PACKAGES = ("torch", "torchgen", "functorch", "torchvision", "torchaudio", "scipy", "sklearn", "jax",
                   "tensorflow", "convlib", "grader")


@dataclass(frozen=True)
class Limits:
    """What one kernel may use. The defaults fit the course: numpy on small arrays, seconds not minutes."""

    memory_bytes: int = 3 * 2**30  # address space (RLIMIT_AS): numpy and an answer's arrays fit easily
    cpu_seconds: int = 300  # CPU time per process (RLIMIT_CPU)
    processes: int = 48  # processes and threads of the sandbox's user (RLIMIT_NPROC)
    file_bytes: int = 64 * 2**20  # largest file it may write (RLIMIT_FSIZE)
    open_files: int = 256  # RLIMIT_NOFILE
    tmp_bytes: int = 64 * 2**20  # its /tmp
    output_bytes: int = 200_000  # outputs kept per cell; the rest is cut with a note


def unavailable_reason() -> str | None:
    """Why the sandbox cannot run here (None: it can)."""
    if sys.platform != "linux":
        return "bubblewrap sandboxes need Linux"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    if shutil.which("prlimit") is None or shutil.which("setpriv") is None:
        return "prlimit and setpriv (util-linux) are needed"
    if os.geteuid() != 0:
        return "the grader must run as root to give each kernel a user of its own"
    probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"bwrap cannot create namespaces here: {probe.stderr.strip()}"
    return None


# ----------------------------------------------------------------------------- one user and folder per kernel

@dataclass
class Cell:
    """A sandbox's user and folders, held while its kernel lives."""

    uid: int
    root: Path  # grader-owned; holds scratch/ (the kernel's) and run/ (sockets) and hide/
    lock: object = field(repr=False)

    @property
    def scratch(self) -> Path:
        return self.root / "scratch"

    @property
    def run(self) -> Path:
        return self.root / "run"


def claim_cell(files: Path | None = None) -> Cell:
    """A free sandbox user (a UID locked with flock across processes) and fresh folders for it."""
    LOCKS.mkdir(mode=0o700, exist_ok=True)
    for uid in UIDS:
        handle = open(LOCKS / f"{uid}.lock", "w")  # noqa: SIM115 (held until release_cell)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        kill_user(uid)  # whatever an earlier grader left behind
        root = Path(tempfile.mkdtemp(prefix=f"grader-{uid}-"))
        os.chmod(root, 0o755)
        cell = Cell(uid, root, handle)
        for folder in (cell.scratch, cell.run):
            folder.mkdir()
            os.chown(folder, uid, uid)
            os.chmod(folder, 0o700)
        if files is not None:
            copy_files(files, cell.scratch, uid)
        return cell
    raise RuntimeError(f"no free sandbox user in {UIDS.start}-{UIDS.stop - 1}: too many kernels at once")


def copy_files(source: Path, scratch: Path, uid: int) -> None:
    """The submission's other files (not notebooks, not links) into the scratch folder, owned by the kernel."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_symlink() or path.suffix == ".ipynb" or ".ipynb_checkpoints" in relative.parts:
            continue
        target = scratch / relative
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif path.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        else:
            continue
        os.chown(target, uid, uid)


def release_cell(cell: Cell) -> None:
    kill_user(cell.uid)
    shutil.rmtree(cell.root, ignore_errors=True)
    fcntl.flock(cell.lock, fcntl.LOCK_UN)
    cell.lock.close()


def processes_of(uid: int) -> list[int]:
    """PIDs of the processes whose real user is ``uid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry.name))
                        break
    return found


def kill_user(uid: int) -> None:
    for _ in range(20):
        pids = processes_of(uid)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


# ----------------------------------------------------------------------------- the bubblewrap command

def python_roots() -> list[Path]:
    """The folders the kernel's Python needs: the environment and the installation it was made from."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent.parent}
    return sorted(r for r in roots if r.exists())


def hidden_packages() -> list[Path]:
    """Installed packages the kernel must not see: the references (torch, scipy) and the course's own."""
    found = []
    for key in ("purelib", "platlib"):
        site = Path(sysconfig.get_paths()[key])
        for name in HIDDEN_PACKAGES:
            if (site / name).is_dir():
                found.append(site / name)
    return sorted(set(found))


def bwrap_command(cell: Cell, limits: Limits, hide_stub: Path) -> list[str]:
    """``prlimit ... bwrap ... setpriv ...``: everything before the kernel's own command."""
    binds: list[str] = []
    made: set[Path] = {Path("/"), Path("/tmp")}  # /tmp: the tmpfs below

    def parents(path: Path) -> None:
        # bwrap makes missing mount points 0700; the sandbox's user must be able to walk them.
        for parent in reversed(path.parents):
            if parent not in made:
                binds.extend(["--perms", "0755", "--dir", str(parent)])
                made.add(parent)

    for root in python_roots():
        if str(root).startswith("/usr"):
            continue
        parents(root)
        binds.extend(["--ro-bind", str(root), str(root)])
    for package in hidden_packages():
        binds.extend(["--ro-bind", str(hide_stub), str(package)])
    for folder in (cell.scratch, cell.run):
        parents(folder)
        binds.extend(["--bind", str(folder), str(folder)])
    env = {"HOME": str(cell.scratch), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "IPYTHONDIR": "/tmp/.ipython",
           "JUPYTER_RUNTIME_DIR": "/tmp/.jupyter", "NBGRADER_EXECUTION": "autograde",
           "TMPDIR": "/tmp"}
    setenv = [arg for name, value in env.items() for arg in ("--setenv", name, value)]
    return [
        "prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}", f"--nproc={limits.processes}",
        f"--fsize={limits.file_bytes}", f"--nofile={limits.open_files}", "--core=0", "--",
        "bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--hostname", "sandbox",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        "--proc", "/proc", "--dev", "/dev", "--size", str(limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp",
        *binds, "--chdir", str(cell.scratch), "--clearenv", *setenv,
        "--", "setpriv", f"--reuid={cell.uid}", f"--regid={cell.uid}", "--clear-groups", "--inh-caps=-all",
        "--bounding-set=-all", "--no-new-privs",
    ]


class SandboxedKernelManager(KernelManager):
    """A KernelManager whose kernel starts inside the sandbox (``wrapper`` goes before its command)."""

    wrapper: list[str] = []
    owner: int | None = None

    def format_kernel_cmd(self, extra_arguments=None):
        return self.wrapper + super().format_kernel_cmd(extra_arguments)

    def write_connection_file(self, **kwargs):
        result = super().write_connection_file(**kwargs)
        if self.owner is not None:
            os.chown(self.connection_file, self.owner, self.owner)
        return result


# ----------------------------------------------------------------------------- the kernel

@dataclass
class Run:
    """What running one piece of code gave: ``status`` is ok, error, timeout or dead."""

    status: str
    outputs: list = field(default_factory=list)
    error: dict | None = None  # ename, evalue of the kernel's error reply
    seconds: float = 0.0
    truncated: bool = False


class KernelGone(Exception):
    """The kernel died or stopped answering."""


class Kernel:
    """A sandboxed IPython kernel and a blocking client to it, with timeouts everywhere.

    ``sandbox=False`` runs the same kernel unconfined (for machines without bubblewrap; not
    for untrusted code).
    """

    def __init__(self, files: Path | None = None, limits: Limits | None = None, sandbox: bool = True,
                 startup_timeout: float = 60):
        self.limits, self.sandbox, self.startup_timeout = limits or Limits(), sandbox, startup_timeout
        self.files = files
        self.cell: Cell | None = None
        self.km: SandboxedKernelManager | None = None
        self.kc = None
        self.starts = 0

    # -- life

    def start(self) -> None:
        self.starts += 1
        if self.sandbox:
            self.cell = claim_cell(self.files)
            stub = self.cell.root / "hidden"
            stub.mkdir()
            (stub / "__init__.py").write_text(
                "raise ImportError('this package is not available while your work is graded: '\n"
                "                  'the exercises ask for numpy and the standard library only')\n")
            os.chmod(stub, 0o755)
            km = SandboxedKernelManager(transport="ipc", ip=str(self.cell.run / "kernel"),
                                        connection_file=str(self.cell.run / "kernel.json"))
            km.wrapper = bwrap_command(self.cell, self.limits, stub)
            km.owner = self.cell.uid
            cwd = self.cell.scratch
        else:
            self._plain = Path(tempfile.mkdtemp(prefix="grader-plain-"))
            km = SandboxedKernelManager(transport="ipc", ip=str(self._plain / "kernel"),
                                        connection_file=str(self._plain / "kernel.json"))
            if self.files is not None:
                shutil.copytree(self.files, self._plain / "scratch", ignore=shutil.ignore_patterns("*.ipynb"))
            cwd = self._plain / "scratch" if self.files is not None else self._plain
        km.kernel_name = "python3"
        km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"], cwd=str(cwd),
                        independent=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        self.km = km
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=self.startup_timeout)
        except RuntimeError as error:
            self.shutdown()
            raise KernelGone(f"the kernel did not start: {error}") from None
        self.kc = kc
        if self.sandbox:
            # The sockets exist now: from here on the kernel may not replace them (the client may reconnect).
            os.chown(self.cell.run, 0, 0)
            os.chmod(self.cell.run, 0o755)

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    def shutdown(self) -> None:
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
        if self.km is not None:
            with contextlib.suppress(Exception):
                self.km.shutdown_kernel(now=True)
        if self.cell is not None:
            release_cell(self.cell)
        elif getattr(self, "_plain", None) is not None:
            shutil.rmtree(self._plain, ignore_errors=True)
        self.km = self.kc = self.cell = None

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def interrupt(self) -> None:
        """Ask the kernel to interrupt itself (a message on its control channel).

        Not a signal to the process group: that would reach bubblewrap's own processes, which
        die of SIGINT and take the kernel with them.
        """
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.control_channel.send(self.kc.session.msg("interrupt_request", {}))

    # -- running code

    def execute(self, code: str, timeout: float, silent: bool = False) -> Run:
        """Run ``code`` as a cell; its outputs as nbformat outputs, at most ``limits.output_bytes`` of them."""
        if not self.alive():
            return Run("dead")
        start = time.monotonic()
        # stop_on_error=False: a cell that fails must not make the kernel drop the grader's next request
        msg_id = self.kc.execute(code, silent=silent, store_history=not silent, allow_stdin=False,
                                 stop_on_error=False)
        outputs, size, truncated = [], 0, False
        reply = None
        idle = False
        deadline = start + timeout
        while not (idle and reply is not None):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Run("timeout", outputs, None, time.monotonic() - start, truncated)
            if reply is None:
                with contextlib.suppress(queue.Empty):
                    message = self.kc.get_shell_msg(timeout=0)
                    if message["parent_header"].get("msg_id") == msg_id:
                        reply = message["content"]
                if idle and reply is not None:  # the idle status came first: nothing more to wait for
                    break
            try:
                message = self.kc.get_iopub_msg(timeout=min(remaining, 0.05 if reply is None else 0.5))
            except queue.Empty:
                if not self.alive():
                    return Run("dead", outputs, None, time.monotonic() - start, truncated)
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "status":
                idle = message["content"]["execution_state"] == "idle"
            elif kind in ("stream", "display_data", "execute_result", "error"):
                text = json.dumps(message["content"])
                if size + len(text) > self.limits.output_bytes:
                    if not truncated:
                        outputs.append(output_from_msg({"msg_type": "stream", "header": {"msg_type": "stream"},
                                                        "content": {"name": "stdout",
                                                                    "text": "... output cut by the grader ...\n"}}))
                    truncated = True
                    continue
                size += len(text)
                outputs.append(output_from_msg(message))
            elif kind == "clear_output":
                outputs, size = [], 0
        status = reply.get("status", "error")
        error = {"ename": reply.get("ename", ""), "evalue": reply.get("evalue", "")} if status == "error" else None
        return Run("ok" if status == "ok" else "error", outputs, error, time.monotonic() - start, truncated)

    def drain(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self.kc.get_iopub_msg(timeout=0)

    # -- the agent's channel (grader.agent.serve)

    def begin_serving(self, timeout: float) -> str:
        """Start ``_grader_agent.serve()``; return its msg_id once it says ready.

        It runs as a user expression of an empty cell: IPython evaluates those without the input
        and AST transformers a student's cell may have installed.
        """
        msg_id = self.kc.execute("", silent=True, store_history=False, allow_stdin=True, stop_on_error=False,
                                 user_expressions={"serve": "__import__('_grader_agent').serve()"})
        prompt = self._next_prompt(msg_id, timeout)
        if prompt != "ready":
            raise KernelGone("the grader's agent in the kernel did not answer (was it replaced?)")
        return msg_id

    def ask(self, msg_id: str, request: str, timeout: float) -> str:
        """Send one request to the serving agent; its answer (raises TimeoutError, KernelGone)."""
        self.kc.input(request)
        return self._next_prompt(msg_id, timeout)

    def end_serving(self, msg_id: str, timeout: float = 5) -> None:
        with contextlib.suppress(Exception):
            self.kc.input(json.dumps({"op": "stop"}))
        self._wait_reply(msg_id, timeout)
        self.drain()

    def _next_prompt(self, msg_id: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            try:
                message = self.kc.get_stdin_msg(timeout=min(remaining, 0.2))
            except queue.Empty:
                if not self.alive():
                    raise KernelGone("the kernel died") from None
                with contextlib.suppress(queue.Empty):
                    reply = self.kc.get_shell_msg(timeout=0)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        raise KernelGone("the grader's agent stopped answering "
                                         f"({reply['content'].get('ename', 'it returned')})") from None
                continue
            if message["msg_type"] == "input_request" and message["parent_header"].get("msg_id") == msg_id:
                return message["content"].get("prompt", "")

    def _wait_reply(self, msg_id: str, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                reply = self.kc.get_shell_msg(timeout=0.2)
            except queue.Empty:
                if not self.alive():
                    return None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]
        return None

    def wait_idle(self, timeout: float) -> bool:
        """After an interrupt: whether the kernel answers again within ``timeout``."""
        if not self.alive():
            return False
        run = self.execute("pass", timeout=timeout, silent=True)
        return run.status == "ok"
