"""Consent, unsubscribe and activity columns of a channel, read into values.

Every column that carries a consent or a stop for the channel is read, and any stop in any
of them wins: an explicit no beats a yes, and a value that cannot be read in a stop column
counts as a stop (CN005). Adds to the work frame: ``consent`` (true/false/null),
``consent_unrecognised``, ``consent_date``, ``consent_has_source``, ``consent_type``
(express | implied | null), ``unsubscribed`` (true/false/null), ``unsub_unrecognised``,
``unsubscribed_at``, ``bounced`` (the address bounced or was cleaned),
``status_unrecognised`` (a member status that says neither stop nor go),
``last_activity`` (the latest of every activity column and
the last purchase), ``activity_unrecognised``, ``activity_future``,
``last_purchase``, ``last_inquiry``, ``last_contacted``, ``is_customer``,
``opt_out_offered`` and ``robinson_checked``. Also reports, per date column, how
its dd/mm vs mm/dd order was settled.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from listclean.columns import ColumnMap
from listclean.normalize.values import numeric_date_order, parse_dates, read_answers, read_member_status


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
    """Every input column read as dates for this channel (consent and stop cells may hold dates too)."""
    columns = consent_columns(cmap, channel) + unsubscribe_columns(cmap, channel) + cmap.all("last_activity")
    columns += [c for name in DATE_FIELDS + ("bounced", "bounced_at") for c in cmap.all(name)]
    return list(dict.fromkeys(columns))


def settle_date_orders(scan: pl.LazyFrame, columns: list[str], date_format: str | None) -> dict[str, DateOrder]:
    """Settle dd/mm vs mm/dd once per column from ALL its distinct values (a streaming pass)."""
    if not columns:
        return {}
    # The regex runs over the distinct cells only (on 1M rows, 0.45 -> 0.24 s for five columns).
    days = [pl.col(c).drop_nulls().unique().str.strip_chars().str.replace(TIME_OF_DAY, "").unique().implode()
            for c in columns]
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


class _AnswerReader:
    """Reads yes/no/date cells of one batch, per distinct value, in each column's settled date order."""

    def __init__(self, frame: pl.DataFrame, orders: dict[str, DateOrder], date_format: str | None):
        self.frame, self.orders = frame, orders
        self.strftime = date_format if date_format and "%" in date_format else None

    def __call__(self, column: str, question: str) -> pl.DataFrame:
        order = self.orders[column].order if column in self.orders else "dmy"
        return read_answers(self.frame[column], question, order if order in ("dmy", "mdy") else "dmy",
                            self.strftime)


def _any(flags: list[pl.Series], default: bool | None) -> pl.Expr:
    """True where any column says true, else false where any says false, else ``default``."""
    if not flags:
        return pl.lit(default, pl.Boolean)
    return pl.any_horizontal([pl.lit(f) for f in flags]).fill_null(pl.lit(default, pl.Boolean))


def add_consent_columns(work: pl.DataFrame, source: pl.DataFrame, cmap: ColumnMap, channel: str,
                        as_of, orders: dict[str, DateOrder], date_format: str | None) -> pl.DataFrame:
    dates = _DateReader(source, orders, date_format)
    answers = _AnswerReader(source, orders, date_format)
    exprs: list[pl.Expr] = []

    # Consent: an explicit no in any column beats a yes in another; the yes is dated by its
    # own cell ("yes, 2024-01-05", a bare date) or by the consent-date column.
    read = [answers(column, "consent") for column in consent_columns(cmap, channel)]
    yes = [r["answer"].fill_null(False) for r in read]
    no = [(r["answer"] == False).fill_null(False) for r in read]  # noqa: E712
    date_col = cmap.get("consent_date")
    dated = [pl.when(pl.lit(y)).then(pl.lit(r["date"])) for y, r in zip(yes, read)]
    consent_date = pl.max_horizontal(dated) if dated else pl.lit(None, pl.Date)
    if date_col:
        consent_date = pl.coalesce(consent_date, dates(date_col))
    if read:
        consent = (pl.when(pl.any_horizontal([pl.lit(n) for n in no])).then(False)
                   .when(pl.any_horizontal([pl.lit(y) for y in yes])).then(True))
    elif date_col:
        # Only a consent timestamp (Mailchimp OPTIN_TIME): a date says yes on that day.
        consent = pl.when(consent_date.is_not_null()).then(True)
    else:
        consent = pl.lit(None, pl.Boolean)
    exprs += [consent.cast(pl.Boolean).alias("consent"),
              _any([~r["recognised"] for r in read], False).alias("consent_unrecognised"),
              consent_date.alias("consent_date")]

    # Stops: every stop column of the channel, every unsubscribe date, every member status.
    stop, unreadable, stop_dates = [], [], []
    for column in unsubscribe_columns(cmap, channel):
        r = answers(column, "unsubscribed")
        stop.append(r["answer"])
        unreadable.append(~r["recognised"])
        stop_dates.append(pl.when(pl.lit(r["answer"].fill_null(False))).then(pl.lit(r["date"])))
    for column in cmap.all("unsubscribed_at"):
        at = dates(column)
        stop_dates.append(at)
        stop.append(source.select(pl.when(at.is_not_null()).then(True)).to_series())
        unreadable.append(source.select(_text_present(column) & at.is_null()).to_series())
    statuses = [read_member_status(source[column]) for column in cmap.all("member_status")]
    stop += [r["stop"] for r in statuses]
    exprs += [_any(stop, None).alias("unsubscribed") if stop else pl.lit(None, pl.Boolean).alias("unsubscribed"),
              _any(unreadable, False).alias("unsub_unrecognised"),
              (pl.max_horizontal(stop_dates) if stop_dates else pl.lit(None, pl.Date)).alias("unsubscribed_at"),
              _any([~r["recognised"] for r in statuses], False).alias("status_unrecognised")]

    # Bounces: the address is dead, whatever anyone consented to. An unreadable bounce cell
    # counts as a bounce, like an unreadable stop.
    bounced = [r["bounced"] for r in statuses]
    for column in cmap.all("bounced"):
        r = answers(column, "unsubscribed")
        bounced.append(r["answer"] | ~r["recognised"])
    bounced += [source.select(dates(column).is_not_null() | (_text_present(column) & dates(column).is_null()))
                .to_series() for column in cmap.all("bounced_at")]
    exprs.append(_any(bounced, False).alias("bounced"))

    exprs.append(_text_present(cmap.get("consent_source")).alias("consent_has_source"))
    exprs.append(_consent_type(cmap.get("consent_type")).alias("consent_type"))
    for name in ("last_purchase", "last_inquiry", "last_contacted"):
        column = cmap.get(name)
        exprs.append((dates(column) if column else pl.lit(None, pl.Date)).alias(name))
    flags = {}
    for name in ("customer", "opt_out_offered", "robinson_checked"):
        column = cmap.get(name)
        flags[name] = pl.lit(answers(column, "consent")["answer"]) if column else pl.lit(None, pl.Boolean)
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
