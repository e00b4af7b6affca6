"""Vectorised email-validator for the common case: plain ASCII addresses it would accept.

``judge(values)`` decides, in polars, the addresses that email-validator 2.x
(``validate_email(v, check_deliverability=False)`` with the module defaults) accepts on its
first, ASCII-only path, and returns for them exactly what it would: ``normalized`` and
``ascii_domain``. Every other value — every address that looks invalid, quoted local parts,
display names, domain literals, any non-ASCII character, Punycode (``xn--``) and other
R-LDH labels, special-use domains — is left undecided for email-validator itself, so the
library's reasons are never imitated.

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
"""

from __future__ import annotations

import email_validator
import polars as pl
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
