"""Phone normalisation: a vectorised replay of phonenumbers built from its own metadata
(``fast_phone``) over the whole column, then phonenumbers itself, once per distinct
(number, region) pair, for what the fast path leaves undecided.

Adds to the work frame: ``phone_e164``, ``phone_status`` (ok | missing |
unparseable | invalid), ``phone_reason``, ``phone_type`` (mobile, fixed_line,
fixed_line_or_mobile, voip, toll_free…), ``phone_region`` (the number's own
region) and ``phone_ext``. The region a national number is read in comes from
the row's country column, else ``--default-region``. ``phone_unplaced`` holds, on rows whose
number could not be read for lack of a region, the number as cleaned; once every row is judged
``with_phone_keys`` reads them in the input's usual region (that of most of its valid numbers)
as ``phone_key``: such a row is not sendable, but a stop written on it must reach the other
copies of the number, wherever the row falls in the file.
"""

from __future__ import annotations

import itertools

import phonenumbers
import polars as pl
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from listclean.normalize import fast_phone
from listclean.normalize.distinct import judge_rows
from listclean.normalize.phonemeta import TYPE_NAMES  # PhoneNumberType value → "mobile", "fixed_line"…
from listclean.normalize.values import country_code

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "no country: it has no +country code and the row has no known country",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short for its country",
    ValidationResult.TOO_LONG: "too long for its country",
    ValidationResult.INVALID_LENGTH: "wrong length for its country",
}

#: Decide plain-shaped numbers with polars (``fast_phone``) before calling phonenumbers.
#: Tests switch it off to compare; the results are the same either way.
FAST_PATH = True
#: Fewer values than this go to phonenumbers alone: the fast path's fixed cost (its metadata
#: patterns compiled for each region present: 50–300 ms) exceeds phonenumbers' time, about
#: 65 µs a value (measured on the sample export: 3,000 numbers, 340 ms fast, 200 ms not).
FAST_PATH_MIN_VALUES = 4_000

# phonenumbers recompiles metadata patterns once they fall out of re's small cache, which
# inputs from many regions make it do constantly; keeping them compiled changes no result.
phonenumbers.enable_pattern_cache()

PHONE_SCHEMA = {
    "phone_e164": pl.String, "phone_status": pl.String, "phone_reason": pl.String,
    "phone_type": pl.String, "phone_region": pl.String, "phone_ext": pl.String,
}


def clean_expr(column: str) -> pl.Expr:
    """Surrounding space, a spreadsheet's leading apostrophe and ``tel:`` removed; empty → null."""
    cleaned = pl.col(column).str.strip_chars().str.replace(r"^'|(?i)^tel:", "").str.strip_chars()
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def judge_one(raw: str, region: str | None) -> tuple:
    """(e164, status, reason, type, region, extension) for one cleaned value."""
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as error:
        return None, "unparseable", _PARSE_REASONS.get(error.error_type, str(error)), None, None, None
    number_region = phonenumbers.region_code_for_number(number)
    if not phonenumbers.is_valid_number(number):
        possible = phonenumbers.is_possible_number_with_reason(number)
        reason = _POSSIBLE_REASONS.get(possible, f"not a number in use in {number_region or 'any region'}")
        return None, "invalid", reason, None, number_region, None
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    kind = TYPE_NAMES.get(phonenumbers.number_type(number), "unknown")
    return e164, "ok", None, kind, number_region, number.extension or None


def judge_values(values: pl.Series, regions: pl.Series, fast: bool | None = None) -> pl.DataFrame:
    """The phone columns for each cleaned value read in its row's region, row for row (a
    null value is "missing").

    The fast path (default: ``FAST_PATH``, from ``FAST_PATH_MIN_VALUES`` values) decides most
    values in polars over the whole column; the rest go to ``judge_one`` once per distinct
    (value, region) pair, over the available cores.
    """
    def decided(_: pl.Series) -> pl.DataFrame:
        # The whole column at once: fast_phone.judge skips the nulls itself.
        return fast_phone.judge(values, regions, _PARSE_REASONS, _POSSIBLE_REASONS)

    fast = FAST_PATH and len(values) >= FAST_PATH_MIN_VALUES if fast is None else fast
    return judge_rows({"_value": values, "_region": regions.cast(pl.String)}, PHONE_SCHEMA,
                      {"phone_status": "missing"}, judge_one, [decided] if fast else [])


