"""listclean's email verdicts on top of email-validator's syntax: reserved and special-use
domains (EM013), top-level domains that do not exist (EM014), RFC 5321's 64-octet local part
(EM002), look-alike characters (EM015), typos of big providers against the disposable list and
real country variants (EM003/EM005), stray punctuation around an address (EM002/EM016).

Every verdict is checked on both paths (the vectorised fast path and email-validator per
value) and, where it reaches a rule, through a whole check run.
"""

from __future__ import annotations

import re

import email_validator
import polars as pl
import pytest
from conftest import write_rows
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from listclean.checks.registry import RULES
from listclean.normalize import email, fast_email
from listclean.normalize.email import (
    KNOWN_PROVIDER_DOMAINS,
    POPULAR_DOMAINS,
    RESERVED_DOMAINS,
    _judge,
    add_email_columns,
    clean_expr,
    judge_values,
    lookalike,
    reserved_domain,
    root_zone_tlds,
    typo_fix,
    unknown_tld_fix,
)
from listclean.pipeline import check
from listclean.settings import build_settings


def judged(*values: str) -> pl.DataFrame:
    """The email columns of each raw value, after checking both paths agree."""
    cleaned = pl.DataFrame({"v": list(values)}).select(clean_expr("v"))["v"]
    fast, slow = judge_values(cleaned, fast=True), judge_values(cleaned, fast=False)
    assert_frame_equal(fast, slow)
    return fast.with_columns(pl.Series("raw", list(values)))


def one(value: str) -> dict:
    return judged(value).row(0, named=True)


def run(tmp_path, rows, **options):
    path = write_rows(tmp_path / "in.csv", [{"last_activity": "2026-06-01", **row} for row in rows])
    result = check(path, build_settings(cwd=tmp_path, as_of="2026-11-01", channel="email", **options))
    return result


def codes(result, row: int) -> set[str]:
    return set(result.findings.filter(pl.col("_row") == row)["code"].to_list())


def statuses(result) -> list[str]:
    return result.statuses.sort("_row")["status"].cast(str).to_list()


# ------------------------------------------------------------ 1. reserved and special-use domains

@pytest.mark.parametrize("domain,rfc", [
    ("example.com", "RFC 2606"), ("example.net", "RFC 2606"), ("example.org", "RFC 2606"),
    ("www.example.com", "RFC 2606"), ("shop.example", "RFC 2606"), ("qa.test", "RFC 6761"),
    ("nowhere.invalid", "RFC 6761"), ("my.localhost", "RFC 6761"), ("printer.local", "RFC 6762"),
    ("abc.onion", "RFC 7686"), ("router.home.arpa", "RFC 8375"), ("name.alt", "RFC 9476"),
    ("1.0.0.127.in-addr.arpa", "RFC 3172"),
])
def test_reserved_domains_are_named_with_their_rfc(domain, rfc):
    row = one(f"ana@{domain}")
    assert row["email_reserved"].startswith(f"@{domain} is ") and rfc in row["email_reserved"]
    assert "ana@" not in row["email_reserved"]
    # The status stays email-validator's: example names and .alt are valid syntax, its special-use ones are not.
    if domain.rsplit(".", 1)[-1] not in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        assert row["email_status"] == "ok" and row["email_domain"] == domain and row["email_key"] == f"ana@{domain}"
        assert row["email_unknown_tld"] is None and row["email_typo_fix"] is None
    else:
        assert row["email_status"] == "invalid" and row["email_reason"] == row["email_reserved"]


def test_home_arpa_is_more_specific_than_arpa():
    assert "(RFC 8375)" in reserved_domain("x.home.arpa")
    assert "(RFC 3172)" in reserved_domain("x.ip6.arpa")


@pytest.mark.parametrize("domain", ["example.es", "myexample.com", "examples.com", "test.com", "local.es",
                                    "onion.com", "invalid.org", "gmail.com"])
def test_names_that_only_contain_a_reserved_word_are_not_reserved(domain):
    assert reserved_domain(domain) is None
    assert one(f"ana@{domain}")["email_reserved"] is None


def test_every_special_use_name_of_email_validator_is_reserved_with_an_rfc():
    for name in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        assert name in RESERVED_DOMAINS
        row = one(f"ana@x.{name}")
        assert row["email_reserved"] and row["email_reason"] != email.SPECIAL_USE_REASON


