"""Frames set aside on disk while a stage that reads none of them needs the memory.

The person matcher reads the kept rows only to make its records; the kept rows and the findings
(about 1.9 GB at ten million rows) then wait for the people stage. Set aside as Parquet files
(LZ4: about 350 MB at ten million rows, 2.4 s to write and 0.9 s to read back), every phase of
the matcher runs that much lower.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Collection, Iterator

import polars as pl


@contextmanager
def aside() -> Iterator[Callable[..., None]]:
    """Yields ``set_aside(*frames, keep=())``: each frame's columns but those named in ``keep``
    are written to a temporary folder (``TMPDIR``) and taken out of it in place, so that every
    reference to the frame lets their memory go; a frame may be set aside again later (what
    was kept, then). On leaving, the frames are filled again, in place, with the same columns
    in the same order. A column without a value stays (a literal null costs nothing; read back,
    it would cost a value a row). Where the temporary folder cannot be made or written, the
    frames stay in memory."""
    folder: Path | None = None
    waiting: list[tuple[pl.DataFrame, Path, list[int]]] = []

    def set_aside(*frames: pl.DataFrame, keep: Collection[str] = ()) -> None:
        nonlocal folder
        for frame in frames:
            at = [i for i, (name, nulls) in enumerate(zip(frame.columns, frame.null_count().row(0)))
                  if nulls < frame.height and name not in keep]
            if not at:
                continue
            try:
                folder = folder or Path(tempfile.mkdtemp(prefix="listclean-"))
                path = folder / f"{len(waiting)}.parquet"
                frame[:, at].write_parquet(path, compression="lz4", statistics=False)
            except OSError:
                continue
            for name in [frame.columns[i] for i in at]:
                frame.drop_in_place(name)
            waiting.append((frame, path, at))

    try:
        yield set_aside
    finally:
        try:
            # The last set aside first: a frame set aside twice gets back what it then held, at
            # the positions it then had.
            for frame, path, at in reversed(waiting):
                # A column at a time in one piece: read back, each column has its file's row
                # groups as pieces, and operations over columns pieced differently copied the
                # frame whole (a gigabyte at ten million kept rows).
                columns = pl.read_parquet(path).get_columns()
                for index in at:
                    frame.insert_column(index, columns.pop(0).rechunk())
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
