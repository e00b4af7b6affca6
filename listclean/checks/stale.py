"""ST: stale records (no activity for longer than the policy allows)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from listclean.checks.registry import Flag, rule


@rule("ST001", "stale-record", "warning")
def stale_record(ctx):
    """Flags records whose latest activity (last purchase, open, click, login or
    update, whichever the export has) is older than the policy's
    ``[stale] max_inactive_days``.

    Why it matters: old addresses turn into bounces and recycled spam traps, and
    consent fades (the ICO and the CNIL expect re-permission after about two years
    of silence). Stale is review, not drop: these rows are the re-permission list.

    How to fix: send them a re-permission campaign, not the regular one; use
    ``--as-of`` to fix "today" for reproducible runs.
    """
    days = ctx.options.max_inactive_days
    cutoff = ctx.options.as_of - dt.timedelta(days=days)
    return Flag(pl.col("last_activity") < pl.lit(cutoff), "last_activity",
                pl.format("last activity {} is older than {} days", pl.col("last_activity"), pl.lit(days)))


@rule("ST002", "no-activity-date", "info")
def no_activity_date(ctx):
    """Flags records with no activity date at all.

    Why it matters: without one nobody can tell a fresh contact from a ten-year-old
    one; milder than ST001 because absence is not proof of staleness.

    How to fix: export a last-activity column (last order, open, click or login).
    """
    return Flag(pl.col("last_activity").is_null() & ~pl.col("activity_unrecognised"), "last_activity",
                "no activity date")


@rule("ST003", "activity-date-unrecognised", "info")
def activity_date_unrecognised(ctx):
    """Flags activity cells that hold something listclean cannot read as a date.

    Why it matters: the record's age is unknown.

    How to fix: correct the value, or pass ``--date-format`` (dmy, mdy or a
    strftime pattern such as %d.%m.%Y).
    """
    return Flag(pl.col("activity_unrecognised"), "last_activity", "activity date not recognised")


@rule("ST004", "activity-date-in-future", "info")
def activity_date_in_future(ctx):
    """Flags activity dates after the run's "today" (``--as-of``).

    Why it matters: usually a mm/dd read as dd/mm, a time-zone slip or test data.

    How to fix: check the export's date format; pass ``--date-format`` if needed.
    """
    return Flag(pl.col("activity_future"), "last_activity",
                pl.format("activity date {} is after {}", pl.col("last_activity"), pl.lit(str(ctx.options.as_of))))