def test_reserved_domain_of_a_unicode_address_on_the_library_path():
    row = one("josé@Ejemplo.EXAMPLE.com")
    assert row["email_status"] == "ok" and "(RFC 2606 / RFC 6761)" in row["email_reserved"]
    row = one("josé@ü.test")
    assert row["email_status"] == "invalid" and row["email_reserved"].startswith("@ü.test is reserved for testing")


def test_a_syntax_error_comes_before_the_reserved_domain():
    row = one("ana lopez@example.com")
    assert row["email_reserved"] is None and "invalid characters" in row["email_reason"]


def test_em013_drops_and_em002_stays_quiet(tmp_path):
    result = run(tmp_path, [{"email": "test@example.com"}, {"email": "ana@x.test"}, {"email": "ana@gmail.com"},
                            {"email": "a" * 65 + "@example.org"}])
    assert statuses(result) == ["drop", "drop", "send", "drop"]
    assert codes(result, 1) == codes(result, 2) == codes(result, 4) == {"EM013"}
    message = result.findings.filter(pl.col("code") == "EM013").sort("_row")["message"].to_list()[0]
    assert message == "@example.com is reserved for documentation and examples (RFC 2606 / RFC 6761): it never receives mail"
    doc = RULES["EM013"].doc
    assert RULES["EM013"].severity.name == "ERROR"
    for rfc in ("RFC 2606", "RFC 6761", "RFC 7686", "RFC 8375"):
        assert rfc in doc


# ------------------------------------------------------------ 2. top-level domains that do not exist

def test_root_zone_list():
    tlds = root_zone_tlds()
    assert 1200 < len(tlds) < 2000
    assert {"com", "es", "uk", "co", "om", "cm", "museum", "technology", "xn--p1ai", "xn--vermgensberatung-pwb"} <= tlds
    assert not {"con", "cmo", "c", "lan", "corp", "local", "localdomain", "example"} & tlds
    assert all(t == t.lower() and t.isascii() for t in tlds)


def test_data_versions_name_the_lists():
    versions = email.data_versions()
    assert versions["iana_tlds"].startswith("publicsuffixlist ") and "Public Suffix List 20" in versions["iana_tlds"]
    assert "confusable-homoglyphs 3.3.1" in versions["unicode_confusables"]


@pytest.mark.parametrize("domain,tld,fix", [
    ("gmail.con", "con", "gmail.com"), ("acme.con", "con", "acme.com"), ("acme.cmo", "cmo", "acme.com"),
    ("acme.ocm", "ocm", "acme.com"), ("acme.comm", "comm", "acme.com"), ("gmial.con", "con", "gmail.com"),
    ("acme.nte", "nte", "acme.net"), ("acme.ogr", "ogr", "acme.org"), ("yahoo.co.uj", "uj", "yahoo.co.uk"),
    ("acme.c", "c", None), ("acme.lan", "lan", None),
])
def test_unknown_tlds_and_their_suggestions(domain, tld, fix):
    row = one(f"ana@{domain}")
    assert row["email_status"] == "ok" and row["email_unknown_tld"] == tld
    assert row["email_typo_fix"] == fix == unknown_tld_fix(domain, tld)


@pytest.mark.parametrize("domain", ["acme.com", "acme.co", "acme.om", "acme.museum", "acme.technology",
                                    "пример.рф", "acme.xn--p1ai", "bücher.de"])
def test_real_tlds_are_known(domain):
    assert one(f"ana@{domain}")["email_unknown_tld"] is None


def test_em014_drops_with_the_suggestion_and_em003_stays_quiet(tmp_path):
    result = run(tmp_path, [{"email": "ana@gmail.con"}, {"email": "ana@acme.c"}, {"email": "ana@gmial.com"}])
    assert statuses(result) == ["drop", "drop", "review"]
    assert codes(result, 1) == {"EM014"} and codes(result, 2) == {"EM014"} and codes(result, 3) == {"EM003"}
    em014 = result.findings.filter(pl.col("code") == "EM014").sort("_row")
    assert em014["suggestion"].to_list() == ["did you mean @gmail.com?", None]
    assert em014["message"][0] == "@gmail.con ends in .con, which is not a top-level domain: the address cannot receive mail"


# ------------------------------------------------------------ 3. RFC 5321: 64 octets before the @

