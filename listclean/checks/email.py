"""EM: email address rules (syntax, role accounts, disposable domains, domain typos, reserved
domains, unknown top-level domains, look-alike characters, stray punctuation)."""

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
    """Flags addresses that are not valid email syntax, with email-validator's reason, or
    listclean's: a part before the @ longer than RFC 5321's 64 octets, or stray punctuation
    around the address (``jane@x.com>``, ``<jane@x.com``, a trailing ``;``), named.

    Why it matters: invalid addresses hard-bounce, and a high bounce rate gets a
    sender throttled or blacklisted by mailbox providers.

    How to fix: correct the address at the source (the message says what is
    wrong), or remove it.
    """
    # A reserved domain (EM013) is invalid too, but says so once, under its own code.
    return Flag((pl.col("email_status") == "invalid") & pl.col("email_reserved").is_null(), "email",
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

    Real provider domains, country variants included (yahoo.com.au, hotmail.co.uk,
    yahoo.co.jp, outlook.com.br, gmx.at), are known and never called typos. A typo
    domain that is also on the disposable list (gmial.com, hotmial.com) is reported
    here, with the suggestion, and not as EM005: the person most likely meant the
    provider. A domain whose top-level domain does not exist (gmail.con) is EM014.
    """
    fix = pl.col("email_typo_fix")
    return Flag(fix.is_not_null() & (pl.col("email_status") == "ok") & pl.col("email_unknown_tld").is_null(), "email",
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
    extra = list(ctx.options.extra_role_accounts)
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

    A disposable domain that is one slip away from a big provider (gmial.com) is a typo
    first: it is reported as EM003 (or EM014), with the suggestion, and not here, as long
    as that rule is selected.
    """
    fix, unknown_tld = pl.col("email_typo_fix"), pl.col("email_unknown_tld")
    shown = (pl.lit(_active(ctx, "EM003")) & unknown_tld.is_null()) | (pl.lit(_active(ctx, "EM014")) & unknown_tld.is_not_null())
    typo_first = fix.is_not_null() & shown
    return Flag(pl.col("email_disposable").fill_null(False) & ~typo_first, "email",
                pl.format("@{} is a disposable email domain", pl.col("email_domain")))


def _active(ctx, code: str) -> bool:
    """Whether rule ``code`` runs in this check (EM005 yields to a typo only if it does)."""
    return ctx.options.selection.active(code)


# ---------------------------------------------------------------- DNS (only with --dns)

def _dns(ctx, verdict: str, message: str):
    if not ctx.options.dns:
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


# ---------------------------------------------------------------- reserved, TLD, look-alikes, punctuation

@rule("EM013", "email-reserved-domain", "error", EMAIL)
def email_reserved_domain(ctx):
    """Flags addresses at reserved and special-use domains, which never receive mail:
    example, example.com/.net/.org and anything under them (RFC 2606, RFC 6761), .test,
    .invalid and .localhost (RFC 2606, RFC 6761), .local (multicast DNS, RFC 6762), .onion
    (Tor, RFC 7686), home.arpa (RFC 8375) and the rest of .arpa (RFC 3172), .alt (RFC 9476).
    The message names the domain and the RFC. Whether the syntax is valid or not
    (email-validator accepts example.com but rejects .test), the finding is this one, not
    EM002.

    Why it matters: nothing is delivered there. Such addresses are placeholders typed
    into forms (test@example.com), test data left in an export, or internal names
    (printer@office.local); mailing them is a hard bounce at best.

    How to fix: drop the row from email campaigns, or ask the person for a real address.
    """
    return Flag(pl.col("email_reserved").is_not_null(), "email", pl.col("email_reserved"))


@rule("EM014", "email-unknown-tld", "error", EMAIL)
def email_unknown_tld(ctx):
    """Flags addresses whose top-level domain does not exist: it is not in the IANA root
    zone (the ICANN section of the Public Suffix List bundled with the publicsuffixlist
    package; its version is in the report's data_versions as iana_tlds). Single letters
    (.c), typos (.con, .cmo) and private names (.lan, .corp, .internal) all fail.

    Why it matters: no mail can be delivered to a domain under a top-level domain that
    does not exist; every message hard-bounces.

    How to fix: correct the address at the source. Where the slip is clear the suggestion
    gives the likely domain: a big provider (gmail.con → gmail.com) or the same name under
    a popular top-level domain (acme.con → acme.com).
    """
    tld, fix = pl.col("email_unknown_tld"), pl.col("email_typo_fix")
    return Flag(tld.is_not_null() & (pl.col("email_status") == "ok"), "email",
                pl.format("@{} ends in .{}, which is not a top-level domain: the address cannot receive mail",
                          pl.col("email_domain"), tld),
                pl.format("did you mean @{}?", fix))


@rule("EM015", "email-lookalike-character", "warning", EMAIL)
def email_lookalike_character(ctx):
    """Flags addresses with a look-alike character before the @, named by its Unicode code
    point: a compatibility form (fullwidth ｊ, the one-dot leader ․ for a period, ligatures),
    a character Unicode's confusables list maps to an ASCII one (the right single quote ’ for
    an apostrophe, hyphen-like dashes, dotless ı), or a Cyrillic or Greek letter among Latin
    ones (jаne with a Cyrillic а; UTS #39 mixed scripts). A local part written wholly in one
    other script (иван@) is not flagged.

    Why it matters: the address is valid, so mail is sent, but to a mailbox that is almost
    certainly not the person's: word processors and phones swap in such characters, and
    spoofed sign-ups use them on purpose.

    How to fix: confirm the address with the person and retype it in plain characters at
    the source.
    """
    return Flag(pl.col("email_lookalike").is_not_null() & (pl.col("email_status") == "ok"), "email",
                pl.format("look-alike character before the @: {}", pl.col("email_lookalike")))


@rule("EM016", "email-stray-punctuation", "warning", EMAIL)
def email_stray_punctuation(ctx):
    """Flags valid addresses whose part before the @ starts or ends with a quote or bracket
    character ('jane@x.com, {jane@x.com, jane|@x.com): legal in RFC 5322, but almost always
    left over from quoting, a spreadsheet's text prefix or a pasted list. Punctuation that
    makes an address invalid (jane@x.com>, <jane@x.com, a trailing comma or semicolon) is
    EM002, whose message names the stray character; only a bare, balanced <jane@x.com> is
    read as the address.

    Why it matters: mail would go to a mailbox named with the stray character, which
    almost never exists: a bounce, or a stranger.

    How to fix: remove the character at the source after checking the address.
    """
    return Flag(pl.col("email_stray").is_not_null() & (pl.col("email_status") == "ok"), "email",
                pl.format("the part before the @ {}, usually left over from quoting or a spreadsheet",
                          pl.col("email_stray")))
