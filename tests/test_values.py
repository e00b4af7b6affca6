"""Consent/unsubscribe cells, member statuses and dates read into values (normalize/values.py).

A stop that reads as blank is a legal failure, so every family of spelling has cases
here: other scripts and ticks (which an ASCII-only fold used to turn into ""), status
words with a date in the same cell, compact and email-header dates, and member statuses
where a bounce is not a consent stop. Hypothesis checks the row-for-row contract of the
vectorised readers and that they agree with ``parse_answer`` on plain values.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listclean.result import STATUSES
from listclean.normalize import values
from listclean.normalize.values import (
    BLANK, BOUNCED, MEMBER_STATES, NOT_OPTED_IN, NOT_STOPPED, OPTED_IN, OPTED_OUT, PLAIN_NO, PLAIN_YES,
    STOPPED, country_code, fold_value, parse_answer, parse_dates, read_answers, read_member_status,
)

EXAMPLES = int(os.environ.get("LISTCLEAN_HYPOTHESIS_EXAMPLES", "150"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JAN5 = dt.date(2024, 1, 5)

VOCABULARIES = {"PLAIN_YES": PLAIN_YES, "PLAIN_NO": PLAIN_NO, "OPTED_IN": OPTED_IN, "OPTED_OUT": OPTED_OUT,
                "NOT_OPTED_IN": NOT_OPTED_IN, "MEMBER_STATES": MEMBER_STATES, "BLANK": BLANK}


def answers(cells: list[str | None], question: str, **kwargs) -> list[tuple]:
    return read_answers(pl.Series(cells, dtype=pl.String), question, **kwargs).rows()


# ---------------------------------------------------------------- folding

@pytest.mark.parametrize(("text", "folded"), [
    ("Sí", "si"), (" SI ", "si"), ("Não", "nao"), ("kyllä", "kylla"), ("hayır", "hayir"), ("HAYIR", "hayir"),
    ("ΝΑΊ", "ναι"), ("Όχι", "οχι"), ("ДА", "да"), ("是", "是"), ("はい", "はい"), ("아니요", "아니요"),
    ("✓", "✓"), ("✔️", "✔"), ("☑️", "☑"), ("ＹＥＳ", "yes"), ("\ufeffyes", "yes"), ("\u200fنعم", "نعم"),
    ("opted-out", "opted out"), ("  Dado_de.Baja ", "dado de baja"), ("n/a", "n a"), ("Straße", "strasse"),
    ("हाँ", fold_value("हां")),
])
def test_fold_keeps_letters_and_symbols_drops_accents(text, folded):
    assert fold_value(text) == folded


@pytest.mark.parametrize(("text", "region"), [
    ("España", "ES"), ("ESPAÑA", "ES"), ("espana", "ES"), ("ESP", "ES"), ("Spain", "ES"), ("+34", "ES"),
    ("es", "ES"), ("ES-MD", "ES"), ("Türkiye", "TR"), ("Deutschland", "DE"), ("U.S.A.", "US"), ("uk", "GB"),
    ("EE.UU.", "US"), ("EE. UU.", "US"), ("ee-uu", "US"), ("US-CA", "US"),
    ("Polska", "PL"), ("Sverige", "SE"), ("Éire", "IE"), ("Danmark", "DK"), ("Suomi", "FI"), ("Ελλάδα", "GR"),
    ("Magyarország", "HU"), ("Česko", "CZ"), ("Lietuva", "LT"), ("Eesti", "EE"), ("Turkey", "TR"), ("UAE", "AE"),
    ("Ivory Coast", "CI"), ("Kosovo", "XK"), ("N/A", None), ("unknown", None),
    ("日本", None), ("да", None), ("", None), (None, None),
])
def test_country_names_still_fold(text, region):
    assert country_code(text) == region


@PROPERTY
@given(st.text())
def test_fold_is_idempotent(text):
    assert fold_value(fold_value(text)) == fold_value(text)


def _has_a_letter(char: str) -> bool:
    # A few Arabic presentation forms are "letters" that decompose to a space and a
    # vowel mark (U+FE70): nothing is left of them once marks go, as it should be.
    return any(unicodedata.category(part)[0] in "LN" for part in unicodedata.normalize("NFKD", char))


@PROPERTY
@given(st.text(st.characters(categories=["Lu", "Ll", "Lo", "Nd"]).filter(_has_a_letter), min_size=1))
def test_letters_of_any_script_never_fold_to_nothing(text):
    assert fold_value(text) != ""


# ---------------------------------------------------------------- vocabularies

def test_vocabularies_are_folded_and_disjoint():
    for name, words in VOCABULARIES.items():
        assert all(fold_value(word) == word for word in words), name
    names = list(VOCABULARIES)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            if {first, second} == {"NOT_OPTED_IN", "MEMBER_STATES"}:
                continue
            assert not VOCABULARIES[first] & VOCABULARIES[second], (first, second)
    assert not STOPPED & BOUNCED and OPTED_OUT == STOPPED | BOUNCED
    assert not (STOPPED | BOUNCED) & NOT_STOPPED


def test_date_words_say_nothing_but_yes():
    # A bare date ("2024-01-05 10:00 UTC") is read before any word in it: no word a date
    # may carry may be a status, except "t" (true), which says yes just as the date does.
    assert not values._DATE_WORDS & (PLAIN_NO | OPTED_IN | OPTED_OUT | NOT_OPTED_IN | MEMBER_STATES)
    assert values._DATE_WORDS & PLAIN_YES <= {"t"}


def test_listclean_own_statuses_are_member_states():
    assert {fold_value(status) for status in STATUSES} <= MEMBER_STATES


def test_no_stop_word_is_blank():
    for word in OPTED_OUT | PLAIN_YES:
        assert word and word not in BLANK


YES = ["✓", "✔", "✔️", "☑", "✅", "🗹", "x", "X", "☒", "да", "Да", "是", "是的", "对", "はい", "네", "예", "tak",
       "ano", "igen", "evet", "kyllä", "ja", "jah", "ναι", "ναί", "sim", "sì", "si", "sí", "Sí", "oui", "نعم", "כן",
       "हाँ", "हां", "yes", "Y", "TRUE", "1", "Yes!", "(yes)"]
NO = ["нет", "否", "不是", "不", "いいえ", "아니요", "아니오", "nie", "ne", "nem", "hayır", "hayir", "ei", "όχι", "não",
      "nao", "non", "nein", "لا", "לא", "नहीं", "☐", "no", "N", "FALSE", "0", "no."]


@pytest.mark.parametrize("text", YES)
@pytest.mark.parametrize("question", ["consent", "unsubscribed"])
def test_yes_in_many_languages_and_as_ticks(text, question):
    assert parse_answer(text, question) == (True, True)
    assert answers([text], question) == [(True, True, None)]


@pytest.mark.parametrize("text", NO)
@pytest.mark.parametrize("question", ["consent", "unsubscribed"])
def test_no_in_many_languages_and_empty_box(text, question):
    assert parse_answer(text, question) == (False, True)
    assert answers([text], question) == [(False, True, None)]


@pytest.mark.parametrize("text", ["✗", "✘", "×", "❌", "✕", "maybe", "ask Ana", "yes?", "2024-01-05 maybe"])
def test_ambiguous_marks_stay_unrecognised(text):
    assert parse_answer(text, "unsubscribed") == (None, False)
    assert answers([text], "unsubscribed") == [(None, False, None)]


@pytest.mark.parametrize(("text", "consent", "unsubscribed"), [
    ("opted out", False, True), ("Opted-Out", False, True), ("unsubscribed", False, True), ("baja", False, True),
    ("cleaned", False, True), ("bounced", False, True), ("complained", False, True), ("blocked", False, True),
    ("STOP", False, True), ("subscribed", True, False), ("opt-in", True, False), ("pending", False, False),
    ("transactional", False, False), ("non-subscribed", False, False),
])
def test_status_words_answer_either_question(text, consent, unsubscribed):
    assert parse_answer(text, "consent") == (consent, True)
    assert parse_answer(text, "unsubscribed") == (unsubscribed, True)


@pytest.mark.parametrize("text", [None, "", "  ", "N/A", "null", "-", "?", "unknown"])
def test_blank(text):
    assert parse_answer(text, "unsubscribed") == (None, True)
    assert answers([text], "unsubscribed") == [(None, True, None)]


def test_parse_answer_bare_date_only_when_nothing_else_is_written():
    assert parse_answer("2024-01-05", "consent", is_date=True) == (True, True)
    assert parse_answer("Mon, 05 Jan 2024 10:00:00 GMT", "consent", is_date=True) == (True, True)
    # The lenient date patterns match the start; the word after it must not be lost.
    assert parse_answer("2024-01-05 revoked", "consent", is_date=True) == (None, False)


# ---------------------------------------------------------------- dates

DATES = [
    # existing formats
    ("2024-01-05", "dmy", JAN5), ("2024-01-05T10:22:05+02:00", "dmy", JAN5), ("2024/1/5 10:00", "dmy", JAN5),
    ("05/01/2024", "dmy", JAN5), ("01/05/2024", "mdy", JAN5), ("5.1.24", "dmy", JAN5), ("5-Jan-2024", "dmy", JAN5),
    ("5 ene 2024", "dmy", JAN5), ("45296", "dmy", JAN5), ("1704412800", "dmy", JAN5), ("1704412800000", "dmy", JAN5),
    # compact yyyymmdd: a real day, a plausible year
    ("20240105", "dmy", JAN5), ("20240105T101500Z", "dmy", JAN5), ("21000101", "dmy", dt.date(2100, 1, 1)),
    ("19000101", "dmy", dt.date(1900, 1, 1)), ("20241301", "dmy", None), ("20240230", "dmy", None),
    ("18991231", "dmy", None), ("21010101", "dmy", None), ("2024010", "dmy", None),
    # RFC 2822 / email headers
    ("Mon, 05 Jan 2024 10:00:00 +0000", "dmy", JAN5), ("5 Jan 2024 10:00 GMT", "dmy", JAN5),
    ("Fri, 5 Jan 2024 10:00:00 -0500", "mdy", JAN5), ("Fri,  5 Jan 2024", "dmy", JAN5),
    ("Friday, 5 January 2024", "dmy", JAN5),
    # month names, English and Spanish, either order
    ("January 5, 2024", "dmy", JAN5), ("Jan. 5th, 2024", "dmy", JAN5), ("5th of January, 2024", "dmy", JAN5),
    ("5 de enero de 2024", "dmy", JAN5), ("5 de Enero del 2024", "dmy", JAN5), ("enero 5, 2024", "dmy", JAN5),
    ("viernes, 5 de enero de 2024", "dmy", JAN5), ("martes 5 de marzo de 2024", "dmy", dt.date(2024, 3, 5)),
    ("mar 5, 2024", "dmy", dt.date(2024, 3, 5)), ("Sept. 5, 2024", "dmy", dt.date(2024, 9, 5)),
    ("5 setiembre 2024", "dmy", dt.date(2024, 9, 5)),
    (unicodedata.normalize("NFD", "miércoles, 5 de enero de 2024"), "dmy", JAN5),
    ("yes", "dmy", None), ("", "dmy", None),
]


@pytest.mark.parametrize(("text", "order", "day"), DATES)
def test_parse_dates(text, order, day):
    assert parse_dates(pl.Series([text]), order).to_list() == [day]


def test_parse_dates_strftime():
    assert parse_dates(pl.Series(["05|01|2024 10:00", "x"]), strftime="%d|%m|%Y %H:%M").to_list() == [JAN5, None]


# ---------------------------------------------------------------- word + date

WORD_AND_DATE = [
    # (cell, answer to consent, answer to unsubscribed, date)
    ("unsubscribed 2024-01-05", False, True, JAN5), ("Unsubscribed on 05/01/2024", False, True, JAN5),
    ("opted out: 2024-01-05", False, True, JAN5), ("opted out:2024-01-05", False, True, JAN5),
    ("baja 20240105", False, True, JAN5), ("Baja desde el 05/01/2024", False, True, JAN5),
    ("yes (2024-01-05)", True, True, JAN5), ("sí, 05/01/2024", True, True, JAN5), ("sí,05/01/2024", True, True, JAN5),
    ("subscribed 2023-02-01", True, False, dt.date(2023, 2, 1)), ("2024-01-05 unsubscribed", False, True, JAN5),
    ("2024-01-05 revoked", False, True, JAN5), ("unsubscribed - 2024-01-05 10:00 UTC", False, True, JAN5),
    ("Unsubscribed Mon, 05 Jan 2024 10:00:00 +0000", False, True, JAN5), ("STOP [5 Jan 2024]", False, True, JAN5),
    ("dado de baja el 5 de enero de 2024", False, True, JAN5), ("no; 2024-01-05", False, False, JAN5),
    ("abgemeldet am 05.01.2024", False, True, JAN5),
    # a bare date answers yes to the column's own question, on that day
    ("2024-01-05", True, True, JAN5), ("Mon, 05 Jan 2024 10:00:00 +0000", True, True, JAN5),
    ("20240105", True, True, JAN5), ("(2024-01-05)", True, True, JAN5), ("since 2024-01-05", True, True, JAN5),
]


@pytest.mark.parametrize(("text", "consent", "unsubscribed", "day"), WORD_AND_DATE)
def test_word_and_date_in_one_cell(text, consent, unsubscribed, day):
    assert answers([text], "consent") == [(consent, True, day)]
    assert answers([text], "unsubscribed") == [(unsubscribed, True, day)]


@pytest.mark.parametrize("text", ["no 2024-01-05 yes", "unsubscribed 2024-01-05 subscribed 2024-02-01",
                                  "maybe 2024-01-05", "2024-01-05 maybe", "2024-01-05 10:00 Europe/Madrid?",
                                  "ask Ana on 2024-01-05", "n/a 2024-01-05"])
def test_unclear_word_and_date_is_unrecognised(text):
    assert answers([text], "unsubscribed") == [(None, False, None)]


def test_read_answers_order_and_strftime():
    cells = ["unsubscribed 01/05/2024", None, "01/05/2024", "no"]
    assert [row[2] for row in answers(cells, "unsubscribed", order="mdy")] == [JAN5, None, JAN5, None]
    assert answers(["baja 05|01|2024"], "unsubscribed", strftime="%d|%m|%Y") == [(True, True, JAN5)]


def test_read_answers_schema_and_empty():
    frame = read_answers(pl.Series([], dtype=pl.String), "consent")
    assert frame.schema == pl.Schema({"answer": pl.Boolean, "recognised": pl.Boolean, "date": pl.Date})
    assert read_answers(pl.Series([None, None]), "consent").rows() == [(None, True, None)] * 2


def test_python_runs_once_per_distinct_value(monkeypatch):
    calls = []
    real = values._answer_word
    monkeypatch.setattr(values, "_answer_word", lambda text, question: calls.append(text) or real(text, question))
    cells = pl.Series(["Sí", "no", None, "да"] * 25_000)
    frame = read_answers(cells, "unsubscribed")
    assert frame.height == 100_000 and sorted(calls) == sorted(["Sí", "no", "да"])
    assert frame["answer"].value_counts().sort("answer").rows() == [(None, 25_000), (False, 25_000), (True, 50_000)]


# ---------------------------------------------------------------- member status

MEMBER = [
    # (cell, stop, bounced, recognised)
    ("subscribed", False, False, True), ("Subscribed", False, False, True), ("unsubscribed", True, False, True),
    ("cleaned", False, True, True), ("Cleaned", False, True, True), ("pending", False, False, True),
    ("transactional", False, False, True), ("archived", False, False, True), ("non-subscribed", False, False, True),
    ("bounced", False, True, True), ("Hard bounce", False, True, True), ("undeliverable", False, True, True),
    ("invalid", False, True, True), ("opted out", True, False, True), ("Opted-Out", True, False, True),
    ("complained", True, False, True), ("spam", True, False, True), ("blocked", True, False, True),
    ("suppressed", True, False, True), ("revoked", True, False, True), ("withdrawn", True, False, True),
    ("baja", True, False, True), ("dado de baja", True, False, True), ("active", False, False, True),
    ("lead", False, False, True), ("customer", False, False, True), ("prospect", False, False, True),
    ("marketing contact", False, False, True), ("non-marketing contact", False, False, True),
    ("send", False, False, True), ("review", False, False, True), ("drop", False, False, True),
    ("duplicate", False, False, True), ("unsubscribed 2024-01-05", True, False, True),
    ("", None, None, True), (None, None, None, True), ("N/A", None, None, True),
    # a status column that says "yes", a bare date or something unknown says nothing clear
    ("yes", None, None, False), ("2024-01-05", None, None, False), ("vip", None, None, False),
    ("✗", None, None, False),
]


@pytest.mark.parametrize(("text", "stop", "bounced", "recognised"), MEMBER)
def test_member_status(text, stop, bounced, recognised):
    assert read_member_status(pl.Series([text], dtype=pl.String)).rows() == [(stop, bounced, recognised)]


def test_member_status_schema_and_rows():
    frame = read_member_status(pl.Series(["cleaned", None, "subscribed", "cleaned"]))
    assert frame.schema == pl.Schema({"stop": pl.Boolean, "bounced": pl.Boolean, "recognised": pl.Boolean})
    assert frame.rows() == [(False, True, True), (None, None, True), (False, False, True), (False, True, True)]


# ---------------------------------------------------------------- properties

def _variants(word: str) -> st.SearchStrategy[str]:
    """How a vocabulary word arrives: any case, decomposed accents, padding, a trailing full stop."""
    return st.tuples(st.sampled_from([str.lower, str.upper, str.title, str.casefold]),
                     st.sampled_from(["NFC", "NFD"]), st.sampled_from(["", " ", "\t", "\u00a0"]),
                     st.sampled_from(["", ".", "!"])).map(
        lambda v: v[2] + unicodedata.normalize(v[1], v[0](word)) + v[3] + v[2])


PLAIN_WORDS = sorted(PLAIN_YES | PLAIN_NO | OPTED_IN | OPTED_OUT | NOT_OPTED_IN | (BLANK - {""}))
PLAIN_DATES = st.dates(dt.date(1950, 1, 1), dt.date(2090, 12, 31)).flatmap(lambda d: st.sampled_from([
    d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%Y%m%d"), d.strftime("%d %b %Y"),
    d.strftime("%a, %d %b %Y %H:%M:%S +0000"), d.strftime("%B %d, %Y")]))
PLAIN = st.one_of(st.none(), st.sampled_from(PLAIN_WORDS).flatmap(_variants), PLAIN_DATES)
ANYTHING = st.one_of(PLAIN, st.text(max_size=12),
                     st.tuples(st.sampled_from(PLAIN_WORDS), PLAIN_DATES).map(" ".join))


@PROPERTY
@given(st.lists(ANYTHING, max_size=40), st.sampled_from(["consent", "unsubscribed"]))
def test_read_answers_one_row_per_value_in_order(cells, question):
    series = pl.Series(cells, dtype=pl.String)
    frame = read_answers(series, question)
    assert frame.height == len(cells)
    alone = [read_answers(pl.Series([cell], dtype=pl.String), question).row(0) for cell in cells]
    assert frame.rows() == alone
    status = read_member_status(series)
    assert status.height == len(cells)
    assert status.rows() == [read_member_status(pl.Series([cell], dtype=pl.String)).row(0) for cell in cells]


@PROPERTY
@given(st.lists(PLAIN, max_size=30), st.sampled_from(["consent", "unsubscribed"]))
def test_read_answers_equals_parse_answer_on_plain_values(cells, question):
    series = pl.Series(cells, dtype=pl.String)
    frame = read_answers(series, question)
    is_date = parse_dates(series).is_not_null().to_list()
    expected = [parse_answer(cell, question, date) for cell, date in zip(cells, is_date)]
    assert list(zip(frame["answer"].to_list(), frame["recognised"].to_list())) == expected
    assert frame["date"].to_list() == parse_dates(series).to_list()


@PROPERTY
@given(st.sampled_from(sorted(OPTED_OUT | {"✓", "✔", "☑", "✅", "да", "是", "はい", "☒"})).flatmap(_variants))
def test_no_stop_word_ever_reads_as_blank(text):
    assert fold_value(text) not in BLANK
    assert answers([text], "unsubscribed") == [(True, True, None)]
    assert parse_answer(text, "unsubscribed") == (True, True)


@PROPERTY
@given(st.sampled_from(sorted(OPTED_OUT)), PLAIN_DATES)
def test_stop_word_with_a_date_is_a_dated_stop(word, date_text):
    (answer, recognised, day), = answers([f"{word} {date_text}"], "unsubscribed")
    assert (answer, recognised) == (True, True) and day == parse_dates(pl.Series([date_text]))[0]
