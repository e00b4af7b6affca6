"""Differential tests: the vectorised phone path (fast_phone) against phonenumbers itself.

Every value the fast path decides must give exactly ``judge_one``'s tuple (E.164, status,
reason, type, region, extension); any disagreement fails. The corpus is built here,
deterministically, from phonenumbers' example numbers for every supported region and every
number type (plus the non-geographic entities), mutated (digits changed, cut, added, leading
zeros, random digits) and written in many forms (+CC, IDD + CC, national prefix, bare, with
the country code but no '+', grouped with spaces/dots/dashes/slashes/parentheses, extensions,
labels, letters, full-width characters, RFC 3966 bits, blanks, overlong input), each read in
its own region, no region, another region or an unsupported one.

Size: ``LISTCLEAN_DIFF_SIZE`` values (default 200 000), ``LISTCLEAN_HYPOTHESIS_EXAMPLES``
hypothesis batches per strategy (default 150); e.g. ``LISTCLEAN_DIFF_SIZE=1000000
LISTCLEAN_HYPOTHESIS_EXAMPLES=3000 pytest tests/test_fast_phone.py``.
"""

from __future__ import annotations

import os
import random

import phonenumbers
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType
from phonenumbers.phonemetadata import PhoneMetadata
from polars.testing import assert_frame_equal

from listclean.normalize import fast_phone, phone, phonemeta
from listclean.normalize.phone import _PARSE_REASONS, _POSSIBLE_REASONS, judge_one, judge_values

DIFF_SIZE = int(os.environ.get("LISTCLEAN_DIFF_SIZE", "200000"))
EXAMPLES = int(os.environ.get("LISTCLEAN_HYPOTHESIS_EXAMPLES", "150"))
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
TYPES = [PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
         PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST, PhoneNumberType.VOIP,
         PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER, PhoneNumberType.UAN,
         PhoneNumberType.VOICEMAIL]
DIGITS = "0123456789"


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------

def _seeds() -> list[tuple[str, object, int, str]]:
    """(region, metadata, calling code, national significant number) of every example number."""
    seeds = []
    for region in REGIONS:
        md = PhoneMetadata.metadata_for_region(region)
        examples = [phonenumbers.example_number_for_type(region, t) for t in TYPES]
        examples.append(phonenumbers.invalid_example_number(region))
        for number in filter(None, examples):
            seeds.append((region, md, number.country_code, phonenumbers.national_significant_number(number)))
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        md = PhoneMetadata.metadata_for_nongeo_region(cc)
        number = phonenumbers.example_number_for_non_geo_entity(cc)
        if number is not None:
            seeds.append(("001", md, cc, phonenumbers.national_significant_number(number)))
    return seeds


def _mutate(rng: random.Random, nsn: str) -> str:
    k = rng.random()
    if k < 0.35:
        return nsn
    if k < 0.5:                                   # one or two digits changed
        digits = list(nsn)
        for _ in range(rng.randint(1, 2)):
            digits[rng.randrange(len(digits))] = rng.choice(DIGITS)
        return "".join(digits)
    if k < 0.6:                                   # truncated
        return nsn[:max(0, len(nsn) - rng.randint(1, 4))]
    if k < 0.7:                                   # extra digits
        return nsn + "".join(rng.choice(DIGITS) for _ in range(rng.randint(1, 4)))
    if k < 0.8:                                   # same start, random rest
        return nsn[:rng.randint(1, 3)] + "".join(rng.choice(DIGITS) for _ in range(len(nsn) - rng.randint(0, 3)))
    if k < 0.85:                                  # random digits, any length
        return "".join(rng.choice(DIGITS) for _ in range(rng.randint(0, 19)))
    if k < 0.9:
        return rng.choice(DIGITS) + nsn
    if k < 0.95:
        return nsn[1:]
    return "0" * rng.randint(1, 3) + nsn


def _group(rng: random.Random, digits: str) -> str:
    if not digits or rng.random() < 0.4:
        return digits
    separator = rng.choice([" ", " ", "-", ".", "/", " - ", "  ", ". "])
    parts, i = [], 0
    while i < len(digits):
        step = rng.randint(1, 4)
        parts.append(digits[i:i + step])
        i += step
    if len(parts) > 1 and rng.random() < 0.3:
        parts[0] = "(" + parts[0] + ")"
    return separator.join(parts)


_IDDS = ["00", "011", "0011", "810", "001", "010", "009", "119", "0", "000", "00 ", "1", "01", "+00", "+0"]
_EXTENSIONS = [" ext. ", " ext ", " x", " x ", "x", " X", " EXT ", " Ext.", " ext", " #", ";ext=", ",,",
               " int ", " extension ", " anexo ", " ext.", "  x. ", " xt "]
