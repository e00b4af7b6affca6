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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import polars as pl

from listclean.errors import ListcleanError
from listclean.load import TABLE_PREFIX, Loaded
from listclean.pseudonym import Pseudonymiser, email_value, id_value, phone_value
from listclean.result import Result
from listclean.views import FIX_COLUMNS, marketer_views

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
    if str(path).startswith(TABLE_PREFIX):
        raise ListcleanError(f"{label}: tables (table:NAME) are written by clean --engine spark, as --out, --rejects, "
                             "--repermission or --fixable", file=str(path))
    if not path.parent.exists():
        raise ListcleanError(f"{label}: folder {str(path.parent)!r} does not exist", file=str(path))
    if path.is_dir():
        raise ListcleanError(f"{label}: is a directory", file=str(path))
    if path.suffix.lower() in (".html", ".htm") and label != "--report":
        raise ListcleanError(f"{label}: HTML is the report's format, not a list's; write the rows to .csv, .tsv, "
                             f".xlsx, .parquet or .jsonl, and the report with --report {path.name}", file=str(path))
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

    def write_bytes(self, data: bytes) -> None:
        with self._errors():
            self.handle.write(data)

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
    for name in ADDED_COLUMNS + REJECT_COLUMNS + FIX_COLUMNS:
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


# ----------------------------------------------------------------- files for the marketer and for sharing

#: The identifier fields --pseudonymise replaces. Names are not among them: a campaign needs them
#: to greet people, and a name alone is not a key to anyone's record; leave them out with --columns.
IDENTIFIER_FIELDS = ("email", "phone", "phone_other", "customer_id")
#: Field names that stand for listclean's normalised values in --columns.
NORMALISED_FIELDS = {"email": "email_normalized", "phone": "phone_e164"}
#: The columns listclean adds to the rejects with several inputs.
PERSON_REJECT_COLUMNS = ("status", "codes", "reasons", "duplicate_of")
#: A suggested number in E.164: written as it is, like phone_e164.
E164 = r"^\+\d+$"


@dataclass
class ExtraOutputs:
    """What ``clean`` writes beyond send, rejects and audit, and how (``--repermission``,
    ``--fixable``, ``--columns``, ``--pseudonymise``). All written in the same set as the others."""

    repermission: Path | None = None
    fixable: Path | None = None
    columns: tuple[str, ...] | None = None
    pseudonymiser: Pseudonymiser | None = None

    @property
    def views(self) -> bool:
        return self.repermission is not None or self.fixable is not None

    def add_files(self, files: OutputSet, output: Callable[[Path, str], Callable[[], OutputFile]]) -> None:
        if self.repermission is not None:
            files.add("repermission", output(self.repermission, "--repermission"))
        if self.fixable is not None:
            files.add("fixable", output(self.fixable, "--fixable"))


def parse_columns(values: list[str] | tuple[str, ...] | str | None) -> tuple[str, ...] | None:
    """``--columns email,first_name`` (repeatable) → the names in order; refused if empty or repeated."""
    if values is None:
        return None
    values = [values] if isinstance(values, str) else list(values)
    names = tuple(name.strip() for value in values for name in value.split(",") if name.strip())
    if not names:
        raise ListcleanError("--columns: give at least one column name, e.g. --columns email,first_name")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ListcleanError(f"--columns: {', '.join(repr(n) for n in repeated)} given more than once")
    return names


def _unknown_columns(unknown: list[str], known: list[str]) -> ListcleanError:
    return ListcleanError(f"--columns: no column or field named {', '.join(repr(n) for n in unknown)} "
                          f"(columns: {', '.join(known)})")


