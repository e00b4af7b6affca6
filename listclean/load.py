"""Any export → text columns plus ``_row`` (1-based data row number), read in batches.

Formats: CSV/TSV (delimiter sniffed among , ; tab |), gzip-compressed CSV, .xlsx,
.parquet, .jsonl/.ndjson, and ``-`` for standard input. Everything is read as
text so leading zeros and ``+`` signs survive. A UTF-8 CSV file is scanned where
it lies, in batches, so a file bigger than memory can be judged; anything else
(another encoding, gzip, stdin) is first turned into a temporary UTF-8 file the
same way, a chunk at a time. Problems become a ListcleanError naming the file,
and the row and column where that applies.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import shutil
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


@dataclass
class Loaded:
    """An export opened for reading: its columns, and its rows as a lazy scan or in batches."""

    source: str                   # path as given, "<stdin>" for -
    format: str                   # csv | xlsx | parquet | jsonl
    columns: list[str]            # input column names, in order
    scan: pl.LazyFrame            # every input column as text, plus _row
    delimiter: str = ","
    encoding: str = "utf-8"
    sha256: str = ""              # of the file's bytes as read, for the audit trail
    temporary: Path | None = field(default=None, repr=False)

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

    def close(self) -> None:
        if self.temporary is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)
            self.temporary = None

    def __enter__(self) -> "Loaded":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def load(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
         delimiter: str | None = None) -> Loaded:
    """Open an export of any supported format (call ``close()`` or use ``with``)."""
    name = "<stdin>" if str(path) == "-" else str(path)
    if str(path) != "-":
        _check_readable(Path(path), name)
    head = _head(path)
    kind = _detect_format(name, head)
    if kind in ("xlsx", "parquet", "jsonl"):
        data = _read_all(path, name)
        loaded = {"xlsx": lambda: _load_xlsx(data, name, sheet), "parquet": lambda: _load_parquet(data, name),
                  "jsonl": lambda: _load_jsonl(data, name, encoding)}[kind]()
        loaded.sha256 = hashlib.sha256(data).hexdigest()
    else:
        loaded = _load_csv(path, name, encoding, delimiter)
    _check_header(loaded.columns, name)
    return loaded


def _check_readable(path: Path, name: str) -> None:
    if not path.exists():
        raise ListcleanError("no such file", file=name)
    if path.is_dir():
        raise ListcleanError("is a directory, not an export file", file=name)
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise ListcleanError(f"cannot read: {error.strerror}", file=name) from None


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


def _head(path: str | Path) -> bytes:
    with _open_binary(path) as handle:
        head = handle.read(SNIFF_BYTES)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(_open_binary(path)) as unzipped:
                return unzipped.read(SNIFF_BYTES)
        except (OSError, EOFError) as error:
            raise ListcleanError(f"cannot decompress gzip data: {error}", file=str(path)) from None
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


def _raw_chunks(path: str | Path, name: str) -> Iterator[bytes]:
    """The file's bytes a chunk at a time, gzip undone."""
    handle = _open_binary(path)
    if handle.read(2) == b"\x1f\x8b":
        handle.close()
        handle = gzip.open(_open_binary(path))
    else:
        handle.seek(0)
    try:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
    except (OSError, EOFError) as error:
        raise ListcleanError(f"cannot decompress gzip data: {error}", file=name) from None
    finally:
        handle.close()


class _DecodeFailed(Exception):
    def __init__(self, line: int, byte: int):
        self.line, self.byte = line, byte


def _decode_into(path, name: str, encoding: str, target: BinaryIO | None) -> str:
    """Decode the whole file chunk by chunk (validating it), writing UTF-8 to ``target``.

    Returns the SHA-256 of the bytes read. Raises _DecodeFailed with the line of
    the first undecodable byte.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    first = True
    for chunk in _raw_chunks(path, name):
        digest.update(chunk)
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise _DecodeFailed(lines + chunk[: error.start].count(b"\n"), chunk[error.start]) from None
        lines += chunk.count(b"\n")
        if first:
            text, first = text.lstrip("\ufeff"), False
        if target is not None:
            target.write(text.encode("utf-8"))
    decoder.decode(b"", final=True)
    return digest.hexdigest()


def _transcode(path, name: str, chosen: str, encoding: str | None) -> tuple[Path, str, str, Path]:
    """Write a temporary UTF-8 copy: (its path, encoding read, SHA-256, folder to remove)."""
    folder = Path(tempfile.mkdtemp(prefix="listclean-"))
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


def _load_csv(path, name: str, encoding: str | None, delimiter: str | None) -> Loaded:
    head = _head(path)
    if not head.strip():
        raise ListcleanError("the file is empty", file=name)
    chosen = _choose_encoding(head, name, encoding)
    plain_file = str(path) != "-" and head[:2] != b"\x1f\x8b" and Path(path).suffix.lower() != ".gz"
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
        text_path, separator=sep, infer_schema=False, has_header=True, new_columns=header,
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
    columns = list(frame.columns)
    frame = _text_frame(frame).with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return Loaded(name, kind, columns, frame.lazy(), **extra)


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
