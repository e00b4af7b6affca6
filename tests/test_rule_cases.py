"""One case file per rule code (tests/cases/CODE.toml), run by one parametrised test per target:
rows of an export (most families), or a campaign message (MS: ``target = "message"``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from listclean import checks  # noqa: F401
from listclean.checks.registry import RULES
from listclean.message import check_message, message_options
from listclean.pipeline import check
from listclean.settings import build_settings
from conftest import FIELD_HEADERS, HEADER, write_rows

CASES = Path(__file__).parent / "cases"


def load_cases(target="rows"):
    for path in sorted(CASES.glob("*.toml")):
        spec = tomllib.loads(path.read_text())
        if spec.get("target", "rows") != target:
            continue
        for case in spec["case"]:
            yield pytest.param(spec, case, id=f"{spec['rule']}-{case['name']}")


@pytest.mark.parametrize("spec,case", list(load_cases()))
def test_rule_case(spec, case, tmp_path):
    code = spec["rule"]
    if "rows_repeat" in case:
        rows = [case["rows_repeat"]["row"]] * case["rows_repeat"]["count"]
    else:
        rows = case["rows"]
    extra_columns = sorted({k for row in rows for k in row if k not in FIELD_HEADERS})
    path = write_rows(tmp_path / "case.csv", rows, header=case.get("header", HEADER + extra_columns))

    def option(name, default=None):
        return case.get(name, spec.get(name, default))

    settings = build_settings(
        cwd=tmp_path, policy=option("policy"), channel=option("channel"), as_of=option("as_of", "2026-11-01"),
        send_at=option("send_at"), similar_products=option("similar_products"),
        consent_evidence=option("consent_evidence"),
    )
    result = check(path, settings)
    findings = result.findings.filter(result.findings["code"] == code)
    fired_rows = sorted(set(findings["_row"].drop_nulls().to_list()))
    assert fired_rows == case["fires"], findings.select("_row", "message").rows()
    if "file" in case:
        assert (findings["_row"].null_count() > 0) == case["file"]
    if "suggestion" in case:
        assert findings["suggestion"].to_list() == [case["suggestion"]]
    if "statuses" in case:
        assert result.statuses.sort("_row")["status"].cast(str).to_list() == case["statuses"]
    assert result.rows_in == sum(result.counts_by_status().values()) == len(rows)
    assert_no_stop_is_sent(result)


@pytest.mark.parametrize("spec,case", list(load_cases("message")))
def test_message_case(spec, case, tmp_path):
    """A message case: a file of tests/cases/messages/ (``file``) or a text written here (``text``,
    as ``file_name``, default message.txt), judged for ``channel``; ``fires`` findings of the
    rule, each of ``says`` in one of them."""
    code = spec["rule"]

    def option(name, default=None):
        return case.get(name, spec.get(name, default))

    if "file" in case:
        path = CASES / "messages" / case["file"]
    else:
        path = tmp_path / case.get("file_name", "message.txt")
        path.write_text(case["text"], encoding="utf-8")
    settings = build_settings(cwd=tmp_path, policy=option("policy"))
    report = check_message(path, option("channel"), message_options(settings, option("sender"), option("final")))
    found = [f.message for f in report.findings if f.code == code]
    assert len(found) == case["fires"], [(f.code, f.message) for f in report.findings]
    for words in case.get("says", []):
        assert any(words in message for message in found), (words, found)


def assert_no_stop_is_sent(result):
    """Whatever the case is about: no row that carries a stop (its own or its person's) is sent."""
    stops = [code for code, rule in RULES.items() if rule.carried == "person"]
    stopped = result.findings.filter(result.findings["code"].is_in(stops))["_row"].drop_nulls()
    sent = result.statuses.filter(result.statuses["status"] == "send")["_row"]
    assert not set(stopped.to_list()) & set(sent.to_list())


def test_every_rule_has_a_case_file_and_a_three_part_doc():
    from test_dns_pipeline import DNS_CODES, ROWS

    dns_cases = {code for _, code in ROWS.values() if code} | {"EM011"}  # EM011: the silent-server test
    assert dns_cases == DNS_CODES
    for code, rule in RULES.items():
        assert (CASES / f"{code}.toml").is_file(), f"{code} has no case file"
        assert "Why it matters" in rule.doc and "How to fix" in rule.doc, f"{code} doc lacks a section"
        assert rule.name == rule.name.lower() and " " not in rule.name


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_the_engine_finds_what_each_rule_finds_on_its_own(channel, tmp_path):
    """``evaluate`` works out every mask in one select and filters only the rules that fire: the
    findings are those of each rule filtered alone by its own mask, in the same order."""
    import polars as pl

    from listclean import pipeline
    from listclean.checks.engine import Flag, RuleContext, as_expr, evaluate
    from listclean.columns import map_columns
    from listclean.load import load
    from listclean.normalize.consent import date_columns, settle_date_orders

    settings = build_settings(cwd=tmp_path, channel=channel, as_of="2026-11-01",
                              send_at="2026-11-01T03:00:00+00:00")
    loaded = load(str(Path(__file__).resolve().parents[1] / "sample_data" / "crm_export.csv"))
    cmap = map_columns(loaded.columns, None, loaded.source)
    orders = settle_date_orders(loaded.scan, date_columns(cmap, channel), settings.date_format)
    options = pipeline.rule_options(settings, channel)
    with pipeline._lookups(settings, channel, pipeline._silent) as lookups:
        work = lookups.add_columns(pipeline.normalise(loaded.frame, cmap, settings, channel, orders))
    ctx = RuleContext(options, channel, cmap, orders, work)
    found = evaluate(work, ctx, options.selection, file_notes=False).filter(pl.col("_row").is_not_null())
    alone = []
    for code, rule in RULES.items():
        if rule.check is None or rule.target != "rows" or channel not in rule.channels:
            continue
        outcome = rule.check(ctx)
        if isinstance(outcome, Flag):
            alone.append(work.filter(outcome.mask.fill_null(False)).select(
                "_row", pl.lit(code).alias("code"), pl.lit(outcome.field).alias("field"),
                as_expr(outcome.message).alias("message"), as_expr(outcome.suggestion).alias("suggestion")))
        elif isinstance(outcome, pl.DataFrame):
            alone.append(outcome.select("_row", pl.lit(code).alias("code"), "field", "message",
                                        pl.lit(None, pl.String).alias("suggestion")))
    expected = pl.concat(alone, how="vertical")
    assert expected.height > 100
    assert found.cast(pl.String).equals(expected.cast(pl.String))