def select_columns(columns: tuple[str, ...], header: list[str], carried: list[str], fields: dict,
                   names: dict[str, str]) -> list[tuple[str, str]]:
    """With one input: (column of the written frame, name in the output) for each ``--columns``
    name. A name is, first, an input column (as the header writes it); else one of listclean's
    columns (``email_normalized``, ``phone_e164``); else a field (as ``listclean columns`` shows
    them): ``email`` and ``phone`` are listclean's normalised address and E.164 number, any other
    field the input column taken for it. The output column is named as asked."""
    chosen, unknown = [], []
    ours = {names[name]: names[name] for name in ADDED_COLUMNS} | {name: names[name] for name in ADDED_COLUMNS}
    for name in columns:
        if name in header:
            chosen.append((carried[header.index(name)], name))
        elif name in ours:
            chosen.append((ours[name], name))
        elif name in NORMALISED_FIELDS:
            chosen.append((names[NORMALISED_FIELDS[name]], name))
        elif isinstance(fields.get(name), (str, list)) and fields[name]:
            column = fields[name] if isinstance(fields[name], str) else fields[name][0]
            chosen.append((carried[header.index(column)], name))
        else:
            unknown.append(name)
    if unknown:
        known = header + [n for n in ADDED_COLUMNS if n not in header] + sorted(
            (set(fields) | set(NORMALISED_FIELDS)) - set(header))
        raise _unknown_columns(unknown, known)
    return chosen


def select_person_columns(columns: tuple[str, ...], loaded: list[Loaded]) -> tuple[list[tuple[str, str]], list[str]]:
    """With several inputs: (column of the written frame, name in the output) for each
    ``--columns`` name, and the input columns it needs carried (as ``--keep`` would). A name is
    one of listclean's own columns (``CANONICAL``; ``phone`` is ``phone_e164``), else an input
    column of any input."""
    chosen, extra, unknown = [], [], []
    for name in columns:
        if name in CANONICAL:
            chosen.append((name, name))
        elif name in NORMALISED_FIELDS:
            chosen.append(("email" if name == "email" else "phone_e164", name))
        elif any(name in each.columns for each in loaded):
            chosen.append((name, name))
            extra.append(name)
        else:
            unknown.append(name)
    if unknown:
        inputs = [c for each in loaded for c in each.columns]
        raise _unknown_columns(unknown, CANONICAL + [c for c in dict.fromkeys(inputs) if c not in CANONICAL])
    taken = [out for _, out in chosen if out in PERSON_REJECT_COLUMNS + FIX_COLUMNS]
    if taken:
        raise ListcleanError(f"--columns: {', '.join(repr(n) for n in taken)} is a column listclean writes itself "
                             "in the rejects with several inputs; leave it out")
    return chosen, extra


def check_columns(loaded: list[Loaded], columns: tuple[str, ...] | None, column_map: dict | None) -> None:
    """Refuse unknown ``--columns`` names before any row is judged."""
    if not columns:
        return
    if len(loaded) > 1:
        select_person_columns(columns, loaded)
        return
    from listclean.columns import file_overrides, map_columns

    each = loaded[0]
    cmap = map_columns(each.columns, file_overrides(column_map, each.source, each.columns, False), each.source)
    select_columns(columns, each.header, each.columns, cmap.as_dict(), output_names(each.header))


