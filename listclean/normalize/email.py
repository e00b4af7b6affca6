"""Email normalisation: vectorised clean-up, a vectorised fast path over the whole column for
the plain ASCII addresses email-validator accepts and the everyday mistakes it rejects
(``fast_email``), then email-validator once per remaining distinct value.

Adds to the work frame:
``email`` (normalised address), ``email_status`` (ok | invalid | missing),
``email_reason`` (email-validator's explanation), ``email_domain`` (ASCII/IDNA
domain, what DNS is asked), ``email_key`` (the duplicate-matching key),
``email_role``, ``email_disposable`` and ``email_typo_fix``.
"""

from __future__ import annotations

from functools import lru_cache

import email_validator
import polars as pl

from listclean.normalize import fast_email
from listclean.normalize.distinct import in_row_order, map_distinct, rows_at

#: Decide plain ASCII addresses with polars (``fast_email``) before calling email-validator.
#: Tests switch it off to compare; the results are the same either way.
FAST_PATH = True

#: Local parts that reach a team or a machine, not a person (English and Spanish).
ROLE_LOCAL_PARTS = frozenset("""
abuse admin administracion administrador administrator atencion atencionalcliente billing bookings
clientes comercial compras contact contacto contabilidad customerservice direccion do-not-reply
donotreply empleo equipo facturacion hello help hola hostmaster hr info informacion jobs legal mail
mailer-daemon marketing newsletter no-reply noreply no_reply office oficina orders pedidos postmaster
privacy recepcion reservas root rrhh sales security soporte support team ventas webmaster
""".split())

#: Mailbox providers whose near-misses are almost always typing mistakes.
POPULAR_DOMAINS = (
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.es", "hotmail.co.uk", "hotmail.fr",
    "outlook.com", "outlook.es", "live.com", "live.com.mx", "msn.com", "yahoo.com", "yahoo.es",
    "yahoo.co.uk", "yahoo.fr", "yahoo.com.mx", "yahoo.com.ar", "icloud.com", "me.com", "mac.com",
    "aol.com", "protonmail.com", "proton.me", "gmx.com", "gmx.de", "gmx.net", "gmx.es", "web.de",
    "orange.fr", "wanadoo.fr", "free.fr", "telefonica.net", "movistar.es", "ono.com",
    "comcast.net", "verizon.net", "att.net", "btinternet.com", "sky.com", "libero.it",
    "yandex.ru", "mail.ru", "terra.com.br", "uol.com.br", "bol.com.br", "prodigy.net.mx",
)
_POPULAR = frozenset(POPULAR_DOMAINS)
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def clean_expr(column: str) -> pl.Expr:
    """Whitespace, ``mailto:`` and angle brackets removed; empty becomes null."""
    cleaned = (
        pl.col(column)
        .str.strip_chars()
        .str.replace(r"(?i)^mailto:", "")
        .str.strip_chars(" \t\r\n<>\u00a0")
    )
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def validate_one(address: str) -> tuple[str | None, str, str | None, str | None]:
    """(normalised, status, reason, ascii domain) for one cleaned address."""
    try:
        valid = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        return None, "invalid", str(error), None
    return valid.normalized, "ok", None, valid.ascii_domain.lower()


def matching_key(address: str, ascii_domain: str) -> str:
    """Fold what mailbox providers ignore: case, +tags, Gmail dots, googlemail.com."""
    local = address.rsplit("@", 1)[0].lower().split("+", 1)[0]
    domain = ascii_domain
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance (adjacent swaps count once), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@lru_cache(maxsize=None)
def typo_fix(domain: str) -> str | None:
    """The popular domain this one is one slip away from, if exactly one."""
    if domain in _POPULAR:
        return None
    close = [p for p in POPULAR_DOMAINS if _osa_distance(domain, p, 1) <= 1]
    return close[0] if len(close) == 1 else None


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    import disposable_email_domains

    return frozenset(disposable_email_domains.blocklist)


def is_disposable(domain: str) -> bool:
    """The domain or any parent of it is on the disposable list."""
    blocklist = disposable_domains()
    parts = domain.split(".")
    return any(".".join(parts[i:]) in blocklist for i in range(len(parts) - 1))


def _judge(address: str) -> tuple:
    normalised, status, reason, domain = validate_one(address)
    if status != "ok":
        return normalised, status, reason, None, None, None, None, None
    local = normalised.rsplit("@", 1)[0].lower()
    return (normalised, status, reason, domain, matching_key(normalised, domain),
            local.split("+", 1)[0] in ROLE_LOCAL_PARTS, is_disposable(domain), typo_fix(domain))


EMAIL_SCHEMA = {
    "email": pl.String, "email_status": pl.String, "email_reason": pl.String,
    "email_domain": pl.String, "email_key": pl.String, "email_role": pl.Boolean,
    "email_disposable": pl.Boolean, "email_typo_fix": pl.String,
}


