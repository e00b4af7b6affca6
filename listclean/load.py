"""Any export → text columns plus ``_row`` (1-based data row number), read in batches.

Formats: CSV/TSV (delimiter sniffed among , ; tab |), gzip-compressed CSV, .xlsx,
.parquet, .jsonl/.ndjson, and ``-`` for standard input. Everything is read as
text so leading zeros and ``+`` signs survive. A UTF-8 CSV file is scanned where
it lies, in batches, so a file bigger than memory can be judged; anything else
(another encoding, gzip, stdin) is first turned into a temporary UTF-8 file the
same way, a chunk at a time. Problems become a ListcleanError naming the file,
and the row and column where that applies.

The file is opened once, and every pass (sniffing, hashing, the ragged-row check,
judging, writing) reads that open file, never the path again: a nightly export
renamed over the path mid-run must not be written out under the audit record of
the file that was judged. Where the open file cannot be reopened by descriptor
(``/proc/self/fd``, ``/dev/fd``), or is a pipe, its bytes are copied once into a
private temporary folder instead. A file rewritten in place is caught by
``Loaded.verify_unchanged()``, to be called before any output is committed.

Reserved names: ``_row`` (and ``_source``) are listclean's own columns. An input
column of that name is carried under a free name (``_row_input``, numbered if the
header has that too): ``Loaded.columns`` lists the names the frame carries, so
whatever addresses the frame by them gets the input's own values, and
``Loaded.header`` / ``Loaded.restore_header`` give the original header back to
writers.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import os
import shutil
import stat
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

import polars as pl

from listclean.errors import ListcleanError

DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 64 * 1024
CHUNK_BYTES = 16 * 1024 * 1024
BATCH_ROWS = 500_000
ROW = "_row"
#: Column names listclean adds to every row; an input column of one of these names is renamed.
RESERVED = (ROW, "_source")


@dataclass
class Loaded:
    """An export opened for reading: its columns, and its rows as a lazy scan or in batches."""

    source: str                   # path as given, "<stdin>" for -
    format: str                   # csv | xlsx | parquet | jsonl
    header: list[str]             # input column names as the file has them, in order
    scan: pl.LazyFrame            # every input column as text (named as in ``columns``), plus _row
    delimiter: str = ","
    encoding: str = "utf-8"
    sha256: str = ""              # of the file's bytes as read, for the audit trail
    temporary: Path | None = field(default=None, repr=False)
    # The open file the scan reads through, and its (size, mtime) when opened; None when
    # everything was read into memory or into a private copy.
    descriptor: int | None = field(default=None, repr=False)
    stamp: tuple[int, int] | None = field(default=None, repr=False)

    @property
    def columns(self) -> list[str]:
        """The input columns as the frame carries them, in order: the header, except that a
        reserved name (``RESERVED``) is carried under a free name."""
        return _carried_names(self.header)

    @property
    def renamed(self) -> dict[str, str]:
        """Carried name → header name, for the columns whose name was reserved (usually none)."""
        return {carried: name for carried, name in zip(self.columns, self.header) if carried != name}

    def restore_header(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with the renamed input columns under their names in the file again
        (for writers, once listclean's own ``_row`` is gone or renamed)."""
        return frame.rename({c: n for c, n in self.renamed.items() if c in frame.columns})

    def batches(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """The rows, ``rows`` at a time, in order (one batch for a small file; an empty
        batch for a file without rows)."""
        try:
            empty = True
            for batch in self.scan.collect_batches(chunk_size=rows or BATCH_ROWS):
                empty = False
                yield batch
            if empty:
                yield self.scan.collect()
        except pl.exceptions.PolarsError as error:
            raise ListcleanError(f"cannot parse: {str(error).splitlines()[0]}", file=self.source) from None

    @property
    def frame(self) -> pl.DataFrame:
        """Every row at once (small files, tests)."""
        return pl.concat(list(self.batches()), how="vertical")

    @property
    def rows(self) -> int:
        return int(self.scan.select(pl.len()).collect().item())

    def verify_unchanged(self) -> None:
        """Raise if the file read in place was rewritten (same file, new size or mtime) since it
        was opened: call it before committing outputs. A file renamed over the path is no
        concern (the descriptor still reads the old one); a file read into memory or copied
        cannot change. A rewrite of the same size within one tick of the file system's clock
        goes unseen; the SHA-256 then still names the bytes judged, not necessarily those written."""
        if self.descriptor is None or self.stamp is None:
            return
        now = os.fstat(self.descriptor)
        if (now.st_size, now.st_mtime_ns) != self.stamp:
            raise ListcleanError("the input changed while it was being read; nothing was written",
                                 file=self.source)

    def close(self) -> None:
        """Remove any temporary copy and let go of the file (the scan cannot be read after this)."""
        if self.temporary is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)
            self.temporary = None
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None

    def __enter__(self) -> "Loaded":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def load(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
         delimiter: str | None = None) -> Loaded:
    """Open an export of any supported format (call ``close()`` or use ``with``)."""
    name = "<stdin>" if str(path) == "-" else str(path)
    held = _open_once(path, name)
    try:
        head = _head(held.path, name)
        kind = _detect_format(name, head)
        if kind in ("xlsx", "parquet", "jsonl"):
            data = _read_all(held.path, name)
            loaded = {"xlsx": lambda: _load_xlsx(data, name, sheet), "parquet": lambda: _load_parquet(data, name),
                      "jsonl": lambda: _load_jsonl(data, name, encoding)}[kind]()
            loaded.sha256 = hashlib.sha256(data).hexdigest()
        else:
            loaded = _load_csv(held.path, name, head, encoding, delimiter)
        _check_header(loaded.header, name)
    except BaseException:
        held.release()
        raise
    if kind == "csv" and loaded.temporary is None:
        # Scanned where it lies: through the descriptor, or in the private copy. Keep either.
        loaded.descriptor, loaded.stamp, loaded.temporary = held.descriptor, held.stamp, held.temporary
    else:
        held.release()  # read into memory, or transcoded into a copy of its own
    return loaded


