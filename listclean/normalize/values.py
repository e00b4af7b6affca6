"""Yes/no answers, dates and countries as exports write them, read into real values.

Everything here works over the DISTINCT values of a column: exports repeat the
same few spellings ("Sí", "TRUE", "opted-in") millions of times.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
import polars as pl

#: Plain answers to the column's own question ("Unsubscribed? yes").
PLAIN_YES = frozenset({"y", "yes", "si", "s", "true", "t", "1", "x", "ok", "on", "checked",
                       "oui", "ja", "sim", "verdadero", "v"})
PLAIN_NO = frozenset({"n", "no", "false", "f", "0", "off", "unchecked", "non", "nein", "nao",
                      "falso", "never", "nunca"})
#: Status words that state where the person stands, whatever the column asks.
OPTED_IN = frozenset({
    "granted", "given", "accepted", "aceptado", "aceptada", "acepta", "opted in", "opt in",
    "optin", "subscribed", "suscrito", "suscrita", "consent", "consented", "confirmed",
    "confirmado", "confirmada", "marketing contact", "express", "implicit", "implied",
})
OPTED_OUT = frozenset({
    "denied", "declined", "refused", "rejected", "rechazado", "rechazada", "opted out", "opt out",
    "optout", "unsubscribed", "desuscrito", "desuscrita", "baja", "dado de baja", "dada de baja",
    "cleaned", "bounced", "revoked", "revocado", "withdrawn", "complaint", "spam",
    # STOP-style replies to texts (TCPA revocation "by any reasonable means")
    "stop", "stop all", "stopall", "cancel", "end", "quit", "unsubscribe", "revoke", "do not contact",
})
#: Never said yes, never said stop (double opt-in not confirmed, transactional only).
NOT_OPTED_IN = frozenset({"pending", "never subscribed", "non subscribed", "not subscribed",
                          "nonsubscribed", "non marketing contact", "transactional"})
BLANK = frozenset({"", "null", "none given", "n a", "na", "nan", "unknown", "desconocido", "-", "?"})


def fold_value(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\s_\-./]+", " ", ascii_text).strip()


# ---------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "ene": 1, "feb": 2, "mar": 3, "apr": 4, "abr": 4, "may": 5, "jun": 6, "jul": 7,
    "aug": 8, "ago": 8, "sep": 9, "set": 9, "oct": 10, "nov": 11, "dec": 12, "dic": 12,
}
_ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[t ])"
_NUMERIC = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:$|[t ,])"
_DAY_MONTH = r"^(\d{1,2})(?:st|nd|rd|th)?[ -](?:de )?([a-z]{3})[a-z]*\.?,?[ -](?:de )?(\d{4})"
_MONTH_DAY = r"^([a-z]{3})[a-z]*\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})"
_SERIAL = r"^(\d{5})(?:\.\d+)?$"
_EPOCH = r"^(\d{10})(\d{3})?$"
EXCEL_EPOCH = pl.date(1899, 12, 30)


def _ymd(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    text = pl.format("{}-{}-{}", year.cast(pl.Int32), month.cast(pl.Int32).cast(pl.String).str.zfill(2),
                     day.cast(pl.Int32).cast(pl.String).str.zfill(2))
    return text.str.to_date("%Y-%m-%d", strict=False)


def numeric_date_order(values: pl.Series) -> tuple[str | None, bool]:
    """Settle dd/mm vs mm/dd from a column's values: (order, conflicting)."""
    parts = values.drop_nulls().str.strip_chars().str.extract_groups(_NUMERIC)
    first = parts.struct.field("1").cast(pl.Int32, strict=False)
    second = parts.struct.field("2").cast(pl.Int32, strict=False)
    day_first = bool((first > 12).any())
    month_first = bool((second > 12).any())
    if day_first and month_first:
        return "dmy", True
    if day_first:
        return "dmy", False
    if month_first:
        return "mdy", False
    return None, False


