"""Loading every supported format, and every kind of bad input (exit 2, one line, nothing written)."""

from __future__ import annotations

import csv
import gc
import gzip
import hashlib
import io
import os
import stat
import subprocess
import sys
import tempfile
import threading
import types
import zipfile
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest

from listclean import load as load_module
from listclean.checks.input import mixed_encoding
from listclean.errors import ListcleanError
from listclean.load import load

ROWS = [["ana@gmail.com", "+34 612 345 678", "007"], ["josé@correo.es", "0034612345679", "010"]]


def csv_text(delimiter=",", newline="\n"):
    lines = [delimiter.join(["Email", "Phone", "Zip"])] + [delimiter.join(r) for r in ROWS]
    return newline.join(lines) + newline


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path, delimiter):
    path = tmp_path / "x.csv"
    path.write_text(csv_text(delimiter), encoding="utf-8")
    loaded = load(path)
    assert loaded.delimiter == delimiter
    assert loaded.columns == ["Email", "Phone", "Zip"]
    assert loaded.frame.select("Email", "Phone", "Zip").rows() == [tuple(r) for r in ROWS]


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""),
                                          ("utf-16", b"")])
def test_encodings_are_detected(tmp_path, encoding, bom):
    path = tmp_path / "x.csv"
    path.write_bytes(bom + csv_text(newline="\r\n").encode(encoding))
    loaded = load(path)
    assert loaded.frame["Email"].to_list() == ["ana@gmail.com", "josé@correo.es"]
    assert loaded.frame["Zip"].to_list() == ["007", "010"], "leading zeros survive"
    assert loaded.columns[0] == "Email", "no BOM left in the first header"


def test_quoted_multiline_fields_and_row_numbers(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('Email,Notes\r\na@gmail.com,"line one\r\nline two, with comma"\r\nb@gmail.com,plain\r\n')
    loaded = load(path)
    assert loaded.frame["_row"].to_list() == [1, 3], "row N is line N + 1: b@gmail.com is on line 4"
    assert loaded.frame["Notes"][0] == "line one\r\nline two, with comma"


def test_gzip_and_stdin(tmp_path, monkeypatch):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(csv_text().encode()))
    assert load(path).rows == 2
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(csv_text(";").encode())))
    loaded = load("-")
    assert (loaded.source, loaded.rows, loaded.delimiter) == ("<stdin>", 2, ";")


def test_excel_parquet_jsonl_read_as_text(tmp_path):
    frame = pl.DataFrame({"Email": ["ana@gmail.com"], "Phone": ["+34612345678"], "Zip": ["007"]})
    frame.write_excel(tmp_path / "x.xlsx", worksheet="Contactos")
    frame.write_parquet(tmp_path / "x.parquet")
    frame.write_ndjson(tmp_path / "x.jsonl")
    for name in ("x.xlsx", "x.parquet", "x.jsonl"):
        loaded = load(tmp_path / name)
        assert loaded.frame.select("Email", "Phone", "Zip").rows() == [("ana@gmail.com", "+34612345678", "007")]
    assert load(tmp_path / "x.xlsx", sheet="Contactos").rows == 1
    numbers = pl.DataFrame({"Email": ["a@b.es"], "Phone": [612345678]})
    numbers.write_parquet(tmp_path / "n.parquet")
    assert load(tmp_path / "n.parquet").frame["Phone"].to_list() == ["612345678"]


