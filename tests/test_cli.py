"""End to end through the CLI: outputs, reports, exit codes, settings layers."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl
import pytest

ROWS = [
    {"email": "ana.lopez@gmail.com", "phone": "+34 612 345 678", "email_consent": "sí", "last_activity": "2026-09-01"},
    {"email": "AnaLopez+shop@googlemail.com", "phone": "612345678", "country": "ES", "unsubscribed": "yes",
     "last_activity": "2024-01-01"},
    {"email": "bob@hotmal.es", "email_consent": "yes", "last_activity": "2026-10-01"},
    {"email": "=HYPERLINK(\"http://x\")", "email_consent": "yes"},
    {"email": "carmen@hotmail.es", "phone": "+34 699 111 222", "email_consent": "Y", "last_activity": "2026-10-10",
     "Notes": "@SUM(1+1)"},
    {"email": "old@gmail.com", "email_consent": "yes", "last_activity": "2019-05-05"},
]
HEADER = ["Email", "Phone", "Country", "Email Consent", "Unsubscribed", "Last Activity", "Notes"]


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def crm(export):
    return export(ROWS, header=HEADER)


def test_clean_writes_every_row_exactly_once(cli, crm, tmp_path):
    before = crm.read_bytes()
    result = cli("clean", crm, "-o", tmp_path / "send.csv", "--rejects", tmp_path / "rejects.csv",
                 "--as-of", "2026-11-01", "--format", "json")
    assert result.exit_code == 1  # errors found
    report = json.loads(result.stdout)
    send, rejects = read_csv(tmp_path / "send.csv"), read_csv(tmp_path / "rejects.csv")
    assert len(send) + len(rejects) == len(ROWS) == report["summary"]["rows_in"]
    assert sorted(int(r["row"]) for r in rejects) == [1, 2, 3, 4, 6]
    assert [r["Email"] for r in send] == ["carmen@hotmail.es"]
    by_row = {int(r["row"]): r for r in rejects}
    # Row 1 is the most recent copy and survives; row 2's unsubscribe reaches it.
    assert (by_row[1]["status"], by_row[2]["status"], by_row[2]["duplicate_of"]) == ("drop", "duplicate", "1")
    assert by_row[3]["status"] == "review" and "EM003" in by_row[3]["codes"]
    assert by_row[6]["status"] == "review" and by_row[6]["codes"] == "ST001"
    assert crm.read_bytes() == before, "the input is never modified"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "rejects.csv", "send.csv"], "no temp files"


def test_survivor_inherits_the_stop(cli, crm, tmp_path):
    cli("clean", crm, "-o", tmp_path / "send.csv", "--rejects", tmp_path / "rejects.csv", "--as-of", "2026-11-01")
    rejects = {int(r["row"]): r for r in read_csv(tmp_path / "rejects.csv")}
    assert rejects[1]["status"] == "drop" and "CN001" in rejects[1]["codes"]
    assert rejects[2]["status"] == "duplicate" and rejects[2]["duplicate_of"] == "1"
    assert "row 2 (same email)" in rejects[1]["reasons"]


def test_outputs_neutralise_formulas_but_keep_valid_phones(cli, crm, tmp_path):
    cli("clean", crm, "-o", tmp_path / "send.csv", "--rejects", tmp_path / "rejects.csv", "--as-of", "2026-11-01")
    send = read_csv(tmp_path / "send.csv")
    rejects = {int(r["row"]): r for r in read_csv(tmp_path / "rejects.csv")}
    assert send[0]["Notes"] == "'@SUM(1+1)"
    assert send[0]["Phone"] == "+34 699 111 222", "a valid phone number is not a formula"
    assert send[0]["phone_e164"] == "+34699111222" and send[0]["email_normalized"] == "carmen@hotmail.es"
    assert rejects[4]["Email"].startswith("'=HYPERLINK")


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".jsonl", ".tsv"])
def test_output_format_follows_the_extension(cli, crm, tmp_path, suffix):
    out = tmp_path / f"send{suffix}"
    result = cli("clean", crm, "-o", out, "--as-of", "2026-11-01", "-q")
    assert result.exit_code == 1 and result.stdout == ""
    reader = {".xlsx": pl.read_excel, ".parquet": pl.read_parquet, ".jsonl": pl.read_ndjson,
              ".tsv": lambda p: pl.read_csv(p, separator="\t")}[suffix]
    assert reader(out)["Email"].to_list() == ["carmen@hotmail.es"]


def test_json_report_schema(cli, crm):
    result = cli("check", crm, "--as-of", "2026-11-01", "--format", "json")
    report = json.loads(result.stdout)
    assert report["schema"] == "listclean.report/1"
    assert set(report) >= {"input", "run", "data_versions", "columns", "rules_run", "summary", "findings"}
    assert report["data_versions"]["phonenumbers_metadata"] and report["data_versions"]["disposable_email_domains"]
    summary = report["summary"]
    assert summary["rows_in"] == sum(summary["by_status"].values()) == 6
    assert summary["by_code"]["EM003"] == {"name": "email-domain-typo", "severity": "warning", "rows": 1, "file_notes": 0}
    typo = [f for f in report["findings"] if f["code"] == "EM003"][0]
    assert typo == {"row": 3, "code": "EM003", "name": "email-domain-typo", "severity": "warning",
                    "column": "Email", "message": "domain @hotmal.es looks like a typo of @hotmail.es",
                    "suggestion": "did you mean @hotmail.es?"}


def test_personal_data_is_masked_in_the_text_summary(cli, crm):
    result = cli("check", crm, "--as-of", "2026-11-01", "--format", "text")
    assert "rows_in 6 = send 1 + review 2 + drop 2 + duplicate 1" in result.stdout
    assert "b***@hotmal.es" in result.stdout
    assert "bob@hotmal.es" not in result.stdout and "612 345 678" not in result.stdout


def test_github_and_junit_formats(cli, crm):
    github = cli("check", crm, "--as-of", "2026-11-01", "--format", "github").stdout
    assert "::warning file=" in github and "line=4,title=EM003 email-domain-typo::" in github
    junit = ET.fromstring(cli("check", crm, "--as-of", "2026-11-01", "--format", "junit").stdout)
    cases = {c.get("name"): c for c in junit.iter("testcase")}
    assert cases["EM003 email-domain-typo"].find("failure") is not None
    assert cases["EM001 email-missing"].find("failure") is None
    assert int(junit.get("failures")) >= 3


@pytest.mark.parametrize("fail_on,code", [("error", 1), ("never", 0)])
def test_fail_on(cli, crm, fail_on, code):
    assert cli("check", crm, "--fail-on", fail_on, "-q").exit_code == code


def test_fail_on_warning_and_clean_file(cli, export):
    clean_file = export([{"email": "ana@gmail.com", "email_consent": "yes", "last_activity": "2026-10-01"}])
    assert cli("check", clean_file, "--as-of", "2026-11-01").exit_code == 0
    stale = export([{"email": "ana@gmail.com", "email_consent": "yes", "last_activity": "2020-10-01"}], name="s.csv")
    assert cli("check", stale, "--as-of", "2026-11-01").exit_code == 0
    assert cli("check", stale, "--as-of", "2026-11-01", "--fail-on", "warning").exit_code == 1


def test_as_of_makes_runs_reproducible(cli, crm):
    first = cli("check", crm, "--as-of", "2026-11-01", "--format", "json").stdout
    second = cli("check", crm, "--as-of", "2026-11-01", "--format", "json").stdout
    assert json.loads(first)["summary"] == json.loads(second)["summary"]
    later = json.loads(cli("check", crm, "--as-of", "2030-01-01", "--format", "json").stdout)
    assert later["summary"]["by_code"]["ST001"]["rows"] > json.loads(first)["summary"]["by_code"]["ST001"]["rows"]


def test_select_ignore_and_regrade_in_project_settings(cli, crm, tmp_path):
    (tmp_path / "listclean.toml").write_text('ignore = ["EM003"]\n[severity]\nST001 = "error"\n')
    report = json.loads(cli("check", crm, "--as-of", "2026-11-01", "--format", "json").stdout)
    assert "EM003" not in report["summary"]["by_code"]
    assert report["summary"]["by_code"]["ST001"]["severity"] == "error"
    report = json.loads(cli("check", crm, "--as-of", "2026-11-01", "--format", "json", "--select", "EM").stdout)
    assert set(report["summary"]["by_code"]) <= {"EM001", "EM002", "EM003", "EM004", "EM005", "DU001"} | {"CN001"}


def test_pyproject_tool_section_and_policy(cli, export, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.listclean]\npolicy = "gdpr"\n')
    path = export([{"email": "ana@gmail.com"}], header=["Email"])
    report = json.loads(cli("check", path, "--format", "json").stdout)
    assert report["run"]["policy"]["name"] == "gdpr"
    assert report["summary"]["by_status"]["drop"] == 1  # no consent column under GDPR
    assert report["summary"]["by_code"]["CN004"]["severity"] == "error"


def test_unknown_key_in_settings_names_file_and_key(cli, crm, tmp_path):
    (tmp_path / "listclean.toml").write_text('polcy = "gdpr"\n')
    result = cli("check", crm)
    assert result.exit_code == 2 and "listclean.toml" in result.stderr and "polcy" in result.stderr


def test_columns_command_and_map_override(cli, export):
    path = export([{"Tel. móvil": "612345678", "Correo": "a@b.es"}], header=["Correo", "Tel. móvil", "Fijo"])
    out = cli("columns", path, "--map", "phone=Fijo").stdout
    assert "Fijo" in out and "phone  (--map)" in out
    assert "Correo" in out and "email" in out


def test_rule_command(cli):
    out = cli("rule", "EM003").stdout
    assert out.startswith("EM003 email-domain-typo") and "How to fix" in out
    listing = cli("rule").stdout
    assert listing.count("\n") >= 20 and "CN001" in listing
    assert cli("rule", "XX999").exit_code == 2


def test_policy_commands(cli):
    assert {"default", "gdpr", "can-spam"} <= set(line.split()[0] for line in cli("policy", "list").stdout.splitlines())
    shown = cli("policy", "show", "gdpr").stdout
    assert "sha256" in shown and 'extends = "default"' in shown


def test_every_command_has_help_and_appears_in_the_readme():
    from pathlib import Path

    from listclean.cli import app

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for command in app.registered_commands:
        assert command.callback.__doc__, f"{command.callback.__name__} has no help"
        assert f"listclean {command.callback.__name__}" in readme


def test_audit_trail_has_one_line_per_row_with_what_judged_it(cli, crm, tmp_path):
    import hashlib

    audit = tmp_path / "audit.jsonl"
    cli("clean", crm, "-o", tmp_path / "send.csv", "--audit", audit, "--policy", "gdpr", "--as-of", "2026-11-01")
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [line["row"] for line in lines] == list(range(1, len(ROWS) + 1))
    policy_bytes = (Path(__file__).parent.parent / "rules" / "gdpr.toml").read_bytes()
    for line in lines:
        assert line["policy"] == {"name": "gdpr", "source": "rules/gdpr.toml",
                                  "sha256": hashlib.sha256(policy_bytes).hexdigest()}
        assert line["input"]["sha256"] == hashlib.sha256(crm.read_bytes()).hexdigest()
        assert line["status"] in {"send", "review", "drop", "duplicate"} and line["as_of"] == "2026-11-01"
    assert lines[1]["status"] == "duplicate" and lines[1]["duplicate_of"] == 1
    assert "CN001" in lines[0]["codes"]


def _main(*args):
    from listclean.cli import main

    with pytest.raises(SystemExit) as stopped:
        main([str(a) for a in args])
    return stopped.value.code


def test_an_internal_error_is_one_masked_line_and_status_3(crm, tmp_path, monkeypatch, capsys):
    from listclean import pipeline

    def broken(*args, **kwargs):
        raise ValueError("cannot compare 'ana.lopez@gmail.com' with\n'+34 612 345 678'")

    monkeypatch.setattr(pipeline, "decide_people", broken)
    monkeypatch.delenv("LISTCLEAN_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    send = tmp_path / "send.csv"
    assert _main("clean", crm, "-o", send) == 3
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert error.startswith("listclean: error: internal error in listclean/pipeline.py:")
    assert "ValueError: cannot compare 'a***@gmail.com' with '+34 6" in error
    assert "ana.lopez" not in error and "345 678" not in error and "LISTCLEAN_DEBUG=1" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == [crm.name]   # nothing written, nothing left behind

    monkeypatch.setenv("LISTCLEAN_DEBUG", "1")
    with pytest.raises(ValueError, match="cannot compare"):
        _main("clean", crm, "-o", send)


def test_out_of_memory_is_one_line(crm, tmp_path, monkeypatch, capsys):
    from listclean import pipeline

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(pipeline, "judge", exhausted)
    monkeypatch.delenv("LISTCLEAN_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert _main("check", crm) == 3
    assert capsys.readouterr().err == ("listclean: error: out of memory: give the process more memory, "
                                       "or split the input\n")


def test_a_system_error_is_one_line_without_calling_it_a_bug(crm, monkeypatch, capsys):
    import errno

    from listclean import pipeline

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/listclean-aside/kept.parquet")

    monkeypatch.setattr(pipeline, "judge", full)
    monkeypatch.delenv("LISTCLEAN_DEBUG", raising=False)
    assert _main("check", crm) == 3
    assert capsys.readouterr().err == ("listclean: error: system error (/tmp/listclean-aside/kept.parquet): "
                                       "No space left on device\n")
