"""Differential tests: the vectorised email path (fast_email + email._enrich and
email._reject_reasons) against email-validator itself, through ``_judge``.

Every address the fast path decides must give exactly ``_judge``'s tuple (``EMAIL_SCHEMA``:
normalised, status, reason, ASCII domain, matching key, role, disposable, typo fix, reserved
RFC, unknown TLD, look-alike, stray punctuation); every other address goes to email-validator,
so the whole judged frame must be identical with the fast path on and off. listclean's own
verdicts on top of the library's (a local part over 64 octets and a reserved domain are
invalid, stray punctuation is named in the reason) are part of both tuples, so they must
agree too. The corpus is built here, deterministically: plain valid addresses (mixed case,
+tags, role and RFC 2142 mailbox names, Gmail dots, popular, country-variant and typo domains,
disposable domains, unknown top-level domains), edge lengths (local part 64/65+, labels 63/64,
domain 253/254, address 254/255), and everything the fast path must leave alone: invalid
syntax, special-use, reserved and numeric TLDs, Punycode and other ``??--`` labels, quoted
local parts, display names, domain literals, unicode local parts (look-alikes among them),
IDN domains, odd characters, stray punctuation around the address.

Size: ``LISTCLEAN_DIFF_SIZE`` / 2 values (default 100 000: half the phone corpus), and
``LISTCLEAN_HYPOTHESIS_EXAMPLES`` hypothesis batches (default 150).
"""

from __future__ import annotations

import os
import random
import string

import email_validator
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from listclean.normalize import email, fast_email
from listclean.normalize.email import POPULAR_DOMAINS, ROLE_LOCAL_PARTS, _judge, judge_values

DIFF_SIZE = int(os.environ.get("LISTCLEAN_DIFF_SIZE", "200000")) // 2
EXAMPLES = int(os.environ.get("LISTCLEAN_HYPOTHESIS_EXAMPLES", "150"))

ATEXT = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~"
LDH = string.ascii_letters + string.digits + "-"
ODD = [" ", '"', "(", ")", ",", ":", ";", "<", ">", "@", "[", "\\", "]", "\t", "\u00a0", "é", "ñ", "ü",
       "\u200b", "\u0301", "ｅ", "＠", "．", "。", "ß", "İ", "\u2024", "\x00", "\x7f", "ﬁ", "Ⅸ", "…",
       "\u2019", "\u0430", "\u03bf", "\u0131", "\u2010", "'", "`", "{", "|"]
SPECIAL = [f"{name}" for name in email_validator.SPECIAL_USE_DOMAIN_NAMES] + [
    "example", "example.com", "EXAMPLE.org", "example.net", "home.arpa", "alt"]
TLDS = ["com", "es", "org", "net", "co.uk", "com.mx", "io", "de", "fr", "info", "museum", "xyz", "travel",
        "a", "c0m", "123", "1a", "a1", "xn--p1ai", "XN--P1AI", "technology", "COM", "Es",
        "con", "cmo", "c", "lan", "corp"]
TYPO_DOMAINS = ["gmial.com", "gmal.com", "hotmial.com", "outlok.com", "yaho.com", "yahoo.co", "icloud.co",
                "hotmail.con", "gmail.co", "gnail.com", "gmial.con", "yahoo.com.au", "hotmail.it", "gmx.at",
                "yahoo.co.jp", "outlook.com.br", "aon.com"]
DISPOSABLE = ["mailinator.com", "temp-mail.org", "guerrillamail.com", "10minutemail.com", "sub.mailinator.com"]
IDN = ["bücher.de", "xn--bcher-kva.de", "münchen.de", "例え.jp", "пример.рф", "xn--e1afmkfd.xn--p1ai",
       "xn--zz-zz.com", "ab--cd.com", "a--b.com", "xn--.com", "XN--BCHER-KVA.DE", "a.xn--",
       "domain.xn--vermgensberatung-pwb"]


