"""Consent, unsubscribe and activity columns of a channel, read into values.

Adds to the work frame: ``consent`` (true/false/null), ``consent_unrecognised``,
``consent_date``, ``consent_has_source``, ``consent_type`` (express | implied |
null), ``unsubscribed`` (true/false/null), ``unsub_unrecognised``,
``unsubscribed_at``, ``last_activity`` (the latest of every activity column and
the last purchase), ``activity_unrecognised``, ``activity_future``,
``last_purchase``, ``last_inquiry``, ``last_contacted``, ``is_customer``,
``opt_out_offered`` and ``robinson_checked``. Also reports, per date column, how
its dd/mm vs mm/dd order was settled.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from listclean.columns import ColumnMap
from listclean.normalize.values import numeric_date_order, parse_answer, parse_dates


@dataclass(frozen=True)
class DateOrder:
    column: str
    order: str
    settled_by: str   # "values" | "--date-format" | "default (ambiguous)" | "conflicting"


def consent_columns(cmap: ColumnMap, channel: str) -> list[str]:
    return cmap.all(f"{channel}_consent") or cmap.all("consent")


def unsubscribe_columns(cmap: ColumnMap, channel: str) -> list[str]:
    return cmap.all(f"{channel}_unsubscribed") + cmap.all("unsubscribed")


def _date_order(values: pl.Series, column: str, date_format: str | None) -> DateOrder:
    if date_format:
        return DateOrder(column, date_format, "--date-format")
    order, conflicting = numeric_date_order(values)
    if conflicting:
        return DateOrder(column, "dmy", "conflicting")
    if order is None:
        has_numeric = bool(values.drop_nulls().str.contains(r"^\s*\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}").any())
        return DateOrder(column, "dmy", "default (ambiguous)" if has_numeric else "values")
    return DateOrder(column, order, "values")


DATE_FIELDS = ("consent_date", "unsubscribed_at", "last_purchase", "last_inquiry", "last_contacted")


def date_columns(cmap: ColumnMap, channel: str) -> list[str]:
    """Every input column read as dates for this channel (consent cells may hold dates too)."""
    columns = consent_columns(cmap, channel)[:1] + unsubscribe_columns(cmap, channel) + cmap.all("last_activity")
    columns += [cmap.get(name) for name in DATE_FIELDS if cmap.get(name)]
    return list(dict.fromkeys(columns))


def settle_date_orders(scan: pl.LazyFrame, columns: list[str], date_format: str | None) -> dict[str, DateOrder]:
    """Settle dd/mm vs mm/dd once per column from ALL its distinct values (a streaming pass)."""
    if not columns:
        return {}
    days = [pl.col(c).str.strip_chars().str.replace(TIME_OF_DAY, "").drop_nulls().unique().implode() for c in columns]
    distinct = scan.select(days).collect(engine="streaming")
    return {column: _date_order(distinct[column].explode(), column, date_format) for column in columns}


TIME_OF_DAY = r"(?i)[t ]\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?\s*(z|utc|[+-]\d{2}:?\d{2}|[ap]\.?m\.?)?$"


class _DateReader:
    """Parses date columns over their distinct values, in the order settled for the whole file."""

    def __init__(self, frame: pl.DataFrame, orders: dict[str, DateOrder], date_format: str | None):
        self.frame = frame
        self.orders = orders
        self.strftime = date_format if date_format and "%" in date_format else None
        self._parsed: dict[str, pl.Expr] = {}

    def __call__(self, column: str) -> pl.Expr:
        if column not in self._parsed:
            cells = self.frame[column]
            if self.strftime is None:
                # Only the day matters: "2025-03-14 10:22:05" and "2025-03-14 18:01" are one value.
                cells = cells.str.strip_chars().str.replace(TIME_OF_DAY, "")
            distinct = cells.drop_nulls().unique()
            order = self.orders[column].order
            parsed = parse_dates(distinct, order if order in ("dmy", "mdy") else "dmy", self.strftime)
            self._parsed[column] = pl.lit(cells.replace_strict(distinct, parsed, default=None,
                                                               return_dtype=pl.Date))
        return self._parsed[column]


def _text_present(column: str | None) -> pl.Expr:
    if column is None:
        return pl.lit(False)
    return pl.col(column).str.strip_chars().str.len_chars().fill_null(0) > 0


_EXPRESS = r"(?i)^\s*(express|expreso|expresa|explicit|explícito|explicito|written|escrito|double opt.?in|doble opt.?in|consent|consentimiento)\b"
_IMPLIED = r"(?i)^\s*(implied|implicit|implícito|implicito|tácito|tacito|existing business relationship|ebr|relación comercial|relacion comercial|legitimate interest|interés legítimo|interes legitimo)\b"


def _consent_type(column: str | None) -> pl.Expr:
    if column is None:
        return pl.lit(None, pl.String)
    value = pl.col(column)
    return (pl.when(value.str.contains(_IMPLIED)).then(pl.lit("implied"))
            .when(value.str.contains(_EXPRESS)).then(pl.lit("express")))


def _answers(frame: pl.DataFrame, column: str, question: str) -> tuple[pl.Expr, pl.Expr]:
    """(answer, unrecognised) expressions for a yes/no/date column, judged per distinct value."""
    distinct = frame[column].drop_nulls().unique()
    is_date = parse_dates(distinct).is_not_null().to_list()
    judged = [parse_answer(v, question, d) for v, d in zip(distinct.to_list(), is_date)]
    answers = pl.Series([a for a, _ in judged], dtype=pl.Boolean)
    unrecognised = pl.Series([not ok for _, ok in judged], dtype=pl.Boolean)
    return (pl.col(column).replace_strict(distinct, answers, default=None, return_dtype=pl.Boolean),
            pl.col(column).replace_strict(distinct, unrecognised, default=False, return_dtype=pl.Boolean))


def add_consent_columns(work: pl.DataFrame, source: pl.DataFrame, cmap: ColumnMap, channel: str,
                        as_of, orders: dict[str, DateOrder], date_format: str | None) -> pl.DataFrame:
    dates = _DateReader(source, orders, date_format)
    exprs: list[pl.Expr] = []

    consent_cols = consent_columns(cmap, channel)
    date_col = cmap.get("consent_date")
    if consent_cols:
        answer, unrecognised = _answers(source, consent_cols[0], "consent")
        consent_on = dates(consent_cols[0])
        exprs += [answer.alias("consent"), unrecognised.alias("consent_unrecognised")]
        consent_date = pl.coalesce(consent_on, dates(date_col)) if date_col else consent_on
    elif date_col:
        # Only a consent timestamp (Mailchimp OPTIN_TIME): a date says yes on that day.
        consent_date = dates(date_col)
        exprs += [pl.when(consent_date.is_not_null()).then(True).alias("consent"),
                  pl.lit(False).alias("consent_unrecognised")]
    else:
        consent_date = pl.lit(None, pl.Date)
        exprs += [pl.lit(None, pl.Boolean).alias("consent"), pl.lit(False).alias("consent_unrecognised")]
    exprs.append(consent_date.alias("consent_date"))

    unsub_answers, unsub_unrecognised, unsub_dates = [], [], []
    for column in unsubscribe_columns(cmap, channel):
        answer, unrecognised = _answers(source, column, "unsubscribed")
        unsub_answers.append(answer)
        unsub_unrecognised.append(unrecognised)
        unsub_dates.append(dates(column))
    if cmap.get("unsubscribed_at"):
        at = dates(cmap.get("unsubscribed_at"))
        unsub_dates.append(at)
        unsub_answers.append(pl.when(at.is_not_null()).then(True))
    # Any column that says stop wins over one that says nothing or no.
    exprs.append((pl.any_horizontal(unsub_answers) if unsub_answers else pl.lit(None, pl.Boolean))
                 .alias("unsubscribed"))
    exprs.append((pl.any_horizontal(unsub_unrecognised) if unsub_unrecognised else pl.lit(False))
                 .alias("unsub_unrecognised"))
    exprs.append((pl.max_horizontal(unsub_dates) if unsub_dates else pl.lit(None, pl.Date))
                 .alias("unsubscribed_at"))

    exprs.append(_text_present(cmap.get("consent_source")).alias("consent_has_source"))
    exprs.append(_consent_type(cmap.get("consent_type")).alias("consent_type"))
    for name in ("last_purchase", "last_inquiry", "last_contacted"):
        column = cmap.get(name)
        exprs.append((dates(column) if column else pl.lit(None, pl.Date)).alias(name))
    flags = {}
    for name in ("customer", "opt_out_offered", "robinson_checked"):
        column = cmap.get(name)
        flags[name] = _answers(source, column, "consent")[0] if column else pl.lit(None, pl.Boolean)
    purchase = dates(cmap.get("last_purchase")) if cmap.get("last_purchase") else None
    is_customer = flags["customer"].fill_null(False)
    exprs += [(is_customer | purchase.is_not_null() if purchase is not None else is_customer).alias("is_customer"),
              flags["opt_out_offered"].alias("opt_out_offered"),
              flags["robinson_checked"].fill_null(False).alias("robinson_checked")]

    activity_cols = cmap.all("last_activity") + ([cmap.get("last_purchase")] if purchase is not None else [])
    parsed = [dates(c) for c in activity_cols]
    if parsed:
        filled = [pl.col(c).str.strip_chars().str.len_chars() > 0 for c in activity_cols]
        unreadable = [f & p.is_null() for f, p in zip(filled, parsed)]
        latest = pl.max_horizontal(parsed)
        exprs += [latest.alias("last_activity"), pl.any_horizontal(unreadable).alias("activity_unrecognised"),
                  (latest > pl.lit(as_of)).fill_null(False).alias("activity_future")]
    else:
        exprs += [pl.lit(None, pl.Date).alias("last_activity"), pl.lit(False).alias("activity_unrecognised"),
                  pl.lit(False).alias("activity_future")]
    # _row anchors the height: a frame of literals alone would have one row.
    computed = source.select("_row", *exprs).drop("_row")
    return work.hstack(computed)
