"""Any export → text columns plus ``_row``, read in batches.

Formats: CSV/TSV (delimiter sniffed among , ; tab |), gzip-compressed CSV, .xlsx,
.parquet, .jsonl/.ndjson, and ``-`` for standard input. Everything is read as
text so leading zeros and ``+`` signs survive. A UTF-8 CSV file is scanned where
it lies, in batches, so a file bigger than memory can be judged; anything else
(another encoding, gzip, stdin) is first turned into a temporary UTF-8 file the
same way, a chunk at a time. Problems become a ListcleanError naming the file,
and the row and column where that applies; never a value from the file.

``_row`` is where a person finds the record: the line of a text file on which the
record starts, counted from the line after the header (row 1 is the first line
after the header; with a one-line header, row N is line N+1 of the file, what
``sed -n "$((N+1))p"`` or an editor's "go to line" shows). Wholly blank lines are
skipped, and they and the continuation lines of a quoted field spanning lines
keep their numbers, so row numbers can skip. Without either, row N is simply the
N-th record, as a spreadsheet numbers it (minus the header). In .jsonl (no header)
it is the line number; in .xlsx and .parquet the record's position after the
header; blank records (every cell empty) are skipped there too. Every message
that names a row or line (ragged rows, undecodable bytes, lines read in another
encoding) counts the same way.

Text is read the way a spreadsheet reads it: a double quote is a quote only at the
start of a field (``12" pizza`` is text). Files that polars cannot scan as they
are (a stray quote, a quoted field spanning lines, a header not on line 1) are
read once by the csv module into a private normalised copy carrying the row
numbers. A UTF-8 file with some lines in a legacy encoding (one cp1252 line in a
UTF-8 export) is decoded line by line and noted in ``Loaded.notes`` (IN003), never
turned into mojibake; a file that is valid UTF-8 is not transcoded at all.

The file is opened once, and every pass (sniffing, hashing, the ragged-row check,
judging, writing) reads that open file, never the path again: a nightly export
renamed over the path mid-run must not be written out under the audit record of
the file that was judged. Where the open file cannot be reopened by descriptor
(``/proc/self/fd``, ``/dev/fd``), or is a pipe, its bytes are copied once into a
private temporary folder instead. A named pipe nobody writes to is refused after
``PIPE_WAIT_SECONDS``, never waited on for ever. A file rewritten in place is
caught by ``Loaded.verify_unchanged()``, to be called before any output is committed.

Temporary copies hold personal data: they live only in private folders (mode 0700,
``tempfile.mkdtemp``), removed by ``Loaded.close()``, by ``load()`` itself when it
fails, when a ``Loaded`` that was never closed is garbage-collected, and at exit
at the latest.

Excel files are zip archives that can unpack to far more than their size (a 410 KB
file holding a 400 MB string took 2.9 GB to read): one that unpacks to more than
``XLSX_MAX_UNPACKED`` bytes, or has a part bigger than ``XLSX_RATIO_FLOOR`` packed
more than ``XLSX_MAX_RATIO`` to 1, is refused before it is read.

Reserved names: ``_row`` (and ``_source``) are listclean's own columns. An input
column of that name is carried under a free name (``_row_input``, numbered if the
header has that too): ``Loaded.columns`` lists the names the frame carries, so
whatever addresses the frame by them gets the input's own values, and
``Loaded.header`` / ``Loaded.restore_header`` give the original header back to
writers.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import csv
import gzip
import hashlib
import io
import itertools
import os
import re
import select
import shutil
import stat
import sys
import tempfile
import weakref
import zipfile
import zlib
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
#: How long a named pipe that nobody has opened for writing is waited for before it is refused.
PIPE_WAIT_SECONDS = 30.0
#: An .xlsx file whose parts unpack to more than this is refused (reading takes several times it).
XLSX_MAX_UNPACKED = 1024 ** 3
#: ...and so is one with a part bigger than XLSX_RATIO_FLOOR packed more than XLSX_MAX_RATIO to 1:
#: a real sheet packs about 5-20 to 1, a bomb of one repeated string about 1000 to 1.
XLSX_MAX_RATIO = 200
XLSX_RATIO_FLOOR = 32 * 1024 ** 2
#: How many lines a note about the input names before it says "and N more".
NOTE_LINES = 5
#: The note code for a file that mixes UTF-8 with lines in a legacy encoding (see checks/input.py).
MIXED_ENCODING = "IN003"


@dataclass
class Loaded:
    """An export opened for reading: its columns, and its rows as a lazy scan or in batches."""

    source: str                   # path as given, "<stdin>" for -
    format: str                   # csv | xlsx | parquet | jsonl
    header: list[str]             # input column names as the file has them, in order
    scan: pl.LazyFrame            # every input column as text (named as in ``columns``), plus _row
    delimiter: str = ","
    encoding: str = "utf-8"       # "utf-8+cp1252": UTF-8, with the lines ``notes`` names in cp1252
    sha256: str = ""              # of the file's bytes as read, for the audit trail
    #: Notes about how the file was read, for the IN rules: (rule code, message).
    notes: list[tuple[str, str]] = field(default_factory=list)
    #: Lines the header takes: a text file's row N is line N + header_lines.
    header_lines: int = 1
    temporary: Path | None = field(default=None, repr=False)
    # The open file the scan reads through, and its (size, mtime) when opened; None when
    # everything was read into memory or into a private copy.
    descriptor: int | None = field(default=None, repr=False)
    stamp: tuple[int, int] | None = field(default=None, repr=False)
    # Releases the descriptor and the copy if close() is never called (see _keep).
    _finalizer: weakref.finalize | None = field(default=None, init=False, repr=False, compare=False)

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
        if _changed(self.descriptor, self.stamp):
            raise ListcleanError("the input changed while it was being read; nothing was written",
                                 file=self.source)

    def close(self) -> None:
        """Remove any temporary copy and let go of the file (the scan cannot be read after this)."""
        if self._finalizer is not None:
            self._finalizer.detach()  # its descriptor number may be reused once closed here
            self._finalizer = None
        _release(self.descriptor, self.temporary)
        self.descriptor = self.temporary = None

    def _keep(self, descriptor: int | None, stamp: tuple[int, int] | None, temporary: Path | None) -> None:
        """Take over the open file and private copy the scan reads; released by close(), or when
        this Loaded is garbage-collected or the interpreter exits without close() being called."""
        self.descriptor, self.stamp, self.temporary = descriptor, stamp, temporary
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _release, descriptor, temporary)

    def __enter__(self) -> "Loaded":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def load(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
         delimiter: str | None = None) -> Loaded:
    """Open an export of any supported format (call ``close()`` or use ``with``; whatever is
    not closed is cleaned up when the Loaded is garbage-collected, or at exit)."""
    name = "<stdin>" if str(path) == "-" else str(path)
    held = _open_once(path, name)
    loaded = None
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
        if kind == "csv" and loaded.temporary is None:
            # Scanned where it lies: through the descriptor, or in the private copy. Keep either.
            loaded._keep(held.descriptor, held.stamp, held.temporary)
            return loaded
        # Read into memory, or into a copy of its own: nothing reads the held file again. A UTF-8
        # file hashed in one pass and copied in another (_normalised_copy) must be one version.
        if kind == "csv" and _changed(held.descriptor, held.stamp):
            raise ListcleanError("the input changed while it was being read", file=name)
        loaded._keep(None, None, loaded.temporary)
    except BaseException:
        if loaded is not None:
            _release(None, loaded.temporary)
        held.release()
        raise
    held.release()
    return loaded


def _changed(descriptor: int | None, stamp: tuple[int, int] | None) -> bool:
    """Whether the open file's size or mtime moved since ``stamp`` (False when there is none)."""
    if descriptor is None or stamp is None:
        return False
    now = os.fstat(descriptor)
    return (now.st_size, now.st_mtime_ns) != stamp