@dataclass
class _Held:
    """The export, opened once: ``path`` reads those same bytes however often it is opened."""

    path: str                                 # "-", /proc/self/fd/N or /dev/fd/N, or a private copy
    descriptor: int | None = None             # the open file ``path`` reads through
    stamp: tuple[int, int] | None = None      # its size and mtime when opened
    temporary: Path | None = None             # the private copy's folder

    def release(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)
        if self.temporary is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)


def _open_once(path: str | Path, name: str) -> _Held:
    if str(path) == "-":
        return _Held("-")  # read into memory once (_stdin_bytes)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ListcleanError("no such file", file=name) from None
    except OSError as error:
        if Path(path).is_dir():
            raise ListcleanError("is a directory, not an export file", file=name) from None
        raise ListcleanError(f"cannot read: {error.strerror}", file=name) from None
    try:
        opened = os.fstat(descriptor)
        if stat.S_ISDIR(opened.st_mode):
            raise ListcleanError("is a directory, not an export file", file=name)
        reopen = _descriptor_path(descriptor, opened)
        if reopen is not None:
            return _Held(reopen, descriptor, (opened.st_size, opened.st_mtime_ns))
        folder = _private_folder()
        try:
            copy = folder / "input"
            with os.fdopen(descriptor, "rb", closefd=False) as source, copy.open("wb") as target:
                shutil.copyfileobj(source, target, CHUNK_BYTES)
        except BaseException as error:
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(error, OSError):
                raise ListcleanError(f"cannot read: {error.strerror}", file=name) from None
            raise
        os.close(descriptor)
        return _Held(str(copy), temporary=folder)
    except BaseException:
        os.close(descriptor)
        raise


def _descriptor_path(descriptor: int, opened: os.stat_result) -> str | None:
    """A path that opens the file ``descriptor`` holds, whatever is at its name now; None if
    there is none, and the bytes must be copied.

    /proc/self/fd/N (Linux) opens the open file itself, even once another file was renamed
    over its name; polars and the csv module can read it like any path. /dev/fd/N is that
    link on Linux, but on other systems it may duplicate the descriptor, so that every
    reader would share one read position: it is taken only when a fresh open of it moves
    on its own. A pipe or device cannot be read twice at all.
    """
    if not stat.S_ISREG(opened.st_mode):
        return None
    for candidate in (f"/proc/self/fd/{descriptor}", f"/dev/fd/{descriptor}"):
        try:
            probe = os.open(candidate, os.O_RDONLY)
        except OSError:
            continue
        try:
            same_file = os.path.samestat(os.fstat(probe), opened)
            os.lseek(probe, 1, os.SEEK_SET)
            own_position = os.lseek(descriptor, 0, os.SEEK_CUR) == 0
        finally:
            os.close(probe)
        if same_file and own_position:
            return candidate
    return None


def _private_folder() -> Path:
    """A temporary folder only this user can read (mode 0700), for copies of the input."""
    return Path(tempfile.mkdtemp(prefix="listclean-"))


_STDIN_CACHE: dict[int, bytes] = {}


