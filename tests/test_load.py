"""Loading every supported format, and every kind of bad input (exit 2, one line, nothing written)."""

from __future__ import annotations

import gzip
import io

import polars as pl
import pytest

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
