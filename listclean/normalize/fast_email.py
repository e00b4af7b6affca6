"""Vectorised email-validator for the common cases: plain ASCII addresses it would accept,
and the everyday typing mistakes it would reject.

``judge(values)`` decides, in polars, the addresses that email-validator 2.x
(``validate_email(v, check_deliverability=False)`` with the module defaults) accepts on its
first, ASCII-only path, and returns for them exactly what it would: ``normalized`` and
``ascii_domain``. ``judge_invalid(values)`` decides the printable-ASCII values it rejects for
a missing '@', an empty part, characters that are not allowed, misplaced periods or hyphens,
or a domain without a period, with the library's own reason. Every other value — quoted
local parts, display names, domain literals, any non-ASCII character, Punycode (``xn--``)
and other R-LDH labels, special-use domains, over-long parts — is left undecided for
email-validator itself.

The accepted shape replays ``validate_email`` step by step (see email_validator/syntax.py):

* ``split_email``: no ``"``, ``<`` or second ``@`` can occur, so the address splits at its
  only ``@`` and there is no display name or quoting;
* local part: ``DOT_ATOM_TEXT`` (ATEXT runs separated by single dots); kept as written, except
  the RFC 2142 mailbox names (``CASE_INSENSITIVE_MAILBOX_NAMES``), which are lower-cased; its
  length is only limited when ``email_validator.STRICT`` is set;
* domain: at most 253 characters; UTS-46 remapping of an ASCII hostname only lower-cases it;
  then ``DOT_ATOM_TEXT_HOSTNAME`` (labels of letters, digits and inner hyphens), labels of at
  most 63 characters, at least one dot and a last character that is a letter
  (globally deliverable), not a special-use name (``SPECIAL_USE_DOMAIN_NAMES``, read from the
  library), no ``xn--`` and no other ``??--`` label start;
* total length at most 254 (ASCII: characters = bytes, and normalisation keeps the length).

This module models email-validator only. listclean's own verdicts on top of it (a local part
over RFC 5321's 64 octets is invalid even outside strict mode, reserved domains, stray
punctuation named in the reason) are applied to both paths in ``listclean.normalize.email``
(``_enrich`` and ``_reject_reasons`` over columns, ``_judge`` per value).
"""

from __future__ import annotations

import re

import email_validator
import polars as pl
from email_validator.syntax import safe_character_display
from email_validator.rfc_constants import (
    CASE_INSENSITIVE_MAILBOX_NAMES, DNS_LABEL_LENGTH_LIMIT, DOMAIN_MAX_LENGTH, EMAIL_MAX_LENGTH,
    LOCAL_PART_MAX_LENGTH,
)

_ATEXT = r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]"
_LABEL = rf"[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,{DNS_LABEL_LENGTH_LIMIT - 2}}}[A-Za-z0-9])?"
#: The accepted addresses (ASCII-only matching, ``(?-u)``, is exact here and much faster).
ADDRESS = rf"(?-u)^{_ATEXT}+(?:\.{_ATEXT}+)*@{_LABEL}(?:\.{_LABEL})+$"
#: Labels that start with two characters and two hyphens: Punycode or invalid R-LDH labels.
_RLDH = r"(?-u)(?:^|\.)[a-z0-9\-]{2}--"

OUTPUT_SCHEMA = {"_i": pl.UInt32, "normalized": pl.String, "local": pl.String, "ascii_domain": pl.String}


def available() -> bool:
    """The fast path models email-validator 2.x (checked against 2.4 by the differential tests)
    with its default options; anything else goes to the library."""
    return (email_validator.__version__.split(".")[0] == "2"
            and email_validator.GLOBALLY_DELIVERABLE and not email_validator.TEST_ENVIRONMENT)


def judge(values: pl.Series) -> pl.DataFrame:
    """``_i`` (position in ``values``), ``normalized``, its ``local`` part and ``ascii_domain``
    for every value the fast path is sure email-validator accepts; other positions are not in
    the output."""
    if not available():
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    frame = pl.DataFrame({"v": values.cast(pl.String)}).with_row_index("_i")
    v = pl.col("v")
    frame = frame.filter((v.str.len_bytes() <= EMAIL_MAX_LENGTH) & v.str.contains(ADDRESS))
    # Exactly one '@' (it is not an ATEXT or hostname character).
    parts = v.str.split_exact("@", 1)
    frame = frame.with_columns(parts.struct.field("field_0").alias("local"),
                               parts.struct.field("field_1").str.to_lowercase().alias("domain"))
    local, domain = pl.col("local"), pl.col("domain")
    special = pl.lit(False)
    for name in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        special = special | (domain == name) | domain.str.ends_with("." + name)
    sure = (
        (domain.str.len_bytes() <= DOMAIN_MAX_LENGTH)
        & domain.str.contains(r"[a-z]$")
        & ~domain.str.contains("xn--", literal=True)
        & ~domain.str.contains(_RLDH)
        & ~special
    )
    if email_validator.STRICT:
        sure = sure & (local.str.len_bytes() <= LOCAL_PART_MAX_LENGTH)
    lowered = local.str.to_lowercase()
    local_out = pl.when(lowered.is_in(list(CASE_INSENSITIVE_MAILBOX_NAMES))).then(lowered).otherwise(local)
    return frame.filter(sure).with_columns(local_out.alias("local")).select(
        "_i", (pl.col("local") + "@" + domain).alias("normalized"), "local", domain.alias("ascii_domain"))


