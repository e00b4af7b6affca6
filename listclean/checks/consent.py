"""CN: consent and unsubscribe rules, per channel, under the policy's consent model."""

from __future__ import annotations

import datetime as dt

import polars as pl

from listclean.checks.registry import FileNote, Flag, rule
from listclean.normalize.consent import consent_columns


def _opt_in(ctx) -> bool:
    return ctx.options.consent.model == "opt-in"


@rule("CN001", "unsubscribed", "error", carried="person")
def unsubscribed(ctx):
    """Flags rows the export marks as unsubscribed (or opted out, revoked, complained,
    do-not-contact) for the campaign's channel, in any of its stop columns.

    Why it matters: sending after an unsubscribe breaks every marketing law
    (GDPR Art. 21(3), CAN-SPAM §7704(a)(4), CASL s.11, TCPA, Spain's LSSI art. 22)
    and is the fastest way to spam complaints. If any record of a person says
    stop, the person says stop: the stop reaches every copy of the address and
    every row linked to it by the other identifier, naming the row it came from.

    How to fix: nothing to fix; never send. Keep the row in the rejects file as
    the record of why.
    """
    return Flag(pl.col("unsubscribed").fill_null(False), "unsubscribed",
                pl.when(pl.col("unsubscribed_at").is_not_null())
                .then(pl.format("unsubscribed on {}", pl.col("unsubscribed_at")))
                .otherwise(pl.lit("marked as unsubscribed")))


@rule("CN002", "consent-refused", "error", carried="person")
def consent_refused(ctx):
    """Flags rows whose consent column says no (no, false, opted-out, pending,
    never subscribed…).

    Why it matters: a recorded "no" is an objection under every model, opt-in or
    opt-out; a pending double opt-in was never confirmed.

    How to fix: nothing to fix; do not send until the person opts in.
    """
    return Flag(pl.col("consent") == False, "consent", "consent not given")  # noqa: E712