@pytest.mark.parametrize("local,valid", [
    ("a" * 64, True), ("a" * 65, False), ("a" * 200, False), ("ñ" * 32, True), ("ñ" * 33, False),
    ("Postmaster" + "x" * 60, False),
])
def test_local_part_of_more_than_64_octets_is_invalid_on_both_paths(local, valid):
    row = one(f"{local}@correo.es")
    if valid:
        assert row["email_status"] == "ok"
    else:
        octets = len(local.encode())
        assert row["email_status"] == "invalid"
        assert row["email_reason"] == f"The part before the @-sign is {octets} octets long; RFC 5321 (section 4.5.3.1.1) allows at most 64."


def test_the_fast_path_decides_long_local_parts_itself(monkeypatch):
    """A long ASCII local part is judged over columns, never sent to email-validator one by one."""
    def no_library(address):
        raise AssertionError(f"library path used for {address!r}")

    monkeypatch.setattr(email, "_judge", no_library)
    out = judge_values(pl.Series(["a" * 65 + "@correo.es", "a" * 64 + "@correo.es", "ana@example.com"]), fast=True)
    assert out["email_status"].to_list() == ["invalid", "ok", "ok"]
    assert out["email_reserved"].is_null().to_list() == [True, True, False]


def test_strict_mode_gives_the_library_reason_on_both_paths(monkeypatch):
    monkeypatch.setattr(email_validator, "STRICT", True)
    assert one("a" * 65 + "@correo.es")["email_status"] == "invalid"


# ------------------------------------------------------------ 4. look-alike characters

@pytest.mark.parametrize("address,shown", [
    ("jane\u2024doe@gmail.com", "U+2024 ONE DOT LEADER looks like '.'"),
    ("o\u2019brien@correo.es", "U+2019 RIGHT SINGLE QUOTATION MARK looks like \"'\""),
    ("ｊane@correo.es", "U+FF4A FULLWIDTH LATIN SMALL LETTER J looks like 'j'"),
    ("ana\u2010maria@correo.es", "U+2010 HYPHEN looks like '-'"),
    ("l\u0131sa@correo.es", "U+0131 LATIN SMALL LETTER DOTLESS I looks like 'i'"),
    ("j\u0430ne@correo.es", "U+0430 CYRILLIC SMALL LETTER A looks like 'a' (Cyrillic among Latin letters)"),
    ("pedr\u03bf@correo.es", "U+03BF GREEK SMALL LETTER OMICRON looks like 'o' (Greek among Latin letters)"),
    ("ana\u0436@correo.es", "U+0436 CYRILLIC SMALL LETTER ZHE (Cyrillic among Latin letters)"),
    ("\ufb01ona@correo.es", "U+FB01 LATIN SMALL LIGATURE FI looks like 'fi'"),
    ("pepe\u0966@correo.es", "U+0966 DEVANAGARI DIGIT ZERO looks like 'o' (Devanagari among Latin letters)"),
])
def test_lookalikes_are_named_by_code_point(address, shown):
    row = one(address)
    assert row["email_status"] == "ok" and row["email_lookalike"] == shown
    assert address.split("@")[0] not in shown


@pytest.mark.parametrize("local", ["иван", "ελένη", "josé.muñoz", "françois", "straße", "张伟", "o'brien", "jane",
                                   "nguyễn", "søren", "łukasz", "\u0c30\u0c02\u0c17", "\u0930\u093e\u092e\u0966"])
def test_real_names_are_not_lookalikes(local):
    assert lookalike(local) is None
    assert one(f"{local}@correo.es")["email_lookalike"] is None


def test_em015_sends_to_review_and_keeps_the_address_out_of_the_message(tmp_path):
    result = run(tmp_path, [{"email": "jane\u2024doe@gmail.com"}, {"email": "ana@gmail.com"}])
    assert statuses(result) == ["review", "send"]
    message = result.findings.filter(pl.col("code") == "EM015")["message"].item()
    assert message == "look-alike character before the @: U+2024 ONE DOT LEADER looks like '.'"
    assert "jane" not in message


def test_confusables_table():
    table, version = email._confusables()
    assert len(table) > 1000 and table["\u2024"] == "." and table["\u0430"] == "a" and table["\u2019"] == "'"
    assert all(len(c) == 1 and ord(c) > 127 and len(t) == 1 and t.isascii() for c, t in table.items())
    assert version.startswith("confusable-homoglyphs")


