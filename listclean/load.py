"""Any export → a DataFrame of text columns plus ``_row`` (1-based data row number).

Formats: CSV/TSV (delimiter sniffed among , ; tab |), gzip-compressed CSV, .xlsx,
.parquet, .jsonl/.ndjson, and ``-`` for standard input. Everything is read as
text so leading zeros and ``+`` signs survive. Problems become a ListcleanError
naming the file, and the row and column where that applies.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from listclean.errors import ListcleanError

DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 64 * 1024
ROW = "_row"


@dataclass
class Loaded:
    """A loaded export: the rows as text, and what we learned reading them."""

    frame: pl.DataFrame           # input columns (strings) + _row
    source: str                   # path as given, "<stdin>" for -
    format: str                   # csv | xlsx | parquet | jsonl
    columns: list[str]            # input column names, in order
    delimiter: str = ","
    encoding: str = "utf-8"
    sha256: str = ""              # of the file's bytes as read, for the audit trail

    @property
    def rows(self) -> int:
        return self.frame.height


def load(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
         delimiter: str | None = None) -> Loaded:
    """Read an export of any supported format."""
    name = "<stdin>" if str(path) == "-" else str(path)
    data = _read_bytes(path, name)
    digest = hashlib.sha256(data).hexdigest()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise ListcleanError(f"cannot decompress gzip data: {error}", file=name) from None
    kind = _detect_format(name, data)
    if kind == "xlsx":
        loaded = _load_xlsx(data, name, sheet)
    elif kind == "parquet":
        loaded = _load_parquet(data, name)
    elif kind == "jsonl":
        loaded = _load_jsonl(data, name, encoding)
    else:
        loaded = _load_csv(data, name, encoding, delimiter)
    _check_header(loaded.columns, name)
    loaded.sha256 = digest
    return loaded


def _read_bytes(path: str | Path, name: str) -> bytes:
    if str(path) == "-":
        return sys.stdin.buffer.read()
    p = Path(path)
    if not p.exists():
        raise ListcleanError("no such file", file=name)
    if p.is_dir():
        raise ListcleanError("is a directory, not an export file", file=name)
    try:
        return p.read_bytes()
    except OSError as error:
        raise ListcleanError(f"cannot read: {error.strerror}", file=name) from None


def _detect_format(name: str, data: bytes) -> str:
    suffixes = [s.lower() for s in Path(name).suffixes]
    if data[:4] == b"PK\x03\x04" or ".xlsx" in suffixes or ".xlsm" in suffixes:
        return "xlsx"
    if data[:4] == b"PAR1" or ".parquet" in suffixes:
        return "parquet"
    if ".jsonl" in suffixes or ".ndjson" in suffixes:
        return "jsonl"
    if not suffixes or suffixes[-1] not in (".csv", ".tsv", ".txt", ".gz"):
        if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
            return "jsonl"
    return "csv"


# ---------------------------------------------------------------- text files

def decode(data: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    """Bytes → (text, encoding used). UTF-8 (BOM or not), UTF-16 with BOM, else cp1252/Latin-1."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ListcleanError(f"unknown encoding {encoding!r}", file=name) from None
        return _strict_decode(data, name, encoding), encoding
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict_decode(data, name, "utf-16"), "utf-16"
    if b"\x00" in data[:SNIFF_BYTES]:
        raise ListcleanError("looks like a binary file (NUL bytes), not a text export", file=name)
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    # Latin-1 decodes anything; C1 control characters mean it was not Latin-1 text either.
    if sum(0x80 <= ord(c) < 0xA0 for c in text[:SNIFF_BYTES]) > 8:
        raise ListcleanError("cannot tell the text encoding (not UTF-8, cp1252 or Latin-1); "
                             "pass --encoding", file=name)
    return text, "latin-1"


def _strict_decode(data: bytes, name: str, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ListcleanError(
            f"cannot decode byte 0x{data[error.start]:02x} at line {line} as {encoding}; "
            "try --encoding cp1252 (or the export's real encoding)", file=name) from None
    return text.lstrip("\ufeff")


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the most, and most consistent, fields."""
    sample_lines = text[:SNIFF_BYTES].splitlines()[:50]
    if len(text) > SNIFF_BYTES and len(sample_lines) > 1:
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


def _load_csv(data: bytes, name: str, encoding: str | None, delimiter: str | None) -> Loaded:
    text, used = decode(data, name, encoding)
    if not text.strip():
        raise ListcleanError("the file is empty", file=name)
    sep = delimiter or sniff_delimiter(text)
    header = _header_fields(text, sep, name)
    _check_header(header, name)
    _check_ragged(text, sep, len(header), name)
    utf8 = text.encode("utf-8") if used != "utf-8" or data.startswith(codecs.BOM_UTF8) else data
    try:
        frame = pl.read_csv(
            utf8, separator=sep, infer_schema=False, has_header=True, new_columns=header,
            empty_string_is_null=False, raise_if_empty=False, quote_char='"',
        )
    except pl.exceptions.PolarsError as error:
        raise ListcleanError(f"cannot parse as CSV: {str(error).splitlines()[0]}", file=name) from None
    if frame.width != len(header):
        raise ListcleanError("cannot parse as CSV: the header and the rows disagree", file=name)
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return Loaded(frame, name, "csv", header, delimiter=sep, encoding=used)


def _header_fields(text: str, sep: str, name: str) -> list[str]:
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=sep))
    except (StopIteration, csv.Error) as error:
        raise ListcleanError(f"cannot read the header line: {error}", file=name) from None
    # Unnamed columns still need a name, or polars would invent one silently.
    return [h.strip() or f"column_{i}" for i, h in enumerate(header, start=1)]


def _check_ragged(text: str, sep: str, width: int, name: str) -> None:
    """Every record must have as many fields as the header (blank lines aside).

    Vectorised over lines when no field spans lines (the usual case); the csv
    module only reads files whose quoted fields hold line breaks.
    """
    lines = pl.Series("line", text.split("\n")[1:]).str.strip_suffix("\r")
    if lines.len() == 0:
        return
    unquoted = lines.str.replace_all(r'"[^"]*"', "")
    if not unquoted.str.contains('"', literal=True).any():
        fields = unquoted.str.count_matches(sep, literal=True) + 1
        bad = (fields != width) & (lines.str.strip_chars().str.len_chars() > 0)
        if bad.any():
            index = int(bad.arg_true()[0])
            _raise_ragged(name, index + 1, int(fields[index]), width)
        return
    reader = csv.reader(io.StringIO(text), delimiter=sep)
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
    return Loaded(frame, name, kind, columns, **extra)


def _load_xlsx(data: bytes, name: str, sheet: str | None) -> Loaded:
    try:
        frame = pl.read_excel(
            io.BytesIO(data), sheet_name=sheet, infer_schema_length=0,
            drop_empty_rows=False, drop_empty_cols=False, raise_if_empty=False,
        )
    except Exception as error:  # fastexcel raises its own types
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if sheet and "not found" in message.lower() or "sheet" in message.lower():
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
    text, used = decode(data, name, encoding)
    if not text.strip():
        raise ListcleanError("the file is empty", file=name)
    try:
        frame = pl.read_ndjson(io.BytesIO(text.encode("utf-8")), infer_schema_length=None)
    except pl.exceptions.PolarsError as error:
        raise ListcleanError(f"cannot read as JSON lines: {str(error).splitlines()[0]}", file=name) from None
    return _finish(frame, name, "jsonl", encoding=used)


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