#: email-validator's reason for a value without an '@' (checked by the differential tests).
NO_AT_SIGN = "An email address must have an @-sign."
#: The characters an unquoted local part may hold, and those of an ASCII domain.
_LOCAL_CHARS = r"A-Za-z0-9_!#$%&'*+\-/=?^`{|}~."
_DOMAIN_CHARS = r"A-Za-z0-9.\-"
#: How email-validator names each printable ASCII character in a reason ("SPACE", "','").
_SHOWN = {chr(c): safe_character_display(chr(c)) for c in range(0x20, 0x7F)}


def _named(part: pl.Expr, allowed: str) -> pl.Expr:
    """The characters of ``part`` outside ``allowed`` as email-validator lists them: each once,
    in its words, sorted, comma-separated."""
    outside = sorted((shown, c) for c, shown in _SHOWN.items() if not re.fullmatch(f"[{allowed}]", c))
    return pl.concat_str([pl.when(part.str.contains(c, literal=True)).then(pl.lit(shown)) for shown, c in outside],
                         separator=", ", ignore_nulls=True)


def judge_invalid(values: pl.Series) -> pl.DataFrame:
    """``_i`` and ``reason`` for every value the fast path is sure email-validator rejects,
    with the reason it gives; other positions are not in the output.

    The checks are email-validator's, in its order (``split_email``,
    ``validate_email_local_part``, ``validate_email_domain_name``), for values it splits at
    their first '@': printable ASCII without '"' or '<'.
    """
    if not available() or email_validator.STRICT:
        return pl.DataFrame(schema={"_i": pl.UInt32, "reason": pl.String})
    v = pl.col("v")
    no_at_sign = v.str.contains(r"^[\x01-\x7f]+$") & ~v.str.contains(r'[@<"]')
    split_at_first_at = v.str.contains(r'^[\x20-\x7e]*$') & v.str.contains("@", literal=True) & ~v.str.contains('["<]')
    frame = (pl.DataFrame({"v": values.cast(pl.String)}).with_row_index("_i")
             .filter(no_at_sign | split_at_first_at))
    parts = v.str.splitn("@", 2)
    frame = frame.with_columns(no_at_sign.alias("no_at_sign"), parts.struct.field("field_0").alias("local"),
                               parts.struct.field("field_1").alias("domain"))
    local, domain = pl.col("local"), pl.col("domain")
    dot_atom = local.str.contains(f"^{_ATEXT}+(?:\\.{_ATEXT}+)*$")
    bad_in_local = local.str.contains(f"[^{_LOCAL_CHARS}]")
    bad_in_domain = domain.str.contains(f"[^{_DOMAIN_CHARS}]")
    undecided = pl.lit(None, pl.String)
    domain_reason = (
        pl.when(domain == "").then(pl.lit("There must be something after the @-sign."))
        .when(domain.str.starts_with("[") & domain.str.ends_with("]")).then(undecided)   # a domain literal
        .when(domain.str.len_bytes() > DOMAIN_MAX_LENGTH).then(undecided)
        .when(bad_in_domain).then(pl.lit("The part after the @-sign contains invalid characters: ")
                                  + _named(domain, _DOMAIN_CHARS) + pl.lit("."))
        .when(domain.str.ends_with(".")).then(pl.lit("An email address cannot end with a period."))
        .when(domain.str.starts_with(".")).then(pl.lit("An email address cannot have a period immediately after the @-sign."))
        .when(domain.str.contains("..", literal=True)).then(pl.lit("An email address cannot have two periods in a row."))
        .when(domain.str.ends_with("-")).then(pl.lit("An email address cannot end with a hyphen."))
        .when(domain.str.starts_with("-")).then(pl.lit("An email address cannot have a hyphen immediately after the @-sign."))
        .when(domain.str.contains(".-", literal=True) | domain.str.contains("-.", literal=True))
        .then(pl.lit("An email address cannot have a period and a hyphen next to each other."))
        # One label: after the R-LDH ("ab--") and label-length checks, it lacks a period.
        .when(~domain.str.contains(".", literal=True) & ~domain.str.contains("--", literal=True)
              & (domain.str.len_bytes() <= DNS_LABEL_LENGTH_LIMIT))
        .then(pl.lit("The part after the @-sign is not valid. It should have a period."))
        .otherwise(undecided)
    )
    reason = (
        pl.when("no_at_sign").then(pl.lit(NO_AT_SIGN))
        .when(local == "").then(pl.lit("There must be something before the @-sign."))
        .when(dot_atom).then(domain_reason)   # a valid local part: the domain decides
        .when(bad_in_local).then(pl.lit("The email address contains invalid characters before the @-sign: ")
                                 + _named(local, _LOCAL_CHARS) + pl.lit("."))
        .when(local.str.ends_with(".")).then(pl.lit("An email address cannot have a period immediately before the @-sign."))
        .when(local.str.starts_with(".")).then(pl.lit("An email address cannot start with a period."))
        .when(local.str.contains("..", literal=True)).then(pl.lit("An email address cannot have two periods in a row."))
        .otherwise(undecided)
    )
    return frame.select("_i", reason.alias("reason")).filter(pl.col("reason").is_not_null())
