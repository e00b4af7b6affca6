"""Loading every supported format, and every kind of bad input (exit 2, one line, nothing written)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tempfile
import threading

import polars as pl
import pytest

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
    assert loaded.frame["_row"].to_list() == [1, 2]
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