# ------------------------------------------------------------ 5. typos of big providers

@pytest.mark.parametrize("domain,fix", [("gmial.com", "gmail.com"), ("hotmial.com", "hotmail.com"),
                                        ("hotmai.com", "hotmail.com"), ("gmal.com", "gmail.com"),
                                        ("yahooo.com", "yahoo.com"), ("hotmial.it", "hotmail.it"),
                                        ("aol.co", "aol.com"), ("gmail.co", "gmail.com")])
def test_typos_of_big_providers(domain, fix):
    assert typo_fix(domain) == fix
    assert one(f"ana@{domain}")["email_typo_fix"] == fix


@pytest.mark.parametrize("domain", [
    "yahoo.com.au", "yahoo.com.br", "hotmail.co.uk", "yahoo.co.jp", "outlook.com.br", "gmx.at", "gmx.ch", "gmx.us",
    "hotmail.it", "hotmail.de", "hotmail.com.ar", "live.co.uk", "live.com.ar", "yahoo.gr", "yahoo.ca", "ymail.com",
    "mail.com", "email.com", "outlook.it", "yahoo.co.in",
])
def test_real_provider_domains_are_never_typos(domain):
    assert domain in KNOWN_PROVIDER_DOMAINS
    assert typo_fix(domain) is None


@pytest.mark.parametrize("domain", ["aon.com", "mi.com", "msm.com", "web.com", "gmx.ai"])
def test_short_provider_names_are_not_typo_targets_for_other_companies(domain):
    assert typo_fix(domain) is None


def test_every_typo_target_is_a_known_provider_with_a_real_tld():
    assert set(POPULAR_DOMAINS) <= KNOWN_PROVIDER_DOMAINS
    assert all(d.rsplit(".", 1)[-1] in root_zone_tlds() for d in KNOWN_PROVIDER_DOMAINS)
    assert not KNOWN_PROVIDER_DOMAINS & email.disposable_domains()


def test_a_typo_on_the_disposable_list_is_reported_as_a_typo(tmp_path):
    assert email.is_disposable("gmial.com") and email.is_disposable("hotmial.com")
    result = run(tmp_path, [{"email": "ana@gmial.com"}, {"email": "ana@hotmial.com"}, {"email": "ana@mailinator.com"}])
    assert statuses(result) == ["review", "review", "drop"]
    assert codes(result, 1) == {"EM003"} and codes(result, 2) == {"EM003"} and codes(result, 3) == {"EM005"}
    suggestions = result.findings.filter(pl.col("code") == "EM003").sort("_row")["suggestion"].to_list()
    assert suggestions == ["did you mean @gmail.com?", "did you mean @hotmail.com?"]


def test_with_em003_ignored_the_disposable_verdict_stands(tmp_path):
    result = run(tmp_path, [{"email": "ana@gmial.com"}], ignore=["EM003"])
    assert statuses(result) == ["drop"] and codes(result, 1) == {"EM005"}


# ------------------------------------------------------------ 6. stray punctuation around an address

def test_clean_reads_only_a_bare_balanced_angle_addr():
    values = ["<jane@x.com>", " < jane@x.com > ", "<mailto:jane@x.com>", "jane@x.com>", "<jane@x.com",
              "Ana <ana@x.com>", "<<jane@x.com>>", "<>", " mailto:Jane@X.com "]
    cleaned = pl.DataFrame({"v": values}).select(clean_expr("v"))["v"].to_list()
    assert cleaned == ["jane@x.com", "jane@x.com", "jane@x.com", "jane@x.com>", "<jane@x.com",
                       "Ana <ana@x.com>", "<<jane@x.com>>", None, "Jane@X.com"]


@pytest.mark.parametrize("raw,reason", [
    ("jane.doe@gmail.com>", "The address ends with a stray '>' (with no '<' at the start); remove it."),
    ("<jane@x.com", "The address starts with a stray '<' (with no '>' at the end); remove it."),
    ("jane@x.com,", "The address ends with a stray ',' (as if copied from a list); remove it."),
    ("jane@x.com;", "The address ends with a stray ';' (as if copied from a list); remove it."),
    ("mailto:jane@x.com;", "The address ends with a stray ';' (as if copied from a list); remove it."),
    ("(jane@x.com)", "The address is wrapped in '(' and ')'; remove them."),
    ('"jane@x.com"', "The address is wrapped in '\"' and '\"'; remove them."),
    ("'jane@x.com'", "The address is wrapped in \"'\" and \"'\"; remove them."),
    ("jane@x.com'", "The address ends with a stray \"'\" (with no \"'\" at the start); remove it."),
    ("[jane@x.com", "The address starts with a stray '[' (with no ']' at the end); remove it."),
    ("(jane@x.com;", "The address starts with a stray '(' and ends with a stray ';'; remove them."),
    ("«jane@x.com»", "The address is wrapped in '«' and '»'; remove them."),
])
def test_stray_punctuation_is_invalid_and_named(raw, reason):
    row = one(raw)
    assert row["email_status"] == "invalid" and row["email_reason"] == reason


