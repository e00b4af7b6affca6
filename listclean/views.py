"""The files a marketer acts on (``clean --repermission``, ``--fixable``): which rows not sent
are stale but otherwise sendable, and which have a problem with a fix listclean can name.

They are extra views of the run: every row keeps its one status in send/rejects/audit, so the
row equation is unchanged. A row is in at most one of the two views.

* **re-permission**: status review or drop, and every finding at warning or error grade (after
  the policy's and the settings' re-grading) is a staleness finding (``STALE_CODES``: ST001; the
  other ST codes say the date is missing, unreadable or in the future, which is not staleness).
  Nobody with a stop (any grade), nobody whose person has another row that is sent or a row with
  a stop, and one row per person (its first).
  A row whose consent has lapsed or is missing (CN003, CN008, CN011…) is not there: asking for
  permission by email is itself marketing, which needs the consent it lacks (the ICO fined Honda
  and Flybe for re-permission emails in 2017).
* **fixable**: status review or drop, and a finding at warning or error grade whose fix listclean
  can name: a rule finding that carries a suggestion (EM003 domain typo, EM014 unknown top-level
  domain with a clear slip), or PH002 for a national number with no country to read it in.
  Nobody with a stop (any grade), nobody whose person has a stop or another row that is sent.
  ``suggested_value`` is the corrected address (the domain replaced) or the number read in the
  region most of the file's numbers belong to, where listclean knows one.
"""

from __future__ import annotations

import polars as pl
from phonenumbers import NumberParseException

from listclean.checks.registry import RULES
from listclean.normalize.phone import _PARSE_REASONS

#: Findings that mean "inactive for too long": the re-permission list's only reason not to send.
STALE_CODES = ("ST001",)
#: PH002 for a number without a country code on a row with no known country.
NO_COUNTRY_CODE = "PH002"
NO_COUNTRY = _PARSE_REASONS[NumberParseException.INVALID_COUNTRY_CODE]
NO_COUNTRY_SUGGESTION = "add the +country code or the row's country (or run with --default-region)"
#: The columns the views add to the rejects' layout (fixable only).
FIX_COLUMNS = ("fix_code", "suggestion", "suggested_value")
BLOCKING = ("warning", "error")


def stop_codes() -> list[str]:
    """The rules that are a person's stop (unsubscribed, refused, unreadable stop, suppressed)."""
    return sorted(code for code, rule in RULES.items() if rule.carried == "person")


def marketer_views(statuses: pl.DataFrame, findings: pl.DataFrame, kept: pl.DataFrame) -> pl.DataFrame:
    """One row per row of ``statuses`` (a run's, or whole people's of it), in its order:
    ``repermission`` and ``fixable`` (booleans), and for the fixable ones ``fix_code``,
    ``suggestion`` and ``suggested_value``. ``findings`` are the graded findings of those rows
    (``_source``, ``_row``); ``kept`` is the frame of listclean's own columns, in the same row order."""
    rows = statuses.select("_source", "_row", "status", "person_id").with_row_index("_i")
    blocking = pl.col("severity").cast(pl.String).is_in(BLOCKING)
    no_country = (pl.col("code") == NO_COUNTRY_CODE) & pl.col("message").cast(pl.String).str.ends_with(NO_COUNTRY)
    fix = blocking & (pl.col("suggestion").is_not_null() | no_country)
    found = (findings.filter(pl.col("_row").is_not_null())
             .join(rows.select("_source", "_row", "_i"), on=["_source", "_row"], how="inner")
             .sort("_i", "code"))
    per_row = found.group_by("_i").agg(
        pl.col("code").is_in(stop_codes()).any().alias("_stopped"),
        (blocking.any() & pl.col("code").filter(blocking).is_in(STALE_CODES).all()).alias("_stale_only"),
        pl.col("code").filter(fix).unique(maintain_order=True).cast(pl.String).str.join(";").alias("fix_code"),
        pl.when(no_country).then(pl.lit(NO_COUNTRY_SUGGESTION)).otherwise(pl.col("suggestion").cast(pl.String))
        .filter(fix).unique(maintain_order=True).str.join("; ").alias("suggestion"),
        pl.col("code").filter(fix).first().cast(pl.String).alias("_first_fix"),
    )
    own = kept.select(
        pl.when(pl.col("email_typo_fix").is_not_null())
        .then(pl.format("{}@{}", pl.col("email").str.extract(r"^(.*)@[^@]*$", 1), pl.col("email_typo_fix")))
        .alias("_email_fix") if "email_typo_fix" in kept.columns else pl.lit(None, pl.String).alias("_email_fix"),
        pl.col("phone_key").alias("_phone_fix"),
    )
    rows = (pl.concat([rows, own], how="horizontal")
            .join(per_row, on="_i", how="left", maintain_order="left")
            .with_columns(pl.col("_stopped", "_stale_only").fill_null(False),
                          pl.col("fix_code", "suggestion").replace("", None)))
    not_sent = pl.col("status").cast(pl.String).is_in(["review", "drop"])
    person_ok = (~pl.col("_stopped").any().over("person_id")
                 & ~(pl.col("status").cast(pl.String) == "send").any().over("person_id"))
    repermission = not_sent & pl.col("_stale_only") & ~pl.col("_stopped") & person_ok
    fixable = not_sent & pl.col("fix_code").is_not_null() & ~pl.col("_stopped") & person_ok
    rows = rows.with_columns(repermission.alias("repermission"), fixable.alias("fixable"))
    first = pl.col("_i") == pl.col("_i").filter(pl.col("repermission")).min().over("person_id")
    suggested = (pl.when(pl.col("_first_fix") == NO_COUNTRY_CODE).then(pl.col("_phone_fix"))
                 .when(pl.col("_first_fix").str.starts_with("EM")).then(pl.col("_email_fix")))
    return rows.select(
        (pl.col("repermission") & first).fill_null(False).alias("repermission"),
        pl.col("fixable"),
        pl.when(pl.col("fixable")).then(pl.col("fix_code")).alias("fix_code"),
        pl.when(pl.col("fixable")).then(pl.col("suggestion")).alias("suggestion"),
        pl.when(pl.col("fixable")).then(suggested).alias("suggested_value"),
    )
