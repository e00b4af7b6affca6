"""CT: when and how often a person may be contacted (quiet hours, contact fatigue)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import polars as pl
from phonenumbers import PhoneNumberType, is_number_type_geographical
from phonenumbers import timezone as phone_timezone

from listclean.checks.registry import ALL_CHANNELS, PHONE_CHANNELS, Flag, rule


@lru_cache(maxsize=None)
def _region_zones(region: str | None) -> tuple[str, ...]:
    """The zones of a region's example number: what a number gets where phonenumbers has none
    for it (for codes without a region, such as +800, there is no example and so no zone)."""
    example = phonenumbers.example_number(region) if region else None
    zones = phone_timezone.time_zones_for_geographical_number(example) if example else []
    return tuple(sorted(z for z in zones if z != "Etc/Unknown"))


@lru_cache(maxsize=4)
def _zone_tables(version: str) -> tuple[dict[int, list[str]], dict[str, str | None], list[str]]:
    """From phonenumbers' data: its time-zone prefixes by length; each calling code's key
    (``_country_level_time_zones_for_number``: the code's first 10, 9… 2 characters, the first
    found); the codes whose mobile numbers are geographical (``is_number_type_geographical``)."""
    table, longest = phone_timezone.TIMEZONE_DATA, phone_timezone.TIMEZONE_LONGEST_PREFIX
    by_length: dict[int, list[str]] = {}
    for prefix in table:
        by_length.setdefault(len(prefix), []).append(prefix)
    codes = [str(cc) for cc in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)]
    country = {cc: next((cc[:1 + n] for n in range(longest, 0, -1) if cc[:1 + n] in table), None) for cc in codes}
    geo_mobile = [cc for cc in codes if is_number_type_geographical(PhoneNumberType.MOBILE, int(cc))]
    return by_length, country, geo_mobile


def zone_keys(e164: pl.Expr, kind: pl.Expr) -> pl.Expr:
    """The key of phonenumbers' time-zone table that ``time_zones_for_number`` reads for each valid
    number (``phone_type`` names its type): the longest start of a geographical number's digits
    found there, else its calling code's. Null: no key (the type is unknown, or none is found)."""
    by_length, country, geo_mobile = _zone_tables(phonenumbers.__version__)
    digits = e164.str.strip_prefix("+")
    # Calling codes are prefix-free: the one a number starts with is its own.
    code = pl.coalesce([pl.when(digits.str.slice(0, n).is_in(list(country))).then(digits.str.slice(0, n))
                        for n in (1, 2, 3)])
    geographical = kind.is_in(["fixed_line", "fixed_line_or_mobile"]) | ((kind == "mobile") & code.is_in(geo_mobile))
    longest_start = pl.coalesce(
        [pl.when(digits.str.slice(0, n).is_in(by_length[n])).then(digits.str.slice(0, n))
         for n in range(phone_timezone.TIMEZONE_LONGEST_PREFIX, 0, -1) if n in by_length])
    return (pl.when(kind.is_null() | (kind == "unknown")).then(pl.lit(None, pl.String))
            .when(geographical).then(longest_start)
            .otherwise(code.replace_strict(list(country), list(country.values()), default=None,
                                           return_dtype=pl.String)))


def zones_of(key: str | None, region: str | None) -> tuple[str, ...]:
    """The zones of a number with this ``zone_keys`` key and region: phonenumbers'
    ``time_zones_for_number`` without "Etc/Unknown", else its region's, sorted; () if unknown."""
    zones = [z for z in phone_timezone.TIMEZONE_DATA.get(key, ()) if z != "Etc/Unknown"] if key else []
    return tuple(sorted(zones)) if zones else _region_zones(region)


def quiet_hours_verdict(zones: tuple[str, ...], send_at: dt.datetime, window: tuple[dt.time, dt.time]) -> str | None:
    """Why sending at ``send_at`` breaks the window in these zones, or None if it does not.

    A number spanning several zones must be inside the window in every one of them.
    """
    if not zones:
        return "its time zone is unknown, so the allowed hours cannot be checked"
    start, end = window
    outside = []
    for name in zones:
        try:
            local = send_at.astimezone(ZoneInfo(name))
        except ZoneInfoNotFoundError:
            return f"time zone {name} is unknown to this system (install tzdata)"
        if not start <= local.time().replace(tzinfo=None) < end:
            outside.append(f"{local:%H:%M} in {name}")
    if not outside:
        return None
    span = f"the number spans {len(zones)} time zones and the strictest applies; " if len(zones) > 1 else ""
    return f"{span}{', '.join(outside[:3])} is outside {start:%H:%M}-{end:%H:%M}"


@rule("CT001", "outside-quiet-hours", "error", PHONE_CHANNELS)
def outside_quiet_hours(ctx):
    """Flags numbers where the planned send time (``--send-at``) falls outside the
    policy's allowed hours in the recipient's local time (phonenumbers' time-zone
    data, else the country's). A number whose region spans several zones must be
    inside the window in all of them, and the message says so.

    Why it matters: the TCPA forbids telephone solicitations before 8:00 and after
    21:00 at the called party's location (47 CFR §64.1200(c)(1)); a text at 3 a.m.
    costs money and trust everywhere.

    How to fix: send these rows later, in a batch scheduled for their time zone.
    """
    window = ctx.options.quiet_hours
    send_at = ctx.options.send_at
    if window is None or send_at is None:
        return None
    # Python only per distinct (zone key, region): a few hundred at most, whatever the list.
    numbers = (ctx.work.filter(pl.col("phone_status") == "ok").select("phone_e164", "phone_type", "phone_region")
               .unique("phone_e164").with_columns(zone_keys(pl.col("phone_e164"), pl.col("phone_type")).alias("_zone")))
    places = numbers.select("_zone", "phone_region").unique()
    verdicts = places.with_columns(pl.Series("_reason", [
        quiet_hours_verdict(zones_of(key, region), send_at, window) for key, region in places.iter_rows()],
        dtype=pl.String))
    broken = numbers.join(verdicts, on=["_zone", "phone_region"], nulls_equal=True).filter(pl.col("_reason").is_not_null())
    reason = pl.col("phone_e164").replace_strict(broken["phone_e164"], broken["_reason"], default=None,
                                                 return_dtype=pl.String)
    return Flag(reason.is_not_null(), "phone", pl.format("send at {}: {}", pl.lit(send_at.isoformat()), reason))


@rule("CT002", "contacted-too-recently", "warning", ALL_CHANNELS)
def contacted_too_recently(ctx):
    """Flags people contacted fewer than the policy's ``min_days_between_contacts`` days
    before the send (or ``--as-of``), where the export has a last-contacted date.

    Why it matters: over-mailing drives complaints and unsubscribes, and complaint
    rates are what lands a sender on blocklists.

    How to fix: leave these people out of this send; they stay on the list.
    """
    days = ctx.options.min_days_between_contacts
    if days is None or ctx.column_map.get("last_contacted") is None:
        return None
    today = ctx.options.send_at.date() if ctx.options.send_at else ctx.options.as_of
    return Flag(pl.col("last_contacted") > pl.lit(today - dt.timedelta(days=days)), "last_contacted",
                pl.format("last contacted {}, less than {} days ago", pl.col("last_contacted"), pl.lit(days)))
