"""Vectorised phone judgement that reproduces phonenumbers' own verdicts, from its own metadata.

``judge(values, regions, ...)`` takes distinct (cleaned value, region) pairs and decides, in
polars, every pair whose value, once the leading characters phonenumbers ignores are dropped
(anything before the first '+' or digit: "Tel: ", "Móvil: ", "(" ...), has the shape

    '+' or an ASCII digit, then only ASCII digits, spaces and ( ) . - /
    optionally followed by an extension: [spaces] ext|x [.] [spaces] 1-9 digits (any case)

plus every value longer than 250 characters (phonenumbers rejects those as too long before
reading them) and every value with no '+' or digit at all (not a number). Those shapes hold no
letters (vanity numbers), second numbers, RFC 3966 parameters or non-ASCII digits, so
phonenumbers' ``parse`` reduces to digit-string work that is replayed here step by step, with
the regular expressions of the installed metadata (``phonemeta``):

1. viability (``_is_viable_phone_number``) and the default-region check;
2. '+' / international prefix (IDD) stripping and calling-code extraction
   (``_maybe_extract_country_code``), including the "starts with the region's own calling
   code" rule;
3. national prefix and carrier-code stripping with ``national_prefix_transform_rule``
   (``_maybe_strip_national_prefix_carrier_code``) and the possible-length test that decides
   whether the stripping is kept;
4. ``region_code_for_number`` (leading digits, else the type helper, in metadata order),
   ``is_valid_number``, ``number_type`` (``_number_type_helper`` order) and
   ``is_possible_number_with_reason`` for the reason of an invalid number.

What it does not decide (returned as undecided, for phonenumbers itself): other shapes
(letters, other extension forms, '#', ';', ',', tabs, full-width or non-ASCII digits, a second
'+'), an extension after fewer than three digits, a '+' followed by a 0 or by digits that start
with no known calling code (phonenumbers retries those without the '+'), and regions or
calling codes whose metadata does not compile in polars. The differential tests
(``tests/test_fast_phone.py``) compare every decision with ``judge_one``.

Regex semantics: metadata patterns are used only as ``^(?:p)$`` (full match) or ``^(?:p)``
(prefix match: its end and which groups took part). Python's ``re`` and Rust's ``regex`` agree
on these for ASCII digit strings: both report the leftmost-first match with the same
alternation and repetition preferences. The transform rule is expanded from the groups rather
than with a regex replacement (same result, faster).

Work is split by region (input region, metadata region, calling code, number region) with
``partition_by`` so that every pattern is a literal polars expression over its own rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import phonenumbers
import polars as pl
from phonenumbers import NumberParseException, ValidationResult

from listclean.normalize import phonemeta
from listclean.normalize.phonemeta import RegionMeta

#: What _extract_possible_number drops: anything before the first '+' or (Unicode) digit.
_LEADING_JUNK = r"^[^+\uFF0B\d]*"
#: The number shapes decided here: '+' or an ASCII digit, then ASCII digits and ( ) . - / space.
_NUMBER = r"(?:\+[0-9 ().\-/]*|[0-9][0-9 ().\-/]*)"
_PLAIN = rf"(?-u)^{_NUMBER}?$"   # ASCII-only matching: same result, several times faster
#: ... optionally followed by an ``ext``/``x`` extension of up to 9 digits (see _maybe_strip_extension).
_WITH_EXTENSION = rf"^(?<number>{_NUMBER}[0-9)]) *(?:[eE][xX][tT]|[xX])\.? *(?<ext>[0-9]{{1,9}})$"
_PUNCT = " ().-/"

# Outcome of _test_number_length, as short strings.
POSSIBLE, LOCAL, SHORT, LONG, INVALID_LEN = "possible", "local", "short", "long", "invalid"

OUTPUT_SCHEMA = {
    "_i": pl.UInt32, "phone_e164": pl.String, "phone_status": pl.String, "phone_reason": pl.String,
    "phone_type": pl.String, "phone_region": pl.String, "phone_ext": pl.String,
}


# ---------------------------------------------------------------------------------------------
# Expression builders: one phonenumbers helper each, over a column of ASCII digit strings.
# ---------------------------------------------------------------------------------------------

def _full(number: pl.Expr, pattern: str | None) -> pl.Expr:
    """``_match_national_number(number, desc, False)``: the whole string matches."""
    if not pattern:
        return pl.lit(False)
    return number.str.contains(f"^(?:{pattern})$")


def _matches_desc(number: pl.Expr, desc) -> pl.Expr:
    """``_is_number_matching_desc``: possible length, then the full pattern."""
    if desc is None or not desc.pattern:
        return pl.lit(False)
    matched = _full(number, desc.pattern)
    if desc.lengths:
        matched = number.str.len_chars().is_in(list(desc.lengths)) & matched
    return matched


def _test_length(number: pl.Expr, md: RegionMeta) -> pl.Expr:
    """``_test_number_length(number, metadata)`` for PhoneNumberType.UNKNOWN (general desc)."""
    length = number.str.len_chars()
    lengths, local = md.general.lengths, md.general.local_lengths
    chain = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    if local:
        chain = chain.when(length.is_in(list(local))).then(pl.lit(LOCAL))
    chain = (chain.when(length == lengths[0]).then(pl.lit(POSSIBLE))
             .when(length < lengths[0]).then(pl.lit(SHORT))
             .when(length > lengths[-1]).then(pl.lit(LONG)))
    if len(lengths) > 1:
        chain = chain.when(length.is_in(list(lengths[1:]))).then(pl.lit(POSSIBLE))
    return chain.otherwise(pl.lit(INVALID_LEN))


def _number_type(number: pl.Expr, md: RegionMeta, specific: bool = True) -> pl.Expr:
    """``_number_type_helper``: the type name, or null for UNKNOWN. ``specific=False`` skips
    the types tested before fixed line and mobile, for numbers known to match none of them."""
    null = pl.lit(None, pl.String)
    chain = pl.when(~_matches_desc(number, md.general)).then(null)
    for name, desc in md.specific if specific else ():
        if desc is not None and desc.pattern:
            chain = chain.when(_matches_desc(number, desc)).then(pl.lit(name))
    fixed = _matches_desc(number, md.fixed_line)
    mobile = _matches_desc(number, md.mobile)
    if md.same_mobile_and_fixed_line:
        chain = chain.when(fixed).then(pl.lit("fixed_line_or_mobile"))
    else:
        chain = (chain.when(fixed & mobile).then(pl.lit("fixed_line_or_mobile"))
                 .when(fixed).then(pl.lit("fixed_line"))
                 .when(mobile).then(pl.lit("mobile")))
    return chain.otherwise(null)


def _with_type(part: pl.DataFrame, number: pl.Expr, md: RegionMeta) -> pl.DataFrame:
    """``part`` with its numbers' ``kind`` (``_number_type``). One pass of all the specific
    types' patterns as one alternation sets aside the few numbers that may be of one of them;
    the rest only need the fixed-line and mobile tests."""
    patterns = [desc.pattern for _, desc in md.specific if desc is not None and desc.pattern]
    if not patterns:
        return part.with_columns(_number_type(number, md, specific=False).alias("kind"))
    part = part.with_columns(_full(number, "|".join(f"(?:{p})" for p in patterns)).alias("_specific"))
    specific, common = part.filter("_specific").drop("_specific"), part.filter(~pl.col("_specific")).drop("_specific")
    typed = [common.with_columns(_number_type(number, md, specific=False).alias("kind"))]
    if not specific.is_empty():   # compiling every pattern costs more than the tests themselves
        typed.append(specific.with_columns(_number_type(number, md).alias("kind")))
    return pl.concat(typed, how="vertical")


def _strip_national_prefix(number: pl.Expr, md: RegionMeta) -> pl.Expr:
    """The number ``_maybe_strip_national_prefix_carrier_code`` returns (carrier code dropped)."""
    npp = md.national_prefix_for_parsing
    if not npp:
        return number
    # One pass of the (sometimes very large) prefix pattern yields the match and its groups;
    # a field is null when there is no match or the group took no part in it.
    groups = number.str.extract_groups(f"^(?<_all>{npp})")
    whole = groups.struct.field("_all")                       # null: no match at the start
    matched = whole.is_not_null() & (number.str.len_chars() > 0)
    after = number.str.slice(whole.str.len_chars().fill_null(0))
    if md.transform_rule is not None:
        # re.sub(prefix, rule, number, count=1): the match is the one at the start, so the
        # result is the expanded rule (a group that took no part expands to "") + the rest.
        # Struct fields of unnamed groups are named by their number, shifted by _all.
        def group(k: int) -> pl.Expr:
            return groups.struct[k]

        last_group = group(md.npp_groups)
        expanded = [pl.lit(part) if isinstance(part, str) else group(part).fill_null("")
                    for part in md.transform_rule]
        transformed = pl.concat_str([*expanded, after])
        candidate = pl.when(last_group.is_not_null()).then(transformed).otherwise(after)
    else:
        candidate = after
    viable_original = _full(number, md.general.pattern)
    keep_original = viable_original & ~_full(candidate, md.general.pattern)
    return pl.when(matched & ~keep_original).then(candidate).otherwise(number)


@lru_cache(maxsize=4)
def _calling_code_table(version: str) -> tuple[list[str], list[str | None]]:
    """Every 3-digit head → the calling code ``_extract_country_code`` reads from it."""
    codes = {str(cc) for cc in phonemeta.country_codes()}
    size = phonemeta.MAX_LENGTH_COUNTRY_CODE
    heads = [str(i).zfill(size) for i in range(10 ** size)]
    found = [next((h[:k] for k in range(1, len(h) + 1) if h[:k] in codes), None) for h in heads]
    return heads, found


def _calling_code(number: pl.Expr) -> pl.Expr:
    """``_extract_country_code`` on a digit string not starting with 0 and at least
    MAX_LENGTH_COUNTRY_CODE (3) digits long (every caller's case): the code,
    or null."""
    heads, found = _calling_code_table(phonenumbers.__version__)
    return number.str.slice(0, phonemeta.MAX_LENGTH_COUNTRY_CODE).replace_strict(
        heads, found, default=None, return_dtype=pl.String)


def _main_key(cc: pl.Expr) -> pl.Expr:
    codes = sorted(phonemeta.country_codes())
    return cc.replace_strict(codes, [phonemeta.main_key(c) for c in codes], default=None,
                             return_dtype=pl.String)


# ---------------------------------------------------------------------------------------------
# The pipeline: judge() and its steps, in the order of the module docstring
# ---------------------------------------------------------------------------------------------

def _per_key(frame: pl.DataFrame, key: str,
             build: Callable[[object, pl.DataFrame], list[pl.DataFrame]]) -> list[pl.DataFrame]:
    """``build`` over the rows of each value of ``key`` (so its patterns are literals); the frames
    it returns, in one list."""
    return [built for (value,), part in frame.partition_by(key, as_dict=True, maintain_order=False).items()
            for built in build(value, part)]


class _Collector:
    """Decided rows (in OUTPUT_SCHEMA) and the frames still flowing through the stages."""

    def __init__(self, parse_reasons: Mapping[int, str]):
        self.decided: list[pl.DataFrame] = []
        self.parse_reasons = parse_reasons

    def unparseable(self, part: pl.DataFrame, error_type: int) -> None:
        if part.height:
            self.add(part, status="unparseable", reason=pl.lit(self.parse_reasons[error_type]))

    def add(self, part: pl.DataFrame, *, status: str, reason=None, e164=None, kind=None,
            region=None, ext=None) -> None:
        if not part.height:
            return
        null = pl.lit(None, pl.String)
        self.decided.append(part.select(
            pl.col("_i"),
            (e164 if e164 is not None else null).alias("phone_e164"),
            pl.lit(status).alias("phone_status"),
            (reason if reason is not None else null).alias("phone_reason"),
            (kind if kind is not None else null).alias("phone_type"),
            (region if region is not None else null).alias("phone_region"),
            (ext if ext is not None else null).alias("phone_ext"),
        ))

    def result(self) -> pl.DataFrame:
        frames = [pl.DataFrame(schema=OUTPUT_SCHEMA)] + self.decided
        return pl.concat([f.cast(OUTPUT_SCHEMA) for f in frames], how="vertical")


def _supported(key: str | None) -> bool:
    md = phonemeta.region_meta(key) if key is not None else None
    return md is not None and md.supported


def judge(values: pl.Series, regions: pl.Series, parse_reasons: Mapping[int, str],
          possible_reasons: Mapping[int, str]) -> pl.DataFrame:
    """Decide what can be decided; one row per decided input position ``_i`` (UInt32).

    Output columns are ``_i`` and those of ``judge_one``: phone_e164, phone_status,
    phone_reason, phone_type, phone_region, phone_ext. Positions missing from the output are
    for phonenumbers.

    The steps of the module docstring, each deciding the rows it can and passing the rest on:
    the shapes decided here (``_shapes``), 1. viability and the default region (``_viable``),
    2. the calling code (``_calling_codes``), 3. the national prefix (``_national_numbers``),
    4. the number's region (``_regions``), then validity and type (``_classify``).
    """
    out = _Collector(parse_reasons)
    frame = _viable(_shapes(values, regions, out), out)
    numbers = _national_numbers(_calling_codes(frame, out), out)
    located = _regions(numbers) if numbers is not None else None
    if located is not None:
        _classify(located, out, possible_reasons)
    return out.result()


def _shapes(values: pl.Series, regions: pl.Series, out: _Collector) -> pl.DataFrame:
    """The values in the shapes decided here (module docstring), with their row's region ``r``:
    ``n`` (the number, without the leading characters phonenumbers drops or an extension), ``d``
    (its digits), ``plus`` (it starts with '+') and ``ext``. A value over 250 characters is
    decided (TOO_LONG); other shapes are left out, for phonenumbers."""
    frame = pl.DataFrame({"v": values.cast(pl.String), "r": regions.cast(pl.String)}).with_row_index("_i")
    frame = frame.filter(pl.col("v").is_not_null())
    v = pl.col("v")

    # parse(): inputs longer than 250 characters are TOO_LONG before anything else.
    too_long = v.str.len_chars() > phonemeta.MAX_INPUT_LENGTH
    out.unparseable(frame.filter(too_long), NumberParseException.TOO_LONG)
    frame = frame.filter(~too_long)

    # _extract_possible_number drops everything before the first '+' or digit. Only that
    # leading junk can hold an RFC 3966 ";phone-context=" (the shapes below have no ';').
    starts_well = v.str.contains(r"^[+0-9]")
    junk = frame.filter(~starts_well)
    junk = junk.filter(~v.str.contains(";phone-context=", literal=True))
    frame = pl.concat([
        frame.filter(starts_well).with_columns(v.alias("n")),
        junk.with_columns(v.str.replace(_LEADING_JUNK, "").alias("n")),
    ], how="vertical")
    n = pl.col("n")
    is_plain = n.str.contains(_PLAIN)
    plain = frame.filter(is_plain).with_columns(pl.lit(None, pl.String).alias("ext"))
    extended = frame.filter(~is_plain).with_columns(n.str.extract_groups(_WITH_EXTENSION).alias("split"))
    extended = extended.with_columns(
        pl.col("split").struct.field("number").alias("n"), pl.col("split").struct.field("ext").alias("ext"),
    ).drop("split").filter(pl.col("n").is_not_null())
    frame = pl.concat([plain, extended], how="vertical")
    # Only ASCII digits and " ().-/+" are left in n.
    frame = frame.with_columns(
        n.str.replace_many(list(_PUNCT + "+"), [""] * len(_PUNCT + "+")).alias("d"),
        n.str.starts_with("+").alias("plus"))
    # An extension is only split off a viable number; shorter ones are left to phonenumbers.
    return frame.filter(pl.col("ext").is_null() | (pl.col("d").str.len_chars() >= 3))


def _region_ok() -> pl.Expr:
    """The row's region is one phonenumbers parses national numbers in."""
    return pl.col("r").is_in(sorted(phonemeta.supported_regions())).fill_null(False)


def _viable(frame: pl.DataFrame, out: _Collector) -> pl.DataFrame:
    """Step 1: ``_is_viable_phone_number`` and ``_check_region_for_parsing``. The rows that fail
    are decided; those without '+' in no supported region stay in the frame but flow no further
    (``_calling_codes`` takes only '+' or a supported region)."""
    n, d, plus = pl.col("n"), pl.col("d"), pl.col("plus")
    n_digits = d.str.len_chars()
    # _is_viable_phone_number on what _extract_possible_number leaves: three digits or more,
    # or exactly two digits with nothing else (no '+', no punctuation after them).
    not_viable = (n_digits < phonemeta.MIN_LENGTH_FOR_NSN) | (
        (n_digits == phonemeta.MIN_LENGTH_FOR_NSN) & (plus | (n.str.strip_chars_end(_PUNCT) != d)))
    out.unparseable(frame.filter(not_viable), NumberParseException.NOT_A_NUMBER)
    frame = frame.filter(~not_viable)

    # _check_region_for_parsing: without '+', the region must be a supported one.
    out.unparseable(frame.filter(~plus & ~_region_ok()), NumberParseException.INVALID_COUNTRY_CODE)
    return frame


def _calling_codes(frame: pl.DataFrame, out: _Collector) -> pl.DataFrame:
    """Step 2: '+' or international prefix stripped, the calling code extracted. Every row that
    flows on has ``_i``, ``ext``, ``cc`` (Int64), ``nnn`` (the digits after the calling code) and
    ``meta`` (the metadata parse() strips the national prefix with; null: not decided here)."""
    d, plus = pl.col("d"), pl.col("plus")
    # '+': the calling code comes from the digits; the row's region plays no part unless the
    # digits start with no calling code (phonenumbers then retries without '+': not decided).
    with_plus = frame.filter(plus & (d.str.slice(0, 1) != "0")).with_columns(_calling_code(d).alias("cc"))
    with_plus = with_plus.filter(pl.col("cc").is_not_null())
    flowing = [with_plus.select(
        "_i", "ext", pl.col("cc").cast(pl.Int64), d.str.slice(pl.col("cc").str.len_chars()).alias("nnn"),
        _main_key(pl.col("cc").cast(pl.Int64)).alias("meta"),
    )]
    flowing += _per_key(frame.filter(~plus & _region_ok()), "r",
                        lambda region, part: _from_region(region, part, out))
    return pl.concat(flowing, how="vertical")


def _from_region(region: str, part: pl.DataFrame, out: _Collector) -> list[pl.DataFrame]:
    """Step 2 for numbers without '+' read in ``region``: its international prefix dialled, or a
    national number (which may start with the region's own calling code)."""
    md = phonemeta.region_meta(region)
    if md is None or not md.supported:
        return []
    d = pl.col("d")
    if md.international_prefix is not None:
        idd = d.str.extract(f"^(?:{md.international_prefix})", 0)
        rest = d.str.slice(idd.str.len_chars().fill_null(0))
        stripped = idd.is_not_null() & ((rest.str.len_chars() == 0) | (rest.str.slice(0, 1) != "0"))
    else:
        rest, stripped = d, pl.lit(False)
    part = part.with_columns(rest.alias("rest"), stripped.alias("idd"))
    rest = pl.col("rest")

    # International prefix dialled: like '+', but a bad calling code is an error here.
    dialled = part.filter("idd")
    out.unparseable(dialled.filter(rest.str.len_chars() <= phonemeta.MIN_LENGTH_FOR_NSN),
                    NumberParseException.TOO_SHORT_AFTER_IDD)
    dialled = dialled.filter(rest.str.len_chars() > phonemeta.MIN_LENGTH_FOR_NSN)
    dialled = dialled.with_columns(_calling_code(rest).alias("cc"))
    out.unparseable(dialled.filter(pl.col("cc").is_null()), NumberParseException.INVALID_COUNTRY_CODE)
    dialled = dialled.filter(pl.col("cc").is_not_null())
    flowing = [dialled.select(
        "_i", "ext", pl.col("cc").cast(pl.Int64), rest.str.slice(pl.col("cc").str.len_chars()).alias("nnn"),
        _main_key(pl.col("cc").cast(pl.Int64)).alias("meta"),
    )]

    # No prefix: national number, unless it starts with the region's own calling code and
    # reads better without it.
    local = part.filter(~pl.col("idd"))
    own = str(md.country_code)
    flowing.append(local.filter(~d.str.starts_with(own)).select(
        "_i", "ext", pl.lit(md.country_code, pl.Int64).alias("cc"), d.alias("nnn"),
        pl.lit(region).alias("meta")))
    potential = _strip_national_prefix(d.str.slice(len(own)), md)
    general = md.general.pattern
    own_code = (~_full(d, general) & _full(potential, general)) | (_test_length(d, md) == LONG)
    flowing.append(local.filter(d.str.starts_with(own)).select(
        "_i", "ext", pl.lit(md.country_code, pl.Int64).alias("cc"),
        pl.when(own_code).then(potential).otherwise(d).alias("nnn"),
        pl.when(own_code).then(pl.lit(phonemeta.main_key(md.country_code))).otherwise(pl.lit(region))
        .alias("meta"),
    ))
    return flowing


def _national_numbers(flowing: pl.DataFrame, out: _Collector) -> pl.DataFrame | None:
    """Step 3: the national prefix and carrier code stripped where the possible-length test keeps
    the stripping; the national significant numbers of a decidable length (``_i``, ``ext``,
    ``cc``, ``nsn``), or None if none is left."""
    numbers = _per_key(flowing.filter(pl.col("meta").is_not_null()), "meta",
                       lambda meta, part: _strip(meta, part, out))
    return pl.concat(numbers, how="vertical") if numbers else None


def _strip(meta: str, part: pl.DataFrame, out: _Collector) -> list[pl.DataFrame]:
    """Step 3 for the numbers parsed with the metadata ``meta``."""
    md = phonemeta.region_meta(meta)
    if md is None or not md.supported:
        return []
    nnn = pl.col("nnn")
    too_short = nnn.str.len_chars() < phonemeta.MIN_LENGTH_FOR_NSN
    out.unparseable(part.filter(too_short), NumberParseException.TOO_SHORT_NSN)
    part = part.filter(~too_short)
    if md.national_prefix_for_parsing:
        potential = _strip_national_prefix(nnn, md)
        keep = _test_length(potential, md).is_in([POSSIBLE, LONG])
        part = part.with_columns(pl.when(keep).then(potential).otherwise(nnn).alias("nsn"))
    else:   # nothing to strip
        part = part.with_columns(nnn.alias("nsn"))
    length = pl.col("nsn").str.len_chars()
    out.unparseable(part.filter(length < phonemeta.MIN_LENGTH_FOR_NSN), NumberParseException.TOO_SHORT_NSN)
    out.unparseable(part.filter(length > phonemeta.MAX_LENGTH_FOR_NSN), NumberParseException.TOO_LONG)
    return [part.filter(length.is_between(phonemeta.MIN_LENGTH_FOR_NSN, phonemeta.MAX_LENGTH_FOR_NSN))
            .select("_i", "ext", "cc", "nsn")]


_NUMBERS_COLUMNS = ["_i", "ext", "cc", "nsn"]


def _regions(numbers: pl.DataFrame) -> pl.DataFrame | None:
    """Step 4, ``region_code_for_number``: each number with its calling code's possible-length
    verdict (``possible``) and ``region`` (null: no region claims it), or None if no calling code
    is decidable here."""
    located = _per_key(numbers, "cc", _locate)
    return pl.concat(located, how="vertical") if located else None


def _locate(cc: int, part: pl.DataFrame) -> list[pl.DataFrame]:
    """Step 4 for the numbers of calling code ``cc``."""
    regions = phonemeta.regions_for_country_code(cc)
    keys = [phonemeta.region_key(r, cc) for r in regions] + [phonemeta.main_key(cc)]
    if not regions or not all(_supported(k) for k in keys):
        return []
    nsn = pl.col("nsn")
    main = phonemeta.region_meta(phonemeta.main_key(cc))
    part = part.with_columns(_test_length(nsn, main).alias("possible"))
    if len(regions) == 1:
        return [part.with_columns(pl.lit(regions[0]).alias("region"))]
    # _region_code_for_number_from_list: the first region that claims the number, asked
    # only about the numbers no earlier region claimed.
    located = []
    for code in regions:
        md = phonemeta.region_meta(code)
        if md.leading_digits is not None:
            part = part.with_columns(nsn.str.contains(f"^(?:{md.leading_digits})").alias("_found"))
        else:
            part = _with_type(part, nsn, md).with_columns(pl.col("kind").is_not_null().alias("_found"))
        found = pl.col("_found")
        located.append(part.filter(found).select(*_NUMBERS_COLUMNS, "possible", pl.lit(code).alias("region")))
        part = part.filter(~found)
        if part.is_empty():
            return located
    located.append(part.select(*_NUMBERS_COLUMNS, "possible", pl.lit(None, pl.String).alias("region")))
    return located


def _in_use_reason(region: pl.Expr, possible_reasons: Mapping[int, str]) -> pl.Expr:
    """``judge_one``'s reason for an invalid number: its possible-length verdict, else "not a
    number in use in" its region."""
    possible = pl.col("possible")
    chain = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for code, result in ((SHORT, ValidationResult.TOO_SHORT), (LONG, ValidationResult.TOO_LONG),
                         (INVALID_LEN, ValidationResult.INVALID_LENGTH)):
        chain = chain.when(possible == code).then(pl.lit(possible_reasons[result]))
    return chain.otherwise(pl.lit("not a number in use in ") + region)


def _classify(located: pl.DataFrame, out: _Collector, possible_reasons: Mapping[int, str]) -> None:
    """Step 4, ``is_valid_number`` and ``number_type``: every located number decided, ok (E.164,
    type, region, extension) or invalid (why)."""
    out.add(located.filter(pl.col("region").is_null()), status="invalid",
            reason=_in_use_reason(pl.lit("any region"), possible_reasons))
    nsn = pl.col("nsn")
    for (region, cc), part in located.filter(pl.col("region").is_not_null()).partition_by(
            ["region", "cc"], as_dict=True, maintain_order=False).items():
        md = phonemeta.region_meta(phonemeta.region_key(region, cc))
        part = _with_type(part, nsn, md)
        valid = pl.col("kind").is_not_null()
        out.add(part.filter(valid), status="ok", e164=pl.lit("+" + str(cc)) + nsn,
                kind=pl.col("kind"), region=pl.lit(region), ext=pl.col("ext"))
        out.add(part.filter(~valid), status="invalid", reason=_in_use_reason(pl.lit(region), possible_reasons),
                region=pl.lit(region))
