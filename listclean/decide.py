"""Findings + policy → exactly one status per row: send | review | drop | duplicate."""

from __future__ import annotations

import polars as pl

from listclean.checks.registry import RULES, Severity, matches
from listclean.settings import Settings

STATUSES = ("send", "review", "drop", "duplicate")
STATUS = pl.Enum(list(STATUSES))
#: Findings' severity column: ordered, so the worst of a row is its maximum.
SEVERITY_NAMES = [str(s) for s in sorted(Severity)]
SEVERITY = pl.Enum(SEVERITY_NAMES)


class Selection:
    """Which rules run and how much each weighs, after policy, project and CLI layers."""

    def __init__(self, settings: Settings):
        policy = settings.policy
        self.select = settings.select if settings.select is not None else policy.select
        self.ignore = policy.ignore + settings.ignore
        self.overrides = {**policy.severity, **settings.severity}

    def active(self, code: str) -> bool:
        # The most specific selector wins; on a tie, ignore wins.
        return matches(code, self.select) > matches(code, self.ignore)

    def severity(self, code: str) -> Severity:
        best, severity = 0, RULES[code].severity
        for selector, value in self.overrides.items():
            if code.startswith(selector) and len(selector) > best:
                best, severity = len(selector), value
        return severity


#: Rows decided at a time: the per-row grouping of findings stays small on big files.
SLICE_ROWS = 1_000_000


def decide(rows: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """One row per input row: _row, status (the codes of a row are in ``findings``)."""
    row_findings = findings.filter(pl.col("_row").is_not_null())
    parts = []
    for offset in range(0, max(rows.height, 1), SLICE_ROWS):
        part = rows.slice(offset, SLICE_ROWS)
        if part.is_empty():
            parts.append(_decide(part, row_findings.clear()))
            continue
        first, last = part["_row"].min(), part["_row"].max()
        parts.append(_decide(part, row_findings.filter(pl.col("_row").is_between(first, last))))
    return pl.concat(parts, how="vertical")


def _decide(rows: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """The statuses of one slice of rows, from the findings on those rows.

    ``findings`` carry a ``severity`` column (error | warning | info); a DU001
    finding makes the row a duplicate whatever else it has.
    """
    per_row = (
        findings.group_by("_row")
        .agg(
            pl.col("severity").cast(SEVERITY).to_physical().max().alias("_worst"),
            (pl.col("code") == "DU001").any().alias("_duplicate"),
        )
    )
    decided = rows.select("_row").join(per_row, on="_row", how="left", maintain_order="left")
    status = (
        pl.when(pl.col("_duplicate")).then(pl.lit("duplicate"))
        .when(pl.col("_worst") == SEVERITY_NAMES.index("error")).then(pl.lit("drop"))
        .when(pl.col("_worst") == SEVERITY_NAMES.index("warning")).then(pl.lit("review"))
        .otherwise(pl.lit("send"))
    )
    return decided.select("_row", status.cast(STATUS).alias("status"))
