"""``people.resolve`` on parts of an input, as the Spark engine runs it per bucket of whole stop
groups: with what only the whole input knows passed in (the other identifiers too common to
link, the person keys several people hold), the parts give what the whole gives; left out, the
new keyword parameters change nothing. The whole input's facts are computed here in polars,
independently of the Spark engine's shuffles (which tests/test_spark.py checks end to end).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from listclean import pipeline
from listclean.checks.registry import RULES
from listclean.people import (
    COLUMNS,
    People,
    identifiers,
    other_person_key,
    resolve,
    shared_notes,
)
from listclean.result import FINDING_SCHEMA
from listclean.settings import build_settings

CRM = Path(__file__).resolve().parents[1] / "sample_data" / "crm_export.csv"
AS_OF = dt.date(2026, 11, 1)
SOURCES = [str(CRM)]


def active(channel: str) -> set[str]:
    return {code for code, rule in RULES.items() if rule.target == "rows" and channel in rule.channels}


def settled_inputs(channel: str, monkeypatch) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The kept columns and the findings the local engine hands to its people stage."""
    seen = {}
    settle = pipeline.settle

    def spy(work, findings, *args, **kwargs):
        seen.update(kept=work, findings=findings)
        return settle(work, findings, *args, **kwargs)

    monkeypatch.setattr(pipeline, "settle", spy)
    settings = build_settings(as_of=AS_OF.isoformat(), store="none", channel=channel)
    with pipeline._open([str(CRM)], settings) as loaded:
        pipeline.judge(loaded, settings, pipeline._silent, "check")
    return seen["kept"], seen["findings"].select(FINDING_SCHEMA.keys()).cast(FINDING_SCHEMA)


def run(kept: pl.DataFrame, findings: pl.DataFrame, channel: str, max_shared: int, **facts) -> People:
    return resolve(kept, findings, channel, max_shared=max_shared, resubscribe=True, as_of=AS_OF,
                   active=active(channel), sources=SOURCES, **facts)


def whole_facts(kept: pl.DataFrame, whole: People, channel: str, max_shared: int):
    """(too-common other identifiers, shared person keys, the DU003 counts) of the whole input:
    per other identifier held by several rows, its rows, its address clusters, its rows without
    an address."""
    address, _, _, other, _ = identifiers(channel)
    keys = (kept.select("_row", address.alias("_address"), other.alias("_other"))
            .join(whole.links.select("_row", "_cluster"), on="_row", how="left")
            .with_columns(pl.coalesce("_cluster", "_row").alias("_cluster")))
    per_other = (keys.filter(pl.col("_other").is_not_null()).group_by("_other")
                 .agg(pl.len().alias("_rows"), pl.col("_cluster").n_unique().alias("_people"),
                      pl.col("_address").is_null().sum().alias("_bare"))
                 .filter(pl.col("_rows") > 1))
    too_common = per_other.filter(pl.col("_people") > max_shared)
    shared = per_other.filter(pl.col("_bare") > 1).select(other_person_key(pl.col("_other")))
    return too_common["_other"], shared.to_series(), too_common.select("_other", "_rows")


def by_parts(kept: pl.DataFrame, findings: pl.DataFrame, whole: People, channel: str, max_shared: int,
             parts: int) -> tuple[list[People], pl.DataFrame]:
    """``resolve`` on ``parts`` parts of whole stop groups (a row linked to nobody: its own
    group), each given the whole input's facts; and the whole input's DU003 counts."""
    too_common, shared, counts = whole_facts(kept, whole, channel, max_shared)
    part = (kept.select("_row").join(whole.links.select("_row", "_group"), on="_row", how="left")
            .select("_row", (pl.coalesce("_group", "_row").hash(seed=1) % parts).alias("_part")))
    results = []
    for number in range(parts):
        rows = part.filter(pl.col("_part") == number)["_row"].implode()
        results.append(run(kept.filter(pl.col("_row").is_in(rows)),
                           findings.filter(pl.col("_row").is_in(rows)), channel, max_shared,
                           too_common=too_common, shared_keys=shared))
    return results, counts


def frame_of(people: People, name: str) -> pl.DataFrame:
    """One of the people stage's frames; ``standing``: the findings that still stand."""
    return people.standing() if name == "standing" else getattr(people, name)


def sorted_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("_row").is_not_null()).sort(pl.all())


def assert_parts_equal_whole(kept, findings, channel: str, max_shared: int, parts: int) -> People:
    whole = run(kept, findings, channel, max_shared)
    pieces, counts = by_parts(kept, findings, whole, channel, max_shared, parts)
    for name in ("person_id", "duplicate_of", "standing", "added"):
        together = pl.concat([frame_of(p, name) for p in pieces], how="vertical")
        assert_frame_equal(sorted_rows(together), sorted_rows(frame_of(whole, name)), check_dtypes=False)
    # The whole input's notes: none from the parts, all from the counts, once.
    assert all(p.added.filter(pl.col("_row").is_null()).is_empty() for p in pieces)
    other_field = identifiers(channel)[4]
    notes = whole.added.filter(pl.col("_row").is_null()).sort("message")
    assert_frame_equal(notes, shared_notes(counts, other_field).sort("message"))
    assert sum(p.summary["rows"] for p in pieces) == whole.summary["rows"]
    return whole