def _random(rng: random.Random, alphabet: str, low: int, high: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def _label(rng: random.Random, low: int = 1, high: int = 12) -> str:
    size = rng.randint(low, high)
    if size == 1:
        return rng.choice(string.ascii_letters + string.digits)
    inner = _random(rng, LDH, size - 2, size - 2)
    return rng.choice(string.ascii_letters + string.digits) + inner + rng.choice(string.ascii_letters + string.digits)


def _local(rng: random.Random) -> str:
    k = rng.random()
    if k < 0.3:
        first = rng.choice(["maria", "JOSE", "ana", "John", "l", "o'brien", "x_y", "DIEGO.CAMPOS"])
        return first + rng.choice(["", ".", "_", "-"]) + _random(rng, string.ascii_lowercase + string.digits, 0, 8)
    if k < 0.4:
        return rng.choice(sorted(ROLE_LOCAL_PARTS)) + rng.choice(["", "+tag", "+", "2"])
    if k < 0.5:
        name = rng.choice(["info", "Marketing", "SALES", "support", "PostMaster", "abuse", "noc", "www", "news"])
        return name if rng.random() < 0.7 else name + rng.choice([".x", "+a", "s"])
    if k < 0.6:
        return rng.choice(["jo.hn", "J.O.H.N", "john"]) + rng.choice(["", "+promo", "+a+b"])
    return ".".join(_random(rng, ATEXT, 1, 8) for _ in range(rng.randint(1, 3)))


def _domain(rng: random.Random) -> str:
    k = rng.random()
    if k < 0.3:
        return rng.choice(POPULAR_DOMAINS + ("googlemail.com", "GMAIL.COM", "Hotmail.Es"))
    if k < 0.4:
        return rng.choice(TYPO_DOMAINS)
    if k < 0.45:
        return rng.choice(DISPOSABLE)
    if k < 0.5:
        return rng.choice(IDN)
    if k < 0.55:
        return rng.choice([_label(rng) + ".", ""]) + rng.choice(SPECIAL) + rng.choice(["", ".com"])
    return ".".join(_label(rng) for _ in range(rng.randint(1, 3))) + "." + rng.choice(TLDS)


def _edge(rng: random.Random) -> str:
    """Lengths at and just over every limit."""
    k = rng.randint(0, 5)
    if k == 0:   # local part around 64 (only limited in strict mode)
        return _random(rng, string.ascii_lowercase, 60, 70) + rng.choice(["@correo.es", "@example.com"])
    if k == 1:   # label around 63
        return "a@" + _random(rng, string.ascii_lowercase, 61, 65) + ".com"
    if k == 2:   # domain around 253
        labels = [_random(rng, string.ascii_lowercase, 60, 63) for _ in range(4)]
        domain = ".".join(labels)[:rng.randint(248, 256)].strip(".") + ".com"
        return "a@" + domain
    if k == 3:   # whole address around 254
        domain = ".".join(_random(rng, string.ascii_lowercase, 50, 63) for _ in range(3)) + ".com"
        return _random(rng, string.ascii_lowercase, 1, 80) + "@" + domain
    if k == 4:
        return _random(rng, string.ascii_lowercase, 200, 300) + "@x.com"
    return "a@" + ".".join("b" for _ in range(rng.randint(100, 130))) + ".com"


def _corrupt(rng: random.Random, address: str) -> str:
    k = rng.random()
    i = rng.randint(0, len(address))
    if k < 0.4:
        return address[:i] + rng.choice(ODD + list(".-@+_")) + address[i:]
    if k < 0.5:
        return address[:i] + address[i + 1:]
    if k < 0.6:
        return address.replace("@", rng.choice(["", "@@", " @ ", "＠", "@."]), 1)
    if k < 0.7:
        local, _, domain = address.partition("@")
        return rng.choice([f'"{local}"', f'"{local} x"', '"a\\"b"']) + "@" + domain
    if k < 0.75:
        if rng.random() < 0.5:   # stray punctuation around the address
            return rng.choice(["", "<", "(", "'", '"', ",", "[", "{", "`"]) + address + rng.choice(
                ["", ">", ")", "'", '"', ",", ";", ":", "]", "}", "`"])
        return rng.choice(["Maria <", "\"Ana\" <", "<"]) + address + ">"
    if k < 0.8:
        return address.split("@")[0] + "@" + rng.choice(["[192.168.0.1]", "[IPv6:2001:db8::1]", "[1.2.3]"])
    if k < 0.85:
        return rng.choice([".", "-", ""]) + address + rng.choice([".", "-", ""])
    if k < 0.9:
        return address.replace(".", rng.choice(["..", ".-", "-.", "_"]), 1)
    return address.upper() if rng.random() < 0.5 else address.swapcase()


def corpus(size: int, seed: int = 20261101) -> pl.Series:
    rng = random.Random(seed)
    values = []
    for _ in range(size):
        k = rng.random()
        address = _local(rng) + "@" + _domain(rng)
        if k < 0.55:
            values.append(address)
        elif k < 0.65:
            values.append(_edge(rng))
        else:
            values.append(_corrupt(rng, address))
    cleaned = pl.DataFrame({"raw": values}).select(email.clean_expr("raw"))["raw"]
    return cleaned.drop_nulls().unique(maintain_order=True)


@pytest.fixture(scope="module")
def big_corpus() -> pl.Series:
    return corpus(DIFF_SIZE)


def _disagreements(values: pl.Series) -> list[str]:
    """Every value either fast path decides, where email-validator says otherwise."""
    decided = email._enrich(fast_email.judge(values))
    report = []
    for index, *got in decided.iter_rows():
        expected = _judge(values[index])
        if tuple(got) != expected:
            report.append(f"{values[index]!r}: email-validator {expected!r}, fast path {tuple(got)!r}")
    for index, reason in email._reject_reasons(values, fast_email.judge_invalid(values)).iter_rows():
        expected = _judge(values[index])
        if expected[1:3] != ("invalid", reason):
            report.append(f"{values[index]!r}: email-validator {expected!r}, fast path rejects: {reason!r}")
    return report


def test_fast_path_agrees_with_email_validator_on_the_corpus(big_corpus):
    fast = judge_values(big_corpus, fast=True)
    slow = judge_values(big_corpus, fast=False)
    if not fast.equals(slow):
        both = fast.hstack(slow.rename(lambda c: c + "_lib")).with_columns(big_corpus.alias("address"))
        differ = both.filter(pl.any_horizontal(pl.col(c).ne_missing(pl.col(c + "_lib")) for c in email.EMAIL_SCHEMA))
        pytest.fail(f"{differ.height} disagreements, e.g.\n{differ.head(20)}")
    assert_frame_equal(fast, slow)


def test_corpus_has_every_kind_of_verdict(big_corpus):
    judged = judge_values(big_corpus).with_columns(big_corpus.alias("_email_clean"))
    ok = judged.filter(pl.col("email_status") == "ok")
    assert 0.3 < ok.height / judged.height < 0.9
    assert ok["email_role"].any() and ok["email_disposable"].any() and ok["email_typo_fix"].is_not_null().any()
    assert ok["email_unknown_tld"].is_not_null().any() and ok["email_lookalike"].is_not_null().any()
    assert ok["email_stray"].is_not_null().any()
    assert judged["email_reserved"].is_not_null().any()
    assert (ok["email"] != ok["_email_clean"]).any()   # lower-cased domains / RFC 2142 names
    reasons = judged["email_reason"].drop_nulls()
    for fragment in ("too long", "period", "invalid characters", "IDNA", "Quoting",
                     "display name", "bracketed", "@-sign", "top-level domain", "RFC 2606", "RFC 7686",
                     "octets long", "stray", "wrapped in"):
        assert reasons.str.contains(fragment, literal=True).any(), fragment


def test_fast_path_decides_most_valid_addresses(big_corpus):
    decided = email._enrich(fast_email.judge(big_corpus)).filter(pl.col("email_status") == "ok")
    ok = judge_values(big_corpus, fast=False).filter(pl.col("email_status") == "ok")
    assert decided.height >= 0.85 * ok.height
    assert decided.height <= ok.height


def test_fast_path_decides_most_everyday_mistakes(big_corpus):
    rejected = fast_email.judge_invalid(big_corpus)
    invalid = judge_values(big_corpus, fast=False).with_row_index("_i").filter(pl.col("email_status") == "invalid")
    assert rejected["_i"].is_in(invalid["_i"].implode()).all()
    assert rejected.height >= 0.35 * invalid.height   # the corpus is rich in odd characters and IDN
    assert rejected["reason"].n_unique() >= 10


@pytest.mark.parametrize("address", [
    "INFO@Example.COM", "Postmaster@x.org", "info+x@x.org", "John.Doe@GMAIL.com", "j.o.h.n+tag@googlemail.com",
    "a@b.co", "a@b.c0m", "a@b.123", "a@localhost", "a@x.local", "a@x.test", "a@test", "a@sub.onion",
    "a@arpa", "a@b.arpa", "a@xn--bcher-kva.de", "a@ab--cd.com", "a@a--b.com", "a@aB--cd.com",
    "x" * 64 + "@example.com", "x" * 65 + "@example.com", "a@" + "b" * 63 + ".com", "a@" + "b" * 64 + ".com",
    "x" * 64 + "@correo.es", "x" * 65 + "@correo.es", "ñ" * 32 + "@correo.es", "ñ" * 33 + "@correo.es",
    "a..b@x.com", ".a@x.com", "a.@x.com", "a@-x.com", "a@x-.com", "a@x..com", "a@.x.com", "a@x.com.",
    "\"a b\"@x.com", "\"ab\"@x.com", "A <a@x.com>", "a@[1.2.3.4]", "ñ@x.com", "a@münchen.de", "a@x.COM",
    "user+mailbox/department=shipping@example.com", "!#$%&'*+-/=?^_`{|}~@example.org", "a@b@c.com",
    "user+mailbox/department=shipping@acme.es", "!#$%&'*+-/=?^_`{|}~@acme.org",
    "a@example", "a@mail.example", "a@EXAMPLE.NET", "a@x.home.arpa", "a@x.alt", "a@x.onion",
    "jane@gmail.com>", "<jane@x.com", "jane@x.com;", "jane@x.com,", "(jane@x.com)", '"jane@x.com"', "'jane@x.com",
    "{jane@x.com", "jane|@x.com", "jane@x.com'", ",jane@x.com", "<<jane@x.com>>", "Ana <ana@x.com",
    "a@b.con", "a@gmail.con", "a@gmial.con", "a@b.c", "a@gmial.com", "a@yahoo.com.au", "a@hotmail.it",
    "jane\u2024doe@gmail.com", "o\u2019brien@x.com", "ｊａｎｅ@x.com", "j\u0430ne@x.com", "иван@mail.ru",
])
def test_edge_addresses(address):
    values = pl.Series([address])
    assert _disagreements(values) == []
    assert_frame_equal(judge_values(values, fast=True), judge_values(values, fast=False))


_TOKENS = st.sampled_from(list(ATEXT) + list(".@-") * 3 + list(" ,;:()[]\\\t") + [
    "@gmail.com", ".com", "xn--", "--", "\"", "<", ">", " ", "é", "[", "]", "INFO", "test", "local", "ＡＢ"])
_ADDRESS = st.one_of(
    st.lists(_TOKENS, min_size=1, max_size=30).map("".join),
    st.builds(lambda l, d, t: f"{l}@{d}.{t}", st.text(alphabet=ATEXT + ".", min_size=0, max_size=70),
              st.text(alphabet=LDH + ".", min_size=0, max_size=70), st.sampled_from(TLDS + SPECIAL)),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ADDRESS, min_size=1, max_size=40))
