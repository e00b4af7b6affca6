"""Findings + policy → exactly one status per row: send | review | drop | duplicate."""

from __future__ import annotations

import polars as pl

from listclean.checks.select import Selection
from listclean.columns import ColumnMap
from listclean.normalize.consent import consent_columns, unsubscribe_columns
from listclean.result import SEVERITY, SEVERITY_NAMES, STATUS

#: Rows decided at a time: the per-row grouping of findings stays small on big files.
SLICE_ROWS = 1_000_000


def grade(findings: pl.DataFrame, selection: Selection, cmap: ColumnMap,
          channel: str) -> pl.DataFrame:
    """Each finding's severity under the selection, and the input column its field came from."""
    codes = findings["code"].unique().to_list()
    severities = {code: str(selection.severity(code)) for code in codes}
    field_columns = {
        "email": cmap.get("email"), "phone": cmap.phone, "country": cmap.get("country"),
        "consent": (consent_columns(cmap, channel) or [cmap.get("consent_date")])[0],
        "unsubscribed": (unsubscribe_columns(cmap, channel) + cmap.all("unsubscribed_at") + cmap.all("member_status") or [None])[0],
        "last_activity": (cmap.all("last_activity") or [None])[0],
        "last_contacted": cmap.get("last_contacted"),
    }
    # Few distinct values over millions of findings (a rule's messages too: most are one of a
    # few sentences; the suggestions, mostly null, name a likely domain): stored as dictionary
    # codes, 4 bytes a finding instead of a 16-byte view and the text.
    return findings.with_columns(
        pl.col("code").replace_strict(severities, return_dtype=SEVERITY).alias("severity"),
        pl.col("field").replace_strict(field_columns, default=None, return_dtype=pl.String)
        .cast(pl.Categorical).alias("column"),
        pl.col("code", "field", "message", "suggestion").cast(pl.Categorical),
    ).cast({"severity": SEVERITY})  # an empty frame's replace_strict gives String


def decide(rows: pl.DataFrame, findings: pl.DataFrame, duplicate_of: pl.DataFrame) -> pl.DataFrame:
    """One row per input row: _row, status, duplicate_of (the codes of a row are in ``findings``).

    A row the people stage found to be a copy of another (``duplicate_of``) is a duplicate
    whatever else it has; otherwise its worst finding decides: error → drop, warning → review.
    """
    # Only what the statuses read: a filter copies every column it is given.
    severities = findings.select("_row", "severity")
    parts = []
    for offset in range(0, max(rows.height, 1), SLICE_ROWS):
        part = rows.slice(offset, SLICE_ROWS)
        if part.is_empty():
            parts.append(_decide(part, severities.clear()))
            continue
        first, last = part["_row"].min(), part["_row"].max()
        parts.append(_decide(part, severities.filter(pl.col("_row").is_between(first, last))))
    decided = pl.concat(parts, how="vertical").join(duplicate_of, on="_row", how="left", maintain_order="left")
    return decided.with_columns(
        pl.when(pl.col("duplicate_of").is_not_null()).then(pl.lit("duplicate")).otherwise(pl.col("status"))
        .cast(STATUS).alias("status"))


def _decide(rows: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """The statuses of one slice of rows, from the findings (with their severity) on those rows."""
    worst = findings.group_by("_row").agg(pl.col("severity").cast(SEVERITY).to_physical().max().alias("_worst"))
    decided = rows.select("_row").join(worst, on="_row", how="left", maintain_order="left")
    status = (
        pl.when(pl.col("_worst") == SEVERITY_NAMES.index("error")).then(pl.lit("drop"))
        .when(pl.col("_worst") == SEVERITY_NAMES.index("warning")).then(pl.lit("review"))
        .otherwise(pl.lit("send"))
    )
    return decided.select("_row", status.cast(STATUS).alias("status"))