@pytest.mark.parametrize(("channel", "max_shared"), [("email", 2), ("sms", 1)])
def test_defaults_change_nothing(channel, max_shared, monkeypatch):
    """Empty facts are the defaults: the same people, findings and notes as without them."""
    kept, findings = settled_inputs(channel, monkeypatch)
    plain = run(kept, findings, channel, max_shared)
    given_empty = run(kept, findings, channel, max_shared, too_common=pl.Series([], dtype=pl.String),
                      shared_keys=pl.Series([], dtype=pl.String))
    for name in ("standing", "added", "duplicate_of", "person_id", "links"):  # (group_by order aside)
        assert_frame_equal(frame_of(given_empty, name).sort(pl.all()), frame_of(plain, name).sort(pl.all()))
    assert given_empty.summary == plain.summary
    assert not plain.added.filter(pl.col("code") == "DU003").is_empty()


@pytest.mark.parametrize(("channel", "max_shared"), [("email", 2), ("sms", 1), ("sms", 25)])
def test_parts_of_whole_groups_equal_the_whole(channel, max_shared, monkeypatch):
    """The sample export in three parts of whole stop groups; at a low max_shared_identifier
    some phones (emails for SMS) are too common to link."""
    kept, findings = settled_inputs(channel, monkeypatch)
    whole = assert_parts_equal_whole(kept, findings, channel, max_shared, 3)
    assert (whole.added.filter(pl.col("_row").is_null()).height > 1) == (max_shared < 25)


def test_parts_need_the_whole_facts(monkeypatch):
    """Without the whole input's facts the parts differ (the test can fail): a too-common phone
    looks usable in a part that holds few of its rows."""
    kept, findings = settled_inputs("email", monkeypatch)
    whole = run(kept, findings, "email", 2)
    too_common, _, _ = whole_facts(kept, whole, "email", 2)
    phone = identifiers("email")[3]
    # Two rows of one too-common phone, in different address clusters: not linked in the whole.
    two = (kept.filter(phone == too_common.sort()[0]).select("_row").join(whole.links, on="_row")
           .unique("_cluster", keep="first", maintain_order=True).head(2))
    assert two.height == 2 and two["_group"].n_unique() == 2
    rows = two["_row"].implode()
    alone = run(kept.filter(pl.col("_row").is_in(rows)), findings.filter(pl.col("_row").is_in(rows)), "email", 2)
    assert alone.links["_group"].n_unique() == 1


# -- the property, on small made-up inputs ---------------------------------------------------------

DAYS = st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31)))
CODES = ["CN001", "CN002", "CN003", "CN006", "EM012", "CN014"]


@st.composite
def inputs(draw):
    """Rows drawn from a few emails and phones (so they repeat), some of them missing, with
    consent, dates and findings of every carried kind."""
    size = draw(st.integers(1, 40))
    emails = draw(st.lists(st.sampled_from([None, "a@x.es", "b@x.es", "c@x.es", "d@x.es"]), min_size=size,
                           max_size=size))
    phones = draw(st.lists(st.sampled_from([None, "+34600000001", "+34600000002", "+34600000003"]),
                           min_size=size, max_size=size))
    kept = pl.DataFrame({
        "_row": list(range(1, size + 1)), "email": emails,
        "email_status": ["ok" if e else "missing" for e in emails], "email_key": [None] * size,
        "phone_e164": phones, "phone_status": ["ok" if p else "missing" for p in phones], "phone_key": [None] * size,
        "last_activity": draw(st.lists(DAYS, min_size=size, max_size=size)),
        "_completeness": draw(st.lists(st.integers(0, 3), min_size=size, max_size=size)),
        "consent": draw(st.lists(st.sampled_from([None, True, False]), min_size=size, max_size=size)),
        "consent_date": draw(st.lists(DAYS, min_size=size, max_size=size)),
        "unsubscribed_at": draw(st.lists(DAYS, min_size=size, max_size=size)),
    }, schema_overrides={"email_key": pl.String, "phone_key": pl.String, "email": pl.String,
                         "phone_e164": pl.String, "consent": pl.Boolean, "last_activity": pl.Date,
                         "consent_date": pl.Date, "unsubscribed_at": pl.Date}).select(COLUMNS)
    found = draw(st.lists(st.tuples(st.integers(1, size), st.sampled_from(CODES)), max_size=size, unique=True))
    findings = pl.DataFrame({"_row": [r for r, _ in found], "code": [c for _, c in found],
                             "field": ["consent"] * len(found), "message": [f"{c} here" for _, c in found],
                             "suggestion": [None] * len(found)}, schema=FINDING_SCHEMA)
    return kept, findings


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs(), st.sampled_from(["email", "sms"]), st.integers(1, 3), st.integers(2, 4))
def test_property_parts_equal_the_whole(data, channel, max_shared, parts):
    kept, findings = data
    assert_parts_equal_whole(kept, findings, channel, max_shared, parts)
