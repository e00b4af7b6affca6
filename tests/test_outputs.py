"""The outputs of `clean`: a set that appears whole or not at all, formats from --out, stdout,
permissions. Failures are built for real (a full tmpfs, an immutable folder or file)."""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import stat
import subprocess
from pathlib import Path

import polars as pl
import pytest

from listclean.errors import ListcleanError
from listclean.write import OutputFile, OutputSet
from tests.conftest import write_rows

ROWS = [{"email": "ana@gmail.com", "email_consent": "yes", "last_activity": "2026-10-01"},
        {"email": "bob@@gmail", "email_consent": "yes", "last_activity": "2026-10-01"}]


def one_line_error(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("listclean: error:"), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def big_export(path: Path, rows: int = 6000) -> Path:
    """Well over 1 MiB of rejects: half the rows are invalid addresses with a long note."""
    header = ["Email", "Email Consent", "Last Activity", "Notes"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(rows):
            writer.writerow([f"user{i}@gmail.com" if i % 2 else f"bad{i}@@x", "yes", "2026-10-01", "x" * 300])
    return path


@contextlib.contextmanager
def small_tmpfs(folder: Path):
    folder.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@contextlib.contextmanager
def immutable(path: Path):
    if shutil.which("chattr") is None:
        pytest.skip("no chattr command")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i not available here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_full_disk_is_one_line_and_leaves_nothing(cli, tmp_path):
    source = big_export(tmp_path / "big.csv")
    with small_tmpfs(tmp_path / "full") as full:
        (full / "send.csv").write_text("old send\n")
        result = cli("clean", source, "-o", full / "send.csv", "--rejects", full / "rejects.csv",
                     "--audit", full / "audit.jsonl", "--as-of", "2026-11-01", "-q")
        line = one_line_error(result)
        assert "No space left on device" in line
        assert sorted(p.name for p in full.iterdir()) == ["send.csv"], "no temporary, no part of the set"
        assert (full / "send.csv").read_text() == "old send\n", "the previous send file is kept"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_full_disk_in_any_format(cli, tmp_path, suffix):
    source = big_export(tmp_path / "big.csv")
    with small_tmpfs(tmp_path / "full") as full:
        result = cli("clean", source, "-o", tmp_path / "send.csv", "--rejects", full / f"rejects{suffix}",
                     "--as-of", "2026-11-01", "-q")
        if result.exit_code != 2:  # compressed formats may fit in 1 MiB
            assert not list(full.glob(".*")), "no temporary left"
            return
        one_line_error(result)
        assert list(full.iterdir()) == [] and not (tmp_path / "send.csv").exists(), "send appears only with rejects"
        assert not list(tmp_path.glob(".send.csv.*")), "no temporary left beside send.csv"


def test_unwritable_folder_is_one_line_and_leaves_nothing(cli, tmp_path):
    source = write_rows(tmp_path / "in.csv", ROWS)
    locked = tmp_path / "locked"
    locked.mkdir()
    with immutable(locked):
        result = cli("clean", source, "-o", tmp_path / "send.csv", "--rejects", locked / "rejects.csv",
                     "--as-of", "2026-11-01", "-q")
        line = one_line_error(result)
        assert "--rejects" in line and "cannot write" in line
        assert list(locked.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "locked"], "send.csv not left alone"


def test_a_failed_rename_undoes_the_renames_before_it(cli, tmp_path):
    """rejects.csv exists and is immutable: the rename onto it fails after send.csv was renamed
    into place; send.csv must go back to what it was."""
    source = write_rows(tmp_path / "in.csv", ROWS)
    out = tmp_path / "out"
    out.mkdir()
    (out / "send.csv").write_text("old send\n")
    (out / "rejects.csv").write_text("old rejects\n")
    with immutable(out / "rejects.csv"):
        result = cli("clean", source, "-o", out / "send.csv", "--rejects", out / "rejects.csv",
                     "--audit", out / "audit.jsonl", "--as-of", "2026-11-01", "-q")
        one_line_error(result)
    assert sorted(p.name for p in out.iterdir()) == ["rejects.csv", "send.csv"]
    assert (out / "send.csv").read_text() == "old send\n"
    assert (out / "rejects.csv").read_text() == "old rejects\n"


def test_an_interrupt_while_committing_leaves_nothing(tmp_path, monkeypatch):
    frame = pl.DataFrame({"a": ["1"]})
    files = OutputSet()
    with pytest.raises(KeyboardInterrupt), files:
        files.add("send", lambda: OutputFile(tmp_path / "send.csv", "csv"))
        files.add("rejects", lambda: OutputFile(tmp_path / "rejects.csv", "csv"))
        files["send"].append(frame)
        files["rejects"].append(frame)

        def interrupted():
            raise KeyboardInterrupt
        monkeypatch.setattr(files["rejects"], "publish", interrupted)
        files.commit()
    assert list(tmp_path.iterdir()) == []


def test_output_file_errors_are_listclean_errors(tmp_path):
    with pytest.raises(ListcleanError, match="--out: cannot write"):
        OutputFile(tmp_path / "missing" / "send.csv", "csv", label="--out")


def test_missing_output_folder_is_refused(cli, tmp_path):
    source = write_rows(tmp_path / "in.csv", ROWS)
    line = one_line_error(cli("clean", source, "-o", tmp_path / "nowhere" / "send.csv"))
    assert "does not exist" in line


def test_tab_separated_input_writes_comma_separated_csv(cli, tmp_path):
    source = write_rows(tmp_path / "in.tsv", ROWS, delimiter="\t")
    cli("clean", source, "-o", tmp_path / "send.csv", "--rejects", tmp_path / "rejects.csv", "--as-of", "2026-11-01")
    assert (tmp_path / "send.csv").read_text().splitlines()[0].startswith("Email,Phone,")
    assert "\t" not in (tmp_path / "rejects.csv").read_text()
    cli("clean", source, "-o", tmp_path / "send.tsv", "--as-of", "2026-11-01")
    assert (tmp_path / "send.tsv").read_text().splitlines()[0].startswith("Email\tPhone\t")


def test_same_extension_keeps_the_input_delimiter(cli, tmp_path):
    source = write_rows(tmp_path / "in.csv", ROWS, delimiter=";")
    cli("clean", source, "-o", tmp_path / "send.csv", "--as-of", "2026-11-01")
    assert (tmp_path / "send.csv").read_text().splitlines()[0].startswith("Email;Phone;")
    cli("clean", source, "-o", tmp_path / "send.txt", "--as-of", "2026-11-01")
    assert (tmp_path / "send.txt").read_text().splitlines()[0].startswith("Email,Phone,")


def test_dash_writes_csv_to_stdout_and_the_report_to_stderr(cli, tmp_path):
    source = write_rows(tmp_path / "in.tsv", ROWS, delimiter="\t")
    result = cli("clean", source, "-o", "-", "--rejects", tmp_path / "rejects.csv", "--as-of", "2026-11-01",
                 "--format", "summary")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Email,Phone,") and lines[1].startswith("ana@gmail.com,")
    assert len(lines) == 2, "nothing but the send rows on stdout"
    assert "rows_in 2 = send 1" in result.stderr
    assert not (tmp_path / "-").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tsv", "rejects.csv"]


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_outputs_respect_the_umask(cli, tmp_path, umask, mode):
    source = write_rows(tmp_path / "in.csv", ROWS)
    previous = os.umask(umask)
    try:
        cli("clean", source, "-o", tmp_path / "send.csv", "--rejects", tmp_path / "rejects.xlsx",
            "--audit", tmp_path / "audit.jsonl", "--as-of", "2026-11-01")
    finally:
        os.umask(previous)
    for name in ("send.csv", "rejects.xlsx", "audit.jsonl"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


def test_a_replaced_file_keeps_its_permissions(cli, tmp_path):
    source = write_rows(tmp_path / "in.csv", ROWS)
    (tmp_path / "send.csv").write_text("old\n")
    os.chmod(tmp_path / "send.csv", 0o604)
    cli("clean", source, "-o", tmp_path / "send.csv", "--as-of", "2026-11-01")
    assert stat.S_IMODE((tmp_path / "send.csv").stat().st_mode) == 0o604
    assert (tmp_path / "send.csv").read_text().startswith("Email,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "send.csv"], "no backup left"