class _PersonLayout:
    """How the rows of several inputs are written (in listclean's canonical columns): which
    columns each output gets, and which are replaced by pseudonyms."""

    def __init__(self, loaded: list[Loaded], result: Result, extras: ExtraOutputs, keep: list[str]) -> None:
        self.extras = extras
        self.selection, self.carried = (select_person_columns(extras.columns, loaded) if extras.columns
                                        else (None, []))
        if self.selection:
            result.sharing["columns"] = list(extras.columns)
        # Input columns carried beside the canonical ones (--keep, --columns) that some input maps
        # to an identifier field are pseudonymised too, by the kind of that field.
        kinds = {}
        for maps in (result.columns.values() if isinstance(next(iter(result.columns.values()), None), dict)
                     else [result.columns]):
            for field_name in IDENTIFIER_FIELDS:
                column = maps.get(field_name)
                if isinstance(column, str):
                    kinds.setdefault(column, field_name)
        spec = {"email": email_value(pl.col("email")), "phone_e164": pl.col("phone_e164"),
                "customer_id": id_value(pl.col("customer_id")), "person_id": pl.col("person_id"),
                "suggested_value": pl.col("suggested_value").str.to_lowercase()}
        self.spec = spec
        self.kinds = kinds
        if extras.pseudonymiser is not None:
            written = ([out for column, out in self.selection if column in spec or column in kinds] if self.selection
                       else list(spec)[:4] + [c for c in keep if c in kinds])
            result.sharing["pseudonymised"] = extras.pseudonymiser.describe(
                written + (["suggested_value"] if extras.fixable else []))

    def _spec(self, frame: pl.DataFrame) -> dict[str, pl.Expr]:
        spec = {c: e for c, e in self.spec.items() if c in frame.columns}
        for column, kind in self.kinds.items():
            if column in frame.columns and column not in spec:
                raw = pl.col(column)
                spec[column] = (email_value(raw.str.strip_chars(), raw) if kind == "email" else id_value(raw)
                                if kind == "customer_id" else phone_value(None, raw))
        return spec

    def write(self, frame: pl.DataFrame, output: str, kind: str, phone_ok: pl.Series) -> pl.DataFrame:
        """A frame of the canonical columns (and listclean's for ``output``), filtered to the
        output's rows, as that output is written."""
        pseudonymiser = self.extras.pseudonymiser
        if pseudonymiser is not None:
            frame = pseudonymiser.replace(frame, self._spec(frame))
        frame = _guard_shared(frame, kind, None, "phone_e164", phone_ok, "suggested_value")
        added = {"send": [], "rejects": list(PERSON_REJECT_COLUMNS), "repermission": list(PERSON_REJECT_COLUMNS[:3]),
                 "fixable": list(PERSON_REJECT_COLUMNS[:3] + FIX_COLUMNS)}[output]
        if self.selection is None:
            return frame if output in ("send", "rejects") else frame.drop("duplicate_of")
        chosen = [out for _, out in self.selection]
        where = [c for c in ("source", "row") if c not in chosen] if output != "send" else []
        return frame.select(*(pl.col(column).alias(out) for column, out in self.selection), *where, *added)


class _Layout:
    """How one input's rows are written: which columns each output gets, under which names, and
    which are replaced by pseudonyms (with one input)."""

    def __init__(self, loaded: Loaded, result: Result, names: dict[str, str], extras: ExtraOutputs) -> None:
        self.loaded, self.names, self.extras = loaded, names, extras
        header, carried = loaded.header, loaded.columns
        fields = result.columns
        self.selection = (select_columns(extras.columns, header, carried, fields, names)
                          if extras.columns else None)
        # The output names of listclean's own columns: beside the input's columns, or the chosen ones.
        self.own = output_names([out for _, out in self.selection]) if self.selection else names
        if self.selection:
            result.sharing["columns"] = list(extras.columns)

        def carried_of(field: str) -> str | None:
            column = fields.get(field)
            return carried[header.index(column)] if isinstance(column, str) and column in header else None

        email, customer = carried_of("email"), carried_of("customer_id")
        main_phone = carried_of("phone") or carried_of("phone_other")
        other_phone = carried_of("phone_other") if carried_of("phone") else None
        norm_email, e164 = pl.col(names["email_normalized"]), pl.col(names["phone_e164"])
        spec = {}
        if email:
            spec[email] = email_value(norm_email, pl.col(email))
        if main_phone:
            spec[main_phone] = phone_value(e164, pl.col(main_phone))
        if other_phone:
            spec[other_phone] = phone_value(None, pl.col(other_phone))
        if customer:
            spec[customer] = id_value(pl.col(customer))
        spec[names["email_normalized"]] = email_value(norm_email)
        spec[names["phone_e164"]] = e164
        spec[names["suggested_value"]] = pl.col(names["suggested_value"]).str.to_lowercase()
        self.spec = spec
        if extras.pseudonymiser is not None:
            shown = {c: n for c, n in zip(carried, header)}
            listed = [shown.get(c, c) for c in spec]
            if self.selection:
                listed = [out for column, out in self.selection if column in spec]
            result.sharing["pseudonymised"] = extras.pseudonymiser.describe(
                [c for c in listed if c != names["suggested_value"]] + (["suggested_value"] if extras.fixable else []))

    def columns(self, output: str) -> list[str]:
        """The columns listclean adds to ``output`` (send, rejects, repermission, fixable), by key."""
        return {"send": [], "rejects": list(REJECT_COLUMNS), "repermission": list(REJECT_COLUMNS[:4]),
                "fixable": list(REJECT_COLUMNS[:4] + FIX_COLUMNS)}[output]

    def write(self, frame: pl.DataFrame, output: str, kind: str, raw_phone: str | None,
              phone_ok: pl.Series) -> pl.DataFrame:
        """A frame of the input's columns and listclean's (named by ``names``), already filtered to
        ``output``'s rows, as that output is written."""
        pseudonymiser = self.extras.pseudonymiser
        if pseudonymiser is not None:
            frame = pseudonymiser.replace(frame, {c: e for c, e in self.spec.items() if c in frame.columns})
        frame = _guard_shared(frame, kind, raw_phone, self.names["phone_e164"], phone_ok, self.names["suggested_value"])
        added = self.columns(output)
        if self.selection is None:
            if output in ("send", "rejects"):
                return self.loaded.restore_header(frame)
            return self.loaded.restore_header(frame.select(
                *self.loaded.columns, *(self.names[c] for c in ADDED_COLUMNS + tuple(added))))
        return frame.select(*(pl.col(column).alias(out) for column, out in self.selection),
                            *(pl.col(self.names[c]).alias(self.own[c]) for c in added))