_LABELS = ["Tel: ", "M ", "Móvil: ", "tel:", "Cell ", "phone ", "(", "Fax: ", "'", "n° ", "Tél. ", "@ "]
_TAILS = [" (casa)", " mob", ".", ")", "-", " /", "/x", " / x", "#", "*", " abc", " ABC def", " .", "()"]
_ODD = ["", "+", "()", "-", "0", "00", "+0", "+1", "12", "1 2", "+12", "(12)", "123", "+123", "n/a",
        "x" * 300, "1" * 251, "1" * 250, "+" + "9" * 30, "+" + "1" * 249, "0" * 20, "+0", "++1",
        "1-800-FLOWERS", "tel:+1-201-555-0123", "+1 (201) 555-0123 ext. 123456789",
        "+1 201 555 0123 x1234567890", "201-555-0123 # 12", ";phone-context=+1", "+1;isub=12"]


def _value(rng: random.Random, seed) -> str:
    _, md, cc, nsn = seed
    digits = _mutate(rng, nsn)
    national_prefix = md.national_prefix or ""
    form = rng.random()
    if form < 0.25:
        return "+" + str(cc) + rng.choice(["", " ", "-", ".", " (0) ", "(", ") "]) + _group(rng, digits)
    if form < 0.35:
        idd = rng.choice(_IDDS + ([md.international_prefix] * 4 if (md.international_prefix or "").isdigit() else []))
        return idd + rng.choice(["", " "]) + str(cc) + rng.choice(["", " "]) + _group(rng, digits)
    if form < 0.55:
        return national_prefix + _group(rng, digits)
    if form < 0.75:
        return _group(rng, digits)
    if form < 0.82:
        return str(cc) + _group(rng, digits)
    if form < 0.86:
        return "(" + national_prefix + digits[:3] + ") " + _group(rng, digits[3:])
    base = rng.choice(["+" + str(cc) + " ", national_prefix, ""]) + _group(rng, digits)
    junk = rng.random()
    if junk < 0.15:
        return base + rng.choice(_EXTENSIONS) + str(rng.randint(0, 10 ** rng.randint(1, 12)))
    if junk < 0.25:
        return rng.choice(_LABELS) + base
    if junk < 0.35:
        return base + rng.choice(_TAILS)
    if junk < 0.45:
        middle = len(base) // 2
        return base[:middle] + rng.choice("ABCDEFXYZabcxt") + base[middle:]
    if junk < 0.55:
        return base + rng.choice([" / ", " y ", ", ", "/"]) + _group(rng, _mutate(rng, nsn))
    if junk < 0.6:
        return base.replace("1", "l").replace("0", "O")
    if junk < 0.65:   # full-width digits
        return "".join(chr(0xFF10 + int(c)) if c.isdigit() and rng.random() < 0.3 else c for c in base)
    if junk < 0.7:
        return rng.choice(["＋", "++", "+ +"]) + base.lstrip("+")
    if junk < 0.75:
        return base + ";phone-context=+" + str(cc)
    if junk < 0.85:
        return rng.choice(_ODD)
    if junk < 0.9:
        return base + rng.choice(["\t1", "\n", "\u00a0", "\u200b1"])
    if junk < 0.95:
        return "0800 " + "".join(rng.choice("ABCDEFGHIJKLMNOP") for _ in range(rng.randint(3, 8)))
    return "\u0663" + base   # an Arabic-Indic digit in front


def _region(rng: random.Random, seed) -> str | None:
    k = rng.random()
    if k < 0.6:
        return seed[0] if seed[0] != "001" else None
    if k < 0.75:
        return None
    if k < 0.95:
        return rng.choice(REGIONS)
    return rng.choice(["ZZ", "001", "es", "Us", "XK", "AC", ""])


def corpus(size: int, seed: int = 20261101) -> pl.DataFrame:
    """Distinct (``_phone_clean``, ``_region``) pairs, like add_phone_columns builds them."""
    rng = random.Random(seed)
    seeds = _seeds()
    pairs = []
    for _ in range(size):
        s = rng.choice(seeds)
        pairs.append((_value(rng, s), _region(rng, s)))
    frame = pl.DataFrame(pairs, schema={"raw": pl.String, "_region": pl.String}, orient="row")
    return frame.select(phone.clean_expr("raw").alias("_phone_clean"), "_region").drop_nulls("_phone_clean").unique(
        maintain_order=True)


@pytest.fixture(scope="module")
def big_corpus() -> pl.DataFrame:
    return corpus(DIFF_SIZE)


