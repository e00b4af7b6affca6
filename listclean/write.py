"""Writing the outputs: the send-ready file, the rejects and the audit trail, each written to a
temporary file and renamed into place, with the spreadsheet-injection guard."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
import signal
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterator

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
    """The output's format from its extension, else the input's; ``-`` (stdout) is CSV."""
    if str(path) == "-":
        return "csv"
    return FORMATS.get(path.suffix.lower(), input_format)


def _extension(name: str | Path) -> str:
    """A file's own extension, lower case, ignoring a trailing .gz (``x.csv.gz`` → ``.csv``)."""
    suffixes = [s.lower() for s in Path(str(name)).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def output_delimiter(path: Path, kind: str, source: str, input_delimiter: str) -> str:
    """The field separator of a CSV/TSV output. The extension decides: ``.tsv`` is tab-separated,
    ``.csv``/``.txt`` comma-separated — except that an output with the input's own extension
    (``contacts.csv`` → ``send.csv``) keeps the input's delimiter (``;`` stays ``;``).
    Standard output (``-``) is always comma-separated."""
    if kind == "tsv":
        return "\t"
    if str(path) != "-" and source != "<stdin>" and _extension(path) == _extension(source):
        return input_delimiter
    return ","


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


def _reason(error: OSError) -> str:
    """What went wrong, in a few words: "No space left on device", "Operation not permitted"…"""
    if error.strerror:
        return error.strerror
    lines = str(error).splitlines()
    return lines[0] if lines else type(error).__name__


class OutputFile:
    """An output written batch by batch into a temporary file beside ``path``, renamed into place
    by ``commit()``: readers never see half a file, and a failed run leaves nothing behind.

    CSV, TSV and JSON lines are appended as batches come; Parquet and Excel are written whole
    at commit time. The file gets the permissions a plain ``open()`` would give: those of the
    file it replaces, else 0666 minus the umask. ``path`` ``-`` means standard output: the data
    is held in a temporary file and copied to stdout at commit. Any ``OSError`` (full disk,
    read-only or immutable folder…) becomes a one-line :class:`ListcleanError` naming ``label``.

    Several files that must appear together are written with :class:`OutputSet`.
    """

    def __init__(self, path: Path, kind: str, delimiter: str = ",", label: str | None = None):
        self.path, self.kind = Path(path), kind
        self.label = label or str(path)
        self.to_stdout = str(path) == "-"
        self.separator = "\t" if kind == "tsv" else delimiter
        self.pending: list[pl.DataFrame] = []
        self.header_written = False
        self.backup: Path | None = None      # the file this one replaced, until the set is done
        self.committed = False
        with self._errors():
            folder = Path(tempfile.gettempdir()) if self.to_stdout else self.path.parent
            self.temporary = self._create(folder)
            try:
                self.handle = os.fdopen(self._descriptor, "wb")
                if not self.to_stdout and self.path.exists():
                    os.chmod(self.temporary, stat.S_IMODE(self.path.stat().st_mode))
            except BaseException:
                self.temporary.unlink(missing_ok=True)
                raise

    def _create(self, folder: Path) -> Path:
        """A new file in ``folder`` with a random name, created as open() would (0666 & ~umask)."""
        for _ in range(100):
            name = folder / f".{self.path.name}.{secrets.token_hex(4)}.tmp"
            try:
                self._descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                                           0o666)
            except FileExistsError:
                continue
            return name
        raise FileExistsError(f"no free temporary name in {folder}")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            where = "standard output" if self.to_stdout else f"folder {str(self.path.parent)!r}"
            raise ListcleanError(f"{self.label}: cannot write ({_reason(error)}) in {where}",
                                 file=str(self.path)) from None

    def append(self, frame: pl.DataFrame) -> None:
        with self._errors():
            if self.kind in ("csv", "tsv"):
                frame.write_csv(self.handle, separator=self.separator, include_header=not self.header_written)
                self.header_written = True
            elif self.kind == "jsonl":
                frame.write_ndjson(self.handle)
            else:
                self.pending.append(frame)

    def finish(self) -> None:
        """Write what is held back (Parquet, Excel) and close the temporary file, flushed to disk."""
        if self.kind in ("csv", "tsv") and not self.header_written:
            raise AssertionError("commit before any batch")
        with self._errors():
            if self.pending:
                whole = pl.concat(self.pending, how="vertical")
                if self.kind == "xlsx":
                    whole.write_excel(self.handle, autofit=False)
                else:
                    whole.write_parquet(self.handle)
                self.pending = []
            if not self.handle.closed:
                self.handle.flush()
                os.fsync(self.handle.fileno())
                self.handle.close()

    def publish(self) -> None:
        """Move the finished file into place; a file it replaces is kept aside as ``backup`` (a
        hard link, so the target never goes missing) until :meth:`forget_backup` or
        :meth:`roll_back`. Standard output gets a copy of the data."""
        with self._errors():
            if self.to_stdout:
                stream = getattr(sys.stdout, "buffer", None)
                with self.temporary.open("rb") as data:
                    if stream is None:
                        sys.stdout.write(data.read().decode("utf-8"))
                    else:
                        sys.stdout.flush()
                        shutil.copyfileobj(data, stream)
                        stream.flush()
                self.committed = True
                return
            if self.path.exists():
                backup = self.path.parent / f".{self.path.name}.{secrets.token_hex(4)}.old"
                try:
                    os.link(self.path, backup)
                except OSError:
                    os.replace(self.path, backup)
                self.backup = backup
            os.replace(self.temporary, self.path)
            self.committed = True

    def commit(self) -> None:
        """Finish and move into place, alone (a single output; for several see OutputSet)."""
        self.finish()
        self.publish()
        self.forget_backup()

    def forget_backup(self) -> None:
        if self.backup is not None:
            self.backup.unlink(missing_ok=True)
            self.backup = None

    def roll_back(self) -> None:
        """Undo :meth:`publish`: put back the file this one replaced, or remove it. Stdout cannot
        be taken back."""
        if self.to_stdout:
            return
        if not self.committed:
            if self.backup is not None:  # publish failed between keeping the old file and the rename
                if self.path.exists():
                    self.backup.unlink(missing_ok=True)
                else:
                    os.replace(self.backup, self.path)
                self.backup = None
            return
        if self.backup is not None:
            os.replace(self.backup, self.path)
            self.backup = None
        else:
            self.path.unlink(missing_ok=True)
        self.committed = False

    def abort(self) -> None:
        """Remove the temporary file if it was not moved into place (and a leftover backup)."""
        if not self.handle.closed:
            self.handle.close()
        if self.to_stdout or not self.committed:
            self.temporary.unlink(missing_ok=True)


