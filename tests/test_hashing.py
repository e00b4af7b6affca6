"""Hash profiles. Every expected digest is computed here, independently of listclean.hashing:
with hashlib on literal strings written out in the test, or copied from Adigital's published
test vectors (adigital-org/slr-client, src/util/SLRUtils.test.js)."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listclean.suppression.hashing import (
    PROFILES,
    HashProfile,
    get_profile,
    hash_distinct,
    hash_series,
    robinson_normalize_email,
    robinson_normalize_phone,
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def test_the_named_profiles_exist():
    assert {
        "store",
        "md5-lower",
        "sha256-lower",
        "sha256-digits",
        "sha256-gmail-nodots",
        "robinson",
        "robinson-call",
    } <= set(PROFILES)
    for name, profile in PROFILES.items():
        assert profile.name == name
        assert profile.description


def test_md5_of_the_empty_string_is_the_well_known_one():
    # Sanity check of the test helper itself against a published constant (RFC 1321).
    assert md5("") == "d41d8cd98f00b204e9800998ecf8427e"
    assert sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_store_hashes_the_value_exactly_as_given():
    store = PROFILES["store"]
    assert store.hash_email("ana.garcia@example.com") == sha256("ana.garcia@example.com")
    assert store.hash_phone("+34612345678") == sha256("+34612345678")


def test_md5_lower_trims_and_lower_cases_emails():
    profile = PROFILES["md5-lower"]
    assert profile.hash_email("  Ana.Garcia@Example.COM ") == md5("ana.garcia@example.com")
    assert profile.hash_phone("+34612345678") == md5("+34612345678")


def test_sha256_lower_keeps_the_plus_of_e164_phones():
    profile = PROFILES["sha256-lower"]
    assert profile.hash_email("Ana.Garcia@Example.com\t") == sha256("ana.garcia@example.com")
    assert profile.hash_phone("+34612345678") == sha256("+34612345678")


def test_sha256_digits_drops_the_plus_for_meta():
    profile = PROFILES["sha256-digits"]
    assert profile.hash_email("ANA@EXAMPLE.COM") == sha256("ana@example.com")
    assert profile.hash_phone("+34612345678") == sha256("34612345678")


@pytest.mark.parametrize(
    ("email", "normalised"),
    [
        ("A.Na.Garcia@Gmail.com", "anagarcia@gmail.com"),
        ("ana.garcia@googlemail.com", "anagarcia@gmail.com"),
        ("a.na+news@gmail.com", "ana+news@gmail.com"),  # +tags are kept
        ("ana.garcia@example.com", "ana.garcia@example.com"),  # other domains keep their dots
        ("ana.garcia@mail.gmail.com.evil", "ana.garcia@mail.gmail.com.evil"),
    ],
)
def test_sha256_gmail_nodots(email, normalised):
    assert PROFILES["sha256-gmail-nodots"].hash_email(email) == sha256(normalised)


# -- Lista Robinson: Adigital's own test vectors ------------------------------------------------
# adigital-org/slr-client, src/util/SLRUtils.test.js, "Test record to hash conversion".

ADIGITAL_PHONE_CALLS = "9a0d14c71b6bb4b50fd4a9efc0536de8c7198f4bebdadcc4e7ee32731fb75c15"
ADIGITAL_PHONE_SMS = "ea48b0f337aded1ab2d7fb495b075883b91319a0c8c5b88d5be9d28c95663ac4"
ADIGITAL_EMAIL = "54c46846985b7ee2b5a1dbc899b0f55dbb711f5a7d84ab3f9f8d37060dad2174"


def test_robinson_matches_adigitals_published_hashes():
    # record2hash(['345678890'], 'PhoneSimple' | 'SmsSimple') and
    # record2hash(['regularmail@listarobinson.net'], 'Email')
    assert PROFILES["robinson-call"].hash_phone("345678890") == ADIGITAL_PHONE_CALLS
    assert PROFILES["robinson"].hash_phone("345678890") == ADIGITAL_PHONE_SMS
    assert PROFILES["robinson"].hash_email("regularmail@listarobinson.net") == ADIGITAL_EMAIL
    assert PROFILES["robinson-call"].hash_email("regularmail@listarobinson.net") == ADIGITAL_EMAIL


def test_robinson_hash_is_sha256_of_channel_prefix_and_normalised_value():
    assert PROFILES["robinson"].hash_phone("+34612345678") == sha256("03" + "0034612345678")
    assert PROFILES["robinson-call"].hash_phone("+34612345678") == sha256("04" + "0034612345678")
    assert PROFILES["robinson"].hash_email("Ana@Example.com") == sha256("02" + "ana@example.com")


def test_robinson_spanish_phones_hash_the_same_with_or_without_plus34():
    e164 = PROFILES["robinson-call"].hash_phone("+34345678890")
    assert e164 == PROFILES["robinson-call"].hash_phone("345678890") == ADIGITAL_PHONE_CALLS
    assert PROFILES["robinson-call"].hash_phone("0034345678890") == ADIGITAL_PHONE_CALLS


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [  # "Phone normalizer test" in SLRUtils.test.js
        ("0034932404070", "0034932404070"),
        ("+34932404070", "0034932404070"),
        ("93 240 40 70", "0034932404070"),
        ("93-240.40.70", "0034932404070"),
        ("932.40.40.70", "0034932404070"),
        ("932-40.40.70.15480", "003493240407015480"),
        ("0325256174", "00340325256174"),
        ("+325256174", "00325256174"),
        ("325256174", "0034325256174"),
    ],
)
def test_robinson_phone_normalisation(raw, normalised):
    assert robinson_normalize_phone(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [  # "Email normalizer test" in SLRUtils.test.js
        ("simpleemail@simpledomain.net", "simpleemail@simpledomain.net"),
        (
            "SIMPLEEMAILINMAYUS@SIMPLEDOMAININMAYUS.NET",
            "simpleemailinmayus@simpledomaininmayus.net",
        ),
        ("ejemplo#mail@dominio.com", "ejemplomail@dominio.com"),
        ("ejemplo#mail-conGuion@dominio.com", "ejemplomail-conguion@dominio.com"),
        ("thISpartISCaseSensitive@mail.com", "thispartiscasesensitive@mail.com"),
        ("mail_with$symbols@mail.com", "mail_withsymbols@mail.com"),
        ('"this mail is also correct"@mail.com', "thismailisalsocorrect@mail.com"),
        # Only ASCII capitals are lower-cased; other letters are dropped, as in the client.
        ("Ñandú@Example.es", "and@example.es"),
    ],
)
def test_robinson_email_normalisation(raw, normalised):
    assert robinson_normalize_email(raw) == normalised


def test_robinson_profile_follows_the_channel():
    robinson = PROFILES["robinson"]
    assert robinson.for_channel("call").name == "robinson-call"
    assert robinson.for_channel("sms").name == "robinson"
    assert robinson.for_channel("whatsapp").name == "robinson"
    assert PROFILES["robinson-call"].for_channel("sms").name == "robinson"
    assert robinson.for_channel("email") is robinson
    assert PROFILES["md5-lower"].for_channel("call") is PROFILES["md5-lower"]


def test_get_profile_names_the_known_profiles_when_unknown():
    assert get_profile("md5-lower") is PROFILES["md5-lower"]
    with pytest.raises(ValueError, match="sha256-lower"):
        get_profile("sha1")


# -- vectorised helpers ----------------------------------------------------------------------------


def test_hash_series_keeps_order_nulls_and_name():
    series = pl.Series("email", ["B@x.com", None, "a@x.com", "B@x.com"])
    out = hash_series(series, "email", "sha256-lower")
    assert out.name == "email"
    assert out.dtype == pl.String
    assert out.to_list() == [sha256("b@x.com"), None, sha256("a@x.com"), sha256("b@x.com")]


def test_hash_series_hashes_each_distinct_value_once():
    calls: list[str] = []

    def counting(value: str) -> str:
        calls.append(value)
        return sha256(value)

    profile = HashProfile("counting", "counts its calls", counting, counting)
    series = pl.Series(["a@x.com", "b@x.com"] * 5_000 + [None] * 10)
    out = hash_series(series, "email", profile)
    assert sorted(calls) == ["a@x.com", "b@x.com"]
    assert out.null_count() == 10
    assert out[0] == sha256("a@x.com") and out[1] == sha256("b@x.com")


def test_hash_distinct_returns_one_row_per_distinct_value():
    frame = hash_distinct(pl.Series(["+34612345678", "+34612345678", None]), "phone", "md5-lower")
    assert frame.rows() == [("+34612345678", md5("+34612345678"))]


def test_hash_series_of_an_empty_series():
    out = hash_series(pl.Series("phone", [], dtype=pl.String), "phone", "robinson")
    assert out.len() == 0 and out.dtype == pl.String


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=40),
    name=st.sampled_from(sorted(PROFILES)),
    kind=st.sampled_from(["email", "phone"]),
)
def test_hash_series_agrees_with_the_per_value_function(values, name, kind):
    profile = PROFILES[name]
    one = profile.hash_email if kind == "email" else profile.hash_phone
    out = hash_series(pl.Series(values, dtype=pl.String), kind, name)
    assert out.to_list() == [None if v is None else one(v) for v in values]