@pytest.mark.parametrize("raw", ["Ana <ana@x.com>", "<<jane@x.com>>", "jane doe@x.com>", "a@b@x.com;"])
def test_other_problems_keep_email_validators_reason(raw):
    row = one(raw)
    assert row["email_status"] == "invalid" and "stray" not in row["email_reason"]


def test_stray_reasons_agree_between_the_paths():
    """Every end character on printable-ASCII values: the vectorised reasons are _judge's."""
    ends = ["", "<", ">", "(", ")", "[", "]", "{", "}", '"', "'", "`", ",", ";", ":", ".", "-", "|"]
    values = pl.Series([a + core + b for a in ends for b in ends
                        for core in ("jane@x.com", "jane@x", "ja ne@x.com", "@x.com", "jane@")])
    rejected = email._reject_reasons(values, fast_email.judge_invalid(values))
    assert rejected.height > 100
    for i, reason in rejected.iter_rows():
        assert _judge(values[i])[1:3] == ("invalid", reason), values[i]


@pytest.mark.parametrize("local,shown", [("'jane", "starts with an apostrophe (')"), ("{jane", "starts with a brace ({)"),
                                         ("`jane", "starts with a backtick (`)"), ("jane|", "ends with a vertical bar (|)"),
                                         ("jane}", "ends with a brace (})")])
def test_legal_but_stray_quotes_and_brackets_are_flagged(local, shown):
    row = one(f"{local}@correo.es")
    assert row["email_status"] == "ok" and row["email_stray"] == shown


def test_em016_reviews_and_em002_names_the_stray_character(tmp_path):
    result = run(tmp_path, [{"email": "'jane@correo.es"}, {"email": "jane@correo.es>"}, {"email": "<ana@correo.es>"},
                            {"email": "o'brien@correo.es"}])
    assert statuses(result) == ["review", "drop", "send", "send"]
    assert codes(result, 1) == {"EM016"} and codes(result, 2) == {"EM002"}
    em002 = result.findings.filter(pl.col("code") == "EM002")["message"].item()
    assert em002 == "invalid email address: The address ends with a stray '>' (with no '<' at the start); remove it."


@pytest.mark.parametrize("raw", ["Ana <ana@correo.es>", "ana@correo.es>", "<ana@correo.es", "ana@correo.es;",
                                 '"ana@correo.es"', "mailto:ANA@correo.es;"])
def test_invalid_copies_keep_the_loose_key(raw):
    out = add_email_columns(pl.DataFrame({"e": [raw, "ana@correo.es"]}), "e")
    assert out["email_status"].to_list() == ["invalid", "ok"]
    assert out["email_key"].to_list() == ["ana@correo.es", "ana@correo.es"]


def test_a_stop_on_a_copy_with_a_stray_bracket_reaches_the_clean_copy(tmp_path):
    result = run(tmp_path, [{"email": "ana@correo.es"}, {"email": "ana@correo.es>", "unsubscribed": "yes"}])
    assert "send" not in statuses(result)


# ------------------------------------------------------------ performance shape

def test_domain_facts_are_computed_once_per_distinct_domain_that_may_have_one(monkeypatch):
    """On the fast path (email-validator alone, for short lists, asks once per address); a
    company domain that can have no fact costs no Python call."""
    calls = []
    real = email.domain_facts
    monkeypatch.setattr(email, "domain_facts", lambda d: calls.append(d) or real(d))
    values = pl.Series([f"user{i}@{d}" for i in range(300)
                        for d in ("gmail.com", "acme.con", "example.com", "construcciones-ibersur.es")])
    out = judge_values(values, fast=True)
    assert sorted(calls) == ["acme.con", "example.com", "gmail.com"]
    assert out["email_status"].unique().to_list() == ["ok"]
    assert out["email_reserved"].is_not_null().sum() == 300 and out["email_unknown_tld"].is_not_null().sum() == 300


