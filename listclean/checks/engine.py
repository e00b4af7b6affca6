"""The rule engine: every selected rule of the channel over a work frame, findings as one frame.

Rules are pure: columns in, findings out. A rule returns a ``Flag`` (a mask over the work frame,
with the message and suggestion as expressions), a frame of findings it built itself, or file
notes about the whole file; this engine turns each into rows of the finding schema.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from listclean.checks.registry import RULES, Flag
from listclean.checks.select import Selection
from listclean.columns import ColumnMap
from listclean.normalize.consent import DateOrder
from listclean.result import FINDING_SCHEMA


class ConsentTerms(Protocol):
    """What the rules read of a policy's consent terms for one channel (``settings.ChannelConsent``
    is one): read-only."""

    @property
    def model(self) -> str: ...                        # opt-in | opt-out
    @property
    def evidence(self) -> tuple[str, ...]: ...         # what a consent must carry to be provable
    @property
    def max_age_days(self) -> int | None: ...
    @property
    def soft_opt_in(self) -> bool: ...
    @property
    def implied_purchase_days(self) -> int | None: ...
    @property
    def implied_inquiry_days(self) -> int | None: ...
    @property
    def robinson_check(self) -> bool: ...


@dataclass(frozen=True)
class RuleOptions:
    """What the rules read of the run's settings and policy, for the campaign's channel.

    Built once per run by the pipeline from ``Settings``, so that rules depend on these values
    only, never on how settings are layered or stored.
    """

    as_of: dt.date                              # the run's "today" (--as-of)
    send_at: dt.datetime | None                 # the planned send time (--send-at), for quiet hours
    selection: Selection                        # which rules run (EM005 yields to a selected typo rule)
    policy_name: str
    consent: ConsentTerms                       # the policy's consent terms for the channel
    quiet_hours: tuple[dt.time, dt.time] | None  # the policy's sending window for the channel
    min_days_between_contacts: int | None
    max_inactive_days: int
    extra_role_accounts: tuple[str, ...]
    consent_evidence: str | None                # where the sender declares the proof of consent is kept
    similar_products: bool                      # the sender declares a campaign about its similar products
    dns: bool                                   # DNS was asked (--dns): the email_dns column holds verdicts


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at besides the work frame."""

    options: RuleOptions
    channel: str
    column_map: ColumnMap
    date_orders: dict[str, DateOrder]
    work: pl.DataFrame            # for rules that work per distinct value (quiet hours)
    input_notes: tuple[tuple[str, str], ...] = ()  # (code, message) the loader noted on the file


def evaluate(work: pl.DataFrame, ctx: RuleContext, selection: Selection, file_notes: bool) -> pl.DataFrame:
    """Run every selected rule of the channel, in one pass; findings as one long frame.

    ``file_notes`` keeps the notes about the whole file (they are the same for every batch).
    """
    outcomes = [(code, rule.check(ctx)) for code, rule in RULES.items()
                if rule.check is not None and rule.target == "rows" and ctx.channel in rule.channels
                and selection.active(code)]
    # Every row rule's mask in one select (its expressions run side by side; _row anchors the
    # height when a mask is a literal); a rule's rows are then filtered only where it holds any.
    masks = work.select("_row", *(outcome.mask.fill_null(False).alias(code)
                                  for code, outcome in outcomes if isinstance(outcome, Flag)))
    parts = [pl.DataFrame(schema=FINDING_SCHEMA)]
    for code, outcome in outcomes:
        if isinstance(outcome, Flag):
            if not masks[code].any():
                continue
            message, suggestion = as_expr(outcome.message), as_expr(outcome.suggestion)
            # Filter only the columns the message and suggestion read. (One lazy query over all
            # the rules ran faster, but its findings held ~1 GB more memory at 10M rows.)
            read = {"_row"} | {name for e in (message, suggestion) for name in e.meta.root_names()}
            # One chunk per column: filtering a frame whose columns are chunked differently leaves
            # empty chunks, and pl.format (polars' str_format) panics on them ("assertion failed:
            # i < self.len()", pola-rs/polars#25339); sorted() keeps the column order the same in
            # every process (a set's order follows PYTHONHASHSEED).
            flagged = work.select(*sorted(read)).filter(masks[code]).rechunk()
            parts.append(flagged.select(
                "_row", pl.lit(code).alias("code"), pl.lit(outcome.field).alias("field"),
                message.alias("message"), suggestion.alias("suggestion"),
            ))
        elif isinstance(outcome, pl.DataFrame):
            parts.append(outcome.select("_row", pl.lit(code).alias("code"), "field", "message",
                                        pl.lit(None, pl.String).alias("suggestion")))
        elif outcome and file_notes:
            parts.append(file_findings(code, [(n.field, n.message) for n in outcome]))
    return pl.concat([p.cast(FINDING_SCHEMA) for p in parts], how="vertical")


def file_findings(code: str, notes: list[tuple[str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"_row": [None] * len(notes), "code": [code] * len(notes), "field": [f for f, _ in notes],
         "message": [m for _, m in notes], "suggestion": [None] * len(notes)},
        schema=FINDING_SCHEMA,
    )


def as_expr(value) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value.cast(pl.String)
    return pl.lit(value, pl.String)
