"""The JSON report's findings are written by polars in one go: the document must be the same one
``Result.to_dict()`` describes, whatever the messages hold."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import polars as pl
from hypothesis import given, settings, strategies as st

from listclean import pipeline
from listclean.report import json as json_report
from listclean.settings import build_settings

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "crm_export.csv"
RESULT = pipeline.check(SAMPLE, build_settings(as_of="2026-11-01", store=Path("none")))


def _emitted(result) -> dict:
    stream = io.StringIO()
    json_report.emit(result, stream)
    return json.loads(stream.getvalue())


def _expected(result) -> dict:
    return json.loads(json.dumps(result.to_dict(), ensure_ascii=False, default=str))


def test_the_sample_document_is_the_one_to_dict_describes():
    document = _emitted(RESULT)
    assert document == _expected(RESULT)
    assert len(document["findings"]) == RESULT.findings.height
    assert list(document)[-1] == "findings"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=20), st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=20))
def test_any_text_in_messages_survives_the_fast_writer(messages, suggestions):
    head = RESULT.findings.head(min(len(messages), len(suggestions)))
    findings = head.with_columns(pl.Series("message", messages[:head.height], pl.String),
                                 pl.Series("suggestion", suggestions[:head.height], pl.String))
    result = dataclasses.replace(RESULT, findings=findings)
    assert _emitted(result) == _expected(result)


def test_no_findings_is_an_empty_list():
    result = dataclasses.replace(RESULT, findings=RESULT.findings.clear())
    assert _emitted(result)["findings"] == []


def test_findings_in_their_own_file_keep_the_document_small(cli, tmp_path):
    shutil.copy(SAMPLE, tmp_path / "crm.csv")
    outcome = cli("check", "crm.csv", "--as-of", "2026-11-01", "--store", "none", "--format", "json",
                  "--fail-on", "never", "--findings", "findings.jsonl")
    document = json.loads(outcome.stdout)
    whole = _expected(pipeline.check(tmp_path / "crm.csv", build_settings(as_of="2026-11-01", store=Path("none"))))
    assert "findings" not in document and document["outputs"]["findings"] == "findings.jsonl"
    assert document["summary"] == whole["summary"]
    written = pl.read_ndjson(tmp_path / "findings.jsonl", infer_schema_length=None).to_dicts()
    assert written == whole["findings"]


def test_findings_file_names_the_input_with_several_and_follows_its_extension(cli, tmp_path):
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    frame.head(1000).write_csv(tmp_path / "web.csv")
    frame.slice(1000).write_csv(tmp_path / "shop.csv")
    cli("check", "web.csv", "shop.csv", "--as-of", "2026-11-01", "--store", "none", "--fail-on", "never",
        "--findings", "findings.csv")
    written = pl.read_csv(tmp_path / "findings.csv", infer_schema=False)
    result = pipeline.check([tmp_path / "web.csv", tmp_path / "shop.csv"],
                            build_settings(as_of="2026-11-01", store=Path("none")))
    assert written.columns[:3] == ["source", "row", "code"]
    assert written.height == result.findings.height
    by_source = written.filter(pl.col("row").is_not_null()).group_by("source").len()
    assert set(by_source["source"].to_list()) == {"web.csv", "shop.csv"}


def test_findings_file_may_not_overwrite_the_input(cli, tmp_path):
    shutil.copy(SAMPLE, tmp_path / "crm.csv")
    outcome = cli("check", "crm.csv", "--findings", "crm.csv")
    assert outcome.exit_code == 2 and "would overwrite the input file" in outcome.stderr