#: Signals held back while a set of outputs is renamed into place, so that a kill (other than
#: SIGKILL) cannot land between two renames.
_HELD_SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}


class OutputSet:
    """Outputs that become visible together or not at all.

    Every file is written to its temporary first; only when all are finished are they renamed
    into place, one after another, with SIGINT/SIGTERM/SIGHUP held back meanwhile. If anything
    fails — writing, finishing, a rename — every file already renamed is undone (a file it
    replaced is put back, otherwise it is removed) and every temporary is removed: a failed run
    leaves the folder as it found it. Only SIGKILL or a power cut between two renames can leave
    part of a set (with at most a ``.NAME.*.tmp``/``.old`` beside it). Stdout (``-``) is written
    last, once every file is in place; a file set is rolled back if writing stdout fails, but
    what reached stdout cannot be taken back.
    """

    def __init__(self) -> None:
        self.files: dict[str, OutputFile] = {}

    def add(self, name: str, output_file: Callable[[], OutputFile]) -> OutputFile:
        self.files[name] = output = output_file()
        return output

    def __getitem__(self, name: str) -> OutputFile:
        return self.files[name]

    def __contains__(self, name: str) -> bool:
        return name in self.files

    def items(self):
        return self.files.items()

    def commit(self) -> None:
        for output in self.files.values():
            output.finish()
        ordered = sorted(self.files.values(), key=lambda f: f.to_stdout)
        held = _hold_signals()
        try:
            for output in ordered:
                output.publish()
        except BaseException:
            self.roll_back()
            raise
        finally:
            _release_signals(held)
        for output in ordered:
            output.forget_backup()

    def roll_back(self) -> None:
        for output in reversed(list(self.files.values())):
            try:
                output.roll_back()
            except OSError:
                pass

    def abort(self) -> None:
        for output in self.files.values():
            output.abort()

    def __enter__(self) -> "OutputSet":
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is not None:
                self.roll_back()
        finally:
            self.abort()


