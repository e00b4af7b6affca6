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


class OutputFile:
    """An output written batch by batch into a temporary file beside ``path``, renamed into place
    by ``commit()``: readers never see half a file, and a failed run leaves nothing behind.

    CSV, TSV and JSON lines are appended as batches come; Parquet and Excel are written whole
    at commit time.
    """

    def __init__(self, path: Path, kind: str, delimiter: str = ","):
        self.path, self.kind = path, kind
        self.separator = "\t" if kind == "tsv" else delimiter
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.temporary = Path(name)
        self.handle = os.fdopen(handle, "wb")
        self.pending: list[pl.DataFrame] = []
        self.header_written = False

    def append(self, frame: pl.DataFrame) -> None:
        if self.kind in ("csv", "tsv"):
            frame.write_csv(self.handle, separator=self.separator, include_header=not self.header_written)
            self.header_written = True
        elif self.kind == "jsonl":
            frame.write_ndjson(self.handle)
        else:
            self.pending.append(frame)

    def commit(self) -> None:
        if self.kind in ("csv", "tsv") and not self.header_written:
            raise AssertionError("commit before any batch")
        if self.pending:
            whole = pl.concat(self.pending, how="vertical")
            if self.kind == "xlsx":
                whole.write_excel(self.handle, autofit=False)
            else:
                whole.write_parquet(self.handle)
        self.handle.close()
        os.replace(self.temporary, self.path)

    def abort(self) -> None:
        """Remove the temporary file if commit() did not move it into place."""
        if not self.handle.closed:
            self.handle.close()
        self.temporary.unlink(missing_ok=True)