def test_remembered_domain_checks_answer_as_email_validator(monkeypatch):
    """email-validator's domain check, kept per domain (``email._remember_domains``), answers as
    the library's own: for every domain and option, after its answer is changed by a caller,
    and after a program changes the special-use names."""
    import sys

    from email_validator import syntax

    remembered = sys.modules[email_validator.validate_email.__module__].validate_email_domain_name
    assert getattr(remembered, "remembered", False)
    domains = ["café-olé.es", "xn--mnchen-3ya.de", "münchen.de", "correo.españa.es", "gmail.com", "foo.test"]
    for domain in domains:
        for options in ({"test_environment": False, "globally_deliverable": True},
                        {"test_environment": True, "globally_deliverable": False}):
            try:
                expected = syntax.validate_email_domain_name(domain, **options)
            except email_validator.EmailNotValidError as error:
                with pytest.raises(email_validator.EmailNotValidError, match=re.escape(str(error))):
                    remembered(domain, **options)
                continue
            first = remembered(domain, **options)
            first["ascii_domain"] = "changed by a caller"
            assert remembered(domain, **options) == expected
    address = "josé@foo.test"
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES",
                        [n for n in email_validator.SPECIAL_USE_DOMAIN_NAMES if n != "test"])
    assert email_validator.validate_email(address, check_deliverability=False).ascii_domain == "foo.test"
    monkeypatch.undo()  # "test" special again: the answer kept for the other names does not hold
    with pytest.raises(email_validator.EmailNotValidError):
        email_validator.validate_email(address, check_deliverability=False)


FACT_DOMAINS = [
    "gmail.com", "gmial.com", "gmai.com", "gmaill.com", "gmail.con", "gmial.con", "hotmial.es", "hotmail.es",
    "hotmail.it", "yaho.com", "yahoo.cmo", "aol.co", "aon.com", "me.co", "mi.com", "outlok.com", "icloud.co",
    "example.com", "mail.example.org", "foo.test", "a.b.invalid", "printer.local", "localhost",
    "mailinator.com", "x.mailinator.com", "guerrillamail.com", "acme.con", "acme.com", "empresa12.es",
    "construcciones-ibersur.es", "correo.xn--espaa-rta.es", "xn--mnchen-3ya.de", "shop.co.uk", "co.uk",
    "tienda.comm", "a.b.c.d.e.es", "x.y", "gmail.com.mx", "email.com", "qq.com",
]


def test_facts_of_domains_are_domain_facts():
    domains = pl.Series(FACT_DOMAINS + [f"empresa{i}.{tld}" for i in range(200) for tld in ("es", "com", "de")])
    facts = email.facts_of_domains(domains)
    assert [facts.get(d, email.NO_FACTS) for d in domains.to_list()] == [email.domain_facts(d) for d in domains.to_list()]
    assert len(facts) < 60   # the company domains are not asked one by one


_SLIP_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789.-"


@st.composite
def _slips(draw) -> str:
    """A popular, disposable or reserved domain with up to two slips (insert, delete, replace,
    swap), or a label put in front of it."""
    listed = sorted(RESERVED_DOMAINS) + sorted(email.disposable_domains())[:200]
    text = draw(st.sampled_from(list(POPULAR_DOMAINS) + listed))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text) - 1))
        slip = draw(st.sampled_from(["insert", "delete", "replace", "swap", "label"]))
        char = draw(st.sampled_from(_SLIP_ALPHABET))
        text = {"insert": text[:at] + char + text[at:], "delete": text[:at] + text[at + 1:],
                "replace": text[:at] + char + text[at + 1:],
                "swap": text[:at] + text[at + 1:at + 2] + text[at:at + 1] + text[at + 2:],
                "label": f"{char}x." + text}[slip]
    return text


@given(st.lists(_slips(), min_size=1, max_size=30, unique=True))
@settings(max_examples=150)
def test_facts_of_domains_are_domain_facts_for_any_slip(domains):
    domains = [d for d in domains if d]
    facts = email.facts_of_domains(pl.Series(domains, dtype=pl.String))
    assert [facts.get(d, email.NO_FACTS) for d in domains] == [email.domain_facts(d) for d in domains]