def key_expr(local: pl.Expr, domain: pl.Expr) -> pl.Expr:
    """``matching_key`` over columns: the lower-cased local part without its +tag, Gmail's dots
    and googlemail.com folded."""
    base = local.str.to_lowercase().str.split_exact("+", 1).struct.field("field_0")
    gmail = domain.is_in(sorted(_GMAIL_DOMAINS))
    return (pl.when(gmail).then(base.str.replace_all(".", "", literal=True) + "@gmail.com")
            .otherwise(base + "@" + domain))


#: The first thing shaped like an address inside a cell, whatever surrounds it.
_ADDRESS_INSIDE = r"([^\s<>()\[\]{},;:\"'`]+@[^\s<>()\[\]{},;:\"'`@]+)"


def loose_key_expr(raw: pl.Expr) -> pl.Expr:
    """A best-effort matching key for a cell email-validator rejects: ``Ana <ana@correo.es>``,
    ``ana@correo.es.``, a full-width ＠, ``mailto:`` and stray punctuation. Such a copy is never
    sent, but it is the same mailbox, so a stop written on it must reach every other copy."""
    address = (raw.str.normalize("NFKC").str.to_lowercase().str.extract(_ADDRESS_INSIDE, 1)
               .str.strip_chars(".-_"))
    parts = address.str.extract_groups(r"^(.+)@([^@]+?)\.*$")
    local, domain = parts.struct.field("1").str.strip_chars("."), parts.struct.field("2")
    return pl.when(domain.str.contains(r"\.")).then(key_expr(local, domain))


def _enrich(decided: pl.DataFrame) -> pl.DataFrame:
    """``_judge``'s columns for addresses already known valid (normalized, local, ascii_domain):
    matching key and role vectorised, disposable and typo over the distinct domains."""
    normalized, domain = pl.col("normalized"), pl.col("ascii_domain")
    base = pl.col("local").str.to_lowercase().str.split_exact("+", 1).struct.field("field_0")
    domains = decided["ascii_domain"].unique()
    disposable = [is_disposable(d) for d in domains.to_list()]
    typos = [typo_fix(d) for d in domains.to_list()]
    return decided.select(
        "_i",
        normalized.alias("email"),
        pl.lit("ok").alias("email_status"),
        pl.lit(None, pl.String).alias("email_reason"),
        domain.alias("email_domain"),
        key_expr(pl.col("local"), domain).alias("email_key"),
        base.is_in(sorted(ROLE_LOCAL_PARTS)).alias("email_role"),
        domain.replace_strict(domains, pl.Series(disposable, dtype=pl.Boolean)).alias("email_disposable"),
        domain.replace_strict(domains, pl.Series(typos, dtype=pl.String)).alias("email_typo_fix"),
    )


def judge_values(cleaned: pl.Series, fast: bool | None = None) -> pl.DataFrame:
    """Every email column for each cleaned address, row for row (a null is "missing").

    The fast path (default: ``FAST_PATH``) decides the plain ASCII addresses email-validator
    accepts and the everyday mistakes it rejects, over the whole column; the rest go to
    ``_judge`` once per distinct value, over the available cores.
    """
    fast = FAST_PATH if fast is None else fast
    index = pl.Series("_i", range(len(cleaned)), dtype=pl.UInt32)
    missing = cleaned.is_null()
    parts = [rows_at(index.filter(missing), EMAIL_SCHEMA, email_status="missing")]
    done = missing
    if fast and len(cleaned):
        decided = fast_email.judge(cleaned)
        parts.append(_enrich(decided))
        done = missing.clone().scatter(decided["_i"], True)
        undecided = index.filter(~done)
        rejected = fast_email.judge_invalid(cleaned.gather(undecided))
        rejected_at = undecided.gather(rejected["_i"])
        parts.append(rows_at(rejected_at, EMAIL_SCHEMA, email_status="invalid")
                     .with_columns(rejected["reason"].alias("email_reason")))
        done = done.scatter(rejected_at, True)
    rest = pl.DataFrame({"_i": index.filter(~done), "_value": cleaned.filter(~done)})
    parts.append(map_distinct(_judge, rest, ["_value"], EMAIL_SCHEMA))
    return in_row_order(parts, EMAIL_SCHEMA)


def add_email_columns(frame: pl.DataFrame, source: str | None) -> pl.DataFrame:
    """Add the email columns to the work frame (all null/missing without an email column)."""
    if source is None:
        return frame.with_columns(
            pl.lit("missing" if name == "email_status" else None, dtype).alias(name)
            for name, dtype in EMAIL_SCHEMA.items())
    judged = judge_values(frame.select(clean_expr(source)).to_series())
    loose = frame.select(loose_key_expr(pl.col(source))).to_series()
    return frame.hstack(judged.with_columns(
        pl.when(pl.col("email_status") == "invalid").then(loose).otherwise(pl.col("email_key")).alias("email_key")))


def normalize_email(value: str) -> str | None:
    """The normalised form of one address, or None if it is not a valid address."""
    cleaned = pl.DataFrame({"v": [value]}).select(clean_expr("v")).item()
    return None if cleaned is None else validate_one(cleaned)[0]


def matching_key_expr() -> pl.Expr:
    """The duplicate-matching key of each row. Frames kept for a whole big file store
    ``email_key`` only where it differs from the address (rarely), so read it through this."""
    return pl.coalesce("email_key", "email")