def _release(descriptor: int | None, folder: Path | None) -> None:
    if descriptor is not None:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    if folder is not None:
        _remove_folder(folder)


@dataclass
class _Held:
    """The export, opened once: ``path`` reads those same bytes however often it is opened."""

    path: str                                 # "-", /proc/self/fd/N or /dev/fd/N, or a private copy
    descriptor: int | None = None             # the open file ``path`` reads through
    stamp: tuple[int, int] | None = None      # its size and mtime when opened
    temporary: Path | None = None             # the private copy's folder

    def release(self) -> None:
        _release(self.descriptor, self.temporary)
        self.descriptor = self.temporary = None


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
#: An input named ``table:NAME``: a table of the Spark catalog, for ``--engine spark`` only.
TABLE_PREFIX = "table:"


def _open_once(path: str | Path, name: str) -> _Held:
    if str(path) == "-":
        return _Held("-")  # read into memory once (_stdin_bytes)
    try:
        # Non-blocking: opening a named pipe would otherwise wait for ever for a writer.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | _NONBLOCK)
    except FileNotFoundError:
        hint = " (a table, table:NAME, is read with --engine spark)" if str(path).startswith(TABLE_PREFIX) else ""
        raise ListcleanError(f"no such file{hint}", file=name) from None
    except OSError as error:
        if Path(path).is_dir():
            raise ListcleanError("is a directory, not an export file", file=name) from None
        raise ListcleanError(f"cannot read: {error.strerror}", file=name) from None
    try:
        opened = os.fstat(descriptor)
        if stat.S_ISDIR(opened.st_mode):
            raise ListcleanError("is a directory, not an export file", file=name)
        if _NONBLOCK and not stat.S_ISFIFO(opened.st_mode):
            os.set_blocking(descriptor, True)
        reopen = _descriptor_path(descriptor, opened)
        if reopen is not None:
            return _Held(reopen, descriptor, (opened.st_size, opened.st_mtime_ns))
        folder = _private_folder()
        try:
            copy = folder / "input"
            with copy.open("wb") as target:
                if stat.S_ISFIFO(opened.st_mode):
                    _drain_pipe(descriptor, name, target)
                else:
                    with os.fdopen(descriptor, "rb", closefd=False) as source:
                        shutil.copyfileobj(source, target, CHUNK_BYTES)
        except BaseException as error:
            _remove_folder(folder)
            if isinstance(error, OSError):
                raise ListcleanError(f"cannot read: {error.strerror}", file=name) from None
            raise
        os.close(descriptor)
        return _Held(str(copy), temporary=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(descriptor)
        raise


def _drain_pipe(descriptor: int, name: str, target: BinaryIO) -> None:
    """Copy a pipe (opened non-blocking) to ``target``, to its end.

    A pipe with a writer is read for as long as the writer takes. One without (yet): an
    anonymous pipe (``<(...)``) never gets one, so its end is the end, and the file may
    be empty; a named pipe (``mkfifo``) is waited on for its writer up to
    PIPE_WAIT_SECONDS, then refused, rather than hanging for ever.
    """
    try:
        first = os.read(descriptor, CHUNK_BYTES)
    except BlockingIOError:
        first = None  # a writer is there, nothing written yet
    if first == b"" and not _anonymous_pipe(descriptor):
        # Linux reports a named pipe readable only once a writer has come (with data, or gone).
        ready, _, _ = select.select([descriptor], [], [], PIPE_WAIT_SECONDS)
        if not ready:
            raise ListcleanError(f"nothing opened this named pipe for writing within {PIPE_WAIT_SECONDS:g} s; "
                                 "start the program that writes it first", file=name)
    os.set_blocking(descriptor, True)
    if first:
        target.write(first)
    with os.fdopen(descriptor, "rb", closefd=False) as source:
        shutil.copyfileobj(source, target, CHUNK_BYTES)


def _anonymous_pipe(descriptor: int) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{descriptor}").startswith("pipe:")
    except OSError:
        return False  # no /proc: treat it as named, and wait


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


#: Private folders made and not yet removed: whatever is left is removed at exit.
_FOLDERS: set[Path] = set()


def _private_folder() -> Path:
    """A temporary folder only this user can read (mode 0700), for copies of the input."""
    folder = Path(tempfile.mkdtemp(prefix="listclean-"))
    _FOLDERS.add(folder)
    return folder


def _remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    _FOLDERS.discard(folder)


@atexit.register
def _remove_left_folders() -> None:
    for folder in list(_FOLDERS):
        _remove_folder(folder)


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


@dataclass
class _Decoded:
    """What decoding a text file found."""

    sha256: str = ""              # of the file's bytes as read
    legacy_count: int = 0         # lines that are not UTF-8, read in the legacy encoding
    legacy_lines: list[int] = field(default_factory=list)  # the first NOTE_LINES of them (file lines, 1-based)
    utf8_non_ascii: bool = False  # some line read as UTF-8 has non-ASCII text: the file mixes encodings
    control_chars: int = 0        # C1 controls in the legacy lines' text: the legacy guess was wrong

    def legacy(self, line: int, text: str) -> None:
        self.legacy_count += 1
        if len(self.legacy_lines) < NOTE_LINES:
            self.legacy_lines.append(line)
        self.control_chars += len(_C1_CONTROLS.findall(text))


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # an undecodable byte, under "surrogateescape"
_C1_CONTROLS = re.compile("[\x80-\x9f]")


def _decode_into(path, name: str, encoding: str, target: BinaryIO | None, legacy: str | None = None) -> _Decoded:
    """Decode the whole file chunk by chunk (validating it), writing UTF-8 to ``target``.

    With ``legacy`` (``encoding`` being UTF-8), a line that is not valid UTF-8 is read in
    ``legacy`` instead. Raises _DecodeFailed with the line of the first undecodable byte.
    """
    digest = hashlib.sha256()
    found = _Decoded()
    with contextlib.closing(_raw_chunks(path, name, digest)) as chunks:
        pieces = _mixed_text(chunks, legacy, found) if legacy else _strict_text(chunks, encoding)
        first = True
        for text in pieces:
            if first and text:
                text, first = text.lstrip("\ufeff"), False
            if target is not None:
                target.write(text.encode("utf-8"))
    found.sha256 = digest.hexdigest()
    return found


def _strict_text(chunks: Iterator[bytes], encoding: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    for chunk in chunks:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise _DecodeFailed(lines + chunk[: error.start].count(b"\n"), chunk[error.start]) from None
        lines += chunk.count(b"\n")
        yield text
    try:
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:  # the file ends inside a character
        raise _DecodeFailed(lines, error.object[error.start]) from None


def _mixed_text(chunks: Iterator[bytes], legacy: str, found: _Decoded) -> Iterator[str]:
    """UTF-8 text, whole lines at a time, with every line that is not UTF-8 read in ``legacy``.

    A block of lines that is valid UTF-8 (all of a UTF-8 file) is decoded at once; only in
    a block that is not are the bad lines looked for, from one bad byte to the next.
    """
    pending, line = b"", 1
    for chunk in itertools.chain(chunks, [b""]):  # b"": the end (a raw chunk is never empty)
        data = pending + chunk
        cut = data.rfind(b"\n") + 1 if chunk else len(data)
        block, pending = data[:cut], data[cut:]
        if line == 1 and block.startswith(codecs.BOM_UTF8):
            block = block[len(codecs.BOM_UTF8):]
        yield _decode_lines(block, line, legacy, found)
        line += block.count(b"\n")


def _decode_lines(block: bytes, line: int, legacy: str, found: _Decoded) -> str:
    """``block`` (whole lines, the first being file line ``line``) as text; see _mixed_text."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        text = block.decode("utf-8", "surrogateescape")  # bad bytes kept, to be found and re-read
    parts, done = [], 0
    while (bad := _ESCAPED_BYTE.search(text, done)) is not None:
        start = text.rfind("\n", done, bad.start()) + 1
        end = text.find("\n", bad.start()) % (len(text) + 1)  # -1 (no newline) → the end
        line += text.count("\n", done, start)
        raw = text[start:end].encode("utf-8", "surrogateescape")
        try:
            decoded = raw.decode(legacy)
        except UnicodeDecodeError as error:
            raise _DecodeFailed(line, raw[error.start]) from None
        found.legacy(line, decoded)
        parts += [text[done:start], decoded]
        done = end
    parts.append(text[done:])
    found.utf8_non_ascii = found.utf8_non_ascii or not all(p.isascii() for p in parts[::2])
    return "".join(parts)


def _transcode(path, name: str, chosen: str, encoding: str | None) -> tuple[Path, str | None, _Decoded, Path]:
    """Write a temporary UTF-8 copy: (its path, the legacy encoding lines that are not UTF-8
    were read in (None: strictly ``chosen``), what decoding found, folder to remove).

    Without an encoding asked for, a file that is not all UTF-8 is read line by line: UTF-8
    where a line is, else cp1252, or Latin-1 if some line is not cp1252 either.
    """
    folder = _private_folder()
    target_path = folder / "input.csv"
    legacies = [None] if encoding or chosen != "utf-8" else ["cp1252", "latin-1"]
    try:
        for legacy in legacies:
            with target_path.open("wb") as target:
                try:
                    decoded = _decode_into(path, name, chosen, target, legacy)
                except _DecodeFailed as failure:
                    if legacy == legacies[-1]:
                        _undecodable(name, failure, legacy or chosen)
                    continue
            # Latin-1 decodes anything; C1 control characters mean it was not Latin-1 text either.
            if decoded.control_chars > 8:
                raise ListcleanError("cannot tell the text encoding (not UTF-8, cp1252 or Latin-1); "
                                     "pass --encoding", file=name)
            return target_path, legacy, decoded, folder
    except BaseException:
        _remove_folder(folder)
        raise
    raise AssertionError("unreachable")


def _undecodable(name: str, failure: _DecodeFailed, encoding: str) -> None:
    raise ListcleanError(f"cannot decode byte 0x{failure.byte:02x} at line {failure.line} as {encoding}; "
                         "try --encoding cp1252 (or the export's real encoding)", file=name)


def _read_as(loaded: Loaded, chosen: str, legacy: str | None, decoded: _Decoded) -> None:
    """Record the encoding read and, if the file mixes UTF-8 with legacy lines, the note (IN003)
    naming them, as rows. A file whose only non-ASCII lines are legacy is simply in that encoding."""
    if not decoded.legacy_count:
        loaded.encoding = chosen
    elif not decoded.utf8_non_ascii:
        loaded.encoding = legacy
    else:
        loaded.encoding = f"{chosen}+{legacy}"
        rows = [str(n - loaded.header_lines) for n in decoded.legacy_lines if n > loaded.header_lines]
        where = (["the header"] if len(rows) < len(decoded.legacy_lines) else []) + (
            [f"row{'s' if len(rows) > 1 else ''} {', '.join(rows)}"] if rows else [])
        more = decoded.legacy_count - len(decoded.legacy_lines)
        count = f"{decoded.legacy_count} line{'s are' if decoded.legacy_count > 1 else ' is'}"
        message = (f"{count} not UTF-8 like the rest, read as {legacy}: "
                   f"{' and '.join(where)}{f' and {more} more' if more else ''}; "
                   "check the names there, or export the file as UTF-8 again")
        loaded.notes.append((MIXED_ENCODING, message))


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
                loaded, problem = _scan_text(Path(path), name, delimiter, None), None
            except ListcleanError as error:
                loaded, problem = None, error
            try:
                decoded = validation.result()
            except _DecodeFailed as failure:
                if loaded is not None:
                    loaded.close()  # a normalised copy of text that was misread
                if encoding:
                    _undecodable(name, failure, "utf-8")
            else:
                if problem is not None:
                    raise problem
                loaded.sha256 = decoded.sha256
                return loaded
    text_path, legacy, decoded, temporary = _transcode(path, name, chosen, encoding)
    try:
        loaded = _scan_text(text_path, name, delimiter, temporary)
    except BaseException:
        _remove_folder(temporary)
        raise
    loaded.sha256, loaded.temporary = decoded.sha256, temporary
    _read_as(loaded, chosen, legacy, decoded)
    return loaded


def _scan_text(text_path: Path, name: str, delimiter: str | None, folder: Path | None) -> Loaded:
    """Header, delimiter and ragged-row checks, then a lazy scan of a UTF-8 file.

    A file polars can scan as it lies (no quote out of place, the header on line 1) is;
    any other is read by the csv module into a normalised copy in ``folder`` (a new
    private folder if None, then the Loaded's ``temporary``).
    """
    with text_path.open("rb") as handle:
        text_head = handle.read(SNIFF_BYTES).decode("utf-8", "ignore").lstrip("\ufeff")
    if not text_head.strip():
        raise ListcleanError("the file is empty", file=name)
    sep = delimiter or sniff_delimiter(text_head)
    header, header_lines = _header_fields(text_head, sep, name)
    _check_header(header, name)
    blank = _survey_lines(text_path, sep, len(header), name) if header_lines == 1 else None
    if blank is not None:
        scan = pl.scan_csv(
            text_path, separator=sep, infer_schema=False, has_header=True, new_columns=_carried_names(header),
            empty_string_is_null=False, raise_if_empty=False, quote_char='"',
        ).with_row_index(ROW, offset=1)
        if blank:
            scan = scan.filter(~pl.col(ROW).is_in(pl.Series(blank, dtype=pl.UInt32).implode()))
        temporary = None
    else:
        target = folder or _private_folder()
        try:
            copy = _normalised_copy(text_path, sep, header, header_lines, name, target / "records.csv")
        except BaseException:
            if folder is None:
                _remove_folder(target)
            raise
        scan = pl.scan_csv(copy, infer_schema=False, has_header=False, new_columns=[ROW, *_carried_names(header)],
                           empty_string_is_null=False, raise_if_empty=False, quote_char='"')
        temporary = None if folder else target
    scan = scan.with_columns(pl.col(ROW).cast(pl.Int64))
    return Loaded(name, "csv", header, scan, delimiter=sep, header_lines=header_lines, temporary=temporary)


def _header_fields(text: str, sep: str, name: str) -> tuple[list[str], int]:
    """The header's names, and the number of the line it ends on (blank lines before it skipped)."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        header = next(reader)
        while not sep.join(header).strip():
            header = next(reader)
    except (StopIteration, csv.Error) as error:
        raise ListcleanError(f"cannot read the header line: {error}", file=name) from None
    # Unnamed columns still need a name, or polars would invent one silently.
    return [h.strip() or f"column_{i}" for i, h in enumerate(header, start=1)], reader.line_num


#: The separator that reads a CSV file as whole lines: a control character text almost never holds.
LINE_SEPARATOR = "\x1f"


def _holds(path: Path, character: str) -> bool:
    """Whether the file holds ``character`` anywhere (read a chunk at a time)."""
    wanted = character.encode()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if wanted in chunk:
                return True
    return False


def _survey_lines(path: Path, sep: str, width: int, name: str) -> list[int] | None:
    """The numbers (rows) of the blank lines, if polars can scan the file as it lies: every
    other line has as many fields as the header, and quotes only where a spreadsheet takes
    them as quotes (around a whole field, closed on the line). None if not: a stray quote,
    a quoted field spanning lines, or a ragged row, for the csv module to read or report
    (_normalised_copy).

    Vectorised over lines and streaming: this is the whole cost of a clean file's check.
    Each quoted stretch becomes a marker (\x01); a line is then well formed if no quote is
    left and every marker stands between separators, and its fields are its separators + 1.
    """
    if _holds(path, LINE_SEPARATOR):
        return None  # the line scan below would cut such lines short and might call them blank
    lines = pl.scan_csv(path, has_header=False, separator=LINE_SEPARATOR, quote_char=None, new_columns=["line"],
                        infer_schema=False, truncate_ragged_lines=True, empty_string_is_null=False,
                        raise_if_empty=False)
    line = pl.col("line")
    marked = line.str.replace_all(r'"[^"]*"', "\x01")
    s = re.escape(sep)
    misplaced = marked.str.contains(f'"|[^{s}\x01]\x01|\x01[^{s}\x01\r]')
    blank = ~line.str.contains(r"\S")
    odd = (marked.str.count_matches(sep, literal=True) + 1 != width) | misplaced
    checked = lines.with_row_index("_line").filter(pl.col("_line") > 0).select(
        "_line", blank.alias("blank"), (~blank & odd).alias("odd"))
    try:
        found = checked.filter(pl.col("blank") | pl.col("odd")).collect(engine="streaming")
    except pl.exceptions.PolarsError as error:
        raise ListcleanError(f"cannot read as CSV: {str(error).splitlines()[0]}", file=name) from None
    if found["odd"].any():
        return None
    return found["_line"].to_list()


def _normalised_copy(path: Path, sep: str, header: list[str], header_lines: int, name: str, target: Path) -> Path:
    """Read every record the way a spreadsheet would (the csv module: a quote opens a quoted
    field only at the field's start) and write it to ``target`` quoted plainly, comma-separated,
    behind its row number (the line it starts on, counted from the line after the header).
    Blank lines are skipped; a ragged record is an error naming its row. Lines end at "\n"
    only, as polars and the line survey count them (a lone "\r" is no line of its own)."""
    width = len(header)
    with path.open(encoding="utf-8", newline="\n") as handle, target.open("w", encoding="utf-8", newline="") as out:
        reader, writer = csv.reader(handle, delimiter=sep), csv.writer(out, lineterminator="\n")
        first_line, last = header_lines + 1, None
        try:
            while reader.line_num < header_lines and next(reader, None) is not None:
                pass
            for record in reader:
                row, first_line = first_line - header_lines, reader.line_num + 1
                if not sep.join(record).strip():
                    continue
                if len(record) != width:
                    _raise_ragged(name, row, record, header)
                writer.writerow([row, *record])
                last = (row, record)
        except csv.Error as error:
            # "field larger than field limit": most often a quote opened and never closed.
            problem = ("a carriage return inside a field that is not quoted" if "new-line" in str(error)
                       else f"{error} (a quoted field that is never closed?)")
            raise ListcleanError(f"cannot read as CSV: {problem}", file=name, row=first_line - header_lines,
                                 column=_failing_column(path, sep, first_line, header)) from None
    spanning = _spanning_field(last[1]) if last is not None else None
    if spanning is not None:
        _check_closed(path, sep, last[0] + header_lines, name, last[0], header[spanning])
    return target


def _failing_column(path: Path, sep: str, line: int, header: list[str]) -> str | None:
    """The column where the record starting on ``line`` goes wrong: the last field of that line
    read alone, up to any lone carriage return (a quote that runs on, or the "\r", ends it)."""
    limit = csv.field_size_limit(sys.maxsize)  # the line is read whole, whatever its length
    try:
        with path.open(encoding="utf-8", newline="\n") as handle:
            text = next(itertools.islice(handle, line - 1, None), "")
        fields = next(csv.reader([text.rstrip("\n").split("\r")[0]], delimiter=sep), [])
    finally:
        csv.field_size_limit(limit)
    return header[len(fields) - 1] if 0 < len(fields) <= len(header) else None


def _spanning_field(record: list[str]) -> int | None:
    """The first field of ``record`` (within the header's width) that holds a line break."""
    return next((i for i, value in enumerate(record) if "\n" in value or "\r" in value), None)


def _check_closed(path: Path, sep: str, line: int, name: str, row: int, column: str) -> None:
    """The csv module ends a quoted field that is never closed at the end of the file, taking
    every line after its quote into it. The last record, if it spans lines, is read again,
    strictly, from its ``line``, so that such a file is an error rather than rows silently lost."""
    with path.open(encoding="utf-8", newline="\n") as handle:
        try:
            for _ in csv.reader(itertools.islice(handle, line - 1, None), delimiter=sep, strict=True):
                pass
        except csv.Error as error:
            if "end of data" in str(error):
                raise ListcleanError("a quoted field is never closed: it runs to the end of the file, taking "
                                     "in every line after it", file=name, row=row, column=column) from None


def _raise_ragged(name: str, row: int, record: list[str], header: list[str]) -> None:
    """A record with more or fewer fields than the header: the error names the column where it
    goes wrong (a quoted field running over lines is most often a quote never closed)."""
    found, width = len(record), len(header)
    spanning = _spanning_field(record[:width])
    if spanning is not None:
        raise ListcleanError(f"ragged row: {found} fields where the header has {width}; the quoted field in "
                             "this column runs over several lines (a quote never closed?)",
                             file=name, row=row, column=header[spanning])
    column, where = (header[found], "is missing") if found < width else (header[-1], "has more fields after it")
    raise ListcleanError(f"ragged row: {found} fields where the header has {width}; this column {where}",
                         file=name, row=row, column=column)


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


def _finish(frame: pl.DataFrame, name: str, kind: str, rows: pl.Series | None = None, **extra) -> Loaded:
    """The Loaded of a frame read into memory: ``_row`` is the record's position (or ``rows``),
    and blank records (every cell empty) are skipped, keeping the numbers of the others."""
    header = list(frame.columns)
    frame = _text_frame(frame).rename(dict(zip(header, _carried_names(header))))
    frame = (frame.with_row_index(ROW, offset=1) if rows is None else frame.with_columns(rows.alias(ROW)))
    frame = frame.select(pl.col(ROW).cast(pl.Int64), pl.exclude(ROW))
    if frame.width > 1:
        filled = [pl.col(c).str.strip_chars().str.len_chars().fill_null(0) > 0 for c in frame.columns[1:]]
        frame = frame.filter(pl.any_horizontal(filled))
    return Loaded(name, kind, header, frame.lazy(), **extra)


def _load_xlsx(data: bytes, name: str, sheet: str | None) -> Loaded:
    _check_unpacked_size(data, name)
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


def _check_unpacked_size(data: bytes, name: str) -> None:
    """Refuse an .xlsx (a zip archive) that would unpack to more than XLSX_MAX_UNPACKED bytes, or
    has a big part packed more than XLSX_MAX_RATIO to 1, before the Excel reader unpacks it.

    The sizes are the archive's own word, so each part is then unpacked once here, a chunk at
    a time: zipfile stops at the stated size and fails the part's CRC if there was more.
    """
    mib = 1024 ** 2
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            total = sum(part.file_size for part in parts)
            if total > XLSX_MAX_UNPACKED:
                raise ListcleanError(f"refused: this Excel file unpacks to {total / mib:,.0f} MiB, more than the "
                                     f"{XLSX_MAX_UNPACKED / mib:,.0f} MiB listclean reads; export it as CSV", file=name)
            for part in parts:
                if part.file_size > XLSX_RATIO_FLOOR and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1):
                    raise ListcleanError(
                        f"refused: part {part.filename!r} of this Excel file unpacks to {part.file_size / mib:,.0f} MiB "
                        f"from {part.compress_size / mib:,.1f} MiB, more than {XLSX_MAX_RATIO} to 1 (a zip bomb?); "
                        "export it as CSV", file=name)
            for part in parts:
                with archive.open(part) as unpacked:
                    while unpacked.read(mib):
                        pass
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        raise ListcleanError(f"cannot read as Excel: damaged or unsupported archive ({error})", file=name) from None


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
    rows = None
    if _BLANK_LINE.search(text.rstrip()):  # polars skips blank lines: number the records by their lines
        lines = pl.Series(text.split("\n"))
        rows = lines.str.strip_chars().str.len_chars().gt(0).arg_true() + 1
        rows = rows if rows.len() == frame.height else None
    return _finish(frame, name, "jsonl", rows, encoding=chosen)


_BLANK_LINE = re.compile(r"(?:^|\n)[ \t\r]*\n")


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


class _Sha256Writer:
    """A write-only file that hashes what is written to it (for ``load_frame``)."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return len(data)

    def flush(self) -> None:
        pass


def load_frame(frame: pl.DataFrame | pl.LazyFrame, name: str = "<DataFrame>") -> Loaded:
    """A polars DataFrame (or LazyFrame, collected here) as a Loaded, for the library API.

    Every column becomes text as for Parquet/JSON lines (``_finish``): numbers, dates and
    booleans cast to text, structs as JSON, lists joined with ``;``. ``_row`` is the record's
    position, 1..n; blank records (every cell empty) are skipped, keeping the numbers of
    the others. ``format`` is ``"dataframe"``; ``sha256`` is of the frame's CSV
    serialisation after that conversion to text (``DataFrame.write_csv`` with its defaults:
    the header line, then the rows, comma-separated, UTF-8), which does not depend on how
    polars happens to chunk the data in memory. There is no file behind it: nothing to
    hold open, copy or verify, and ``close()`` does nothing.
    """
    if isinstance(frame, pl.LazyFrame):
        try:
            frame = frame.collect()
        except pl.exceptions.PolarsError as error:
            raise ListcleanError(f"cannot collect the LazyFrame: {str(error).splitlines()[0]}", file=name) from None
    if not isinstance(frame, pl.DataFrame):
        raise ListcleanError(f"not a polars DataFrame or LazyFrame: {type(frame).__name__}", file=name)
    _check_header(list(frame.columns), name)
    digest = _Sha256Writer()
    _text_frame(frame).write_csv(digest)
    return _finish(frame, name, "dataframe", sha256=digest.hash.hexdigest())
