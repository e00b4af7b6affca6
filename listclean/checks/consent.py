"""CN: consent and unsubscribe rules, per channel, under the policy's consent model."""

from __future__ import annotations

import polars as pl

from listclean.checks.registry import FileNote, Flag, rule
from listclean.normalize.consent import consent_columns


def _opt_in(ctx) -> bool:
    return ctx.settings.policy.consent_model.get(ctx.channel, "opt-in") == "opt-in"


@rule("CN001", "unsubscribed", "error")
def unsubscribed(ctx):
    """Flags rows the export marks as unsubscribed (or opted out, bounced-and-cleaned,
    revoked) for the campaign's channel.

    Why it matters: sending after an unsubscribe breaks every marketing law
    (GDPR Art. 21(3), CAN-SPAM §7704(a)(4), CASL s.11, TCPA, Spain's LSSI art. 22)
    and is the fastest way to spam complaints. If any record of a person says
    stop, the merged person says stop.

    How to fix: nothing to fix; never send. Keep the row in the rejects file as
    the record of why.
    """
    return Flag(pl.col("unsubscribed").fill_null(False), "unsubscribed",
                pl.when(pl.col("unsubscribed_at").is_not_null())
                .then(pl.format("unsubscribed on {}", pl.col("unsubscribed_at")))
                .otherwise(pl.lit("marked as unsubscribed")))


@rule("CN002", "consent-refused", "error")
def consent_refused(ctx):
    """Flags rows whose consent column says no (no, false, opted-out, pending,
    never subscribed…).

    Why it matters: a recorded "no" is an objection under every model, opt-in or
    opt-out; a pending double opt-in was never confirmed.

    How to fix: nothing to fix; do not send until the person opts in.
    """
    return Flag(pl.col("consent") == False, "consent", "consent not given")  # noqa: E712


@rule("CN003", "consent-missing", "error")
def consent_missing(ctx):
    """Flags rows with no recorded consent for the channel when the policy requires
    opt-in (blank consent cell, or no consent column at all).

    Why it matters: under opt-in law (GDPR Art. 6(1)(a) and 7, ePrivacy Art. 13,
    TCPA for marketing texts, Spain's LSSI art. 21) silence is not consent, and
    the sender must be able to prove consent.

    How to fix: collect consent (a re-permission campaign on a channel that is
    allowed), or record where the existing consent is kept.
    """
    if not _opt_in(ctx):
        return None
    return Flag(pl.col("consent").is_null() & ~pl.col("consent_unrecognised"), "consent",
                f"no recorded consent for {ctx.channel}, which this policy requires (opt-in)")


@rule("CN004", "consent-column-missing", "warning")
def consent_column_missing(ctx):
    """Flags an export that has no consent column at all for the channel (a note on
    the file, not on each row).

    Why it matters: without one, listclean cannot tell who agreed to be contacted.
    What that means is the policy's decision: opt-in policies (gdpr) also flag
    every row with CN003; opt-out policies send unless unsubscribed.

    How to fix: export the consent field too, or point listclean at it with
    ``--map email_consent="Column name"``.
    """
    cmap = ctx.column_map
    if consent_columns(cmap, ctx.channel) or cmap.get("consent_date"):
        return None
    model = ctx.settings.policy.consent_model.get(ctx.channel, "opt-in")
    return [FileNote("consent", f"the export has no {ctx.channel} consent column; "
                                f"policy {ctx.settings.policy.name!r} treats {ctx.channel} as {model}")]


@rule("CN005", "consent-value-unrecognised", "warning")
def consent_value_unrecognised(ctx):
    """Flags consent or unsubscribe cells whose value listclean cannot read ("maybe",
    "ask Ana").

    Why it matters: an unreadable unsubscribe might be a stop; guessing either way
    risks a complaint or a lost customer.

    How to fix: correct the value at the source to yes/no or a date, and tell us if
    your platform writes a value we should know.
    """
    return Flag(pl.col("consent_unrecognised") | pl.col("unsub_unrecognised"), "consent",
                pl.when(pl.col("unsub_unrecognised")).then(pl.lit("unsubscribe value not recognised"))
                .otherwise(pl.lit("consent value not recognised")))
