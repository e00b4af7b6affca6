"""EM: email address rules (syntax, role accounts, disposable domains, domain typos)."""

from __future__ import annotations

import polars as pl

from listclean.checks.registry import Flag, rule

EMAIL = ("email",)


@rule("EM001", "email-missing", "error", EMAIL)
def email_missing(ctx):
    """Flags rows with no email address.

    Why it matters: an email campaign cannot reach a row without an address, and
    a blank often means the export lost a field.

    How to fix: fill the address in the source system, or leave the row out of
    email campaigns (it may still be reachable by SMS).
    """
    return Flag(pl.col("email_status") == "missing", "email", "no email address")


@rule("EM002", "email-invalid", "error", EMAIL)
def email_invalid(ctx):
    """Flags addresses that are not valid email syntax, with email-validator's reason.

    Why it matters: invalid addresses hard-bounce, and a high bounce rate gets a
    sender throttled or blacklisted by mailbox providers.

    How to fix: correct the address at the source (the message says what is
    wrong), or remove it.
    """
    return Flag(pl.col("email_status") == "invalid", "email",
                pl.format("invalid email address: {}", pl.col("email_reason")))


@rule("EM003", "email-domain-typo", "warning", EMAIL)
def email_domain_typo(ctx):
    """Flags addresses whose domain is one slip away from a popular mailbox provider
    (gmial.com → gmail.com, hotmal.es → hotmail.es).

    Why it matters: such addresses bounce or, worse, reach a typo-squatting domain
    that collects mail or acts as a spam trap. listclean never rewrites them
    silently: the person may really use that domain.

    How to fix: confirm with the person, then correct the address at the source;
    the suggestion gives the likely domain.
    """
    fix = pl.col("email_typo_fix")
    return Flag(fix.is_not_null() & (pl.col("email_status") == "ok"), "email",
                pl.format("domain @{} looks like a typo of @{}", pl.col("email_domain"), fix),
                pl.format("did you mean @{}?", fix))


@rule("EM004", "email-role-account", "warning", EMAIL)
def email_role_account(ctx):
    """Flags role addresses (info@, ventas@, noreply@, admin@…) that reach a team or a
    machine rather than a person.

    Why it matters: nobody in particular consented on a role address; they have
    high complaint rates and some blocklists treat mail to them as a spam signal.

    How to fix: replace with the contact person's own address, or keep it after
    review if the business asked for mail there. Extend the list with the policy's
    ``[email] extra_role_accounts``.
    """
    extra = list(ctx.settings.policy.extra_role_accounts)
    local = pl.col("email").str.to_lowercase().str.extract(r"^([^+@]*)", 1)
    role = pl.col("email_role") | local.is_in(extra) if extra else pl.col("email_role")
    return Flag(role.fill_null(False) & (pl.col("email_status") == "ok"), "email",
                pl.format("role account {}@ reaches a team, not a person", local))


@rule("EM005", "email-disposable", "error", EMAIL)
def email_disposable(ctx):
    """Flags addresses at disposable (throw-away) email domains, from the maintained
    disposable-email-domains list.

    Why it matters: such inboxes expire within minutes or days; mail to them bounces
    later or is never read, and the signups behind them rarely carry real consent.

    How to fix: drop them, or ask the person for a lasting address.
    """
    return Flag(pl.col("email_disposable").fill_null(False), "email",
                pl.format("@{} is a disposable email domain", pl.col("email_domain")))


# ---------------------------------------------------------------- DNS (only with --dns)

def _dns(ctx, verdict: str, message: str):
    if not ctx.settings.dns:
        return None  # a domain that was not asked stays unknown: no finding, never invalid
    return Flag(pl.col("email_dns") == verdict, "email",
                pl.format(message, pl.col("email_domain"), pl.col("email_dns_detail")))


@rule("EM006", "domain-implicit-mx", "info", EMAIL)
def domain_implicit_mx(ctx):
    """Flags domains with no MX record but an A or AAAA record (with --dns).

    Why it matters: RFC 5321 §5.1 says mail then goes to that address ("implicit
    MX"), so the address is accepted; but a domain that receives mail usually
    publishes an MX, so this is often a parked or web-only domain.

    How to fix: nothing needed; watch the bounces from these domains.
    """
    return _dns(ctx, "implicit-mx", "@{} has no MX record; mail goes to its A/AAAA address ({})")


@rule("EM007", "domain-null-mx", "error", EMAIL)
def domain_null_mx(ctx):
    """Flags domains that publish a null MX (``MX 0 .``, RFC 7505): they say they accept no
    mail at all (with --dns).

    Why it matters: every message bounces; the domain owner has said so explicitly.

    How to fix: drop the address, or ask the person for another one.
    """
    return _dns(ctx, "null-mx", "@{} publishes a null MX: it accepts no mail ({})")


@rule("EM008", "domain-not-found", "error", EMAIL)
def domain_not_found(ctx):
    """Flags domains that do not exist in the DNS (NXDOMAIN) (with --dns).

    Why it matters: mail to them bounces, and many dead domains are re-registered as
    spam traps.

    How to fix: drop the address, or check it for a typo (see EM003).
    """
    return _dns(ctx, "nxdomain", "@{} does not exist ({})")


@rule("EM009", "domain-no-mail-records", "error", EMAIL)
def domain_no_mail_records(ctx):
    """Flags domains that exist but have no MX, A or AAAA record (with --dns).

    Why it matters: there is nowhere to deliver mail; every message bounces.

    How to fix: drop the address, or ask the person for another one.
    """
    return _dns(ctx, "no-mail", "@{} has no MX, A or AAAA record ({})")


@rule("EM010", "mx-host-unresolvable", "warning", EMAIL)
def mx_host_unresolvable(ctx):
    """Flags domains whose MX records name hosts that have no address (with --dns).

    Why it matters: mail cannot be delivered now, but this is often a temporary
    misconfiguration: review, do not drop.

    How to fix: check again later; drop the address if it persists.
    """
    return _dns(ctx, "mx-unresolvable", "no MX host of @{} resolves ({})")


@rule("EM011", "dns-unknown", "warning", EMAIL)
def dns_unknown(ctx):
    """Flags domains the DNS could not answer for: timeout, SERVFAIL, refused, or the
    run's deadline reached (with --dns).

    Why it matters: unknown is never invalid. Nobody is dropped because DNS was
    flaky; the row goes to review instead. Unknown answers are never cached, so
    the next run asks again.

    How to fix: run again later, raise --dns-timeout or --dns-deadline, or use
    another --nameserver.
    """
    return _dns(ctx, "unknown", "DNS gave no answer for @{} ({})")


@rule("EM012", "address-bounced", "error", channels=("email",), carried="address")
def address_bounced(ctx):
    """Flags addresses the export marks as bounced or cleaned: a bounce column
    ("Bounced", "Hard bounce", "Rebotado"), a bounce date ("CLEAN_TIME"), or a member
    status such as Mailchimp's "cleaned". It reaches every other copy of the same
    address. An unreadable value in a bounce column counts as a bounce.

    Why it matters: mail to an address that bounced hard is mail to nobody; mailbox
    providers count it against the sender's reputation, and repeated hard bounces get
    a sender blocked (Gmail's and Yahoo's bulk-sender rules, 2024).

    How to fix: nothing to fix for this address; remove it from the list, or correct
    it if the person gives a new one.
    """
    return Flag(pl.col("bounced"), "email", "the export marks this address as bounced or cleaned")
