"""Run a per-value Python function once per distinct value, over the available cores."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import polars as pl

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


def map_distinct(fn: Callable, rows: pl.DataFrame, keys: list[str], schema: dict) -> pl.DataFrame:
    """``fn`` once per distinct combination of ``keys`` in ``rows`` (tuples unpacked, in
    parallel when it pays), its results (``schema``) joined back to every row; ``keys``
    are dropped."""
    distinct = rows.select(keys).unique()
    arguments = list(distinct.iter_rows()) if len(keys) > 1 else distinct.to_series().to_list()
    judged = pl.DataFrame(map_values(fn, arguments), schema=schema, orient="row").hstack(distinct)
    return rows.join(judged, on=keys, how="left", nulls_equal=True).drop(keys)


#: One step of a fast path: given the positions (``_i``, UInt32) no earlier step decided, the
#: rows it decides, as ``_i`` and the schema's columns. It decides only positions it was given,
#: but may work over the whole column when it skips nulls itself (cheaper than a gathered copy).
FastStep = Callable[[pl.Series], pl.DataFrame]


def judge_rows(inputs: dict[str, pl.Series], schema: dict, missing: dict[str, object],
               fallback: Callable, fast: Sequence[FastStep] = ()) -> pl.DataFrame:
    """The columns of ``schema`` for every row of ``inputs`` (equal-length columns; the first
    is the value, a null one is missing), row for row, in four moves:

    1. missing: a null value gets ``missing`` (column → value), the other columns null;
    2. fast path: each of the ``fast`` steps in turn decides what it can of the rest, in polars;
    3. distinct fallback: ``fallback`` once per distinct combination of the rows still undecided
       (``map_distinct``: tuples unpacked in the order of ``inputs``, over the available cores);
    4. the parts back in row order.
    """
    values = next(iter(inputs.values()))
    index = pl.Series("_i", range(len(values)), dtype=pl.UInt32)
    done = values.is_null()
    parts = [rows_at(index.filter(done), schema, **missing)]
    for step in fast if len(values) else ():
        decided = step(index.filter(~done))
        parts.append(decided)
        done = done.scatter(decided["_i"], True)
    rest = pl.DataFrame({"_i": index, **inputs}).filter(~done)
    parts.append(map_distinct(fallback, rest, list(inputs), schema))
    return in_row_order(parts, schema)


def rows_at(index: pl.Series, schema: dict, **values: object) -> pl.DataFrame:
    """Rows ``_i`` = ``index`` with the columns of ``schema``: ``values`` where given, else null."""
    return pl.DataFrame({"_i": index}).with_columns(
        pl.lit(values.get(name), dtype).alias(name) for name, dtype in schema.items())


def in_row_order(parts: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
    """Parts that each hold ``_i`` and the columns of ``schema``, as one frame ordered by
    ``_i`` and without it."""
    full = {"_i": pl.UInt32, **schema}
    return pl.concat([p.select(*full).cast(full) for p in parts], how="vertical").sort("_i").drop("_i")