def write_outputs(loaded: Loaded, result: Result, kept: pl.DataFrame, out: Path, rejects: Path | None,
                  audit: Path | None, extras: ExtraOutputs | None = None) -> None:
    """Write each row, batch by batch from the same loaded input that was judged, to the file its
    status sends it to; commit the files only if the input did not change meanwhile. ``kept`` holds
    listclean's own columns of every row, in row order. ``extras``: the re-permission and fixable
    views, the columns chosen, pseudonyms."""
    raw_phone = result.columns.get("phone") or result.columns.get("phone_other")
    names = output_names(loaded.header)
    extras = extras or ExtraOutputs()
    layout = _Layout(loaded, result, names, extras)
    views = marketer_views(result.statuses, result.findings, kept) if extras.views else None
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
        extras.add_files(files, output)
        loaded.verify_unchanged()
        offset = 0
        for batch in loaded.batches(WRITE_BATCH_ROWS):
            rows = pl.concat([kept.slice(offset, batch.height), result.statuses.slice(offset, batch.height)
                              .drop("_row")], how="horizontal")
            view = views.slice(offset, batch.height) if views is not None else None
            offset += batch.height
            first, last = rows["_row"].min(), rows["_row"].max()
            reasons = (result.findings.filter(pl.col("_row").is_between(first, last))
                       .group_by("_row").agg(pl.col("code").unique().cast(pl.String).sort().alias("codes"),
                                             pl.format("{}: {}", "code", "message").alias("reasons"),
                                             pl.col("message").filter(pl.col("code") == SUPPRESSION_CODE)
                                             .cast(pl.String).alias("suppression")))
            rows = rows.join(reasons, on="_row", how="left", maintain_order="left").with_columns(
                pl.col("codes", "reasons", "suppression").fill_null(pl.lit([], dtype=pl.List(pl.String))))
            # The input's columns and listclean's are kept in two frames, so no input column,
            # whatever its name, can stand in for listclean's status.
            given = batch.select(loaded.columns)
            ours = rows.select(pl.col("email").alias(names["email_normalized"]),
                               pl.col("phone_e164").alias(names["phone_e164"]))
            sent = rows["status"] == "send"
            phone_ok = rows["phone_status"] == "ok"

            def written(frame: pl.DataFrame, rows_of: pl.Series, name: str) -> pl.DataFrame:
                return layout.write(frame.filter(rows_of), name, files[name].kind, raw_phone, phone_ok.filter(rows_of))

            send = pl.concat([given, ours], how="horizontal")
            files["send"].append(written(send, sent, "send"))
            if "rejects" in files or view is not None:
                other = pl.concat([given, ours, rows.select(
                    pl.col("_row").alias(names["row"]),
                    pl.col("status").cast(pl.String).alias(names["status"]),
                    pl.col("codes").list.join(";").alias(names["codes"]),
                    pl.col("reasons").list.join(" | ").alias(names["reasons"]),
                    pl.col("duplicate_of").alias(names["duplicate_of"]),
                )], how="horizontal")
            if "rejects" in files:
                files["rejects"].append(written(other, ~sent, "rejects"))
            if "repermission" in files:
                files["repermission"].append(written(other, view["repermission"], "repermission"))
            if "fixable" in files:
                fixes = view.select(*(pl.col(c).alias(names[c]) for c in FIX_COLUMNS))
                files["fixable"].append(written(pl.concat([other, fixes], how="horizontal"), view["fixable"], "fixable"))
            if "audit" in files:
                files["audit"].append(_sharing_audit(_audit_lines(rows, result, run_at), result, extras))
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
                         out: Path, rejects: Path | None, audit: Path | None, keep: list[str] | tuple = (),
                         extras: ExtraOutputs | None = None) -> None:
    """The outputs of a run over several inputs, in listclean's canonical columns plus the input
    columns named in ``keep``: the send file holds one row per sendable person, the golden values
    with the kept row's address; the rejects hold every other row as it came, with its status,
    codes, reasons and the row it duplicates. ``extras``: the re-permission and fixable views, the
    columns chosen, pseudonyms."""
    missing = [name for name in keep if not any(name in each.columns for each in loaded)]
    if missing:
        raise ListcleanError(f"--keep {missing[0]!r}: no input has such a column")
    extras = extras or ExtraOutputs()
    kinds = {name: output_format(path, loaded[0].format) for name, path in (("send", out), ("rejects", rejects))
             if path is not None}
    extra = [name for name in keep if name not in CANONICAL]
    layout = _PersonLayout(loaded, result, extras, extra)
    extra += [name for name in layout.carried if name not in extra]
    views = marketer_views(result.statuses, result.findings, kept) if extras.views else None
    run_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    golden_values = golden.select("person_id", *GOLDEN_REPLACES)
    with OutputSet() as files:
        files.add("send", lambda: OutputFile(out, kinds["send"], label="--out"))
        if rejects is not None:
            files.add("rejects", lambda: OutputFile(rejects, kinds["rejects"], label="--rejects"))
        if audit is not None:
            files.add("audit", lambda: OutputFile(audit, "jsonl", label="--audit"))
        extras.add_files(files, lambda path, label: lambda: OutputFile(path, output_format(path, loaded[0].format),
                                                                       label=label))
        offset = 0
        for each in loaded:
            each.verify_unchanged()
            for batch in each.batches(WRITE_BATCH_ROWS):
                rows = pl.concat([kept.slice(offset, batch.height),
                                  result.statuses.slice(offset, batch.height).drop("_row")], how="horizontal")
                statuses = result.statuses.slice(offset, batch.height)
                view = views.slice(offset, batch.height) if views is not None else None
                offset += batch.height
                rows = _with_reasons(rows.with_columns(statuses["_row"].alias("_line")), result, statuses)
                canonical = rows.select(
                    pl.col("_source").cast(pl.String).alias("source"), pl.col("_line").alias("row"), "person_id",
                    "email", "phone_e164", *[pl.col(name).cast(pl.String) for name in GOLDEN_REPLACES[:7]],
                    pl.col("raw_country").alias("country"),
                    "birth_date", "customer_id")
                given = batch.select([pl.col(name) if name in batch.columns else pl.lit(None, pl.String).alias(name)
                                      for name in extra])
                canonical = pl.concat([canonical, given], how="horizontal")
                sent = rows["status"] == "send"
                send = canonical.filter(sent).drop(GOLDEN_REPLACES).join(
                    golden_values, on="person_id", how="left", maintain_order="left").select(canonical.columns)
                phone_ok = rows["phone_status"] == "ok"
                files["send"].append(layout.write(send, "send", files["send"].kind, phone_ok.filter(sent)))
                if "rejects" in files or view is not None:
                    other = pl.concat([canonical, rows.select(
                        pl.col("status").cast(pl.String), pl.col("codes").list.join(";").alias("codes"),
                        pl.col("reasons").list.join(" | ").alias("reasons"),
                        pl.when(pl.col("duplicate_of").is_not_null())
                        .then(pl.format("{}:{}", "duplicate_of_source", "duplicate_of")).alias("duplicate_of"))],
                        how="horizontal")
                if "rejects" in files:
                    files["rejects"].append(layout.write(other.filter(~sent), "rejects", files["rejects"].kind,
                                                         phone_ok.filter(~sent)))
                if "repermission" in files:
                    chosen = view["repermission"]
                    files["repermission"].append(layout.write(other.filter(chosen), "repermission",
                                                              files["repermission"].kind, phone_ok.filter(chosen)))
                if "fixable" in files:
                    chosen = view["fixable"]
                    fixes = pl.concat([other, view.select(FIX_COLUMNS)], how="horizontal").filter(chosen)
                    files["fixable"].append(layout.write(fixes, "fixable", files["fixable"].kind, phone_ok.filter(chosen)))
                if "audit" in files:
                    files["audit"].append(_sharing_audit(
                        _audit_lines(rows.with_columns(pl.col("_line").alias("_row")), result, run_at, several=True),
                        result, extras))
        for each in loaded:
            each.verify_unchanged()
        files.commit()
        for name, written_file in files.items():
            result.outputs[name] = "<stdout>" if written_file.to_stdout else str(written_file.path)