BAD_INPUTS = {
    "missing file": (None, "no such file"),
    "empty file": (b"", "empty"),
    "binary file": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    "ragged row": (b"Email,Phone\na@gmail.com,1\nb@gmail.com,2,3\n", "row 2"),
    "short row": (b"Email,Phone,Zip\na@gmail.com,1,2\nb@gmail.com\n", "row 2"),
    "duplicate headers": (b"Email,Phone,Email\na@gmail.com,1,x\n", "duplicate header"),
    "no email or phone column": (b"Name,City\nAna,Madrid\n", "no email or phone column"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(cli, tmp_path, case):
    content, expected = BAD_INPUTS[case]
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "send.csv"
    result = cli("clean", path, "-o", out, "--rejects", tmp_path / "rejects.csv")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert str(path) in lines[0] and expected in lines[0]
    assert not out.exists() and not (tmp_path / "rejects.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["in.csv"] if content is not None else [])


def test_undecodable_with_given_encoding(cli, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("Email\nbad\xff@x.es\n".encode("latin-1"))
    result = cli("check", path, "--encoding", "utf-8")
    assert result.exit_code == 2
    assert "line 2" in result.stderr and "utf-8" in result.stderr


def test_header_only_file_succeeds_with_zero_rows(cli, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Email,Phone\n")
    result = cli("check", path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"rows_in": 0' in result.stdout


@pytest.mark.parametrize("args,expected", [
    (["--map", "phone=Tel. fijo"], "no such column"),
    (["--map", "telefono=Phone"], "unknown field"),
    (["--policy", "atlantis"], "unknown policy"),
    (["--select", "ZZ9"], "selects no rule"),
    (["--as-of", "yesterday"], "--as-of"),
    (["--default-region", "XX"], "--default-region"),
    (["--channel", "fax"], "unknown channel"),
])
def test_bad_options_are_one_line_exit_2(cli, export, args, expected):
    path = export([{"email": "a@gmail.com"}])
    result = cli("check", path, *args)
    assert result.exit_code == 2
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_output_paths_are_checked_before_any_work(cli, export, tmp_path):
    path = export([{"email": "a@gmail.com"}])
    before = path.read_bytes()
    same = cli("clean", path, "-o", path)
    assert same.exit_code == 2 and "overwrite the input" in same.stderr
    missing_folder = cli("clean", path, "-o", tmp_path / "nope" / "send.csv")
    assert missing_folder.exit_code == 2 and "does not exist" in missing_folder.stderr
    assert path.read_bytes() == before


# ---------------------------------------------------------------- one file, read once

def test_a_file_renamed_over_the_path_changes_nothing_read(tmp_path):
    path, other = tmp_path / "in.csv", tmp_path / "nightly.csv"
    original = csv_text().encode()
    path.write_bytes(original)
    other.write_text("Email,Phone,Zip\n" + "unsub@gmail.com,1,2\n" * 50)
    with load(path) as loaded:
        os.replace(other, path)
        rows = [r for batch in loaded.batches(rows=1) for r in batch.select("Email", "Phone", "Zip").rows()]
        assert rows == [tuple(r) for r in ROWS]
        assert loaded.rows == 2 and loaded.frame["_row"].to_list() == [1, 2]
        assert loaded.sha256 == hashlib.sha256(original).hexdigest()
        loaded.verify_unchanged()  # a rename is not a change of the file read


@pytest.mark.parametrize("change", ["append", "same size"])
def test_a_file_rewritten_in_place_is_caught(tmp_path, change):
    path = tmp_path / "in.csv"
    path.write_bytes(csv_text().encode())
    with load(path) as loaded:
        loaded.verify_unchanged()
        before = os.stat(path)
        if change == "append":
            with path.open("ab") as handle:
                handle.write(b"unsub@gmail.com,1,2\n")
        else:
            path.write_bytes(csv_text().replace("ana", "bob").encode())
            # as a clock tick later would; a same-size rewrite within one tick goes unseen
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        with pytest.raises(ListcleanError, match="changed while it was being read.*nothing was written"):
            loaded.verify_unchanged()


@pytest.mark.parametrize("content", [csv_text().encode(), b"\xef\xbb\xbf" + csv_text().encode(),
                                     csv_text().encode("cp1252"), gzip.compress(csv_text().encode())],
                         ids=["utf-8", "bom", "cp1252", "gzip"])
def test_the_hash_is_of_the_bytes_read(tmp_path, content):
    path = tmp_path / ("in.csv.gz" if content[:2] == b"\x1f\x8b" else "in.csv")
    path.write_bytes(content)
    with load(path) as loaded:
        assert loaded.sha256 == hashlib.sha256(content).hexdigest()
        assert loaded.frame["Email"].to_list() == ["ana@gmail.com", "josé@correo.es"]


def _write_to_fifo(path, content):
    def write():
        with open(path, "wb") as handle:
            handle.write(content)
    writer = threading.Thread(target=write)
    writer.start()
    return writer


@pytest.mark.parametrize("kind", ["plain", "cp1252", "gzip", "stdin", "pipe", "xlsx"])
def test_close_leaves_no_temporary_folder_nor_open_file(tmp_path, monkeypatch, kind):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path, writer = tmp_path / "in.csv", None
    if kind == "plain":
        path.write_text(csv_text())
    elif kind == "cp1252":
        path.write_bytes(csv_text().encode("cp1252"))
    elif kind == "gzip":
        path = tmp_path / "in.csv.gz"
        path.write_bytes(gzip.compress(csv_text().encode()))
    elif kind == "stdin":
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(csv_text().encode())))
        path = "-"
    elif kind == "pipe":  # process substitution, <(zcat export.csv.gz): read once, into a copy
        os.mkfifo(path)
        writer = _write_to_fifo(path, csv_text().encode())
    else:
        path = tmp_path / "in.xlsx"
        pl.DataFrame([dict(zip(["Email", "Phone", "Zip"], r)) for r in ROWS]).write_excel(path)
    open_files = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    loaded = load(path)
    assert loaded.frame["Zip"].to_list() == ["007", "010"]
    if kind in ("cp1252", "gzip", "stdin", "pipe"):
        assert list(scratch.iterdir()), "a private copy is made"
    loaded.verify_unchanged()
    loaded.close()
    loaded.close()  # twice is harmless
    if writer is not None:
        writer.join()
    assert list(scratch.iterdir()) == []
    assert loaded.descriptor is None
    if open_files is not None:
        assert len(os.listdir("/proc/self/fd")) == open_files


def test_a_failed_load_leaves_nothing_open(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = tmp_path / "in.csv"
    open_files = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for content in (b"Email,Phone\na@gmail.com,1\nb@gmail.com,2,3\n", b"Email,Phone\nb\xe9@x.es,2,3\n"):  # in place, transcoded
        path.write_bytes(content)
        with pytest.raises(ListcleanError, match="ragged row"):
            load(path)
    assert list(scratch.iterdir()) == []
    if open_files is not None:
        assert len(os.listdir("/proc/self/fd")) == open_files


# ---------------------------------------------------------------- reserved names

@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_input_column_named_like_listclean_s_own_is_carried_apart(tmp_path, fmt):
    header = ["_row", "Email", "_source", "_row_input"]
    values = {"_row": ["a7", "a9"], "Email": ["ana@gmail.com", "bob@gmail.com"], "_source": ["crm", "web"],
              "_row_input": ["x", "y"]}
    path = tmp_path / f"in.{fmt}"
    frame = pl.DataFrame(values)
    frame.write_csv(path) if fmt == "csv" else frame.write_parquet(path)
    with load(path) as loaded:
        assert loaded.header == header
        assert loaded.columns == ["_row_input_2", "Email", "_source_input", "_row_input"]
        assert loaded.renamed == {"_row_input_2": "_row", "_source_input": "_source"}
        got = loaded.frame
        assert got["_row"].to_list() == [1, 2], "listclean's row numbers"
        assert got["_row_input_2"].to_list() == ["a7", "a9"], "the input's own column"
        assert got["_row_input"].to_list() == ["x", "y"]
        restored = loaded.restore_header(got.drop("_row").select(loaded.columns))
        assert restored.columns == header
        assert restored.equals(frame)


# ---------------------------------------------------------------- mixed encodings

def test_a_utf8_file_with_legacy_lines_is_read_line_by_line(tmp_path):
    """One cp1252 line must not turn every UTF-8 name into mojibake (JosÃ©), silently."""
    path = tmp_path / "in.csv"
    path.write_bytes("Email,Name\nana@gmail.com,José\n".encode() + "bob@gmail.com,Muñoz\n".encode("cp1252")
                     + "cai@gmail.com,Zoë\n".encode() + "dan@gmail.com,Peña\n".encode("cp1252"))
    with load(path) as loaded:
        assert loaded.frame["Name"].to_list() == ["José", "Muñoz", "Zoë", "Peña"]
        assert loaded.encoding == "utf-8+cp1252"
        assert loaded.notes == [("IN003", ("2 lines are not UTF-8 like the rest, read as cp1252: rows 2, 4; "
                                           "check the names there, or export the file as UTF-8 again"))]
        assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        # The rule turns the note into a file-level finding (the pipeline passes Loaded.notes as input_notes).
        notes = mixed_encoding(types.SimpleNamespace(input_notes=loaded.notes))
        assert [n.message for n in notes] == [loaded.notes[0][1]]


def test_legacy_lines_are_named_by_row_and_counted(tmp_path):
    path = tmp_path / "in.csv"
    lines = [f"u{i}@gmail.com,{'Muñoz' if i % 2 else 'José'}\n".encode("cp1252" if i % 2 else "utf-8")
             for i in range(1, 21)]
    path.write_bytes(b"Email,Name\n" + b"".join(lines[:3]) + b"\n" + b"".join(lines[3:]))
    with load(path) as loaded:
        assert loaded.frame["Name"].to_list() == ["Muñoz" if i % 2 else "José" for i in range(1, 21)]
        assert loaded.notes[0][1].startswith("10 lines are not UTF-8 like the rest, read as cp1252: "
                                             "rows 1, 3, 6, 8, 10 and 5 more")  # row 4 is a blank line


def test_legacy_lines_outside_cp1252_are_read_as_latin1(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("Email,Name\nana@gmail.com,José\n".encode() + b"bob@gmail.com,Mu\xf1oz\x81\n")
    with load(path) as loaded:
        assert loaded.frame["Name"].to_list() == ["José", "Muñoz\x81"]
        assert loaded.encoding == "utf-8+latin-1" and "row 2" in loaded.notes[0][1]


def test_a_file_all_in_one_legacy_encoding_is_no_mix(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("Email,Name\nana@gmail.com,José\nbob@gmail.com,Muñoz\n".encode("cp1252"))
    with load(path) as loaded:
        assert loaded.frame["Name"].to_list() == ["José", "Muñoz"]
        assert (loaded.encoding, loaded.notes) == ("cp1252", [])


def test_a_valid_utf8_file_is_not_transcoded(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Email,Name\nana@gmail.com,José\n", encoding="utf-8")
    with load(path) as loaded:
        assert loaded.temporary is None and loaded.descriptor is not None, "scanned where it lies"
        assert (loaded.encoding, loaded.notes) == ("utf-8", [])


def test_mixed_encodings_through_the_cli(cli, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("Email,Name\nana@gmail.com,José\n".encode() + "bob@gmail.com,Muñoz\n".encode("cp1252"))
    result = cli("columns", path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"encoding": "utf-8+cp1252"' in result.stdout
    assert cli("check", path).exit_code in (0, 1)


# ---------------------------------------------------------------- blank lines and row numbers

def file_line(path, row, header_lines=1):
    """The line a person finds row ``row`` on (1-based), as an editor numbers lines."""
    return path.read_bytes().decode().splitlines()[row + header_lines - 1]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_blank_lines_are_skipped_and_rows_keep_their_line(tmp_path, newline):
    path = tmp_path / "in.csv"
    lines = ["Email,Phone,Zip", "ana@gmail.com,1,007", "", "   ", "bob@gmail.com,2,010", ",,", "cai@gmail.com,3,011", ""]
    path.write_text(newline.join(lines), encoding="utf-8", newline="")
    with load(path) as loaded:
        frame = loaded.frame
        # A line of only commas is a record (of empty cells), not a blank line.
        assert frame.select("_row", "Email").rows() == [(1, "ana@gmail.com"), (4, "bob@gmail.com"), (5, ""),
                                                        (6, "cai@gmail.com")]
        assert loaded.rows == 4
        for row, email in frame.select("_row", "Email").rows():
            assert file_line(path, row).startswith(email + ",")


def test_rows_after_a_quoted_field_spanning_lines_keep_their_line(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('Email,Notes\nana@gmail.com,"first\n\nthird line"\n\nbob@gmail.com,"a ""b"" c"\n'
                    'cai@gmail.com,plain\n', encoding="utf-8")
    with load(path) as loaded:
        frame = loaded.frame
        assert frame.select("_row", "Email").rows() == [(1, "ana@gmail.com"), (5, "bob@gmail.com"),
                                                        (6, "cai@gmail.com")]
        assert frame["Notes"].to_list() == ["first\n\nthird line", 'a "b" c', "plain"]
        for row, email in frame.select("_row", "Email").rows():
            assert file_line(path, row).startswith(email + ",")


def test_a_lone_carriage_return_is_no_line_break(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b'Email,Notes\nana@gmail.com,"x\ry"\nbob@gmail.com,12" pizza\ncai@gmail.com,z\n')
    with load(path) as loaded:  # the stray quote sends it through the csv module
        assert loaded.frame.select("_row", "Notes").rows() == [(1, "x\ry"), (2, '12" pizza'), (3, "z")]
    path.write_bytes(b'Email,Notes\nana@gmail.com,12" pizza\nbob@gmail.com,x\ry\n')
    with pytest.raises(ListcleanError, match="carriage return") as error:
        load(path)
    assert (error.value.row, error.value.column) == (2, "Notes")


def test_an_error_names_the_row_a_person_finds_it_on(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('Email,Notes,Zip\nana@gmail.com,"two\nlines",1\n\nbob@gmail.com,x,2\ncai@gmail.com,x\n')
    with pytest.raises(ListcleanError) as error:
        load(path)
    assert error.value.row == 5 and error.value.column == "Zip"
    assert file_line(path, 5) == "cai@gmail.com,x"
    assert "cai@gmail.com" not in str(error.value)


def test_blank_lines_before_the_header(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("\n\nEmail,Phone\nana@gmail.com,1\n\nbob@gmail.com,2\n")
    with load(path) as loaded:
        assert loaded.header == ["Email", "Phone"] and loaded.header_lines == 3
        assert loaded.frame.select("_row", "Email").rows() == [(1, "ana@gmail.com"), (3, "bob@gmail.com")]
        assert file_line(path, 3, header_lines=3) == "bob@gmail.com,2"


def test_blank_lines_and_rows_in_jsonl_and_excel(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"Email": "ana@gmail.com"}\n\n  \n{"Email": "bob@gmail.com"}\n')
    with load(path) as loaded:
        assert loaded.frame.select("_row", "Email").rows() == [(1, "ana@gmail.com"), (4, "bob@gmail.com")]
    frame = pl.DataFrame({"Email": ["ana@gmail.com", None, "  ", "bob@gmail.com"], "Zip": ["007", None, None, "010"]})
    frame.write_excel(tmp_path / "in.xlsx")
    with load(tmp_path / "in.xlsx") as loaded:
        assert loaded.frame.select("_row", "Email").rows() == [(1, "ana@gmail.com"), (4, "bob@gmail.com")]


# ---------------------------------------------------------------- Excel bombs

def _xlsx_with_shared_string(tmp_path, size):
    """A real .xlsx (written by polars) whose shared strings hold one string of ``size`` bytes."""
    plain = tmp_path / "plain.xlsx"
    pl.DataFrame({"Email": ["ana@gmail.com"], "Zip": ["007"]}).write_excel(plain)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace(b"</sst>", b"<si><t>" + b"A" * size + b"</t></si></sst>")
            out.writestr(item.filename, data)
    return bomb


def _set_stated_size(path, member, size):
    """Rewrite the uncompressed size the zip's central directory states for ``member``."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_length] == name:
            data[at + 24:at + 28] = size.to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def test_an_excel_bomb_is_refused_before_it_is_unpacked(tmp_path):
    bomb = _xlsx_with_shared_string(tmp_path, 48 * 1024 ** 2)
    assert bomb.stat().st_size < 1024 ** 2, "small on disk"
    with pytest.raises(ListcleanError, match=r"refused: part 'xl/sharedStrings.xml'.*zip bomb"):
        load(bomb)


def test_an_excel_file_stating_more_than_the_limit_is_refused(tmp_path):
    path = _xlsx_with_shared_string(tmp_path, 10)
    _set_stated_size(path, "xl/sharedStrings.xml", 0xF000_0000)
    with pytest.raises(ListcleanError, match=r"refused: this Excel file unpacks to [\d,]+ MiB, more than the 1,024 MiB"):
        load(path)


def test_an_excel_part_bigger_than_it_states_is_refused(tmp_path):
    path = _xlsx_with_shared_string(tmp_path, 4 * 1024 ** 2)
    _set_stated_size(path, "xl/sharedStrings.xml", 1000)
    with pytest.raises(ListcleanError, match="cannot read as Excel: damaged"):
        load(path)


def test_the_excel_limits_are_documented_constants():
    assert load_module.XLSX_MAX_UNPACKED == 1024 ** 3 and load_module.XLSX_MAX_RATIO == 200
    assert "XLSX_MAX_UNPACKED" in load_module.__doc__


# ---------------------------------------------------------------- pipes

def load_within(path, seconds=10):
    """load(path) in a worker, failing the test (not hanging it) if it takes longer."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(lambda: load(path))
        loaded = loading.result(timeout=seconds)
    try:
        return loaded.frame
    finally:
        loaded.close()


def test_a_named_pipe_is_read(tmp_path):
    path = tmp_path / "in.csv"
    os.mkfifo(path)
    writer = _write_to_fifo(path, csv_text().encode())
    assert load_within(path)["Zip"].to_list() == ["007", "010"]
    writer.join(timeout=5)


def test_a_named_pipe_opened_and_closed_empty_is_an_empty_file(tmp_path):
    path = tmp_path / "in.csv"
    os.mkfifo(path)
    writer = _write_to_fifo(path, b"")
    with pytest.raises(ListcleanError, match="the file is empty"):
        load_within(path)
    writer.join(timeout=5)


def test_a_named_pipe_nobody_writes_is_refused_not_waited_on_for_ever(tmp_path, monkeypatch):
    monkeypatch.setattr(load_module, "PIPE_WAIT_SECONDS", 0.3)
    path = tmp_path / "in.csv"
    os.mkfifo(path)
    with pytest.raises(ListcleanError, match="nothing opened this named pipe for writing within 0.3 s"):
        load_within(path, seconds=5)


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="needs /dev/fd")
@pytest.mark.parametrize("content", [csv_text().encode(), b""], ids=["written", "empty"])
def test_an_anonymous_pipe_as_from_process_substitution(content):
    read_end, write_end = os.pipe()
    try:
        writer = threading.Thread(target=lambda: (os.write(write_end, content), os.close(write_end)))
        writer.start()
        if content:
            assert load_within(f"/dev/fd/{read_end}")["Zip"].to_list() == ["007", "010"]
        else:
            writer.join()
            with pytest.raises(ListcleanError, match="the file is empty"):
                load_within(f"/dev/fd/{read_end}")
        writer.join(timeout=5)
    finally:
        os.close(read_end)


# ---------------------------------------------------------------- temporary copies

def _input_of_kind(tmp_path, monkeypatch, kind):
    path = tmp_path / "in.csv"
    if kind == "cp1252":
        path.write_bytes(csv_text().encode("cp1252"))
    elif kind == "gzip":
        path = tmp_path / "in.csv.gz"
        path.write_bytes(gzip.compress(csv_text().encode()))
    elif kind == "stdin":
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(csv_text().encode())))
        path = "-"
    elif kind == "stray quote":
        path.write_text('Email,Notes\nana@gmail.com,12" pizza\n')
    else:  # mixed
        path.write_bytes(b"Email\nana@gmail.com\n" + "josé@correo.es\n".encode("cp1252"))
    return path


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("kind", ["cp1252", "gzip", "stdin", "stray quote", "mixed"])
def test_a_copy_never_closed_is_private_and_removed_when_dropped(tmp_path, monkeypatch, scratch, kind):
    loaded = load(_input_of_kind(tmp_path, monkeypatch, kind))
    copies = list(scratch.iterdir())
    assert copies and all(stat.S_IMODE(c.stat().st_mode) == 0o700 for c in copies), "only this user can read it"
    del loaded
    gc.collect()
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("kind", ["cp1252", "gzip", "stdin"])
def test_the_columns_command_leaves_no_copy_behind(tmp_path, monkeypatch, kind):
    """In a real process: whatever the command does with the Loaded, no copy is left at exit."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    path = _input_of_kind(tmp_path, monkeypatch, kind)
    env = {**os.environ, "TMPDIR": str(folder)}
    columns = subprocess.run([sys.executable, "-m", "listclean", "columns", str(path)], env=env, timeout=60,
                             input=csv_text() if kind == "stdin" else None, capture_output=True, text=True,
                             check=False)
    assert columns.returncode == 0 and "2 rows" in columns.stdout, columns.stderr
    assert list(folder.iterdir()) == []


def test_a_copy_still_referenced_at_exit_is_removed(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    path = _input_of_kind(tmp_path, monkeypatch, "cp1252")
    script = "import sys; from listclean.load import load; kept = load(sys.argv[1]); print(kept.temporary.is_dir())"
    held = subprocess.run([sys.executable, "-c", script, str(path)], env={**os.environ, "TMPDIR": str(folder)},
                          timeout=60, capture_output=True, text=True, check=False)
    assert held.stdout.strip() == "True", held.stderr
    assert list(folder.iterdir()) == []


def test_a_failing_load_removes_its_copies(tmp_path, scratch):
    path = tmp_path / "in.csv"
    open_files = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    failing = [b'Email,Zip\nana@gmail.com,12" pizza,x\n',                       # read by the csv module
               b'Email,Zip\nana@gmail.com,"12\n',                                  # never closed
               "Email,Zip\nJosé,1\n".encode() + "Peña,1,2\n".encode("cp1252")]    # transcoded
    for content in failing:
        path.write_bytes(content)
        with pytest.raises(ListcleanError, match="row"):
            load(path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    writer = _write_to_fifo(fifo, b"Email,Zip\na@gmail.com,1,2\n")
    with pytest.raises(ListcleanError, match="ragged row"):
        load(fifo)
    writer.join(timeout=5)
    with pytest.raises(ListcleanError, match="zip bomb"):
        load(_xlsx_with_shared_string(tmp_path, 40 * 1024 ** 2))
    assert list(scratch.iterdir()) == []
    if open_files is not None:
        assert len(os.listdir("/proc/self/fd")) == open_files


# ---------------------------------------------------------------- quotes as a spreadsheet reads them

def test_a_stray_quote_is_read_as_a_literal_character(cli, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('Email,Notes,Unsubscribed\nana@gmail.com,12" pizza,yes\nbob@gmail.com,plain,no\n')
    result = cli("check", path, "--format", "json")
    assert result.exit_code in (0, 1) and "Traceback" not in result.output, result.output
    assert '"rows_in": 2' in result.stdout
    with load(path) as loaded:
        assert loaded.frame["Notes"].to_list() == ['12" pizza', "plain"]


@pytest.mark.parametrize("field", ['12" pizza', '12" and 3" pizza', 'a "b", c', '"x"y', ' "b"', '"12"" pizza"',
                                   '"a,b"'])
def test_quotes_are_read_as_the_csv_module_reads_them(tmp_path, field):
    path = tmp_path / "in.csv"
    text = f"Email,Notes,Zip\nana@gmail.com,{field},007\nbob@gmail.com,x,010\n"
    path.write_text(text)
    expected = list(csv.reader(io.StringIO(text)))[1:]
    if any(len(r) != 3 for r in expected):
        with pytest.raises(ListcleanError, match="ragged row"):
            load(path)
        return
    with load(path) as loaded:
        assert [list(r) for r in loaded.frame.select("Email", "Notes", "Zip").rows()] == expected
        assert loaded.frame["_row"].to_list() == [1, 2]


def test_a_quote_never_closed_is_one_line_naming_file_row_and_column(cli, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('Email,Phone,Notes\nana@gmail.com,+34612345678,"12 pizza\nbob@gmail.com,+34699111222,x\n')
    result = cli("check", path)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert f"{path}, row 1, column 'Notes'" in lines[0] and "never closed" in lines[0]
    assert "bob@gmail.com" not in result.output and "699111222" not in result.output


def test_a_field_over_the_csv_limit_is_one_line_naming_file_row_and_column(cli, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('Email,Notes,Zip\nana@gmail.com,x,1\nbob@gmail.com,"' + "y" * 200_000 + "\ncai@gmail.com,x,2\n")
    result = cli("check", path)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert f"{path}, row 2, column 'Notes'" in result.stderr


def test_a_unit_separator_in_a_cell_loses_no_row(tmp_path):
    # The line survey reads whole lines split at U+001F; a cell holding one must not look blank.
    path = tmp_path / "in.csv"
    path.write_text("Email,Phone\nana@gmail.com,1\n\x1f,2\n,\x1f\n", encoding="utf-8")
    with load(path) as loaded:
        frame = loaded.frame
    assert frame["_row"].to_list() == [1, 2, 3]
    assert frame["Phone"].to_list() == ["1", "2", "\x1f"]
