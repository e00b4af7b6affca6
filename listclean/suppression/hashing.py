"""Named hash profiles: how partners hash emails and phones before they share them.

A suppression list often arrives hashed, and every partner normalises before hashing in its own
way. A *profile* names one such convention and gives the hash of an email and of a phone under
it, so the suppression store can hash our own (already normalised) contacts the same way and
join them against the partner's hashes.

Inputs are what listclean's normalisers produce: emails as normalised strings, phones as E.164
strings (``"+34612345678"``). Every digest is lower-case hex.

Profiles
--------
``store``
    listclean's own canonical hash: SHA-256 of the normalised value exactly as given (no
    further normalisation; the normaliser already did it). This is ``value_sha256`` in the
    suppression store.
``md5-lower``
    MD5 of the trimmed, lower-cased email (the form used by suppression-list exchanges and by
    Mailchimp's subscriber ids). Phones: MD5 of the E.164 string, ``+`` included.
``sha256-lower``
    SHA-256 of the trimmed, lower-cased email: Google Customer Match / enhanced conversions and
    Meta custom audiences both ask for trim + lower-case before SHA-256. Phones: SHA-256 of the
    E.164 string **with** the leading ``+``, which is what Google asks for ("format phone numbers
    using the E.164 format", e.g. Display & Video 360 "Prepare user data" and the Google Ads API
    enhanced-conversions guide; TikTok's customer-file page also gives ``+16577770000``).
``sha256-digits``
    Same email hash; phones hashed as E.164 digits **without** the ``+``. Meta's customer-file
    ``PHONE`` key says "remove symbols, letters, and any leading zeros" and include the country
    code (Meta Marketing API "Customer File Custom Audiences"; Salesforce's note on it: a leading
    ``+`` "does not receive any matches when hashed"). Meta and Google therefore disagree on the
    ``+``, so each gets its own profile.
``sha256-gmail-nodots``
    Like ``sha256-lower``, but for ``gmail.com`` and ``googlemail.com`` the dots of the local part
    are removed and ``googlemail.com`` is folded into ``gmail.com`` (same mailboxes). ``+tags``
    are **kept**: Google's published normalisation for Gmail removes the dots only, so a partner
    who followed it hashed ``ana+news@gmail.com`` with its tag; stripping the tag on our side would
    make those hashes unmatchable. (Suppressing every ``+tag`` variant of a mailbox is a decision
    for the plaintext normaliser, not for a hash profile.)
``robinson`` / ``robinson-call``
    Spain's Lista Robinson (Adigital). Implemented exactly as Adigital's published client does it
    — repository ``adigital-org/slr-client``, file ``src/util/SLRUtils.js`` (``normalizers`` and
    ``record2hash``), whose README points integrators at those two functions and at the test
    vectors in ``src/util/SLRUtils.test.js``:

    * hash = lower-case hex SHA-256 of ``channel id + normalised value`` (crypto-js ``SHA256``
      over the UTF-8 string, ``toString()`` = hex);
    * channel ids: ``00`` DNI/NIF/NIE, ``01`` postal, ``02`` email, ``03`` SMS, ``04`` phone calls;
    * email normalisation: ASCII ``A-Z`` → ``a-z``, then every character outside
      ``[a-z0-9.@_\\-+]`` is **removed** (spaces, quotes, ``#``, ``$``, accented letters…);
    * phone normalisation: keep the digits; if the raw value starts with ``+`` the result is
      ``"00" + digits``; if it starts with ``00`` it is the digits as they are; otherwise it is
      taken as Spanish: ``"0034" + digits``. So ``+34612345678`` and ``612345678`` both become
      ``0034612345678``.

    The phone hash depends on the channel (``03`` SMS vs ``04`` calls), so there are two
    profiles: ``robinson`` (email ``02``, phone ``03`` = SMS) and ``robinson-call`` (email ``02``,
    phone ``04`` = calls). :meth:`HashProfile.for_channel` picks the right one for a suppression
    channel (``call`` → ``robinson-call``; ``sms``/``whatsapp`` → ``robinson``); Lista Robinson
    has no WhatsApp channel, and we treat WhatsApp as a text message (the more cautious choice
    for a suppression list).

Why Python and not polars: polars (2.x) has ``Series.hash``/``Expr.hash``, but it is a fast
non-cryptographic hash whose values are only stable within one polars version; there is no
SHA-256 or MD5 in polars itself (the third-party ``polars-hash`` plugin has them, and is not a
dependency). So :func:`hash_series` calls :mod:`hashlib` once per *distinct* value and joins the
digests back, which is what keeps million-row lists cheap.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import polars as pl

from listclean.errors import ListcleanError

__all__ = [
    "HashProfile",
    "HashProfileError",
    "Kind",
    "PROFILES",
    "STORE_PROFILE",
    "get_profile",
    "hash_distinct",
    "hash_series",
    "md5_hex",
    "sha256_hex",
    "robinson_normalize_email",
    "robinson_normalize_phone",
]

Kind = Literal["email", "phone"]

STORE_PROFILE = "store"


class HashProfileError(ListcleanError, ValueError):
    """An unknown hash profile name (a user-facing error: the CLI shows it on one line)."""


def sha256_hex(value: str) -> str:
    """Lower-case hex SHA-256 of the UTF-8 bytes of ``value``."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def md5_hex(value: str) -> str:
    """Lower-case hex MD5 of the UTF-8 bytes of ``value``."""
    return hashlib.md5(value.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class HashProfile:
    """One partner's hashing convention.

    ``hash_email`` and ``hash_phone`` take a normalised email / an E.164 phone and return a hex
    digest. ``channel_variants`` maps a suppression channel to the name of the profile to use
    instead for that channel; only Lista Robinson needs it, since its phone hash encodes the
    channel (``channel_specific_phone``). ``hash_emails`` / ``hash_phones`` are the same
    functions over a list of values (a tight loop; by default they map the single-value ones).
    """

    name: str
    description: str
    hash_email: Callable[[str], str]
    hash_phone: Callable[[str], str]
    channel_variants: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    channel_specific_phone: bool = False
    hash_emails: Callable[[list[str]], list[str]] | None = field(
        default=None, compare=False, repr=False
    )
    hash_phones: Callable[[list[str]], list[str]] | None = field(
        default=None, compare=False, repr=False
    )

    def hasher(self, kind: Kind) -> Callable[[str], str]:
        """The hash function of this profile for ``kind`` ("email" or "phone")."""
        if kind == "email":
            return self.hash_email
        if kind == "phone":
            return self.hash_phone
        raise ValueError(f"kind must be 'email' or 'phone', not {kind!r}")

    def hash_many(self, kind: Kind, values: list[str]) -> list[str]:
        """Hash a list of values of ``kind``, in order."""
        many = self.hash_emails if kind == "email" else self.hash_phones
        if many is not None:
            return many(values)
        return list(map(self.hasher(kind), values))

    def for_channel(self, channel: str) -> HashProfile:
        """The profile that hashes values meant for ``channel`` (often ``self``)."""
        name = self.channel_variants.get(channel)
        return PROFILES[name] if name else self


# -- plain profiles ------------------------------------------------------------------------------


def _lower(email: str) -> str:
    return email.strip().lower()


def _e164(phone: str) -> str:
    return phone.strip()


def _e164_digits(phone: str) -> str:
    return phone.strip().lstrip("+")


_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def gmail_nodots(email: str) -> str:
    """Trim and lower-case; for Gmail, drop the local part's dots and fold googlemail.com."""
    email = _lower(email)
    local, at, domain = email.rpartition("@")
    if at and domain in _GMAIL_DOMAINS:
        return local.replace(".", "") + "@gmail.com"
    return email


# -- Lista Robinson ------------------------------------------------------------------------------
# Faithful port of adigital-org/slr-client, src/util/SLRUtils.js (`normalizers.email`,
# `normalizers.phone`, `record2hash`, `channels`). Test vectors: src/util/SLRUtils.test.js.

ROBINSON_CHANNEL_IDS = {"dni": "00", "postal": "01", "email": "02", "sms": "03", "call": "04"}
_ROBINSON_DEFAULT_COUNTRY = "0034"
_ROBINSON_EMAIL_DROP = re.compile(r"[^a-z0-9.@_\-+]")
_ROBINSON_NON_DIGIT = re.compile(r"[^0-9]")
_ASCII_UPPER_TO_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def robinson_normalize_email(value: str) -> str:
    """Lista Robinson email normalisation (``normalizers.email`` in SLRUtils.js).

    Only ASCII capitals are lower-cased; then everything outside ``[a-z0-9.@_-+]`` is removed.
    """
    return _ROBINSON_EMAIL_DROP.sub("", value.translate(_ASCII_UPPER_TO_LOWER))


def robinson_normalize_phone(value: str) -> str:
    """Lista Robinson phone normalisation (``normalizers.phone`` in SLRUtils.js).

    ``+CC…`` → ``00CC…``; ``00CC…`` kept; anything else is Spanish: ``0034`` + digits. The
    test on the first characters is made on the raw value, as the client does.
    """
    digits = _ROBINSON_NON_DIGIT.sub("", value)
    if value[:1] == "+":
        return "00" + digits
    if value[:2] == "00":
        return digits
    return _ROBINSON_DEFAULT_COUNTRY + digits


# -- the registry --------------------------------------------------------------------------------


def _hashers(
    algorithm: str,
    normalize: Callable[[str], str] | None = None,
    prefix: str = "",
) -> tuple[Callable[[str], str], Callable[[list[str]], list[str]]]:
    """(one value → digest, list → digests) for ``algorithm(prefix + normalize(value))``."""
    new: Callable[[bytes], Any] = (
        hashlib.sha256 if algorithm == "sha256" else partial(hashlib.md5, usedforsecurity=False)
    )

    def one(value: str) -> str:
        text = normalize(value) if normalize else value
        return new((prefix + text).encode("utf-8")).hexdigest()

    def many(values: list[str]) -> list[str]:
        if normalize is not None:
            values = [prefix + normalize(v) for v in values]
        elif prefix:
            values = [prefix + v for v in values]
        return [new(v.encode("utf-8")).hexdigest() for v in values]

    return one, many


def _profile(
    name: str,
    description: str,
    email: tuple[Callable[[str], str], Callable[[list[str]], list[str]]],
    phone: tuple[Callable[[str], str], Callable[[list[str]], list[str]]],
    **kwargs: Any,
) -> HashProfile:
    return HashProfile(
        name,
        description,
        hash_email=email[0],
        hash_phone=phone[0],
        hash_emails=email[1],
        hash_phones=phone[1],
        **kwargs,
    )


_ROB = ROBINSON_CHANNEL_IDS
_ROBINSON_VARIANTS = {"sms": "robinson", "whatsapp": "robinson", "call": "robinson-call"}

PROFILES: dict[str, HashProfile] = {
    p.name: p
    for p in (
        _profile(
            STORE_PROFILE,
            "listclean's own hash: SHA-256 of the normalised value as given",
            _hashers("sha256"),
            _hashers("sha256"),
        ),
        _profile(
            "md5-lower",
            "MD5 of the trimmed, lower-cased email (list exchanges, Mailchimp); MD5 of E.164",
            _hashers("md5", _lower),
            _hashers("md5", _e164),
        ),
        _profile(
            "sha256-lower",
            "SHA-256 of the trimmed, lower-cased email; SHA-256 of E.164 with '+' (Google)",
            _hashers("sha256", _lower),
            _hashers("sha256", _e164),
        ),
        _profile(
            "sha256-digits",
            "SHA-256 of the trimmed, lower-cased email; SHA-256 of E.164 digits, no '+' (Meta)",
            _hashers("sha256", _lower),
            _hashers("sha256", _e164_digits),
        ),
        _profile(
            "sha256-gmail-nodots",
            "sha256-lower, with Gmail dots removed and googlemail.com folded into gmail.com",
            _hashers("sha256", gmail_nodots),
            _hashers("sha256", _e164),
        ),
        _profile(
            "robinson",
            "Lista Robinson (Adigital): SHA-256 of '02'+email / '03'+phone (SMS channel)",
            _hashers("sha256", robinson_normalize_email, _ROB["email"]),
            _hashers("sha256", robinson_normalize_phone, _ROB["sms"]),
            channel_variants=_ROBINSON_VARIANTS,
            channel_specific_phone=True,
        ),
        _profile(
            "robinson-call",
            "Lista Robinson (Adigital): SHA-256 of '02'+email / '04'+phone (calls channel)",
            _hashers("sha256", robinson_normalize_email, _ROB["email"]),
            _hashers("sha256", robinson_normalize_phone, _ROB["call"]),
            channel_variants=_ROBINSON_VARIANTS,
            channel_specific_phone=True,
        ),
    )
}


def get_profile(profile: str | HashProfile) -> HashProfile:
    """Look a profile up by name (or pass one through); ``ValueError`` names the known ones."""
    if isinstance(profile, HashProfile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        known = ", ".join(PROFILES)
        raise HashProfileError(f"unknown hash profile {profile!r} (known: {known})") from None


def hash_distinct(values: pl.Series, kind: Kind, profile: str | HashProfile) -> pl.DataFrame:
    """Frame ``{"value", "hash"}``: each distinct non-null value of ``values`` and its digest."""
    distinct = values.cast(pl.String).drop_nulls().unique()
    digests = get_profile(profile).hash_many(kind, distinct.to_list())
    return pl.DataFrame(
        {"value": distinct, "hash": pl.Series(digests, dtype=pl.String)},
        schema={"value": pl.String, "hash": pl.String},
    )


def hash_series(series: pl.Series, kind: Kind, profile: str | HashProfile) -> pl.Series:
    """Hash every value of ``series`` under ``profile``; nulls stay null.

    The hash runs once per *distinct* non-null value (:func:`hash_distinct`); the digests are
    joined back onto the rows, in order. The result keeps the series' name; dtype String.
    """
    lookup = hash_distinct(series, kind, profile)
    return (
        pl.DataFrame({"value": series.cast(pl.String)})
        .join(lookup, on="value", how="left", maintain_order="left")
        .get_column("hash")
        .alias(series.name)
    )