@rule("CN003", "consent-missing", "error", carried="evidence")
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
    missing = pl.col("consent").is_null() & ~pl.col("consent_unrecognised")
    return Flag(missing & ~soft_opt_in_holds(ctx), "consent",
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
    model = ctx.options.consent.model
    return [FileNote("consent", f"the export has no {ctx.channel} consent column; "
                                f"policy {ctx.options.policy_name!r} treats {ctx.channel} as {model}")]


@rule("CN005", "consent-value-unrecognised", "error", carried="person")
def consent_value_unrecognised(ctx):
    """Flags consent or unsubscribe cells whose value listclean cannot read ("maybe",
    "ask Ana", "✗"). It is an error under every bundled policy: an unreadable stop is
    a stop, and it follows the person like one.

    Why it matters: an unreadable unsubscribe might be a stop; sending on a guess
    risks breaking the law (GDPR Art. 21(3), CAN-SPAM §7704(a)(4)).

    How to fix: correct the value at the source to yes/no or a date, and tell us if
    your platform writes a value we should know.
    """
    return Flag(pl.col("consent_unrecognised") | pl.col("unsub_unrecognised"), "consent",
                pl.when(pl.col("unsub_unrecognised")).then(pl.lit("unsubscribe value not recognised"))
                .otherwise(pl.lit("consent value not recognised")))


@rule("CN006", "consent-without-date", "warning", carried="evidence")
def consent_without_date(ctx):
    """Flags consents that carry no date, under policies that require proof of consent
    (``evidence = ["date", …]``).

    Why it matters: the sender must be able to demonstrate consent (GDPR Art. 7(1);
    TCPA prior express written consent, 47 CFR §64.1200(f)(9)); a "yes" with no
    date proves nothing about when, or whether, it was given.

    How to fix: export the consent timestamp (opt-in or confirmation time) with the
    list, or re-collect consent. If the dated proof is kept in another system (a shop's
    customer admin, a till's signed form), declare it with ``--consent-evidence
    "WHERE"``: the declaration is recorded in the report and in every audit line (CN016).
    """
    if "date" not in ctx.options.consent.evidence or ctx.options.consent_evidence:
        return None
    return Flag((pl.col("consent") == True) & pl.col("consent_date").is_null(), "consent",  # noqa: E712
                "consent has no date: it cannot be proven")


@rule("CN007", "consent-without-source", "warning", carried="evidence")
def consent_without_source(ctx):
    """Flags consents with no recorded source (form, shop, event, double opt-in…),
    under policies that require proof of consent (``evidence = [..., "source"]``).

    Why it matters: GDPR Art. 7(1) and the TCPA require the sender to show how
    consent was obtained, not only that a box says yes.

    How to fix: export the consent source column (``--map consent_source=COLUMN``),
    or re-collect consent, or declare where the proof is kept (``--consent-evidence``).
    """
    if "source" not in ctx.options.consent.evidence or ctx.options.consent_evidence:
        return None
    return Flag((pl.col("consent") == True) & ~pl.col("consent_has_source"), "consent",  # noqa: E712
                "consent has no recorded source: it cannot be proven")


@rule("CN008", "consent-expired", "warning", carried="evidence")
def consent_expired(ctx):
    """Flags consents older than the policy's ``max_age_days`` for the channel.

    Why it matters: consent fades; regulators expect it to be refreshed (the ICO and
    EDPB guidance on consent; the CNIL's 3-year rule for prospects). Under CASL,
    express consent does not expire, so that policy sets no age.

    How to fix: send a re-permission campaign; only those who confirm stay.
    """
    days = ctx.options.consent.max_age_days
    if days is None:
        return None
    cutoff = ctx.options.as_of - dt.timedelta(days=days)
    return Flag((pl.col("consent") == True) & (pl.col("consent_date") < pl.lit(cutoff)), "consent",  # noqa: E712
                pl.format("consent of {} is older than {} days", pl.col("consent_date"), pl.lit(days)))


@rule("CN009", "resubscribed", "info")
def resubscribed(ctx):
    """Notes rows whose unsubscribe is superseded by a newer consent, where the policy lets a
    new consent re-subscribe (``resubscribe = true``): a dated, explicit yes on a copy of the
    row's own address, newer than the person's strongest stop. CN001 then does not apply.
    An undated stop is never superseded, nor is a consent dated in the future (CN014).
    Found by the people stage, after every row is judged.

    Why it matters: a person may sign up again after leaving; most laws accept a
    fresh, affirmative consent (CAN-SPAM 16 CFR §316.5, GDPR Art. 7). Policies that
    do not allow it keep the unsubscribe in force.

    How to fix: nothing; keep the evidence of the new consent.
    """
    return None


@rule("CN010", "suppressed", "error", carried="person")
def suppressed(ctx):
    """Flags rows whose address is in the suppression store for the campaign's channel
    (or for all channels): an earlier unsubscribe, hard bounce, complaint, manual
    entry or legal list (Lista Robinson, a do-not-call register), matched in plain
    text, by SHA-256, or under a partner's hash profile. The message gives the
    reason, the date and which profile matched.

    Why it matters: the export may have "forgotten" the stop, but the person has not;
    sending again breaks the same laws as CN001. A match on any copy of a person
    reaches the survivor of its duplicates.

    How to fix: nothing to fix; never send. ``listclean suppress stats`` shows the store.
    """
    return Flag(pl.col("suppression").is_not_null(), "email" if ctx.channel == "email" else "phone",
                pl.col("suppression"))


@rule("CN011", "implied-consent-expired", "error", carried="evidence")
def implied_consent_expired(ctx):
    """Flags implied consent past its lifetime: under CASL, 2 years after the last purchase
    and 6 months after the last inquiry (policy ``implied_purchase_days`` /
    ``implied_inquiry_days``).

    Why it matters: Canada's Anti-Spam Legislation s.10(10) makes implied consent
    temporary; mailing after it lapses is mailing without consent.

    How to fix: ask for express consent while the implied consent still holds.
    """
    terms = ctx.options.consent
    if terms.implied_purchase_days is None and terms.implied_inquiry_days is None:
        return None
    as_of = ctx.options.as_of

    def within(column: str, days: int | None) -> pl.Expr:
        if days is None:
            return pl.lit(False)
        return (pl.col(column) >= pl.lit(as_of - dt.timedelta(days=days))).fill_null(False)

    alive = within("last_purchase", terms.implied_purchase_days) | within("last_inquiry", terms.implied_inquiry_days)
    return Flag((pl.col("consent_type") == "implied") & ~alive, "consent",
                "implied consent has lapsed (no purchase or inquiry recent enough)")


def soft_opt_in_holds(ctx) -> pl.Expr:
    """Every condition of the soft opt-in that data can show, plus the sender's declaration."""
    if not (ctx.options.consent.soft_opt_in and ctx.options.similar_products):
        return pl.lit(False)
    return pl.col("is_customer") & pl.col("opt_out_offered").fill_null(False)


@rule("CN012", "soft-opt-in", "info")
def soft_opt_in(ctx):
    """Notes rows sent without consent under the soft opt-in (PECR reg. 22(3), Spain's
    LSSI art. 21.2): an existing customer, whose details were collected in a sale,
    offered an opt-out when they were collected, and a campaign about the sender's
    own similar products (declared with ``--similar-products``).

    Why it matters: all conditions must hold; listclean checks those the data can show
    (customer, opt-out offered) and the sender declares the rest. Every message must
    still carry an opt-out.

    How to fix: nothing; if a condition does not hold, the row needs consent (CN003).
    """
    return Flag(pl.col("consent").is_null() & soft_opt_in_holds(ctx), "consent",
                "no consent, sent under the soft opt-in (customer, opt-out offered, similar products)")


@rule("CN013", "robinson-not-checked", "error", carried="evidence")
def robinson_not_checked(ctx):
    """Flags rows without consent that were not checked against Spain's Lista Robinson,
    under policies that require it (``robinson_check = true``).

    Why it matters: in Spain, anyone sending marketing to people who have not
    consented must first consult the advertising exclusion system (LOPDGDD art.
    23.4); the Lista Robinson is that system.

    How to fix: check the list (import it with ``listclean suppress import`` using the
    robinson hash profile) and record the check in a "Robinson" column.
    """
    if not ctx.options.consent.robinson_check:
        return None
    return Flag((pl.col("consent") != True).fill_null(True) & ~pl.col("robinson_checked"), "consent",  # noqa: E712
                "no consent and no Lista Robinson check recorded")


@rule("CN014", "consent-date-future", "error")
def consent_date_future(ctx):
    """Flags consents dated after the run's date (``--as-of``, else today).

    Why it matters: a consent cannot be given in the future; the date is a data error
    (a typo, a placeholder like 2062-01-01), so the consent proves nothing and never
    re-subscribes anyone who unsubscribed.

    How to fix: correct the consent date at the source.
    """
    return Flag((pl.col("consent_date") > pl.lit(ctx.options.as_of)).fill_null(False), "consent",
                pl.format("consent dated {}, after {}", pl.col("consent_date"), pl.lit(ctx.options.as_of)))


@rule("CN015", "consent-from-copy", "info")
def consent_from_copy(ctx):
    """Notes rows whose own consent evidence falls short (blank, undated, unsourced,
    expired) while another copy of the same address carries a clean, explicit yes; that
    yes stands for the address, and the message names the row it came from. Found by the
    people stage, after every row is judged.

    Why it matters: a blank cell on an older copy means "unknown", not "no"; dropping a
    customer who gave a dated consent on the newer copy loses a lawful contact. A stop
    or an explicit no on any copy still wins.

    How to fix: nothing; merge the copies in the CRM.
    """
    return None


@rule("CN016", "consent-evidence-declared", "info")
def consent_evidence_declared(ctx):
    """Notes, on the file, that the sender declared where the proof of consent (its date
    and source) is kept (``--consent-evidence "WHERE"`` or ``consent-evidence`` in
    listclean.toml), so CN006 and CN007 were not applied. The declaration is written into
    the JSON report's run block and every audit line.

    Why it matters: exports from shops and tills carry a yes/no but not its date; the
    law asks that consent can be demonstrated (GDPR Art. 7(1)), not that every export
    carries the proof. Whoever declares it answers for it.

    How to fix: nothing, if the declaration is true; otherwise export the dates.
    """
    if not ctx.options.consent_evidence:
        return None
    return [FileNote("consent", f"consent evidence declared as kept in: {ctx.options.consent_evidence}")]


@rule("CN017", "stop-column-unread", "warning")
def stop_column_unread(ctx):
    """Flags, on the file, every column whose header looks like a stop signal
    ("Unsubscribe reason", "Opt-out campaign", "Soft bounce", "Do not sell") but that
    listclean does not read as one, so that no stop column is passed over in silence.

    Why it matters: a stop written where nobody looks is still a stop (GDPR Art.
    21(3), CAN-SPAM §7704(a)(4)); a person should decide whether the column says stop.

    How to fix: if the column says stop, name it: ``--map unsubscribed="COLUMN"`` (or
    ``email_unsubscribed``, ``sms_unsubscribed``…); if it does not, ignore this rule for
    the file (``--ignore CN017``).
    """
    return [FileNote(None, f"column {column!r} looks like a stop signal but is not read as one")
            for column in ctx.column_map.unread_stop_columns] or None


@rule("CN018", "status-value-unrecognised", "info")
def status_value_unrecognised(ctx):
    """Notes rows whose member-status column ("Status", "Member status", "Estado") holds a
    value that says neither stop nor go ("VIP", "Qualified"). Stop words (unsubscribed,
    opted out, complained…) are read as stops (CN001), bounce words (cleaned, bounced) as
    bounces (EM012); anything else is noted here and does not stop the row.

    Why it matters: a status column mixes marketing states with sales or account
    states; listclean reads only the ones it can be sure of.

    How to fix: nothing, if the value is not about consent; otherwise tell us the word
    your platform writes.
    """
    return Flag(pl.col("status_unrecognised"), "unsubscribed", "member status not recognised as stop or go")