def add_phone_columns(frame: pl.DataFrame, source: str | None, region_column: str,
                      default_region: str | None) -> pl.DataFrame:
    """Add the phone columns and ``phone_unplaced``; national numbers are read in
    ``region_column``'s region, else ``default_region``."""
    if source is None:
        return frame.with_columns(
            pl.lit("missing" if name == "phone_status" else None, dtype).alias(name)
            for name, dtype in {**PHONE_SCHEMA, "phone_unplaced": pl.String}.items())
    inputs = frame.select(clean_expr(source).alias("value"),
                          pl.col(region_column).fill_null(pl.lit(default_region, pl.String)).alias("region"))
    judged = judge_values(inputs["value"], inputs["region"])
    unread = pl.col("region").is_null() & pl.col("value").is_not_null() & (pl.lit(judged["phone_status"]) != "ok")
    unplaced = inputs.select(pl.when(unread).then(pl.col("value")).alias("phone_unplaced")).to_series()
    return frame.hstack(judged.with_columns(unplaced))


def valid_regions(work: pl.DataFrame) -> pl.DataFrame:
    """``phone_region``, ``count``: how many of ``work``'s valid numbers each region holds."""
    return (work.filter(pl.col("phone_status") == "ok").group_by("phone_region")
            .agg(pl.len().cast(pl.Int64).alias("count")))


def usual_region(counts: pl.DataFrame) -> str | None:
    """The region most valid numbers belong to (``valid_regions`` of every part of one input,
    stacked); on a tie the first by name, so the same input always gives the same region."""
    totals = counts.drop_nulls("phone_region").group_by("phone_region").agg(pl.col("count").sum())
    if totals.is_empty():
        return None
    return totals.sort(["count", "phone_region"], descending=[True, False])["phone_region"][0]


def with_phone_keys(frame: pl.DataFrame, regions: pl.Expr) -> pl.DataFrame:
    """``frame`` with ``phone_unplaced`` read in ``regions`` (an expression over ``_row``: the
    usual region of the row's input) as ``phone_key``, in its place; null where it reads no number."""
    column = frame["phone_unplaced"]
    at = column.is_not_null().arg_true()
    if len(at):
        unplaced = (frame.select(pl.col("_row", "phone_unplaced").gather(at))
                    .with_columns(regions.cast(pl.String).alias("region")))
        keys = pl.repeat(None, frame.height, dtype=pl.String, eager=True).scatter(
            at, judge_values(unplaced["phone_unplaced"], unplaced["region"])["phone_e164"])
        # In the chunks of the column it replaces: a column chunked unlike the others of its frame
        # makes polars copy whole frames to line them up (+600 MiB at 10M rows).
        starts = [0, *itertools.accumulate(len(chunk) for chunk in column.get_chunks())]
        column = pl.concat([keys.slice(start, end - start) for start, end in zip(starts, starts[1:])], rechunk=False)
    return frame.with_columns(column.alias("phone_unplaced")).rename({"phone_unplaced": "phone_key"})


def country_code_expr(frame: pl.DataFrame, country: str | None) -> pl.Expr:
    """ISO region code of each row's country cell ('España' → 'ES'), null if unknown."""
    if country is None:
        return pl.lit(None, pl.String)
    distinct = frame[country].drop_nulls().unique()
    codes = pl.Series([country_code(v) for v in distinct.to_list()], dtype=pl.String)
    return pl.col(country).replace_strict(distinct, codes, default=None, return_dtype=pl.String)


def normalize_phone(value: str, region: str | None) -> str | None:
    """E.164 for one value, or None if it is not a valid number."""
    cleaned = pl.DataFrame({"v": [value]}).select(clean_expr("v")).item()
    return None if cleaned is None else judge_one(cleaned, region)[0]
