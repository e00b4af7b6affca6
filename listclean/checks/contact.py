"""CT: when and how often a person may be contacted (quiet hours, contact fatigue)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import polars as pl
from phonenumbers import timezone as phone_timezone

from listclean.checks.registry import ALL_CHANNELS, PHONE_CHANNELS, Flag, rule


@lru_cache(maxsize=None)
def zones_for(e164: str) -> tuple[str, ...]:
    """The number's time zones per phonenumbers, else its country's; () if unknown."""
    number = phonenumbers.parse(e164, None)
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    if not zones:
        region = phonenumbers.region_code_for_number(number)
        example = phonenumbers.example_number(region) if region else None
        zones = [z for z in (phone_timezone.time_zones_for_geographical_number(example) if example else [])
                 if z != "Etc/Unknown"]
    return tuple(sorted(zones))


def quiet_hours_verdict(e164: str, send_at: dt.datetime, window: tuple[dt.time, dt.time]) -> str | None:
    """Why sending at ``send_at`` breaks the window at this number, or None if it does not.

    A number spanning several zones must be inside the window in every one of them.
    """
    zones = zones_for(e164)
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
    numbers = ctx.work.filter(pl.col("phone_status") == "ok")["phone_e164"].unique().to_list()
    verdicts = {n: quiet_hours_verdict(n, send_at, window) for n in numbers}
    broken = {n: v for n, v in verdicts.items() if v}
    reason = pl.col("phone_e164").replace_strict(broken, default=None, return_dtype=pl.String)
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