def write_findings(result: Result, out: Path) -> None:
    """Every finding of the run (``check --findings``), as the JSON report would list them, plus
    the input with several inputs; the format follows the extension (JSON lines by default).
    Written a part at a time (``Result.listed_parts``: a run that kept only totals streams them)."""
    kind = output_format(out, "jsonl")
    output = OutputFile(out, kind, label="--findings")
    try:
        for frame in result.listed_parts(with_source=len(result.inputs) > 1):
            output.append(neutralise_formulas(frame, set(), {}) if kind in SPREADSHEET_FORMATS else frame)
        output.commit()
    finally:
        output.abort()
    result.outputs["findings"] = str(out)


def write_text(out: Path, text: str, label: str) -> None:
    """A whole text file (the HTML report), atomically."""
    output = OutputFile(out, "text", label=label)
    try:
        output.write_bytes(text.encode("utf-8"))
        output.commit()
    finally:
        output.abort()


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
               .agg(pl.col("code").unique().cast(pl.String).sort().alias("codes"),
                    pl.format("{}: {}", "code", "message").alias("reasons"),
                    pl.col("message").filter(pl.col("code") == SUPPRESSION_CODE).cast(pl.String).alias("suppression"))
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
        # The campaign message checked with the list (--message): which one, byte for byte.
        *([pl.struct(path=pl.lit(result.message["path"]), sha256=pl.lit(result.message["sha256"])).alias("message")]
          if result.message else []),
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


