"""Run a per-value Python function once per distinct value, over the available cores."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

# Below this many distinct values a process pool costs more than it saves.
PARALLEL_THRESHOLD = 40_000


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _apply_chunk(args):
    fn, chunk = args
    return [fn(*item) if isinstance(item, tuple) else fn(item) for item in chunk]


def map_values(fn: Callable, values: Sequence, workers: int | None = None) -> list:
    """``[fn(v) for v in values]`` (tuples are unpacked), in parallel when it pays.

    ``fn`` must be a module-level function so worker processes can import it.
    """
    workers = workers or available_cores()
    if workers < 2 or len(values) < PARALLEL_THRESHOLD:
        return _apply_chunk((fn, values))
    size = -(-len(values) // (workers * 4))
    chunks = [values[i:i + size] for i in range(0, len(values), size)]
    # fork keeps start-up cheap: the libraries are already imported in this process.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = pool.map(_apply_chunk, [(fn, chunk) for chunk in chunks])
        return [value for part in results for value in part]