def parse_dates(values: pl.Series, order: str = "dmy", strftime: str | None = None) -> pl.Series:
    """Text → Date for ISO (with or without time), dd/mm/yyyy or mm/dd/yyyy (``order``),
    month names (English, Spanish), Excel serial numbers and Unix epochs; else null."""
    frame = pl.DataFrame({"raw": values}).with_columns(
        text=pl.col("raw").str.strip_chars().str.to_lowercase()
    )
    text = pl.col("text")
    if strftime:
        parsed = pl.coalesce(text.str.to_datetime(strftime, strict=False).dt.date(),
                             text.str.to_date(strftime, strict=False))
        return frame.select(parsed.alias(values.name))[values.name]
    iso = text.str.extract_groups(_ISO)
    num = text.str.extract_groups(_NUMERIC)
    dm = text.str.extract_groups(_DAY_MONTH)
    md = text.str.extract_groups(_MONTH_DAY)
    year2 = num.struct.field("3").cast(pl.Int32, strict=False)
    year = pl.when(year2 < 100).then(pl.when(year2 < 70).then(year2 + 2000).otherwise(year2 + 1900)).otherwise(year2)
    a, b = num.struct.field("1"), num.struct.field("2")
    day, month = (a, b) if order == "dmy" else (b, a)
    serial = text.str.extract(_SERIAL, 1).cast(pl.Int64, strict=False)
    epoch = text.str.extract(_EPOCH, 1).cast(pl.Int64, strict=False)
    month_names = pl.Series(list(_MONTHS.keys())), pl.Series(list(_MONTHS.values()))
    parsed = pl.coalesce(
        _ymd(iso.struct.field("1"), iso.struct.field("2"), iso.struct.field("3")),
        _ymd(year, month, day),
        _ymd(dm.struct.field("3"), dm.struct.field("2").replace_strict(*month_names, default=None), dm.struct.field("1")),
        _ymd(md.struct.field("3"), md.struct.field("1").replace_strict(*month_names, default=None), md.struct.field("2")),
        pl.when(serial.is_between(1, 2958465)).then(EXCEL_EPOCH + pl.duration(days=serial)),
        pl.from_epoch(epoch, time_unit="s").dt.date(),
    )
    return frame.select(parsed.alias(values.name))[values.name]


# ---------------------------------------------------------------- yes/no

def parse_answer(text: str | None, question: str, is_date: bool = False) -> tuple[bool | None, bool]:
    """Read one cell of a consent or unsubscribe column: (answer, recognised).

    ``question`` is "consent" or "unsubscribed"; ``is_date`` says the cell parsed
    as a date (parse the column's dates in one vectorised pass first). Blank is
    (None, True); a date means yes, on that day; status words ("opted-out",
    "subscribed") answer either question.
    """
    if text is None:
        return None, True
    folded = fold_value(text)
    if folded in BLANK:
        return None, True
    if folded in PLAIN_YES:
        return True, True
    if folded in PLAIN_NO:
        return False, True
    if folded in OPTED_IN:
        return question == "consent", True
    if folded in OPTED_OUT:
        return question != "consent", True
    if folded in NOT_OPTED_IN:
        return False, True
    if is_date:
        return True, True
    return None, False


# ---------------------------------------------------------------- countries

_COUNTRY_ALIASES = {
    "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "great britain": "GB", "inglaterra": "GB", "reino unido": "GB", "usa": "US", "u s a": "US",
    "u s": "US", "eeuu": "US", "ee uu": "US", "estados unidos": "US", "america": "US",
    "holland": "NL", "holanda": "NL",
}


#: Languages whose country names are read (pycountry's ISO 3166 translations).
COUNTRY_NAME_LANGUAGES = ("es", "fr", "de", "pt", "it", "ca", "nl", "gl", "eu")


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Folded country name (English, the official name, alpha-3, and the names in
    COUNTRY_NAME_LANGUAGES) → region code."""
    import gettext

    import pycountry

    names: dict[str, str] = {}
    translations = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)
                    for language in COUNTRY_NAME_LANGUAGES]
    for country in pycountry.countries:
        names[fold_value(country.alpha_3)] = country.alpha_2
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names.setdefault(fold_value(value), country.alpha_2)
                for translation in translations:
                    names.setdefault(fold_value(translation.gettext(value)), country.alpha_2)
    names.update(_COUNTRY_ALIASES)
    return names


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """'España', 'ES', 'esp', 'Spain', '+34' → 'ES'; None if unknown."""
    if not text:
        return None
    folded = fold_value(text)
    if not folded:
        return None
    if re.fullmatch(r"[a-z]{2} [a-z0-9]{1,3}", folded):  # ISO 3166-2 subdivision: ES-MD → ES
        folded = folded[:2]
    if len(folded) == 2:
        upper = folded.upper()
        if upper == "UK":
            return "GB"
        return upper if upper in phonenumbers.SUPPORTED_REGIONS else None
    if folded.lstrip("+").isdigit() and text.strip().startswith("+"):
        region = phonenumbers.region_code_for_country_code(int(folded.lstrip("+")))
        return None if region == "ZZ" else region
    return _country_names().get(folded)
