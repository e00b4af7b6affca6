"""Atomic writers for the send-ready and rejects files, with the spreadsheet-injection guard."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polars as pl

from listclean.errors import ListcleanError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl"}
SPREADSHEET_FORMATS = {"csv", "tsv", "xlsx"}
#: A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = r"^[=+\-@\t\r]"


def output_format(path: Path, input_format: str) -> str:
    return FORMATS.get(path.suffix.lower(), input_format)


def check_output_path(path: Path | None, inputs: list[str], label: str) -> None:
    """Refuse, before any work, to write over an input or into a missing folder."""
    if path is None or str(path) == "-":
        return
    if not path.parent.exists():
        raise ListcleanError(f"{label}: folder {str(path.parent)!r} does not exist", file=str(path))
    if path.is_dir():
        raise ListcleanError(f"{label}: is a directory", file=str(path))
    for source in inputs:
        if source != "<stdin>" and path.exists() and Path(source).exists() and path.samefile(source):
            raise ListcleanError(f"{label} would overwrite the input file; choose another path", file=str(path))
        if source != "<stdin>" and path.resolve() == Path(source).resolve():
            raise ListcleanError(f"{label} would overwrite the input file; choose another path", file=str(path))


def neutralise_formulas(frame: pl.DataFrame, keep: set[str], keep_when: dict[str, pl.Expr]) -> pl.DataFrame:
    """Prefix cells that a spreadsheet would run as a formula with an apostrophe.

    ``keep`` columns are left alone (E.164 numbers); ``keep_when`` leaves a column's
    cell alone where its expression is true (a raw phone cell that is a valid number).
    """
    exprs = []
    for column, dtype in frame.schema.items():
        if dtype != pl.String or column in keep:
            continue
        risky = pl.col(column).str.contains(FORMULA_START).fill_null(False)
        if column in keep_when:
            risky = risky & ~keep_when[column]
        exprs.append(pl.when(risky).then(pl.lit("'") + pl.col(column)).otherwise(pl.col(column)).alias(column))
    return frame.with_columns(exprs) if exprs else frame


def write_atomic(frame: pl.DataFrame, path: Path, kind: str, delimiter: str = ",") -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        if kind in ("csv", "tsv"):
            frame.write_csv(temporary, separator="\t" if kind == "tsv" else delimiter)
        elif kind == "xlsx":
            frame.write_excel(temporary, autofit=False)
        elif kind == "parquet":
            frame.write_parquet(temporary)
        elif kind == "jsonl":
            frame.write_ndjson(temporary)
        else:
            raise ListcleanError(f"cannot write format {kind!r}", file=str(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
