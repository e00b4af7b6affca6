"""What a list looks like, in a few small tables: the aggregates the HTML report draws.

Counted batch by batch from the work frame while the pipeline has it (so nothing per row is kept
for the report), then added up. Every table is a handful of rows whatever the list's size, and
nothing in them names a person: domains, countries, phone types, months, channels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from listclean.columns import ColumnMap
from listclean.dns import DELIVERABLE, UNDELIVERABLE
from listclean.normalize.values import read_answers

CHANNELS = ("email", "sms", "whatsapp", "call")
#: Months since the last activity are counted in steps of this many months, up to OPEN_END.
MONTH_STEP = 3
OPEN_END = 60
TOP_DOMAINS = 12
TOP_COUNTRIES = 12

#: A domain's verdict, the first that applies (the report's legend, in this order).
DOMAIN_VERDICTS = ("typo", "disposable", "invalid", "dns: no mail", "dns: unknown", "ok")


@dataclass
class Profile:
    """The run's aggregates. ``domains``: email_domain, rows, verdict; ``countries``: region,
    rows; ``phone_types``: phone_type, rows; ``activity``: months (bucket start; null = no date),
    rows; ``consent``: channel, answer (yes / no / blank / unreadable), rows."""

    domains: pl.DataFrame
    countries: pl.DataFrame
    phone_types: pl.DataFrame
    activity: pl.DataFrame
    consent: pl.DataFrame
    rows: int
    max_inactive_days: int
    as_of: dt.date

    @property
    def cutoff_months(self) -> float:
        return self.max_inactive_days / 30.4375


@dataclass
class ProfileCounter:
    """Adds up the profile of each batch (``add``) into one ``Profile`` (``total``)."""

    as_of: dt.date
    max_inactive_days: int
    parts: dict[str, list[pl.DataFrame]] = field(default_factory=dict)
    rows: int = 0

    def add(self, work: pl.DataFrame, source: pl.DataFrame, cmap: ColumnMap) -> None:
        self.rows += work.height
        for name, frame in (("domains", _domains(work)), ("countries", _counts(work, "phone_region")),
                            ("phone_types", _counts(work, "phone_type")),
                            ("activity", _activity(work, self.as_of)), ("consent", _consent(source, cmap))):
            self.parts.setdefault(name, []).append(frame)

    def total(self) -> Profile:
        def summed(name: str, keys: list[str]) -> pl.DataFrame:
            return pl.concat(self.parts[name]).group_by(keys).agg(pl.col("rows").sum())

        domains = (pl.concat(self.parts["domains"]).group_by("email_domain")
                   .agg(pl.col("rows").sum(), *[pl.col(v).sum() for v in _DOMAIN_FLAGS], pl.col("dns").max())
                   .sort("rows", "email_domain", descending=[True, False]))
        return Profile(
            domains=domains.select("email_domain", "rows", _domain_verdict().alias("verdict")),
            countries=summed("countries", ["phone_region"]).sort("rows", "phone_region", descending=[True, False]),
            phone_types=summed("phone_types", ["phone_type"]).sort("rows", "phone_type", descending=[True, False]),
            activity=summed("activity", ["months"]).sort("months", nulls_last=True),
            consent=summed("consent", ["channel", "answer"]).sort("channel", "answer"),
            rows=self.rows, max_inactive_days=self.max_inactive_days, as_of=self.as_of)


_DOMAIN_FLAGS = ("typo", "disposable", "invalid")


def _domains(work: pl.DataFrame) -> pl.DataFrame:
    dns = work["email_dns"] if "email_dns" in work.columns else pl.Series("email_dns", [None] * work.height, pl.String)
    return (work.select(
                "email_domain",
                pl.col("email_typo_fix").is_not_null().alias("typo"),
                pl.col("email_disposable").fill_null(False).alias("disposable"),
                (pl.col("email_status") == "invalid").alias("invalid"),
                # Worst first, so that the domain's maximum is its worst verdict across batches.
                dns.replace_strict({**{v: 1 for v in DELIVERABLE}, "unknown": 2, **{v: 3 for v in UNDELIVERABLE}},
                                   default=None, return_dtype=pl.Int8).alias("dns"))
            .filter(pl.col("email_domain").is_not_null())
            .group_by("email_domain")
            .agg(pl.len().alias("rows"), *[pl.col(v).sum() for v in _DOMAIN_FLAGS], pl.col("dns").max()))


def _domain_verdict() -> pl.Expr:
    """One verdict per domain: typo, disposable, invalid when most of its rows say so; else DNS's."""
    most = lambda flag: pl.col(flag) * 2 > pl.col("rows")  # noqa: E731
    return (pl.when(most("typo")).then(pl.lit("typo"))
            .when(most("disposable")).then(pl.lit("disposable"))
            .when(most("invalid")).then(pl.lit("invalid"))
            .when(pl.col("dns") == 3).then(pl.lit("dns: no mail"))
            .when(pl.col("dns") == 2).then(pl.lit("dns: unknown"))
            .otherwise(pl.lit("ok")))


def _counts(work: pl.DataFrame, column: str) -> pl.DataFrame:
    return work.group_by(column).agg(pl.len().alias("rows"))


def _activity(work: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Rows by months since the last activity, in MONTH_STEP buckets (OPEN_END: that many or more)."""
    months = ((pl.lit(as_of) - pl.col("last_activity")).dt.total_days() / 30.4375).floor().cast(pl.Int32)
    bucket = (pl.min_horizontal(months.clip(lower_bound=0), pl.lit(OPEN_END)) // MONTH_STEP * MONTH_STEP)
    return work.group_by(bucket.alias("months")).agg(pl.len().alias("rows"))


def _consent(source: pl.DataFrame, cmap: ColumnMap) -> pl.DataFrame:
    """Rows by consent answer for every channel the export has a consent column for (the
    channel's own columns, else the general one): any no wins, then any yes."""
    parts = []
    for channel in CHANNELS:
        columns = cmap.all(f"{channel}_consent") or cmap.all("consent")
        if not columns:
            continue
        read = [read_answers(source[column], "consent") for column in columns]
        answers = pl.DataFrame({f"a{i}": r["answer"] for i, r in enumerate(read)}
                               | {f"r{i}": r["recognised"] for i, r in enumerate(read)})
        said = [pl.col(f"a{i}") for i in range(len(read))]
        unreadable = pl.any_horizontal([~pl.col(f"r{i}") for i in range(len(read))])
        answer = (pl.when(pl.any_horizontal([s == False for s in said]).fill_null(False)).then(pl.lit("no"))  # noqa: E712
                  .when(pl.any_horizontal([s.fill_null(False) for s in said])).then(pl.lit("yes"))
                  .when(unreadable).then(pl.lit("unreadable"))
                  .otherwise(pl.lit("blank")))
        parts.append(answers.group_by(answer.alias("answer")).agg(pl.len().alias("rows"))
                     .select(pl.lit(channel).alias("channel"), "answer", "rows"))
    return pl.concat(parts) if parts else pl.DataFrame(schema={"channel": pl.String, "answer": pl.String,
                                                               "rows": pl.UInt32})
