"""PH: phone number rules (presence, parsing, validity, line type for SMS)."""

from __future__ import annotations

import polars as pl

from listclean.checks.registry import PHONE_CHANNELS, Flag, rule

NOT_MOBILE_TYPES = ["fixed_line", "toll_free", "premium_rate", "shared_cost", "uan", "voicemail", "pager"]
MAYBE_MOBILE_TYPES = ["fixed_line_or_mobile", "voip", "personal_number", "unknown"]


@rule("PH001", "phone-missing", "error", PHONE_CHANNELS)
def phone_missing(ctx):
    """Flags rows with no phone number.

    Why it matters: an SMS campaign cannot reach the row.

    How to fix: fill the number in the source system, or leave the row out of
    SMS campaigns.
    """
    return Flag(pl.col("phone_status") == "missing", "phone", "no phone number")


@rule("PH002", "phone-unparseable", "error", PHONE_CHANNELS)
def phone_unparseable(ctx):
    """Flags values that cannot be read as a phone number at all ("n/a", "abc", a
    national number with no country to read it in).

    Why it matters: nothing can be sent; if the country is what is missing, the
    number may be fine once it is known.

    How to fix: correct the value, add a country column, or pass --default-region.
    """
    return Flag(pl.col("phone_status") == "unparseable", "phone",
                pl.format("phone number cannot be read: {}", pl.col("phone_reason")))


@rule("PH003", "phone-invalid", "error", PHONE_CHANNELS)
def phone_invalid(ctx):
    """Flags numbers that parse but are not valid for their country (wrong length,
    a range not in use), per phonenumbers' metadata.

    Why it matters: messages to invalid numbers fail and are still billed by many
    SMS gateways.

    How to fix: correct the number at the source. The metadata version that
    judged it is in every JSON report.
    """
    return Flag(pl.col("phone_status") == "invalid", "phone",
                pl.format("invalid phone number: {}", pl.col("phone_reason")))


@rule("PH004", "phone-not-mobile", "error", ("sms", "whatsapp"))
def phone_not_mobile(ctx):
    """Flags valid numbers that are not mobile lines (landline, toll-free, premium
    rate, shared cost…) for text-message channels.

    Why it matters: a landline cannot receive a text; the send is billed and lost,
    and carriers may treat the traffic as suspicious.

    How to fix: ask the person for a mobile number, or use the number for calls.
    """
    kind = pl.col("phone_type")
    return Flag((pl.col("phone_status") == "ok") & kind.is_in(NOT_MOBILE_TYPES), "phone",
                pl.format("{} number cannot receive text messages", kind.str.replace_all("_", " ")))


@rule("PH005", "phone-maybe-mobile", "warning", ("sms", "whatsapp"))
def phone_maybe_mobile(ctx):
    """Flags valid numbers whose numbering plan does not tell mobile from fixed line
    (fixed-line-or-mobile: the US, Canada and others; VoIP; personal numbers).

    Why it matters: some of these cannot receive texts; sending is allowed, but
    the list owner should know.

    How to fix: nothing, or check the line type with the carrier lookup of your
    SMS provider. Re-grade to info with ``[severity] PH005 = "info"``.
    """
    kind = pl.col("phone_type")
    return Flag((pl.col("phone_status") == "ok") & kind.is_in(MAYBE_MOBILE_TYPES), "phone",
                pl.format("{} number may not receive text messages", kind.str.replace_all("_", " ")))


@rule("PH006", "phone-extension", "info", PHONE_CHANNELS)
def phone_extension(ctx):
    """Flags numbers written with an extension ("ext. 12").

    Why it matters: an extension means a switchboard; a text or a call reaches the
    company, not the person. The E.164 output leaves the extension out.

    How to fix: ask for a direct number.
    """
    return Flag(pl.col("phone_ext").is_not_null(), "phone", "number has an extension (a switchboard)")