def _stdin_bytes() -> bytes:
    # stdin can be read once; keep it for the later passes of this process.
    key = id(sys.stdin)
    if key not in _STDIN_CACHE:
        _STDIN_CACHE.clear()
        _STDIN_CACHE[key] = sys.stdin.buffer.read()
    return _STDIN_CACHE[key]


def _open_binary(path: str | Path) -> BinaryIO:
    return io.BytesIO(_stdin_bytes()) if str(path) == "-" else open(path, "rb")


def _head(path: str | Path, name: str) -> bytes:
    with _open_binary(path) as handle:
        head = handle.read(SNIFF_BYTES)
    if head[:2] == b"\x1f\x8b":
        try:
            with _open_binary(path) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                return unzipped.read(SNIFF_BYTES)
        except (OSError, EOFError) as error:
            raise ListcleanError(f"cannot decompress gzip data: {error}", file=name) from None
    return head


def _read_all(path: str | Path, name: str) -> bytes:
    with _open_binary(path) as handle:
        return handle.read()


def _detect_format(name: str, head: bytes) -> str:
    suffixes = [s.lower() for s in Path(name).suffixes]
    if head[:4] == b"PK\x03\x04" or ".xlsx" in suffixes or ".xlsm" in suffixes:
        return "xlsx"
    if head[:4] == b"PAR1" or ".parquet" in suffixes:
        return "parquet"
    if ".jsonl" in suffixes or ".ndjson" in suffixes:
        return "jsonl"
    if not suffixes or suffixes[-1] not in (".csv", ".tsv", ".txt", ".gz"):
        if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
            return "jsonl"
    return "csv"


# ---------------------------------------------------------------- text files

def _choose_encoding(head: bytes, name: str, encoding: str | None) -> str:
    """The encoding to try first: the one asked for, UTF-16 by its BOM, else UTF-8."""
    if encoding:
        try:
            return codecs.lookup(encoding).name
        except LookupError:
            raise ListcleanError(f"unknown encoding {encoding!r}", file=name) from None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise ListcleanError("looks like a binary file (NUL bytes), not a text export", file=name)
    return "utf-8"


class _Hashing:
    """A binary file that adds every byte read from it to ``digest``: under gzip, the audit
    trail names the file as stored (what ``sha256sum`` prints), not its decompressed text."""

    def __init__(self, handle: BinaryIO, digest: hashlib._Hash):
        self.handle, self.digest = handle, digest

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data

    def close(self) -> None:
        self.handle.close()


def _raw_chunks(path: str | Path, name: str, digest: hashlib._Hash) -> Iterator[bytes]:
    """The file's bytes a chunk at a time, gzip undone; ``digest`` gets the bytes as stored."""
    raw = _Hashing(_open_binary(path), digest)
    with _open_binary(path) as probe:
        handle = gzip.GzipFile(fileobj=raw, mode="rb") if probe.read(2) == b"\x1f\x8b" else raw
    try:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
        raw.read()  # anything gzip left unread is part of the file too
    except (OSError, EOFError) as error:
        raise ListcleanError(f"cannot decompress gzip data: {error}", file=name) from None
    finally:
        handle.close()
        raw.close()


class _DecodeFailed(Exception):
    def __init__(self, line: int, byte: int):
        self.line, self.byte = line, byte