def _guard_shared(frame: pl.DataFrame, kind: str, raw_phone: str | None, e164: str, phone_ok: pl.Series,
                  suggested: str) -> pl.DataFrame:
    """``_guard``, where the raw phone column may be absent, and a suggested E.164 number (of
    ``--fixable``) stays as written like listclean's own ``phone_e164``."""
    if kind not in SPREADSHEET_FORMATS:
        return frame
    keep_when = {}
    if raw_phone is not None and raw_phone in frame.columns:
        keep_when[raw_phone] = pl.lit(phone_ok) & pl.col(raw_phone).str.contains(PLAIN_PHONE)
    if suggested in frame.columns:
        keep_when[suggested] = pl.col(suggested).str.contains(E164).fill_null(False)
    return neutralise_formulas(frame, {e164}, keep_when)


def _sharing_audit(lines: pl.DataFrame, result: Result, extras: ExtraOutputs) -> pl.DataFrame:
    """Audit lines that say how the outputs were minimised: the columns chosen and the
    pseudonymisation (method, key id, columns; never the key). A person_id (a plain hash of the
    person's address) is replaced by its pseudonym too."""
    if extras.pseudonymiser is not None and "person_id" in lines.columns:
        lines = extras.pseudonymiser.replace(lines, {"person_id": pl.col("person_id")})
    if extras.columns:
        lines = lines.with_columns(pl.lit(pl.Series([list(extras.columns)], dtype=pl.List(pl.String))).first()
                                   .alias("columns"))
    if extras.pseudonymiser is not None:
        lines = lines.with_columns(_record(result.sharing["pseudonymised"]).alias("pseudonymised"))
    return lines
