"""Spread independent tiles of a convolution over the CPU cores.

numpy releases the GIL in its copies, arithmetic and matrix products, so
Python threads run tiles truly in parallel, each tile's copy next to another
tile's product. Left to itself, BLAS would split every tile's product over all
cores again and the threads would fight, so while the tiles run BLAS is held
to one thread (threadpoolctl, restored afterwards). Without threadpoolctl the
tiles run one after another, on BLAS's own threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import cache
from typing import TypeVar

Task = TypeVar("Task")


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="convlib")


@cache
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()  # numpy is loaded by now, so its BLAS is found


def run_tiles(work: Callable[[Sequence[Task]], None], tasks: Sequence[Task], parallel: bool = True) -> None:
    """Call ``work(share)`` on about equal shares of ``tasks``, one share per core.

    ``work`` allocates its scratch buffers once per share and reuses them for
    every task in it; tasks must write to disjoint parts of the output. With
    ``parallel=False`` (work too small to repay starting threads) the tasks
    run here, one after another, and BLAS keeps its own threads.
    """
    controller = _blas_controller()
    n = min(cores(), len(tasks)) if controller is not None and parallel else 1
    if n <= 1:
        work(tasks)
        return
    shares = [tasks[i::n] for i in range(n)]
    limit = controller.limit(limits=1, user_api="blas") if controller.info() else nullcontext()
    with limit:
        for future in [_pool().submit(work, share) for share in shares]:
            future.result()  # re-raises a worker's exception here