def _decode_into(path, name: str, encoding: str, target: BinaryIO | None) -> str:
    """Decode the whole file chunk by chunk (validating it), writing UTF-8 to ``target``.

    Returns the SHA-256 of the file's bytes read. Raises _DecodeFailed with the line of
    the first undecodable byte.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    first = True
    for chunk in _raw_chunks(path, name, digest):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise _DecodeFailed(lines + chunk[: error.start].count(b"\n"), chunk[error.start]) from None
        lines += chunk.count(b"\n")
        if first:
            text, first = text.lstrip("\ufeff"), False
        if target is not None:
            target.write(text.encode("utf-8"))
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:  # the file ends inside a character
        raise _DecodeFailed(lines, error.object[error.start]) from None
    return digest.hexdigest()


def _transcode(path, name: str, chosen: str, encoding: str | None) -> tuple[Path, str, str, Path]:
    """Write a temporary UTF-8 copy: (its path, encoding read, SHA-256, folder to remove)."""
    folder = _private_folder()
    target_path = folder / "input.csv"
    candidates = [chosen] if encoding or chosen != "utf-8" else ["utf-8", "cp1252", "latin-1"]
    try:
        for candidate in candidates:
            with target_path.open("wb") as target:
                try:
                    digest = _decode_into(path, name, candidate, target)
                except _DecodeFailed as failure:
                    if candidate == candidates[-1]:
                        _undecodable(name, failure, candidate)
                    continue
            if candidate == "latin-1" and _looks_like_garbage(target_path):
                raise ListcleanError("cannot tell the text encoding (not UTF-8, cp1252 or Latin-1); "
                                     "pass --encoding", file=name)
            return target_path, candidate, digest, folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    raise AssertionError("unreachable")


def _looks_like_garbage(path: Path) -> bool:
    # Latin-1 decodes anything; C1 control characters mean it was not Latin-1 text either.
    text = path.read_bytes()[:SNIFF_BYTES].decode("utf-8", "replace")
    return sum(0x80 <= ord(c) < 0xA0 for c in text) > 8


def _undecodable(name: str, failure: _DecodeFailed, encoding: str) -> None:
    raise ListcleanError(f"cannot decode byte 0x{failure.byte:02x} at line {failure.line} as {encoding}; "
                         "try --encoding cp1252 (or the export's real encoding)", file=name)


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the most, and most consistent, fields."""
    sample_lines = text[:SNIFF_BYTES].splitlines()[:50]
    if len(text) >= SNIFF_BYTES and len(sample_lines) > 1:
        sample_lines = sample_lines[:-1]  # the last line may be cut
    best, best_score = ",", (-1, -1)
    for candidate in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(sample_lines, delimiter=candidate) if r]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _load_csv(path, name: str, head: bytes, encoding: str | None, delimiter: str | None) -> Loaded:
    """``path`` reads the held file (see _open_once); ``name`` is what the user gave."""
    if not head.strip():
        raise ListcleanError("the file is empty", file=name)
    chosen = _choose_encoding(head, name, encoding)
    plain_file = str(path) != "-" and head[:2] != b"\x1f\x8b" and Path(name).suffix.lower() != ".gz"
    if chosen == "utf-8" and plain_file and not head.startswith(codecs.BOM_UTF8):
        # The common case: scan the file where it lies. Validating it as UTF-8 (and hashing it)
        # runs beside the ragged-row scan; only a file that is not UTF-8 after all is transcoded.
        with ThreadPoolExecutor(max_workers=1) as pool:
            validation = pool.submit(_decode_into, path, name, "utf-8", None)
            try:
                loaded, problem = _scan_text(Path(path), name, "utf-8", delimiter), None
            except ListcleanError as error:
                loaded, problem = None, error
            try:
                digest = validation.result()
            except _DecodeFailed as failure:
                if encoding:
                    _undecodable(name, failure, "utf-8")
            else:
                if problem is not None:
                    raise problem
                loaded.sha256 = digest
                return loaded
    text_path, used, digest, temporary = _transcode(path, name, chosen, encoding)
    try:
        loaded = _scan_text(text_path, name, used, delimiter)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    loaded.sha256, loaded.temporary = digest, temporary
    return loaded


def _scan_text(text_path: Path, name: str, encoding: str, delimiter: str | None) -> Loaded:
    """Header, delimiter and ragged-row checks, then a lazy scan of a UTF-8 file."""
    with text_path.open("rb") as handle:
        text_head = handle.read(SNIFF_BYTES).decode("utf-8", "ignore").lstrip("\ufeff")
    if not text_head.strip():
        raise ListcleanError("the file is empty", file=name)
    sep = delimiter or sniff_delimiter(text_head)
    header = _header_fields(text_head, sep, name)
    _check_header(header, name)
    _check_ragged(text_path, sep, len(header), name)
    scan = pl.scan_csv(
        text_path, separator=sep, infer_schema=False, has_header=True, new_columns=_carried_names(header),
        empty_string_is_null=False, raise_if_empty=False, quote_char='"',
    ).with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return Loaded(name, "csv", header, scan, delimiter=sep, encoding=encoding)


def _header_fields(text: str, sep: str, name: str) -> list[str]:
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=sep))
    except (StopIteration, csv.Error) as error:
        raise ListcleanError(f"cannot read the header line: {error}", file=name) from None
    # Unnamed columns still need a name, or polars would invent one silently.
    return [h.strip() or f"column_{i}" for i, h in enumerate(header, start=1)]


