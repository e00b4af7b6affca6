"""Writing the outputs: the send-ready file, the rejects and the audit trail, each written to a
temporary file and renamed into place, with the spreadsheet-injection guard."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import polars as pl

from listclean.errors import ListcleanError
from listclean.load import Loaded
from listclean.result import Result

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



#: The columns listclean adds: to both outputs, and to the rejects only.
ADDED_COLUMNS = ("email_normalized", "phone_e164")
REJECT_COLUMNS = ("row", "status", "codes", "reasons", "duplicate_of")


def output_names(header: list[str]) -> dict[str, str]:
    """Each column listclean adds → its name in the outputs: its own name, or
    ``listclean_<name>`` when the input already has a column of that name (then
    ``listclean_<name>_2``, ``_3``…). The input's own column is written as it came; the status
    and everything else listclean decides are read from listclean's own frame only."""
    names = {}
    for name in ADDED_COLUMNS + REJECT_COLUMNS:
        candidate, n = name, 1
        while candidate in header:
            n += 1
            candidate = f"listclean_{name}" if n == 2 else f"listclean_{name}_{n - 1}"
        names[name] = candidate
    return names


#: Rows written at a time: smaller batches than judging used, as each copies the input's wide rows.
WRITE_BATCH_ROWS = 200_000
#: The rule that reports a match in the suppression store; its messages go to the audit trail.
SUPPRESSION_CODE = "CN010"


def write_outputs(loaded: Loaded, result: Result, kept: pl.DataFrame, out: Path, rejects: Path | None,
                  audit: Path | None) -> None:
    """Write each row, batch by batch from the same loaded input that was judged, to the file its
    status sends it to; commit the files only if the input did not change meanwhile. ``kept`` holds
    listclean's own columns of every row, in row order."""
    raw_phone = result.columns.get("phone") or result.columns.get("phone_other")
    names = output_names(loaded.header)
    files = {"send": OutputFile(out, output_format(out, loaded.format), loaded.delimiter)}
    if rejects is not None:
        files["rejects"] = OutputFile(rejects, output_format(rejects, loaded.format), loaded.delimiter)
    if audit is not None:
        files["audit"] = OutputFile(audit, "jsonl")
    run_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    try:
        loaded.verify_unchanged()
        offset = 0
        for batch in loaded.batches(WRITE_BATCH_ROWS):
            rows = pl.concat([kept.slice(offset, batch.height), result.statuses.slice(offset, batch.height)
                              .drop("_row")], how="horizontal")
            offset += batch.height
            first, last = rows["_row"].min(), rows["_row"].max()
            reasons = (result.findings.filter(pl.col("_row").is_between(first, last))
                       .group_by("_row").agg(pl.col("code").unique().sort().alias("codes"),
                                             pl.format("{}: {}", "code", "message").alias("reasons"),
                                             pl.col("message").filter(pl.col("code") == SUPPRESSION_CODE)
                                             .alias("suppression")))
            rows = rows.join(reasons, on="_row", how="left", maintain_order="left").with_columns(
                pl.col("codes", "reasons", "suppression").fill_null(pl.lit([], dtype=pl.List(pl.String))))
            # The input's columns and listclean's are kept in two frames, so no input column,
            # whatever its name, can stand in for listclean's status.
            given = batch.select(loaded.columns)
            ours = rows.select(pl.col("email").alias(names["email_normalized"]),
                               pl.col("phone_e164").alias(names["phone_e164"]))
            sent = rows["status"] == "send"
            phone_ok = rows["phone_status"] == "ok"

            def written(frame: pl.DataFrame, rows_of: pl.Series, kind: str) -> pl.DataFrame:
                guarded = _guard(frame.filter(rows_of), kind, raw_phone, names["phone_e164"], phone_ok.filter(rows_of))
                return loaded.restore_header(guarded)

            send = pl.concat([given, ours], how="horizontal")
            files["send"].append(written(send, sent, files["send"].kind))
            if "rejects" in files:
                other = pl.concat([given, ours, rows.select(
                    pl.col("_row").alias(names["row"]),
                    pl.col("status").cast(pl.String).alias(names["status"]),
                    pl.col("codes").list.join(";").alias(names["codes"]),
                    pl.col("reasons").list.join(" | ").alias(names["reasons"]),
                    pl.col("duplicate_of").alias(names["duplicate_of"]),
                )], how="horizontal")
                files["rejects"].append(written(other, ~sent, files["rejects"].kind))
            if "audit" in files:
                files["audit"].append(_audit_lines(rows, result, run_at))
        loaded.verify_unchanged()
        for name, output in files.items():
            output.commit()
            result.outputs[name] = str(output.path)
    finally:
        for output in files.values():
            output.abort()


def _audit_lines(rows: pl.DataFrame, result: Result, run_at: str) -> pl.DataFrame:
    """One record per row: status, codes, reasons, suppression matches, and what judged it."""
    return rows.select(
        pl.col("_row").alias("row"), "status", "codes", "reasons", "duplicate_of", "suppression",
        pl.lit(result.channel).alias("channel"),
        pl.struct(name=pl.lit(result.policy_name), source=pl.lit(result.policy_source),
                  sha256=pl.lit(result.policy_sha256)).alias("policy"),
        pl.struct(path=pl.lit(result.source), sha256=pl.lit(result.input_sha256)).alias("input"),
        pl.lit(result.as_of.isoformat()).alias("as_of"),
        _record(result.overrides).alias("overrides"),
        pl.lit(result.store["path"] if result.store and result.store["consulted"] else None, pl.String)
        .alias("suppression_store"),
        pl.lit(run_at).alias("run_at"),
        pl.lit(result.versions["listclean"]).alias("listclean"),
    )


def _record(values: dict) -> pl.Expr:
    """A dict as one struct value repeated on every row (null when empty)."""
    return pl.lit(pl.Series([values])).first() if values else pl.lit(None)


#: A phone number as typed that no spreadsheet can run: a + and then only digits and separators.
PLAIN_PHONE = r"^\+[\d\s().\-/]+$"


def _guard(frame: pl.DataFrame, kind: str, raw_phone: str | None, e164: str, phone_ok: pl.Series) -> pl.DataFrame:
    """Neutralise spreadsheet formulas in spreadsheet formats. listclean's own E.164 column and a
    valid phone number typed as a plain ``+34 612…`` stay as they are; anything else that could
    start a formula is neutralised, whatever the column."""
    if kind not in SPREADSHEET_FORMATS:
        return frame
    keep_when = {raw_phone: pl.lit(phone_ok) & pl.col(raw_phone).str.contains(PLAIN_PHONE)} if raw_phone else {}
    return neutralise_formulas(frame, {e164}, keep_when)
