"""The JSON report's findings are written by polars in one go: the document must be the same one
``Result.to_dict()`` describes, whatever the messages hold."""

from __future__ import annotations

import dataclasses
import io
import json
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