def test_hypothesis_addresses(batch):
    values = pl.Series(batch, dtype=pl.String).unique()
    assert _disagreements(values) == []


def test_switch_turns_the_fast_path_off(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("fast path used")

    monkeypatch.setattr(fast_email, "judge", boom)
    monkeypatch.setattr(email, "FAST_PATH", False)
    out = email.add_email_columns(pl.DataFrame({"e": [" Ana@Acme.COM ", None]}), "e")
    assert out["email"].to_list() == ["Ana@acme.com", None]
    assert out["email_status"].to_list() == ["ok", "missing"]


def test_strict_mode_is_honoured(monkeypatch):
    monkeypatch.setattr(email_validator, "STRICT", True)
    values = pl.Series(["x" * 65 + "@example.com", "x" * 64 + "@example.com"])
    assert fast_email.judge(values)["_i"].to_list() == [1]


def test_judged_row_for_row_with_repeats_and_gaps():
    values = pl.Series(["a@x.com", None, "bad@@x.com", "a@x.com", "ñ@x.com", None, "bad@@x.com", "no at sign"])
    judged = judge_values(values)
    assert judged.height == values.len()
    assert judged["email_status"].to_list() == ["ok", "missing", "invalid", "ok", "ok", "missing", "invalid",
                                                "invalid"]
    for value, row in zip(values, judged.iter_rows()):
        if value is not None:
            assert row == _judge(value)