def _judged(pairs: pl.DataFrame, fast: bool | None = None) -> pl.DataFrame:
    """The phone columns of every pair, row for row, beside the pair."""
    return judge_values(pairs["_phone_clean"], pairs["_region"], fast=fast).hstack(pairs)


def _disagreements(pairs: pl.DataFrame) -> list[str]:
    decided = fast_phone.judge(pairs["_phone_clean"], pairs["_region"], _PARSE_REASONS, _POSSIBLE_REASONS)
    rows = pairs.rows()
    report = []
    for index, *got in decided.iter_rows():
        expected = judge_one(*rows[index])
        if tuple(got) != expected:
            report.append(f"{rows[index]!r}: phonenumbers {expected!r}, fast path {tuple(got)!r}")
    return report


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------

def test_corpus_covers_every_region_and_type(big_corpus):
    assert big_corpus.height > 0.85 * DIFF_SIZE
    judged = _judged(big_corpus)
    valid_regions = set(judged.filter(pl.col("phone_status") == "ok")["phone_region"].unique())
    # every region that owns one of its example numbers gets valid numbers (EH's go to MA)
    owners = {judge_one(f"+{cc}{nsn}", None)[4] for _, _, cc, nsn in _seeds()}
    assert valid_regions >= owners - {None}
    kinds = set(judged["phone_type"].drop_nulls().unique())
    assert kinds >= {"fixed_line", "mobile", "fixed_line_or_mobile", "toll_free", "premium_rate",
                     "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail"}
    assert set(judged["phone_status"].unique()) == {"ok", "invalid", "unparseable"}


def test_fast_path_agrees_with_phonenumbers_on_the_corpus(big_corpus):
    """The whole judged frame, fast path on, equals phonenumbers alone, row for row."""
    fast = _judged(big_corpus, fast=True)
    slow = _judged(big_corpus, fast=False)
    if not fast.equals(slow):
        both = fast.with_row_index("i").join(slow.with_row_index("i"), on="i", suffix="_lib")
        differ = both.filter(pl.any_horizontal(
            pl.col(c).ne_missing(pl.col(c + "_lib")) for c in phone.PHONE_SCHEMA))
        pytest.fail(f"{differ.height} disagreements, e.g.\n{differ.head(20)}")
    assert_frame_equal(fast, slow)


def test_fast_path_decides_most_of_the_corpus(big_corpus):
    decided = fast_phone.judge(big_corpus["_phone_clean"], big_corpus["_region"], _PARSE_REASONS,
                               _POSSIBLE_REASONS)
    assert decided.height >= 0.85 * big_corpus.height
    assert decided["_i"].n_unique() == decided.height


def test_every_region_compiles_for_polars():
    """A region whose metadata polars cannot run falls back (still correct), but should be rare."""
    unsupported = [r for r in REGIONS if not phonemeta.region_meta(r).supported]
    unsupported += [cc for cc in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS
                    if not phonemeta.region_meta(f"001:{cc}").supported]
    assert len(unsupported) <= 5, unsupported


TRICKY = [
    # Argentina: national prefix 0, carrier 15 and the "9" transform for mobiles
    ("011 15-3339-8635", "AR"), ("0343 15 555 1212", "AR"), ("+54 9 11 1921-2184", "AR"),
    ("+5491129248950", None), ("11 1921 2184", "AR"), ("15 1921 2184", "AR"), ("5491129248950", "AR"),
    # Mexico, Brazil (carrier codes), Colombia
    ("044 55 1234 5678", "MX"), ("+52 1 55 1234 5678", None), ("55 1234 5678", "MX"),
    ("0 21 11 98765 4321", "BR"), ("(11) 98765-4321", "BR"), ("03 1 601 234 5678", "CO"),
    # Italy leading zeros, San Marino, Vatican
    ("+39 06 6988 1234", None), ("06 6988 1234", "IT"), ("0549 123456", "SM"), ("123456", "SM"),
    ("+39 0669812345", "VA"),
    # NANPA: US, Canada, Caribbean, national prefix 1, 7-digit local numbers
    ("1-713-367-1634", "US"), ("(416) 555-0199", "CA"), ("416 555 0199", "US"), ("+1 268 464 1234", None),
    ("464 1234", "AG"), ("1 809 234 5678", "DO"), ("+1 787 234 5678", "US"), ("011 44 20 8278 2022", "US"),
    ("555-0199", "US"), ("+1 800 234 5678", "CA"),
    # Shared codes: GB/JE/GG/IM, RU/KZ, FI/AX, NO/SJ, AU/CC/CX, MA/EH
    ("07700 900123", "GB"), ("07797 123456", "JE"), ("+44 7624 123456", None), ("+7 701 123 4567", None),
    ("8 (495) 123-45-67", "RU"), ("+358 18 123456", None), ("+47 79 12 34 56", None),
    ("+61 8 9162 1234", None), ("+212 528 123456", None),
    # Non-geographic entities
    ("+800 1234 5678", None), ("+882 1234 5678", "ES"), ("+979 123456789", None),
    # International prefixes, own calling code without '+', too short after IDD, bad codes
    ("0034 612 345 678", "ES"), ("34612345678", "ES"), ("00 1", "ES"), ("00", "ES"), ("0099 123", "ES"),
    ("+0034 612 345 678", "ES"), ("+999 123 456", "ES"), ("810 7 495 123 4567", "RU"), ("8 10 44 20", "RU"),
    # Extensions, labels, shapes
    ("+1 619-447-0943 ext. 12", None), ("(212) 341-6206 x204", "US"), ("415-345-8529 ext 5", "US"),
    ("Móvil: +34-630-987-288", "ES"), ("M 0162/77902091", "DE"), ("(+34) 604 428 755", "ES"),
    ("12", "ES"), ("1 2", "ES"), ("+12", "ES"), ("123", None), ("1" * 251, "ES"), ("x", None),
]


