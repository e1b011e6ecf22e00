"""Spreading a large batch of inference over the machine's cores. ONNX Runtime releases the GIL
while it runs, so threads run the parts in parallel: the 40 digits of a web board are classified
in 3.1 ms instead of 4.9 on two cores. A small batch (one digit, as the window sends) stays in
the calling thread, where a hand-off would cost more than it saves. (Rendering the digits in
parts was tried too, and was slower: its Python and numpy work holds the GIL.)"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

SPLIT_FROM = 16  # items: below this a batch is not split

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the platform says, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="digitboard-batch")
        return _pool


def in_parts(function: Callable[[Sequence[Item]], Result], items: Sequence[Item],
             cores: int | None = None) -> list[Result]:
    """`function` applied to consecutive parts of `items`, one part a core, in order; a batch
    smaller than SPLIT_FROM, or a machine of one core, gives one part run right here."""
    cores = usable_cores() if cores is None else cores
    if cores < 2 or len(items) < SPLIT_FROM:
        return [function(items)]
    size = math.ceil(len(items) / cores)
    parts = [items[start:start + size] for start in range(0, len(items), size)]
    return list(_executor(cores).map(function, parts))