def _hold_signals():
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)


def _release_signals(previous) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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
    def output(path: Path, label: str) -> Callable[[], OutputFile]:
        kind = output_format(path, loaded.format)
        return lambda: OutputFile(path, kind, output_delimiter(path, kind, loaded.source, loaded.delimiter), label)

    run_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with OutputSet() as files:
        files.add("send", output(out, "--out"))
        if rejects is not None:
            files.add("rejects", output(rejects, "--rejects"))
        if audit is not None:
            files.add("audit", lambda: OutputFile(audit, "jsonl", label="--audit"))
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
        files.commit()
        for name, written_file in files.items():
            result.outputs[name] = "<stdout>" if written_file.to_stdout else str(written_file.path)


#: With several inputs, the outputs are written in listclean's own columns.
CANONICAL = ["source", "row", "person_id", "email", "phone_e164", "first_name", "last_name", "second_last_name",
             "full_name", "street",
             "postcode", "city", "country", "birth_date", "customer_id"]
#: The golden fields that replace a sent row's own values (its address stays its own).
GOLDEN_REPLACES = ["first_name", "last_name", "second_last_name", "full_name", "street", "postcode", "city", "country", "birth_date",
                   "customer_id"]


def write_person_outputs(loaded: list[Loaded], result: Result, kept: pl.DataFrame, golden: pl.DataFrame,
                         out: Path, rejects: Path | None, audit: Path | None, keep: list[str] | tuple = ()) -> None:
    """The outputs of a run over several inputs, in listclean's canonical columns plus the input
    columns named in ``keep``: the send file holds one row per sendable person, the golden values
    with the kept row's address; the rejects hold every other row as it came, with its status,
    codes, reasons and the row it duplicates."""
    missing = [name for name in keep if not any(name in each.columns for each in loaded)]
    if missing:
        raise ListcleanError(f"--keep {missing[0]!r}: no input has such a column")
    kinds = {name: output_format(path, loaded[0].format) for name, path in (("send", out), ("rejects", rejects))
             if path is not None}
    extra = [name for name in keep if name not in CANONICAL]
    run_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    golden_values = golden.select("person_id", *GOLDEN_REPLACES)
    with OutputSet() as files:
        files.add("send", lambda: OutputFile(out, kinds["send"], label="--out"))
        if rejects is not None:
            files.add("rejects", lambda: OutputFile(rejects, kinds["rejects"], label="--rejects"))
        if audit is not None:
            files.add("audit", lambda: OutputFile(audit, "jsonl", label="--audit"))
        offset = 0
        for each in loaded:
            each.verify_unchanged()
            for batch in each.batches(WRITE_BATCH_ROWS):
                rows = pl.concat([kept.slice(offset, batch.height),
                                  result.statuses.slice(offset, batch.height).drop("_row")], how="horizontal")
                statuses = result.statuses.slice(offset, batch.height)
                offset += batch.height
                rows = _with_reasons(rows.with_columns(statuses["_row"].alias("_line")), result, statuses)
                canonical = rows.select(
                    pl.col("_source").cast(pl.String).alias("source"), pl.col("_line").alias("row"), "person_id",
                    "email", "phone_e164", *GOLDEN_REPLACES[:7], pl.col("raw_country").alias("country"),
                    "birth_date", "customer_id")
                given = batch.select([pl.col(name) if name in batch.columns else pl.lit(None, pl.String).alias(name)
                                      for name in extra])
                canonical = pl.concat([canonical, given], how="horizontal")
                sent = rows["status"] == "send"
                send = canonical.filter(sent).drop(GOLDEN_REPLACES).join(
                    golden_values, on="person_id", how="left", maintain_order="left").select(canonical.columns)
                phone_ok = rows["phone_status"] == "ok"
                files["send"].append(_guard(send, files["send"].kind, None, "phone_e164", phone_ok.filter(sent)))
                if "rejects" in files:
                    other = pl.concat([canonical, rows.select(
                        pl.col("status").cast(pl.String), pl.col("codes").list.join(";").alias("codes"),
                        pl.col("reasons").list.join(" | ").alias("reasons"),
                        pl.when(pl.col("duplicate_of").is_not_null())
                        .then(pl.format("{}:{}", "duplicate_of_source", "duplicate_of")).alias("duplicate_of"))],
                        how="horizontal").filter(~sent)
                    files["rejects"].append(_guard(other, files["rejects"].kind, None, "phone_e164",
                                                   phone_ok.filter(~sent)))
                if "audit" in files:
                    files["audit"].append(_audit_lines(rows.with_columns(pl.col("_line").alias("_row")), result,
                                                       run_at, several=True))
        for each in loaded:
            each.verify_unchanged()
        files.commit()
        for name, written_file in files.items():
            result.outputs[name] = "<stdout>" if written_file.to_stdout else str(written_file.path)