@pytest.mark.parametrize("raw, region", TRICKY)
def test_tricky_cases(raw, region):
    pairs = pl.DataFrame({"_phone_clean": [raw], "_region": [region]},
                         schema={"_phone_clean": pl.String, "_region": pl.String})
    assert _disagreements(pairs) == []
    assert _judged(pairs).row(0)[:6] == judge_one(raw, region)


# hypothesis: free text over a phone-ish alphabet, and structured numbers per region

_TOKENS = st.sampled_from(list("0123456789" * 4 + " ().-/+" * 2 + "xXet#;,*~") + [
    "＋", "\u00a0", "\u0663", "\uff11", "ext.", "tel:", "A", "ñ", "\t", ";phone-context=", "00", "+1"])
_TEXT = st.lists(_TOKENS, min_size=1, max_size=25).map("".join)
_REGION = st.sampled_from(REGIONS + [None, "ZZ", "001", "es"])


@st.composite
def _structured(draw):
    region = draw(st.sampled_from(REGIONS))
    md = PhoneMetadata.metadata_for_region(region)
    digits = draw(st.text(alphabet=DIGITS, min_size=0, max_size=18))
    head = draw(st.sampled_from(["+" + str(md.country_code), "00" + str(md.country_code),
                                 md.national_prefix or "", "", str(md.country_code),
                                 (md.international_prefix or "") + "1"]))
    sep = draw(st.sampled_from(["", " ", "-", ".", " (0) "]))
    ext = draw(st.sampled_from(["", "", " ext. 12", " x3", " x 1234567890"]))
    return head + sep + digits + ext, draw(st.sampled_from([region, None, "US", "GB", "AR"]))


def _check_batch(batch):
    pairs = pl.DataFrame(batch, schema={"_phone_clean": pl.String, "_region": pl.String}, orient="row")
    pairs = pairs.with_columns(pl.col("_phone_clean").fill_null("")).filter(
        pl.col("_phone_clean").str.strip_chars().str.len_chars() > 0).unique()
    assert _disagreements(pairs) == []


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TEXT, _REGION), min_size=1, max_size=40))
def test_hypothesis_free_text(batch):
    _check_batch(batch)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_structured(), min_size=1, max_size=40))
def test_hypothesis_structured_numbers(batch):
    _check_batch(batch)


def test_switch_turns_the_fast_path_off(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("fast path used")

    monkeypatch.setattr(fast_phone, "judge", boom)
    monkeypatch.setattr(phone, "FAST_PATH", False)
    frame = pl.DataFrame({"p": ["612 345 678", None], "r": ["ES", "ES"]})
    out = phone.add_phone_columns(frame, "p", "r", None)
    assert out["phone_e164"].to_list() == ["+34612345678", None]
    assert out["phone_status"].to_list() == ["ok", "missing"]


def test_judged_row_for_row_with_repeats_and_gaps():
    values = pl.Series(["612 34 56 78", None, "+1 212 555 0100 ext. 7", "612 34 56 78", "1-800-FLOWERS", None])
    regions = pl.Series(["ES", "ES", None, "FR", "US", None])
    judged = judge_values(values, regions)
    assert judged.height == values.len()
    assert judged["phone_status"].to_list()[1] == judged["phone_status"].to_list()[5] == "missing"
    for value, region, row in zip(values, regions, judged.iter_rows()):
        if value is not None:
            assert row == judge_one(value, region)