def _check_ragged(path: Path, sep: str, width: int, name: str) -> None:
    """Every record must have as many fields as the header (blank lines aside).

    Vectorised over lines, streaming, when no quoted field spans lines (the usual
    case); only files whose quoted fields hold line breaks are read by the csv module.
    """
    lines = pl.scan_csv(path, has_header=False, separator="\x1f", quote_char=None, new_columns=["line"],
                        infer_schema=False, truncate_ragged_lines=True, empty_string_is_null=False,
                        raise_if_empty=False)
    line = pl.col("line").str.strip_suffix("\r")
    unquoted = line.str.replace_all(r'"[^"]*"', "")
    checked = lines.with_row_index("_line").filter(pl.col("_line") > 0).select(
        "_line",
        (unquoted.str.count_matches(sep, literal=True) + 1).alias("fields"),
        unquoted.str.contains('"', literal=True).alias("multiline"),
        (line.str.strip_chars().str.len_chars() > 0).alias("filled"),
    )
    try:
        first_bad = checked.filter(pl.col("multiline") | (pl.col("filled") & (pl.col("fields") != width))
                                   ).head(1).collect(engine="streaming")
    except pl.exceptions.PolarsError as error:
        raise ListcleanError(f"cannot read as CSV: {str(error).splitlines()[0]}", file=name) from None
    if first_bad.is_empty():
        return
    # Something looks off (or a field spans lines): the csv module has the last word.
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=sep)
        next(reader)
        for row_number, record in enumerate(reader, start=1):
            if record and len(record) != width:
                _raise_ragged(name, row_number, len(record), width)


def _raise_ragged(name: str, row: int, found: int, width: int) -> None:
    raise ListcleanError(f"ragged row: {found} fields where the header has {width}", file=name, row=row)


# ---------------------------------------------------------------- other formats

def _text_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text; nested values as JSON."""
    exprs = []
    for column, dtype in frame.schema.items():
        if dtype == pl.String:
            exprs.append(pl.col(column))
        elif dtype.is_nested():
            exprs.append(pl.col(column).struct.json_encode() if dtype == pl.Struct
                         else pl.col(column).cast(pl.List(pl.String)).list.join(";"))
        else:
            exprs.append(pl.col(column).cast(pl.String))
    return frame.select(exprs)


def _finish(frame: pl.DataFrame, name: str, kind: str, **extra) -> Loaded:
    header = list(frame.columns)
    frame = (_text_frame(frame).rename(dict(zip(header, _carried_names(header))))
             .with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64)))
    return Loaded(name, kind, header, frame.lazy(), **extra)


def _load_xlsx(data: bytes, name: str, sheet: str | None) -> Loaded:
    try:
        frame = pl.read_excel(
            io.BytesIO(data), sheet_name=sheet, infer_schema_length=0,
            drop_empty_rows=False, drop_empty_cols=False, raise_if_empty=False,
        )
    except Exception as error:  # fastexcel raises its own types
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if sheet and ("not found" in message.lower() or "sheet" in message.lower()):
            raise ListcleanError(f"no sheet named {sheet!r}: {message}", file=name) from None
        raise ListcleanError(f"cannot read as Excel: {message}", file=name) from None
    return _finish(frame, name, "xlsx")


def _load_parquet(data: bytes, name: str) -> Loaded:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except pl.exceptions.PolarsError as error:
        raise ListcleanError(f"cannot read as Parquet: {str(error).splitlines()[0]}", file=name) from None
    return _finish(frame, name, "parquet")


def _load_jsonl(data: bytes, name: str, encoding: str | None) -> Loaded:
    chosen = _choose_encoding(data[:SNIFF_BYTES], name, encoding)
    try:
        text = data.decode(chosen).lstrip("\ufeff")
    except UnicodeDecodeError as error:
        _undecodable(name, _DecodeFailed(data[: error.start].count(b"\n") + 1, data[error.start]), chosen)
    if not text.strip():
        raise ListcleanError("the file is empty", file=name)
    try:
        frame = pl.read_ndjson(io.BytesIO(text.encode("utf-8")), infer_schema_length=None)
    except pl.exceptions.PolarsError as error:
        raise ListcleanError(f"cannot read as JSON lines: {str(error).splitlines()[0]}", file=name) from None
    return _finish(frame, name, "jsonl", encoding=chosen)


def _carried_names(header: list[str]) -> list[str]:
    """The names the frame carries the input columns under: the header itself, except that
    a reserved name becomes ``<name>_input`` (``_2``, ``_3``… if the header has that too)."""
    carried: list[str] = []
    for column in header:
        name, n = column, 2
        if column in RESERVED:
            name = f"{column}_input"
            while name in header or name in carried:
                name, n = f"{column}_input_{n}", n + 1
        carried.append(name)
    return carried


def _check_header(columns: list[str], name: str) -> None:
    if not columns:
        raise ListcleanError("no columns found", file=name)
    seen: dict[str, int] = {}
    for position, column in enumerate(columns, start=1):
        if column in seen:
            raise ListcleanError(
                f"duplicate header name {column!r} (columns {seen[column]} and {position})",
                file=name, column=column)
        seen[column] = position