def write_golden(golden: pl.DataFrame, out: Path, input_format: str) -> None:
    """The people file: one golden record per person, written atomically, formulas neutralised."""
    kind = output_format(out, input_format)
    output = OutputFile(out, kind, label="--out")
    try:
        output.append(_guard(golden, kind, None, "phone_e164", pl.Series([True] * golden.height)))
        output.commit()
    finally:
        output.abort()


def _with_reasons(rows: pl.DataFrame, result: Result, statuses: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (keyed by the run's row key ``_row``) with the codes, reasons and suppression
    matches of their findings (``result.findings`` is keyed by ``_source`` and line)."""
    keys = statuses.select("_source", pl.col("_row").alias("_line"))
    found = result.findings.join(keys, left_on=["_source", "_row"], right_on=["_source", "_line"], how="semi")
    reasons = (found.group_by("_source", "_row")
               .agg(pl.col("code").unique().sort().alias("codes"), pl.format("{}: {}", "code", "message").alias("reasons"),
                    pl.col("message").filter(pl.col("code") == SUPPRESSION_CODE).alias("suppression"))
               .rename({"_row": "_line"}))
    return rows.join(reasons, on=["_source", "_line"], how="left", maintain_order="left").with_columns(
        pl.col("codes", "reasons", "suppression").fill_null(pl.lit([], dtype=pl.List(pl.String))))


def _audit_lines(rows: pl.DataFrame, result: Result, run_at: str, several: bool = False) -> pl.DataFrame:
    """One record per row: status, codes, reasons, suppression matches, and what judged it."""
    where = [pl.col("_source").cast(pl.String).alias("source"), "person_id"] if several else []
    duplicate = ["duplicate_of_source"] if several else []
    return rows.select(
        *where, pl.col("_row").alias("row"), "status", "codes", "reasons", "duplicate_of", *duplicate, "suppression",
        pl.lit(result.channel).alias("channel"),
        pl.struct(name=pl.lit(result.policy_name), source=pl.lit(result.policy_source),
                  sha256=pl.lit(result.policy_sha256)).alias("policy"),
        (pl.struct(path=pl.col("_source").cast(pl.String), sha256=pl.col("_source").cast(pl.String).replace_strict(
            {i["path"]: i["sha256"] for i in result.inputs}, return_dtype=pl.String)) if several else
         pl.struct(path=pl.lit(result.source), sha256=pl.lit(result.input_sha256))).alias("input"),
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
