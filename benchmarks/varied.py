"""The generated export reshaped as issue 14 describes a hard one: many distinct email domains,
several activity columns in mixed date formats, and phones from twenty countries in mixed
spellings, with the country written in as many ways.

    python benchmarks/varied.py export.csv varied.csv     # or: from varied import vary

The rows, names, consent and unsubscribe columns stay those of ``sample_data/generate.py``;
what changes, deterministically (a fixed seed), is:

* a third of the well-formed addresses move to one of 50,000 company domains under a dozen
  top-level domains;
* two rows in three get a number of one of twenty countries (mobile or fixed line: the
  metadata's example number with its last six digits drawn), written as E.164, in the
  international or national format, with dashes or dots, or after the 00 prefix; the Country
  cell names its country as a code (upper or lower case), in English or in the local language,
  or is left blank on a few rows (the number is then read in the default region);
* three activity columns are added ("Last Open Date", "Last Click Date", "Last Purchase Date"),
  each cell in one of seven spellings: ISO, ISO with a time, dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy,
  "12 Mar 2025" and "March 12, 2025"; a few are blank.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import phonenumbers
import polars as pl
from phonenumbers import PhoneNumberFormat, PhoneNumberType

SEED = 20261204
#: Region, then how its Country cell may be written (besides the code in upper and lower case).
COUNTRIES = {
    "ES": ["Spain", "España"], "US": ["United States", "USA", "EE.UU."], "GB": ["United Kingdom", "UK"],
    "MX": ["Mexico", "México"], "AR": ["Argentina"], "FR": ["France", "Francia"], "DE": ["Germany", "Deutschland"],
    "CO": ["Colombia"], "IT": ["Italy", "Italia"], "PT": ["Portugal"], "BR": ["Brazil", "Brasil"],
    "NL": ["Netherlands", "Nederland", "Holanda"], "BE": ["Belgium", "Belgique", "België"],
    "CH": ["Switzerland", "Schweiz", "Suisse"], "IE": ["Ireland", "Irlanda"], "PL": ["Poland", "Polonia"],
    "SE": ["Sweden", "Suecia"], "CL": ["Chile"], "PE": ["Peru", "Perú"], "CA": ["Canada", "Canadá"],
}
TLDS = ["es", "com", "de", "fr", "it", "pt", "com.br", "nl", "be", "ch", "ie", "pl"]
DOMAINS = 50_000
#: Digits drawn at the end of each example number: a million numbers per example, so that two
#: people rarely share one (as in a real list).
DRAWN_DIGITS = 6
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
LONG_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"]
DATE_COLUMNS = ["Last Open Date", "Last Click Date", "Last Purchase Date"]


def _templates() -> list[tuple[str, list[str]]]:
    """(region, spellings) for each region's mobile and fixed-line example number: each spelling
    with ``{}`` where the number's last six digits go."""
    found = []
    for region in COUNTRIES:
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
            national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
            e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            spellings = [e164, international, national, international.replace(" ", "-"),
                         national.replace(" ", "."), "00" + e164[1:]]
            found.append((region, [_last_digits_open(s) for s in spellings]))
    return found


def _last_digits_open(text: str) -> str:
    """``text`` (ending in a digit) with its last six digits replaced by one ``{}``: a
    separator between them goes ("06 12 34 56 78" → "06 12 {}")."""
    return text[:[i for i, c in enumerate(text) if c.isdigit()][-DRAWN_DIGITS]] + "{}"


def _phones(rows: int, rng: np.random.Generator) -> tuple[list[str | None], list[str | None]]:
    """(phone, country) cells for ``rows`` rows, None where the row keeps its own."""
    templates = _templates()
    chosen = rng.integers(0, len(templates), rows)
    spelling = rng.integers(0, 6, rows)
    last = rng.integers(0, 10 ** DRAWN_DIGITS, rows)
    country_way = rng.integers(0, 100, rows)
    replaced = rng.random(rows) < 2 / 3
    phones: list[str | None] = [None] * rows
    countries: list[str | None] = [None] * rows
    for i in np.flatnonzero(replaced).tolist():
        region, spellings = templates[chosen[i]]
        phones[i] = spellings[spelling[i]].format(f"{last[i]:0{DRAWN_DIGITS}d}")
        names = COUNTRIES[region]
        way = country_way[i]
        countries[i] = ("" if way < 4 else region if way < 40 else region.lower() if way < 50
                        else names[way % len(names)])
    return phones, countries


def _dates(rows: int, rng: np.random.Generator) -> pl.Series:
    """One activity column: days between 2019 and 2026-10-31, each in one of seven spellings."""
    days = pl.Series(rng.integers(0, 2860, rows)).cast(pl.Int32)
    day = pl.lit(np.datetime64("2019-01-01")).cast(pl.Date) + pl.duration(days=pl.lit(days))
    way = pl.lit(pl.Series(rng.integers(0, 8, rows)))
    hour = pl.lit(pl.Series(rng.integers(0, 24, rows))).cast(pl.String).str.zfill(2)
    month = day.dt.month().cast(pl.Int64) - 1
    spelled = (
        pl.when(way == 0).then(day.dt.strftime("%Y-%m-%d"))
        .when(way == 1).then(pl.concat_str(day.dt.strftime("%Y-%m-%dT"), hour, pl.lit(":15:00Z")))
        .when(way == 2).then(day.dt.strftime("%d/%m/%Y"))
        .when(way == 3).then(day.dt.strftime("%d-%m-%Y"))
        .when(way == 4).then(day.dt.strftime("%d.%m.%Y"))
        .when(way == 5).then(pl.concat_str(day.dt.day().cast(pl.String), pl.lit(" "),
                                           month.replace_strict(list(range(12)), MONTHS), day.dt.strftime(" %Y")))
        .when(way == 6).then(pl.concat_str(month.replace_strict(list(range(12)), LONG_MONTHS), pl.lit(" "),
                                           day.dt.day().cast(pl.String), day.dt.strftime(", %Y"))))
    return pl.select(spelled).to_series()   # way 7: blank


def vary(source: Path, target: Path) -> Path:
    """Write ``source`` (a generated export) reshaped as the module says to ``target``."""
    rng = np.random.default_rng(SEED)
    frame = pl.read_csv(source, infer_schema=False)
    rows = frame.height
    email = pl.col("Email Address")
    well_formed = email.str.contains(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    domain = pl.lit(pl.Series(rng.integers(0, DOMAINS, rows)))
    company = pl.format("empresa{}.{}", domain.cast(pl.String),
                        (domain % len(TLDS)).replace_strict(list(range(len(TLDS))), TLDS))
    moved = pl.lit(pl.Series(rng.random(rows) < 1 / 3)) & well_formed
    phones, countries = _phones(rows, rng)
    frame = frame.with_columns(
        pl.when(moved).then(pl.concat_str(email.str.extract(r"^([^@]+)@", 1), pl.lit("@"), company))
        .otherwise(email).alias("Email Address"),
        pl.coalesce(pl.Series(phones, dtype=pl.String), pl.col("Phone Number")).alias("Phone Number"),
        pl.coalesce(pl.Series(countries, dtype=pl.String), pl.col("Country")).alias("Country"),
        *[_dates(rows, rng).alias(name) for name in DATE_COLUMNS],
    )
    frame.write_csv(target)
    return target


if __name__ == "__main__":
    vary(Path(sys.argv[1]), Path(sys.argv[2]))
