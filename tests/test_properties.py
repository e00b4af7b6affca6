"""Properties (hypothesis): normalisation is idempotent; rows are never lost or duplicated."""

from __future__ import annotations

import csv

import phonenumbers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listclean.normalize.email import normalize_email
from listclean.normalize.phone import normalize_phone
from listclean.pipeline import check
from listclean.settings import build_settings

SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-éñ", min_size=1, max_size=20)
DOMAIN = st.sampled_from(["gmail.com", "Hotmail.ES", "correo.españa.es", "münchen.de", "acme.co.uk", "x", "gmial.com"])
EMAILS = st.one_of(
    st.builds(lambda l, d, pad: f"{pad}{l}@{d}{pad}", LOCAL, DOMAIN, st.sampled_from(["", " ", "\t"])),
    st.builds(lambda l, d: f"mailto:{l}@{d}", LOCAL, DOMAIN),
    SAFE_TEXT,
)
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@given(EMAILS)
@settings(max_examples=300)
def test_email_normalisation_is_idempotent(raw):
    once = normalize_email(raw)
    if once is not None:
        assert normalize_email(once) == once


@st.composite
def phones(draw):
    region = draw(st.sampled_from(REGIONS))
    kind = draw(st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]))
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        return draw(st.text(alphabet="0123456789 +-().", max_size=16)), region
    style = draw(st.sampled_from([phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                                  phonenumbers.PhoneNumberFormat.NATIONAL]))
    text = phonenumbers.format_number(example, style)
    if draw(st.booleans()):
        position = draw(st.integers(0, max(len(text) - 1, 0)))
        text = text[:position] + draw(st.sampled_from(["", "1", " ", "-", "9"])) + text[position + 1:]
    return text, region


@given(phones())
@settings(max_examples=400)
def test_phone_normalisation_is_idempotent(case):
    raw, region = case
    once = normalize_phone(raw, region)
    if once is not None:
        assert once.startswith("+")
        assert normalize_phone(once, None) == once
        assert normalize_phone(once, region) == once


CELL = st.one_of(
    st.sampled_from(["", "yes", "no", "Sí", "opted-out", "2024-02-30", "31/12/2025", "45000", "=1+1", "maybe"]),
    SAFE_TEXT,
)
HEADER = ["Email", "Phone", "Country", "Email Consent", "SMS Consent", "Unsubscribed", "Last Activity"]
ROW = st.fixed_dictionaries({
    "Email": st.one_of(EMAILS, st.sampled_from(["ana@gmail.com", "Ana@Gmail.com", "a.na@gmail.com"])),
    "Phone": st.one_of(st.sampled_from(["+34612345678", "612 345 678", "0034612345678", "", "n/a"]),
                       SAFE_TEXT),
    "Country": st.sampled_from(["ES", "España", "US", "", "Narnia"]),
    "Email Consent": CELL, "SMS Consent": CELL, "Unsubscribed": CELL, "Last Activity": CELL,
})


@given(st.lists(ROW, max_size=25), st.sampled_from(["email", "sms"]), st.sampled_from(["default", "gdpr"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_row_ends_in_exactly_one_status(tmp_path, rows, channel, policy):
    path = tmp_path / "generated.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    result = check(path, build_settings(cwd=tmp_path, channel=channel, policy=policy, as_of="2026-11-01"))
    statuses = result.statuses
    assert statuses.height == len(rows)
    # _row is the line a record starts on, counted from the line after the header: a cell with a
    # line break makes the next record's number skip. Lines end at "\n" only, as the loader counts.
    with path.open(newline="\n", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        starts = []
        while True:
            start = reader.line_num
            if next(reader, None) is None:
                break
            starts.append(start)
    assert statuses["_row"].to_list() == starts
    assert sum(result.counts_by_status().values()) == len(rows)
    # A duplicate always points at a surviving row that is not itself a duplicate.
    survivors = dict(zip(statuses["_row"], statuses["status"]))
    for row, target in statuses.filter(statuses["status"] == "duplicate").select("_row", "duplicate_of").iter_rows():
        assert target != row and survivors[target] != "duplicate"
