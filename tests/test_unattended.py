"""What unattended runs rely on: --record-unsubscribes keeps a hashed-only store hashed-only,
--format github stays within what GitHub shows, help and rule summaries read whole at 80 columns."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listclean.checks.registry import RULES
from listclean.cli import app
from listclean.report import github
from tests.conftest import write_rows


def store_bytes(store: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (store, store.with_name(store.name + "-wal")) if p.exists())


@pytest.mark.parametrize("hashed_only", [True, False])
def test_record_unsubscribes_keeps_the_store_mode(cli, tmp_path, hashed_only):
    store = tmp_path / "store.sqlite"
    seed = write_rows(tmp_path / "seed.csv", [{"email": "seed@gmail.com"}], header=["Email"])
    imported = cli("suppress", "import", seed, "--store", store, *(["--hashed-only"] if hashed_only else []))
    assert imported.exit_code == 0, imported.output
    export = write_rows(tmp_path / "export.csv", [
        {"email": "zed.unsub@gmail.com", "email_consent": "yes", "unsubscribed": "yes"},
        {"email": "ana@gmail.com", "email_consent": "yes"}])
    result = cli("clean", export, "-o", tmp_path / "send.csv", "--store", store, "--record-unsubscribes",
                 "--as-of", "2026-11-01", "-q")
    assert result.exit_code in (0, 1), result.output
    stats = cli("suppress", "stats", "--store", store).stdout
    assert "entries: 2" in stats
    assert (b"zedunsub@gmail.com" in store_bytes(store) or b"zed.unsub@gmail.com" in store_bytes(store)) \
        is not hashed_only
    if hashed_only:
        assert "hashed_only: 2" in stats and "plaintext: 0" in stats


def crowded_export(path: Path, rows: int = 3000) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Phone", "Country", "Email Consent"])
        for i in range(rows):
            email = [f"person{i}@hotmal.es", f"person{i}@@bad", f"info{i}@mailinator.com", ""][i % 4]
            writer.writerow([email, f"+34 612 {i:06d}"[:15] if i % 3 else "n/a", "ES", ["yes", "", "maybe"][i % 3]])
    return path


def test_github_format_is_one_annotation_per_code(cli, tmp_path):
    source = crowded_export(tmp_path / "crowded.csv")
    result = cli("check", source, "--as-of", "2026-11-01", "--format", "github")
    lines = result.stdout.splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    titles = [re.search(r"title=(\w+)", line).group(1) for line in annotations]
    assert len(titles) == len(set(titles)) <= github.MAX_CODES
    assert 3 <= len(annotations) < 60
    assert lines[-1].startswith("rows_in 3000 = send ")
    typo = next(line for line in annotations if "title=EM003" in line)
    assert "line=2," in typo and "750 rows (rows 1, 5, 9" in typo
    assert not re.search(r"person\d+@", result.stdout), "no full address in an annotation"
    assert not re.search(r"612 ?\d{6}", result.stdout), "no full phone number in an annotation"


def test_github_annotations_are_masked(monkeypatch, tmp_path):
    """Even a message that quotes a whole address or number is masked."""
    import io

    from listclean import pipeline
    from listclean.settings import build_settings

    source = write_rows(tmp_path / "one.csv", [{"email": "bob@hotmal.es"}])
    result = pipeline.check(source, build_settings(cwd=tmp_path, as_of="2026-11-01"))
    import polars as pl
    result.findings = result.findings.with_columns(
        pl.lit("reach bob@hotmal.es or +34 612 345 678").alias("message"))
    stream = io.StringIO()
    github.emit(result, stream)
    assert "bob@hotmal.es" not in stream.getvalue() and "612 345 678" not in stream.getvalue()


def test_help_shows_every_option_whole_at_80_columns():
    runner = CliRunner()
    for command in (["clean"], ["check"], ["suppress", "import"]):
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
        assert result.exit_code == 0
        assert "…" not in "".join(re.findall(r"--[\w-]+…?", result.stdout))
        for name in ("--out", "--rejects", "--audit", "--record-unsubscribes", "--consent-evidence",
                     "--similar-products", "--no-similar-products", "--dns-concurrency") if command == ["clean"] else ():
            assert re.search(rf"{name}\b", result.stdout), name
        assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_rule_summaries_end_at_a_sentence_or_a_word():
    assert RULES["PH006"].summary == 'Flags numbers written with an extension ("ext. 12")'
    assert "PECR reg. 22(3)" in RULES["CN012"].summary
    for code, rule in RULES.items():
        summary = rule.summary
        text = " ".join(rule.doc.split())
        assert len(summary) <= 100, code
        if summary.endswith("…"):
            stem = summary[:-1]
            assert text.startswith(stem) and text[len(stem)] in " ,;:(", (code, summary)
        else:
            assert text.startswith(summary) and text[len(summary)] in ".!?", (code, summary)


def test_rule_list_prints_whole_summaries(cli):
    out = cli("rule").stdout
    assert 'Flags numbers written with an extension ("ext. 12")\n' in out
    assert not re.search(r"\(PECR reg\n", out)


def test_bad_settings_are_refused_before_any_work(cli, tmp_path):
    export = tmp_path / "in.csv"
    export.write_text("Email\nana@gmail.com\n")
    out = tmp_path / "send.csv"
    for args in (("--date-format", "garbage"), ("--format", "bogus"), ("--dns-timeout", "0")):
        result = cli("clean", export, "-o", out, *args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_every_option_that_makes_sense_is_a_config_key(cli, tmp_path):
    export = tmp_path / "in.csv"
    export.write_text("Email,Last Activity\nana@gmail.com,2024-01-01\n")
    (tmp_path / "listclean.toml").write_text('as-of = 2026-11-01\nsheet = "Hoja1"\nconsent-evidence = "CRM"\n')
    document = json.loads(cli("check", export, "--format", "json").stdout)
    assert document["run"]["as_of"] == "2026-11-01"
    assert document["run"]["overrides"]["consent_evidence"] == "CRM"
    (tmp_path / "listclean.toml").write_text('dns-timeout = "abc"\n')
    result = cli("check", export)
    assert result.exit_code == 2 and "listclean.toml" in result.output and "dns-timeout" in result.output
    assert len(result.output.strip().splitlines()) == 1
