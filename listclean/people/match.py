"""Probabilistic person matching: an unsupervised Fellegi–Sunter model, in polars.

Two records of one person agree on more fields, and on rarer values, than two strangers do.
For each field a *comparison* puts a pair of records on one of a few *levels* (exact, a typo,
swapped, different…). Each level has two probabilities: ``m``, that a pair of the same person
lands there, and ``u``, that a pair of strangers does. A pair's ``weight`` is the log2 of its
odds of being one person: the prior odds plus ``log2(m / u)`` of each level it landed on (a
field blank on either side adds nothing). An exact match on a common value (``garcía``, a
switchboard number) is worth less than on a rare one: its ``u`` is the value's own frequency,
counted in people rather than rows (term-frequency adjustment, see :func:`_term_frequencies`).

No labels are needed:

* ``u`` comes from a seeded random sample of record pairs (re-weighted by each sampled pair's
  chance of being strangers); the exact levels from the value frequencies themselves;
* ``m`` and the share of pairs that match come from expectation–maximisation over the
  comparison patterns of the *candidate* pairs. Candidates are the pairs that share at least
  one blocking key (the same email, phone, name sounds and postcode, …); their patterns
  (with each exact level's frequency-priced ``u`` rounded) are grouped and counted, so EM runs
  over a table of a few thousand rows, whatever the number of records. The ``u`` side is held
  fixed and scaled to *all* pairs, so the prior is the chance that two records drawn at
  random are one person.

Fellegi–Sunter assumes the fields independent given the truth; where they plainly are not,
the evidence is counted once: a city is silent when the postcodes agree, a surname when the
names are swapped (the given name counts the swap), and an email or phone shared within a
surname is priced among that surname's rows (families share them).

Small inputs lean on default probabilities (Beta priors worth a thousand sampled pairs, a
hundred rows per value frequency and fifty matches), so a list of ten rows is judged sensibly
and a list of a million by its own data.

Records are sorted by a hash of their content before sampling, so the result does not depend
on the order of the rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from listclean.people.names import (
    fold,
    fold_name,
    phonetic,
    split_full_name,
    surname_key,
)

#: Input columns the matcher reads (any may be missing or blank).
FIELDS = ("first_name", "last_name", "full_name", "email_key", "phone_e164", "phone_digits", "postcode", "city",
          "street", "birth_date", "customer_id")
#: Random record pairs drawn to estimate ``u``.
SAMPLE_PAIRS = 300_000
#: Records whose holder keys (text, only a step to their hashes) are made at a time.
RECORDS_AT_A_TIME = 1_000_000
#: Weight of the default ``u`` (in sampled pairs; in rows for the frequency of one value) and
#: of the default ``m`` (in matching pairs): enough to steady a small list, nothing for a large one.
PRIOR_PAIRS, PRIOR_ROWS, PRIOR_MATCHES = 1_000, 100, 50
#: The prior share of matching pairs: so many matching pairs per record, worth so many pairs.
MATCHES_PER_RECORD, PRIOR_PAIRS_PER_RECORD = 0.1, 10
#: EM stops after this many rounds or when no probability moves by more than ``EM_TOLERANCE``.
EM_ROUNDS, EM_TOLERANCE = 200, 1e-7
#: Jaro–Winkler thresholds of "similar" and "somewhat similar" names.
JW_HIGH, JW_MID = 0.92, 0.80
#: Given name and surname swapped: each, compared with the other's, at least this similar.
JW_SWAPPED = 0.85


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds and options of the matcher.

    ``merge`` and ``review`` are probabilities that two records are one person: at or above
    ``merge`` they are joined; between ``review`` and ``merge`` they are reported for review.
    A blocking value shared by more than ``max_block`` rows creates no candidate pairs (it is
    reported in ``Links.skipped``). Each source named in ``one_per_source`` holds at most one
    record per person (a CRM export, one of two files being linked).
    """

    merge: float = 0.6
    review: float = 0.1
    max_block: int = 200
    one_per_source: tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.review <= self.merge < 1.0:
            raise ValueError(f"need 0 < review <= merge < 1, got review={self.review}, merge={self.merge}")
        if self.max_block < 2:
            raise ValueError(f"max_block must be at least 2, got {self.max_block}")


#: The defaults, for callers that have no settings of their own.
DEFAULTS = MatchSettings()


@dataclass(frozen=True)
class Level:
    label: str
    m: float          # P(level | same person)
    u: float          # P(level | different people); exact levels use each value's own frequency
    weight: float     # log2(m / u)


@dataclass(frozen=True)
class ComparisonModel:
    name: str
    fields: tuple[str, ...]   # the input columns it reads
    levels: tuple[Level, ...]


@dataclass(frozen=True)
class Model:
    comparisons: tuple[ComparisonModel, ...]
    prior: float              # P(two records drawn at random are one person)
    prior_weight: float       # log2 of its odds
    fields: tuple[str, ...]   # input columns with data that the model used
    candidate_pairs: int
    em_rounds: int
    blocking: tuple[tuple[str, int, int], ...] = ()   # per rule: name, largest block used, pairs made

    def describe(self) -> str:
        lines = [(f"prior {self.prior:.3g} ({self.prior_weight:+.1f} bits); {self.candidate_pairs} candidate "
                  f"pairs; EM {self.em_rounds} rounds")]
        lines += [f"blocking {name}: blocks up to {cap} rows, {pairs} pairs" for name, cap, pairs in self.blocking]
        for comparison in self.comparisons:
            lines.append(f"{comparison.name}:")
            lines += [f"  {lv.label:<32} m={lv.m:.4f} u={lv.u:.3g} {lv.weight:+.1f}" for lv in comparison.levels]
        return "\n".join(lines)


@dataclass
class Links:
    """Scored candidate pairs and the model that scored them.

    ``pairs``: ``_id_l < _id_r``, ``weight`` (log2 odds incl. the prior), ``probability`` and one
    Int8 column per comparison (level index, -1 = blank on a side), in an order that depends on
    the records, not on the order of the rows. ``skipped``: ``field``, ``value``, ``rows`` of
    blocking values too common to block on (values as normalised: mask them before showing
    them). ``data`` holds the normalised records, so any other pair can be scored with
    :meth:`score`.
    """

    pairs: pl.DataFrame
    model: Model
    skipped: pl.DataFrame
    data: pl.DataFrame = field(repr=False)
    dictionaries: dict = field(repr=False, default_factory=dict)

    def score(self, id_pairs: pl.DataFrame) -> pl.DataFrame:
        """Score any pairs (``_id_l``, ``_id_r`` columns) as :attr:`pairs` is scored."""
        positions = self.data.select("_id", pl.int_range(pl.len(), dtype=pl.UInt32).alias("_pos"))
        located = (id_pairs.select("_id_l", "_id_r")
                   .join(positions.rename({"_id": "_id_l", "_pos": "_l"}), on="_id_l")
                   .join(positions.rename({"_id": "_id_r", "_pos": "_r"}), on="_id_r"))
        return _score(self.data, self.dictionaries, located["_l"], located["_r"], self.model)

    def forget_scoring(self) -> None:
        """Let go, in place, of what only :meth:`score` and explanations read: the records'
        codes and prices, the dictionaries and the pairs' levels (at ten million records,
        more than a gigabyte). What clustering reads of the records (``_id``, ``_source``,
        ``_hash``) and of the pairs (ids, ``weight``, ``probability``) stays."""
        self.data = self.data.select("_id", "_source", "_hash")
        self.pairs = self.pairs.select("_id_l", "_id_r", "weight", "probability")
        self.dictionaries = {}


@dataclass(frozen=True)
class Evidence:
    """One line of an explanation: a comparison's level and its weight; the last two lines are
    the prior (``field="prior"``) and the total (``field="total"``, with ``probability``)."""

    field: str
    label: str
    value_a: str | None
    value_b: str | None
    weight: float
    probability: float | None = None


# --- comparisons -------------------------------------------------------------------------
#
# Values are compared as integer codes into per-field dictionaries of distinct values
# (:class:`_Dictionary`; given names and surnames share one, so a swap is a code match), so a
# pair frame holds integers only. The similarities are computed first (``_features``), once,
# and only where they can matter: for values that differ, once per distinct pair of values
# for small dictionaries, and behind a cheap necessary condition where there is one (a phone
# one digit off shares its first or last three digits). Each comparison then turns them into
# its level with one expression.

#: What a family shares besides its surname (priced within the surname for different given names).
FAMILY_SHARED = ("email", "phone", "postcode")
#: Dictionaries up to this size have their similarities computed once per distinct pair.
DEDUP_LIMIT = 100_000


@dataclass(frozen=True)
class _Comparison:
    name: str
    inputs: tuple[str, ...]         # input columns (for "which fields were used" and explanations)
    columns: tuple[str, ...]        # normalised columns it reads
    labels: tuple[str, ...]
    m0: tuple[float, ...]           # default m and u per level (the prior of the estimates)
    u0: tuple[float, ...]
    conditions: Callable[[], list[pl.Expr]]   # one per level but the last, over the pair frame
    tf: str                         # column whose value frequency prices the exact level
    silent: Callable[[], pl.Expr] | None = None   # no evidence here (another comparison counts it)


@dataclass
class _Dictionary:
    """The distinct values of one or more columns, sorted: codes index ``series``."""

    series: pl.Series                 # the values (for vectorised string work on a few of them)
    extra: dict[str, np.ndarray] = field(default_factory=dict)   # per-value facts (lengths, ends…)
    _values: np.ndarray | None = None

    @property
    def values(self) -> np.ndarray:
        """The values as Python strings, for rapidfuzz (made when first needed)."""
        if self._values is None:
            self._values = np.array(self.series.to_list(), dtype=object)
        return self._values


#: Normalised column → its dictionary (names share one).
DICTIONARY_OF = {"given": "names", "surname": "names", "phone9": "phone9", "postcode": "postcode", "city": "city",
                 "street": "street", "birth": "birth"}
#: Normalised columns compared for equality only.
EQUALITY_ONLY = ("surname_sorted", "email", "phone", "customer_id")
#: Dictionaries whose values need their first/last characters for the one-edit shortcut.
ENDS = {"phone9": 3, "postcode": 1, "birth": 3}


def _encode(data: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, _Dictionary]]:
    """``data`` with a code column ``#<column>`` per compared column, and the dictionaries.

    Columns compared for equality only are coded by a 64-bit hash of the value (two different
    values sharing one is astronomically unlikely); the others index a dictionary (UInt32)."""
    dictionaries, codes = {}, []
    for column in EQUALITY_ONLY:
        codes.append(pl.when(pl.col(column).is_not_null()).then(pl.col(column).hash(3)).alias(f"#{column}"))
    for name in dict.fromkeys(DICTIONARY_OF.values()):
        columns = [c for c, d in DICTIONARY_OF.items() if d == name]
        values = pl.concat([data[c].drop_nulls().unique().cast(pl.String) for c in columns]).unique().sort()
        if values.is_empty():
            codes += [pl.lit(None, pl.UInt32).alias(f"#{c}") for c in columns]
            continue
        dictionary = _Dictionary(values)
        if name == "names":
            dictionary.extra["words"] = values.str.count_matches(" ").to_numpy() + 1
            dictionary.extra["length"] = values.str.len_chars().to_numpy()
        if name in ENDS:
            width = ENDS[name]
            dictionary.extra["length"] = values.str.len_chars().to_numpy()
            dictionary.extra["head"] = values.str.slice(0, width).hash().to_numpy()
            dictionary.extra["tail"] = values.str.slice(-width).hash().to_numpy()
        if name == "birth":   # year, month, day of YYYYMMDD values (-1 for anything else)
            eight = values.to_frame("v").select(
                pl.when(pl.col("v").str.contains(r"^\d{8}$")).then(pl.col("v")).alias("v"))["v"]
            for part, (start, size) in {"year": (0, 4), "month": (4, 2), "day": (6, 2)}.items():
                dictionary.extra[part] = eight.str.slice(start, size).cast(pl.Int64).fill_null(-1).to_numpy()
        dictionaries[name] = dictionary
        # A join, not a cast to an Enum of the values: building an Enum of a million phone
        # numbers takes longer than looking them up.
        index = values.to_frame("_value").with_row_index("_code")
        codes += [data.select(pl.col(c).alias("_value")).join(index.with_columns(pl.col("_value").cast(data.schema[c])),
                                                              on="_value", how="left", maintain_order="left")
                  ["_code"].alias(f"#{c}") for c in columns]
    return data.with_columns(codes), dictionaries


def _codes(frame: pl.DataFrame, column: str) -> np.ndarray:
    """A code column of the pair frame as int64, -1 for no value."""
    return frame[column].fill_null(-1).cast(pl.Int64).to_numpy()


def _similarity(frame: pl.DataFrame, dictionaries: dict[str, _Dictionary], left: str, right: str, scorer,
                rows: np.ndarray | None = None) -> np.ndarray:
    """``scorer`` between the values of pair-frame columns ``left`` and ``right`` (``given_l``,
    ``surname_r``…) where both are present and differ (and ``rows`` holds); NaN elsewhere."""
    a, b = _codes(frame, left), _codes(frame, right)
    wanted = (a >= 0) & (b >= 0) & (a != b)
    if rows is not None:
        wanted &= rows
    index = np.flatnonzero(wanted)
    out = np.full(frame.height, np.nan)
    if index.size == 0:
        return out
    da, db = dictionaries[DICTIONARY_OF[left[:-2]]], dictionaries[DICTIONARY_OF[right[:-2]]]
    a, b = a[index], b[index]
    if da is db:   # the same field: the order does not matter
        a, b = np.minimum(a, b), np.maximum(a, b)
    size_b = db.series.len()
    if da.series.len() <= DEDUP_LIMIT and size_b <= DEDUP_LIMIT:
        keys, inverse = np.unique(a * size_b + b, return_inverse=True)
        scores = process.cpdist(da.values[keys // size_b], db.values[keys % size_b], scorer=scorer, workers=-1)
        out[index] = scores[inverse.reshape(-1)]
    else:   # only the values compared as Python strings, not a large dictionary's millions
        out[index] = process.cpdist(da.series.gather(a).to_list(), db.series.gather(b).to_list(), scorer=scorer,
                                    workers=-1)
    return out


def _ends_agree(frame: pl.DataFrame, dictionary: _Dictionary, column: str) -> np.ndarray:
    """Necessary for one edit (a transposition included) between two values of ``2 * width + 2``
    characters or more: their first or last ``width`` characters agree. Shorter values pass."""
    a, b = _codes(frame, f"{column}_l"), _codes(frame, f"{column}_r")
    ok = (a >= 0) & (b >= 0)
    a, b = np.where(ok, a, 0), np.where(ok, b, 0)
    length, head, tail = dictionary.extra["length"], dictionary.extra["head"], dictionary.extra["tail"]
    short = np.minimum(length[a], length[b]) < 2 * ENDS[column] + 2
    return ok & (np.abs(length[a] - length[b]) <= 1) & ((head[a] == head[b]) | (tail[a] == tail[b]) | short)


def _contained(frame: pl.DataFrame, dictionary: _Dictionary, column: str, rows: np.ndarray) -> np.ndarray:
    """Where ``rows`` holds: every word of one value appears, in order and whole, in the other."""
    out = np.zeros(frame.height, dtype=bool)
    index = np.flatnonzero(rows)
    if index.size:
        a = dictionary.series.gather(_codes(frame, f"{column}_l")[index])
        b = dictionary.series.gather(_codes(frame, f"{column}_r")[index])
        pair = pl.DataFrame({"a": " " + a + " ", "b": " " + b + " "})
        out[index] = pair.select(pl.col("a").str.contains(pl.col("b"), literal=True)
                                 | pl.col("b").str.contains(pl.col("a"), literal=True)).to_series().to_numpy()
    return out


def _features(frame: pl.DataFrame, columns: set[str], dictionaries: dict[str, _Dictionary]) -> pl.DataFrame:
    """The similarities the comparisons need (``_jw_*`` Jaro–Winkler, ``_d_*`` edit distance,
    ``_part_*`` one value inside the other, ``_swapped``/``_half_swapped``), NaN or false where
    they cannot matter."""
    jw, osa = JaroWinkler.normalized_similarity, OSA.distance
    found: dict[str, np.ndarray] = {}
    names = dictionaries.get("names")
    for part in ("given", "surname"):
        if part in columns and names is not None:
            found[f"_jw_{part}"] = _similarity(frame, dictionaries, f"{part}_l", f"{part}_r", jw)
            a, b = _codes(frame, f"{part}_l"), _codes(frame, f"{part}_r")
            ok = (a >= 0) & (b >= 0) & (a != b)
            a, b = np.where(ok, a, 0), np.where(ok, b, 0)
            words, length = names.extra["words"], names.extra["length"]
            # Containment needs two words on one side; an initial, one letter.
            candidates = ok & ((words[a] > 1) | (words[b] > 1))
            found[f"_part_{part}"] = _contained(frame, names, part, candidates)
            if part == "given":
                first_a = names.series.str.slice(0, 1).to_numpy()
                found["_part_given"] |= ok & (((length[a] == 1) | (length[b] == 1)) & (first_a[a] == first_a[b]))
    columns = {c for c in columns if c not in DICTIONARY_OF or DICTIONARY_OF[c] in dictionaries}   # with data
    if "phone9" in columns:
        d = dictionaries["phone9"]
        rows = _ends_agree(frame, d, "phone9")
        a, b = _codes(frame, "phone9_l"), _codes(frame, "phone9_r")
        rows &= d.extra["length"][np.maximum(a, 0)] == d.extra["length"][np.maximum(b, 0)]
        found["_d_phone9"] = _similarity(frame, dictionaries, "phone9_l", "phone9_r", osa, rows)
    for column in ("postcode", "birth"):
        if column in columns:
            rows = _ends_agree(frame, dictionaries[column], column)
            found[f"_d_{column}"] = _similarity(frame, dictionaries, f"{column}_l", f"{column}_r", osa, rows)
    if "birth" in columns:
        extra = dictionaries["birth"].extra
        a, b = _codes(frame, "birth_l"), _codes(frame, "birth_r")
        ok = (a >= 0) & (b >= 0)
        a, b = np.where(ok, a, 0), np.where(ok, b, 0)
        found["_birth_swapped"] = ok & (extra["year"][a] >= 0) & (extra["year"][a] == extra["year"][b]) & (
            extra["month"][a] == extra["day"][b]) & (extra["day"][a] == extra["month"][b])
    for column in ("city", "street"):
        if column in columns:
            found[f"_jw_{column}"] = _similarity(frame, dictionaries, f"{column}_l", f"{column}_r", jw)
    swapped = half = np.zeros(frame.height, dtype=bool)
    if {"given", "surname"} <= columns and names is not None:
        # Given name and surname swapped (both, or one of them in the other's place). Looked for
        # only where both parts differ and one crosses over exactly.
        given_l, given_r = _codes(frame, "given_l"), _codes(frame, "given_r")
        surname_l, surname_r = _codes(frame, "surname_l"), _codes(frame, "surname_r")
        present = (given_l >= 0) & (given_r >= 0) & (surname_l >= 0) & (surname_r >= 0)
        weak = present & ~(np.nan_to_num(found["_jw_given"], nan=1.0) >= JW_MID) \
            & ~(np.nan_to_num(found["_jw_surname"], nan=1.0) >= JW_MID) \
            & (given_l != given_r) & (surname_l != surname_r)
        cross_a, cross_b = weak & (given_l == surname_r), weak & (surname_l == given_r)
        other_a = _similarity(frame, dictionaries, "given_l", "surname_r", jw, cross_b & ~cross_a)
        other_b = _similarity(frame, dictionaries, "surname_l", "given_r", jw, cross_a & ~cross_b)
        swapped = (cross_a & cross_b) | (cross_a & (other_b >= JW_SWAPPED)) | (cross_b & (other_a >= JW_SWAPPED))
        half = (cross_a | cross_b) & ~swapped
    found["_swapped"], found["_half_swapped"] = swapped, half
    return frame.with_columns(pl.Series(name, values).fill_nan(None) if values.dtype.kind == "f"
                              else pl.Series(name, values) for name, values in found.items())


def _both(column: str) -> pl.Expr:
    return pl.col(f"{column}_l").is_not_null() & pl.col(f"{column}_r").is_not_null()


def _same(column: str) -> pl.Expr:
    return pl.col(f"{column}_l") == pl.col(f"{column}_r")


def _given_conditions() -> list[pl.Expr]:
    jw = pl.col("_jw_given")
    return [_same("given"), jw >= JW_HIGH, pl.col("_part_given"), jw >= JW_MID, pl.col("_swapped"),
            pl.col("_half_swapped")]


def _surname_conditions() -> list[pl.Expr]:
    jw = pl.col("_jw_surname")
    return [_same("surname"), _same("surname_sorted"), pl.col("_part_surname"), jw >= JW_HIGH, jw >= JW_MID]


def _phone_conditions() -> list[pl.Expr]:
    return [_both("phone") & _same("phone"), _same("phone9"), pl.col("_d_phone9") <= 1]


def _birth_conditions() -> list[pl.Expr]:
    return [_same("birth"), (pl.col("_d_birth") <= 1) | pl.col("_birth_swapped")]


COMPARISONS = (
    _Comparison("given_name", ("first_name", "full_name"), ("given", "surname"),
                ("exact", "similar", "contained or initial", "somewhat similar", "given name and surname swapped",
                 "one is the other's surname", "different"),
                (0.82, 0.08, 0.04, 0.03, 0.01, 0.005, 0.015), (0.01, 0.004, 0.003, 0.02, 0.0002, 0.002, 0.9608),
                _given_conditions, tf="given"),
    _Comparison("surname", ("last_name", "full_name"), ("surname", "given", "surname_sorted"),
                ("exact", "same surnames reordered", "a surname missing", "similar", "somewhat similar", "different"),
                (0.80, 0.01, 0.06, 0.07, 0.03, 0.03), (0.003, 0.00001, 0.001, 0.003, 0.02, 0.97299),
                _surname_conditions, tf="surname", silent=lambda: pl.col("_swapped") | pl.col("_half_swapped")),
    _Comparison("email", ("email_key",), ("email",), ("exact", "different"),
                (0.7, 0.3), (1e-5, 1 - 1e-5), lambda: [_same("email")], tf="email"),
    _Comparison("phone", ("phone_e164", "phone_digits"), ("phone", "phone9"),
                ("exact", "same national number", "one digit off or swapped", "different"),
                (0.75, 0.15, 0.05, 0.05), (1e-5, 1e-6, 1e-5, 1 - 2.1e-5), _phone_conditions, tf="phone9"),
    _Comparison("postcode", ("postcode",), ("postcode",), ("exact", "one edit", "different"),
                (0.88, 0.04, 0.08), (0.002, 0.02, 0.978), lambda: [_same("postcode"), pl.col("_d_postcode") <= 1],
                tf="postcode"),
    _Comparison("city", ("city",), ("city", "postcode"), ("exact", "similar", "different"),
                (0.85, 0.05, 0.10), (0.02, 0.005, 0.975), lambda: [_same("city"), pl.col("_jw_city") >= 0.9],
                tf="city", silent=lambda: _both("postcode") & _same("postcode")),   # the postcode says it
    _Comparison("street", ("street",), ("street",), ("exact", "similar", "somewhat similar", "different"),
                (0.75, 0.10, 0.05, 0.10), (0.0005, 0.001, 0.01, 0.9885),
                lambda: [_same("street"), pl.col("_jw_street") >= 0.9, pl.col("_jw_street") >= 0.8], tf="street"),
    _Comparison("birth_date", ("birth_date",), ("birth",), ("exact", "one digit off or day/month swapped",
                                                             "different"),
                (0.85, 0.10, 0.05), (0.0001, 0.002, 0.9979), _birth_conditions, tf="birth"),
    _Comparison("customer_id", ("customer_id",), ("customer_id",), ("exact", "different"),
                (0.7, 0.3), (1e-6, 1 - 1e-6), lambda: [_same("customer_id")], tf="customer_id"),
)


def _level(comparison: _Comparison) -> pl.Expr:
    """Level index: -1 where a side has no value (or the evidence is counted by another
    comparison: a swapped surname by the given name's), else the first condition that holds,
    else the last level ("different")."""
    silent = ~_both(comparison.tf) if comparison.silent is None else ~_both(comparison.tf) | comparison.silent()
    expr = pl.when(silent).then(pl.lit(-1, pl.Int8))
    for index, condition in enumerate(comparison.conditions()):
        expr = expr.when(condition).then(pl.lit(index, pl.Int8))
    return expr.otherwise(pl.lit(len(comparison.labels) - 1, pl.Int8)).alias(comparison.name)


# --- normalised records --------------------------------------------------------------------


def _on_distinct(frame: pl.DataFrame, column: str, outputs: dict[str, pl.Expr]) -> pl.DataFrame:
    """Add ``outputs`` (expressions over ``column``), evaluated once per distinct value."""
    distinct = frame.select(pl.col(column).unique()).with_columns(**outputs)
    mapped = frame.select(column).join(distinct, on=column, how="left", nulls_equal=True, maintain_order="left")
    return frame.hstack(mapped.drop(column).get_columns())


def _birth_digits(text: pl.Expr) -> pl.Expr:
    """A date of birth as YYYYMMDD when it is written year first (19560409, 1956-04-09) or day
    first (09/04/1956, 09041956); otherwise its digits as written."""
    date = text.str.extract(r"^(\S+)")   # drop a time of day
    year_first = date.str.extract_groups(r"^((?:1[89]|20)\d\d)[-/. ]?(\d{1,2})[-/. ]?(\d{1,2})$")
    day_first = date.str.extract_groups(r"^(\d{1,2})[-/. ]?(\d{1,2})[-/. ]?((?:1[89]|20)\d\d)$")
    canonical = pl.coalesce(
        pl.concat_str(year_first.struct[0], year_first.struct[1].str.zfill(2), year_first.struct[2].str.zfill(2)),
        pl.concat_str(day_first.struct[2], day_first.struct[1].str.zfill(2), day_first.struct[0].str.zfill(2)),
        date.str.replace_all(r"\D", ""))
    return pl.when(canonical.str.len_chars() >= 4).then(canonical)


def _few(*columns: str) -> pl.Expr:
    """``columns`` as dictionary codes (Categorical). Their hashes (blocking keys, equality
    codes) are then those of the codes: the same within one process only, which is where
    :func:`link` uses them; the Spark engine casts them back to text (see ``as_text``)."""
    return pl.col(*columns).cast(pl.Categorical)


def as_text(data: pl.DataFrame) -> pl.DataFrame:
    """:func:`prepare`'s values as text (String), for work whose hashes must agree across processes."""
    return data.with_columns(pl.col(c).cast(pl.String) for c in VALUES if data.schema[c] != pl.String)


def _given_parts(frame: pl.DataFrame, folded: str) -> pl.DataFrame:
    """``given``, ``_given1`` (its first word), ``_given_sound`` from a folded given name."""
    return (frame.with_columns(pl.col(folded).alias("given"))
            .with_columns(pl.col("given").str.extract(r"^(\S+)").alias("_given1"))
            .with_columns(phonetic(pl.col("_given1")).alias("_given_sound")))


def _surname_parts(frame: pl.DataFrame, folded: str) -> pl.DataFrame:
    """``surname`` (particles dropped), ``surname_sorted`` ("lopez garcia" and "garcia lopez"
    alike: first and last word in order), ``_surname1`` (first word), ``_surname_sound``."""
    frame = frame.with_columns(surname_key(pl.col(folded)).alias("surname"))
    frame = frame.with_columns(pl.col("surname").str.extract(r"^(\S+)").alias("_surname1"),
                               pl.col("surname").str.extract(r" (\S+)$").alias("_surname2"))
    return frame.with_columns(
        pl.when(pl.col("_surname2") < pl.col("_surname1"))
        .then(pl.concat_str("_surname2", "_surname1", separator=" ")).otherwise(pl.col("surname"))
        .alias("surname_sorted"),
        phonetic(pl.col("_surname1")).alias("_surname_sound")).drop("_surname2")


GIVEN_PARTS = ("given", "_given1", "_given_sound")
SURNAME_PARTS = ("surname", "surname_sorted", "_surname1", "_surname_sound")
#: The normalised values :func:`prepare` makes (text; after :func:`_encode` their codes stand for them).
VALUES = (*GIVEN_PARTS, *SURNAME_PARTS, "email", "phone", "phone9", "postcode", "city", "street", "birth",
          "customer_id")


def prepare(records: pl.DataFrame) -> pl.DataFrame:
    """One row per record with the normalised values the comparisons read, sorted by a hash
    of the record's content (``_hash``, then ``_id``), so that positions do not depend on row
    order. Each row's values depend on that row only (so a part of the records can be prepared
    on its own, as the Spark engine does).

    Names are normalised once per distinct value; the other fields are cheap enough as they are.
    The values that repeat across records (names and their parts, cities, dates of birth) are
    Categorical; :func:`as_text` makes them text.
    """
    return _normalised(_stripped([records.clone()]))


def _stripped(handed: list[pl.DataFrame]) -> pl.DataFrame:
    """:func:`prepare`'s first step: ``_id``, ``_source`` and :data:`FIELDS` stripped (empty ones
    a single null), in content order. ``handed`` holds the records: a frame nobody else holds
    (a shallow copy will do), emptied a field at a time as it is stripped, so that the records
    as written and as stripped are not all held at once (1.5 GB more at ten million records)."""
    records = handed.pop()
    present = set(records.columns)
    empty = [f for f in FIELDS if f not in present or records[f].null_count() == records.height]
    # An input's name on every record: as dictionary codes, not ten million strings.
    source = pl.col("_source").cast(pl.Categorical) if "_source" in present else pl.lit(None, pl.Categorical)
    nothing = {f: pl.lit(None, pl.String).alias(f) for f in empty}
    data = records.select(pl.col("_id").cast(pl.Int64), source.alias("_source"))
    for f in FIELDS:
        if f not in empty:
            data = data.with_columns(records.drop_in_place(f).cast(pl.String).str.strip_chars()
                                     .replace("", None).alias(f))
    del records
    # The content, not the file name or the row number, decides the order (and so the sample).
    # A slice at a time: each empty field is a column of nulls in the struct (16 bytes a row).
    content = pl.struct(*[nothing.get(f, pl.col(f)) for f in FIELDS]).hash(0).alias("_hash")
    data = data.with_columns(pl.concat([data.slice(start, RECORDS_AT_A_TIME).select("_id", content)["_hash"]
                                        for start in range(0, max(data.height, 1), RECORDS_AT_A_TIME)]))
    order = data.select(pl.arg_sort_by("_hash", "_id")).to_series()
    columns = data.get_columns()
    del data
    _reorder(columns, order)
    # The empty fields stay single nulls, not columns of ten million of them.
    return pl.DataFrame(columns).with_columns(nothing.values())


def _normalised(data: pl.DataFrame) -> pl.DataFrame:
    """:func:`prepare` from :func:`_stripped`'s records."""
    if data["_id"].n_unique() < data.height:
        raise ValueError("_id must be unique")
    has = {f: data[f].null_count() < data.height for f in FIELDS}

    # Names: first and last name where either is given, else the full name split.
    parts = pl.col("first_name").is_not_null() | pl.col("last_name").is_not_null()
    # The name parts repeat across records (a million records hold some 5,000 given names and
    # 20,000 surnames): as dictionary codes they take 4 bytes a record, not a 16-byte view and text.
    first = _given_parts(data.select(pl.col("first_name").unique()).with_columns(
        fold_name(pl.col("first_name")).alias("_f")), "_f").drop("_f").with_columns(_few(*GIVEN_PARTS))
    last = _surname_parts(data.select(pl.col("last_name").unique()).with_columns(
        fold_name(pl.col("last_name")).alias("_f")), "_f").drop("_f").with_columns(_few(*SURNAME_PARTS))
    for frame, column in ((first, "first_name"), (last, "last_name")):
        data = data.hstack(data.select(column).join(frame, on=column, how="left", nulls_equal=True,
                                                    maintain_order="left").drop(column).get_columns())
    full = data.filter(~parts & pl.col("full_name").is_not_null())["full_name"].unique()
    if full.len():
        split = pl.concat([full.to_frame(), split_full_name(full)], how="horizontal")
        split = _surname_parts(_given_parts(split.rename({"given": "_g"}), "_g"), "surname")
        names = [*GIVEN_PARTS, *SURNAME_PARTS]
        split = split.select("full_name", *[_few(c).alias(f"_split{c}") for c in names])
        data = data.hstack(data.select("full_name").join(split, on="full_name", how="left",
                                                         maintain_order="left").drop("full_name").get_columns())
        data = data.with_columns(pl.when(parts).then(pl.col(c)).otherwise(pl.col(f"_split{c}")).alias(c)
                                 for c in names)

    # Done with the names as written: kept, they (like every step's columns) would stay until the
    # final select, gigabytes for ten million records.
    data = data.drop("first_name", "last_name", "full_name")

    # Phones: the international number as digits, and its last nine digits (national significant
    # number, near enough) from whichever column has one.
    def digits(column: str) -> pl.Expr:
        return pl.when(pl.col(column).str.len_chars() >= 6).then(pl.col(column))

    data = data.with_columns(pl.col("phone_e164", "phone_digits").str.replace_all(r"\D", ""))
    data = data.with_columns(digits("phone_e164").alias("phone"), pl.coalesce(
        digits("phone_e164"), digits("phone_digits")).str.slice(-9).alias("phone9")).drop("phone_e164", "phone_digits")

    # Cities and dates of birth repeat too; streets much less.
    for source_column, column, normalise in (("birth_date", "birth", lambda v: _birth_digits(v).cast(pl.Categorical)),
                                             ("city", "city", lambda v: fold(v).cast(pl.Categorical)),
                                             ("street", "street", fold)):
        if has[source_column]:
            data = _on_distinct(data, source_column, {f"_{column}": normalise(pl.col(source_column))})
        else:
            data = data.with_columns(pl.lit(None, pl.String).alias(f"_{column}"))
    return data.select(
        "_id", "_source", "_hash", *GIVEN_PARTS, *SURNAME_PARTS,
        pl.col("email_key").str.to_lowercase().alias("email"), "phone", "phone9",
        pl.col("postcode").str.to_uppercase().str.replace_all(r"[^\p{L}\p{N}]", "").replace("", None)
        .alias("postcode"),
        pl.col("_city").alias("city"), pl.col("_street").alias("street"), pl.col("_birth").alias("birth"),
        pl.col("customer_id").str.to_lowercase().str.replace_all(r"\s", "").replace("", None).alias("customer_id"))


def _reorder(columns: list[pl.Series], order: pl.Series) -> None:
    """Put every column of ``columns`` in ``order``, in place, a column at a time, each let go
    once reordered: sorting a whole frame holds it twice (at ten million records, gigabytes)."""
    for index, column in enumerate(columns):
        columns[index] = None
        # In one piece first: gathering from a column of many pieces (one per batch of rows) is
        # several times slower.
        columns[index] = column.rechunk().gather(order)
        del column


def _holders(data: pl.DataFrame) -> dict[str, pl.Series]:
    """Who holds a value, near enough to count people rather than rows (hashed), per compared
    column: for a given name, the surname's sound and the postcode; for a surname, the given
    name's and the postcode; for an identifier (email, phone, customer id), both names' sounds;
    for a place or a date, the names' sounds and an email or phone. A row without names is its
    own holder. One person's five rows are one holder; a placeholder "Test Test" in a thousand
    postcodes, or a postcode shared by a thousand "Test Test"s with their own emails, is held by
    many."""
    own = pl.format("#{}", pl.col("_id"))

    def key(*parts: str) -> pl.Expr:
        joined = pl.concat_str(list(parts), separator="|", ignore_nulls=True)
        return pl.when(pl.any_horizontal([pl.col(p).is_not_null() for p in parts[:2]])).then(joined).otherwise(own)

    # A name's holder also has a postcode: a placeholder "Test Test" in a thousand postcodes is
    # held by many, one person's rows in one postcode by one.
    keys = [key("_surname_sound", "postcode").hash(1).alias("given"),
            key("_given_sound", "postcode").hash(1).alias("surname"),
            key("_given_sound", "_surname_sound").hash(1).alias("identifier"),
            # A place or a date is held by a person: names and an email or phone.
            key("_given_sound", "_surname_sound", "_contact").hash(1).alias("place")]
    # A slice at a time: the keys' text is made, hashed and let go (all of it at once would take
    # gigabytes for ten million records). Then in one piece: pairs gather from these hashes.
    frame = pl.concat([data.slice(start, RECORDS_AT_A_TIME).with_columns(
        pl.coalesce("email", "phone9").alias("_contact")).select(keys)
        for start in range(0, max(data.height, 1), RECORDS_AT_A_TIME)]).rechunk()
    return {"given": frame["given"], "surname": frame["surname"], "email": frame["identifier"],
            "phone9": frame["identifier"], "customer_id": frame["identifier"], "postcode": frame["place"],
            "city": frame["place"], "street": frame["place"], "birth": frame["place"]}


#: The surname's and the given name's sound, as the term frequencies group rows by them.
SOUND_KEYS = {name: pl.when(pl.col(column).is_not_null()).then(pl.col(column).hash(2)).alias(name)
              for name, column in (("_tns", "_surname_sound"), ("_tng", "_given_sound"))}


def _term_frequencies(data: pl.DataFrame, comparisons: list[_Comparison],
                      holders: dict[str, pl.Series]) -> tuple[pl.DataFrame, list[float]]:
    """(``data`` with what prices an exact match, the average exact-level ``u`` of each comparison).

    An exact match on a value is priced by the chance that a record of *another person* holds
    it: the people ("holders", see :func:`_holders`) holding the value other than the pair's
    own, times the rows each holds, over all rows, shrunk towards the default ``u``. So a value
    held by one person's five rows is as rare as one held by a single row, and a placeholder
    held by thousands of people is common. Per row: ``_th_<comparison>`` (the value's holders),
    ``_tr_<comparison>`` (its rows), ``_tk_<comparison>`` (the row's holder); email and phone
    also within the row's surname (``_tv_`` holders, ``_tw_`` rows; ``_tnn_`` the surname's
    rows). The counts are unsigned integers of the smallest width that holds them (a byte for
    most emails, for each of millions of rows); :func:`_exact_u_of_pairs` does the rest.
    """
    averages, added = [], []
    surname_key = data["_tns"]
    surname_rows = surname_key.to_frame().select(pl.len().over("_tns")).to_series()
    for comparison in comparisons:
        column, name = f"#{comparison.tf}", comparison.name
        holder = holders[comparison.tf].alias(f"_tk_{name}")
        present = data[column].is_not_null()
        rows, held, spread = _shared_by([data[column]], holder, present)
        averages.append(average_exact_u(comparison, spread, int(present.sum())))
        # The holder as it is, also where the row has no value (only exact levels read it): the
        # comparisons that share a holder share its column rather than each masking a copy.
        added += [holder, rows.alias(f"_tr_{name}"), held.alias(f"_th_{name}")]
        if name in FAMILY_SHARED:   # within the surname: families share them
            rows, held, _ = _shared_by([data[column], surname_key], holder, present & surname_key.is_not_null())
            added += [rows.alias(f"_tw_{name}"), held.alias(f"_tv_{name}"), surname_rows.alias(f"_tnn_{name}")]
    added.append(pl.lit(float(data.height)).alias("_rows"))
    return data.with_columns(added), averages


def _shared_by(keys: list[pl.Series], holder: pl.Series, present: pl.Series) -> tuple[pl.Series, pl.Series, pl.DataFrame]:
    """Per row where ``present`` (null elsewhere): the rows holding its ``keys``, and the
    distinct holders among them; and their spread (``rows``, ``holders`` and ``values_rows``,
    the rows of the values so held: what :func:`average_exact_u` reads).

    The present rows are sorted by their keys and holder, and each run of one value counted:
    windows over ten million mostly distinct values keep a list of rows per value (with the
    holders counted in them, about a gigabyte at the matcher's peak)."""
    names = [f"_k{i}" for i in range(len(keys))]
    shown = pl.DataFrame([*(key.alias(n) for key, n in zip(keys, names)), holder.alias("_h")]).filter(present)
    order = shown.select(pl.arg_sort_by([*names, "_h"])).to_series()
    new_value = np.zeros(shown.height, dtype=bool)
    new_value[:1] = True
    for column in names:
        new_value[1:] |= _changes(shown[column].gather(order))
    new_holder = new_value.copy()
    new_holder[1:] |= _changes(shown["_h"].gather(order))
    del shown
    run = np.cumsum(new_value, dtype=np.uint32) - np.uint32(1)
    rows, holders = np.bincount(run), np.bincount(run, weights=new_holder).astype(np.int64)
    positions = present.arg_true().gather(order).to_numpy()
    spread = (pl.DataFrame({"rows": rows, "holders": holders}).group_by("rows", "holders")
              .agg(pl.col("rows").sum().alias("values_rows")))
    return _per_row(rows, run, positions, present), _per_row(holders, run, positions, present), spread


def _changes(sorted_values: pl.Series) -> np.ndarray:
    """Where a sorted column (no nulls) differs from the value before (one shorter)."""
    values = sorted_values.to_numpy()
    return values[1:] != values[:-1]


def _per_row(per_run: np.ndarray, run: np.ndarray, positions: np.ndarray, present: pl.Series) -> pl.Series:
    """A run's count on each of its rows (``positions``), null where not ``present``."""
    width = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64)
                 if per_run.size == 0 or per_run.max() <= np.iinfo(t).max)
    full = np.zeros(present.len(), dtype=width)
    full[positions] = per_run.astype(width)[run]
    return pl.select(pl.when(present).then(pl.Series(full))).to_series()


def average_exact_u(comparison: _Comparison, spread: pl.DataFrame, present: int) -> float:
    """The exact level's average ``u``: the chance that two records drawn at random, of
    different holders, agree on the value. ``spread``: ``rows``, ``holders`` (of a value) and
    ``values_rows`` (the rows holding a value so spread); ``present``: rows with a value. An
    exact sum (``math.fsum``), so every engine that counts the same table gets the same bits."""
    agreeing = math.fsum(count * (rows * (holders - 1) / holders)
                         for rows, holders, count in spread.select("rows", "holders", "values_rows").iter_rows())
    n = float(present)
    return (agreeing + PRIOR_PAIRS * comparison.u0[0]) / (n * max(n - 1, 1) + PRIOR_PAIRS)


def _pricing(comparison: _Comparison) -> tuple[list[str], list[str]]:
    """The columns :func:`_exact_u_of_pairs` reads: from the left row, from the right row."""
    name = comparison.name
    left, right = ["_rows", f"_tk_{name}", f"_th_{name}", f"_tr_{name}"], [f"_tk_{name}"]
    if name in FAMILY_SHARED:
        left += ["_tns", "_tng", f"_tnn_{name}", f"_tv_{name}", f"_tw_{name}"]
        right += ["_tns", "_tng"]
    return left, right


def _exact_u_of_pairs(name: str, u0: float, levels: tuple[str, ...] = ()) -> pl.Expr:
    """Over a pair frame: the chance that a record of another person holds the pair's (shared)
    value (see :func:`_term_frequencies`): the holders of the value other than the pair's own
    (one if the two rows look like one holder, else two), shrunk towards the default.

    A family shares its surname, address, home phone and often an email: so for a pair whose
    surnames sound alike but given names differ (a sister, not a typo: the given name's level
    when the pair frame has ``levels``, else the sounds), those are also priced
    among the rows of that surname, counting the right row's holder; the larger chance counts."""
    def count(column: str) -> pl.Expr:
        return pl.col(f"{column}_{name}_l").cast(pl.Float64)

    same_holder = pl.col(f"_tk_{name}_l") == pl.col(f"_tk_{name}_r")
    own = pl.when(same_holder).then(1.0).otherwise(2.0)
    others = (count("_th") - own).clip(lower_bound=0.0) * (count("_tr") / count("_th"))   # × rows per holder
    priced = (others + PRIOR_ROWS * u0) / (pl.col("_rows_l") + PRIOR_ROWS)
    if name not in FAMILY_SHARED:
        return priced
    namesakes = (count("_tv") - 1.0).clip(lower_bound=0.0) * (count("_tw") / count("_tv"))
    among = (namesakes + PRIOR_ROWS * priced) / (count("_tnn") + PRIOR_ROWS)
    # Different given names: the pair's level when there is one ("different"), else their sounds.
    different = (pl.col("given_name") == len(COMPARISONS[0].labels) - 1) if "given_name" in levels \
        else pl.col("_tng_l") != pl.col("_tng_r")
    family = (pl.col("_tns_l") == pl.col("_tns_r")) & different
    return pl.when(family).then(pl.max_horizontal(priced, among)).otherwise(priced)


# --- blocking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """A blocking rule: rows sharing the key of any of its ``variants`` (tuples of parts, see
    :data:`KEY_PARTS`) are candidate pairs. ``unordered``: the first two parts count in either
    order. ``weak`` rules run within the budget of :func:`_block`."""

    name: str
    variants: tuple[tuple[str, ...], ...]
    weak: bool = False
    unordered: bool = False


#: The text parts blocking keys are made of.
KEY_PARTS = {
    "email": pl.col("email"), "phone": pl.col("phone9"), "customer_id": pl.col("customer_id"),
    "postcode": pl.col("postcode"), "birth": pl.col("birth"), "given": pl.col("_given1"),
    "surname": pl.col("_surname1"), "given sound": pl.col("_given_sound"), "surname sound": pl.col("_surname_sound"),
    "given initial": pl.col("_given1").cast(pl.String).str.slice(0, 1),
    "surname initial": pl.col("_surname1").cast(pl.String).str.slice(0, 1),
}
#: The prepared values the blocking keys are made of.
KEY_COLUMNS = sorted({name for part in KEY_PARTS.values() for name in part.meta.root_names()})
#: Candidate pairs share the key of at least one rule. Strong rules are specific whatever the
#: list; weak ones (names without a place, initials) catch typos, swaps and moves but grow with
#: the square of common names.
BLOCKING = (
    _Rule("email_key", (("email",),)),
    _Rule("phone", (("phone",),)),
    _Rule("customer_id", (("customer_id",),)),
    # The sounds of given name and surname in either order: typos that sound alike, and swaps.
    _Rule("name sounds+postcode", (("given sound", "surname sound", "postcode"),), unordered=True),
    _Rule("birth date+given initial", (("birth", "given initial"),)),
    _Rule("birth date+surname initial", (("birth", "surname initial"),)),
    # One name part's sound with the other's initial, both ways round: a typo in the other
    # part, or a swap, still shares a key.
    _Rule("name sound+initial+postcode", (("given sound", "surname initial", "postcode"),
                                          ("surname sound", "given initial", "postcode")), weak=True),
    _Rule("surname sound+postcode", (("surname sound", "postcode"),), weak=True),
    _Rule("given name sound+postcode", (("given sound", "postcode"),), weak=True),
    _Rule("initials+postcode", (("given initial", "surname initial", "postcode"),), weak=True),
    _Rule("name sounds", (("given sound", "surname sound"),), weak=True, unordered=True),
    _Rule("name+initial", (("given", "surname initial"), ("surname", "given initial")), weak=True),
)
#: Candidate pairs compared at a time (memory: see ``link``).
PAIRS_AT_A_TIME = 1_000_000
#: Candidate pairs the weaker blocking rules may add, per record (at least ``PAIR_FLOOR`` in all).
PAIR_BUDGET, PAIR_FLOOR = 2.0, 200_000


def _pairs_within(groups: np.ndarray, sizes: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Every pair inside each group: ``members`` lists the groups' positions one group after
    the other (``sizes`` each, starting at ``groups``); pairs as ``low * 2**32 + high``."""
    offsets = np.arange(members.size) - np.repeat(groups, sizes)       # place inside its group
    partners = np.repeat(sizes, sizes) - offsets - 1                     # members after it
    first = np.repeat(np.arange(members.size), partners)
    step = np.arange(first.size) - np.repeat(np.cumsum(partners) - partners, partners) + 1
    a, b = members[first].astype(np.uint64), members[first + step].astype(np.uint64)
    pairs = np.minimum(a, b) * np.uint64(2**32) + np.maximum(a, b)
    return pairs[a != b]   # a row giving one key twice (two variants) does not pair with itself


def _rule_keys(rule: _Rule, hashed: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(keys, positions) of the rows that have every part of a variant, over all variants."""
    keys, positions = [], []
    with np.errstate(over="ignore"):
        for parts in rule.variants:
            values = [hashed[part] for part in parts]
            present = np.logical_and.reduce([v != 0 for v in values])
            if rule.unordered:
                values = [np.minimum(values[0], values[1]), np.maximum(values[0], values[1]), *values[2:]]
            key = np.zeros(len(values[0]), dtype=np.uint64)
            for value in values:   # a 64-bit mix: a collision only adds a candidate pair
                key = (key ^ value) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
            keys.append(key[present])
            positions.append(np.flatnonzero(present).astype(np.uint32))
    return np.concatenate(keys), np.concatenate(positions)


def key_texts(data: pl.DataFrame) -> pl.DataFrame:
    """The text of each part blocking keys are made of (:data:`KEY_PARTS`)."""
    return data.select(**KEY_PARTS)


def key_hashes(data: pl.DataFrame) -> dict[str, np.ndarray]:
    """The hash of each part blocking keys are made of (0: none), one part's text at a time."""
    hashed = {}
    for part, text in KEY_PARTS.items():
        value = data.select(text).to_series()
        hashed[part] = value.hash(5).fill_null(0).to_numpy() * value.is_not_null().to_numpy()
    return hashed


#: Blocking key parts that are a column ``_encode`` codes: that code column (a dictionary index,
#: or a 64-bit hash of the value).
CODED_PARTS = {part: f"#{text.meta.output_name()}" for part, text in KEY_PARTS.items()
               if text.meta.is_column() and text.meta.output_name() in (*DICTIONARY_OF, *EQUALITY_ONLY)}


def coded_key_parts(data: pl.DataFrame) -> dict[str, np.ndarray]:
    """A number per distinct value of each part blocking keys are made of (0: none), as
    :func:`key_hashes` gives, but from the codes of the encoded records (the email's and the
    customer id's 64-bit hashes; dictionary and Categorical codes, 4 bytes a record) rather than
    a second 8-byte hash of every text. Within one process only (Categorical codes are the
    process's own)."""
    numbers = {}
    for part, text in KEY_PARTS.items():
        value = data[CODED_PARTS[part]] if part in CODED_PARTS else data.select(text).to_series()
        if value.dtype == pl.UInt64:
            numbers[part] = value.fill_null(0).to_numpy()
            continue
        if value.dtype == pl.String:   # the initials
            value = value.cast(pl.Categorical)
        numbers[part] = (value.to_physical().cast(pl.UInt32) + 1).fill_null(0).to_numpy()
    return numbers


def weak_cap(counts: np.ndarray, made: int, budget: float, max_block: int) -> int:
    """The largest block a weak rule may use: ``counts[s]`` of its blocks hold ``s`` rows
    (``2 <= s <= max_block``), ``made`` pairs are made already of a ``budget``."""
    sizes = np.arange(max_block + 1)
    cumulative = np.cumsum(counts * sizes * (sizes - 1) // 2)
    if made + cumulative[-1] <= budget:
        return max_block
    fitting = np.flatnonzero(cumulative <= budget - made)
    return int(fitting[-1]) if fitting.size else 1


def pair_budget(records: int) -> float:
    """Candidate pairs the weaker blocking rules may bring the total to."""
    return max(PAIR_BUDGET * records, PAIR_FLOOR)


def _block(data: pl.DataFrame, max_block: int,
           texts_at: Callable[[np.ndarray], pl.DataFrame] | None = None) -> tuple[pl.DataFrame, pl.DataFrame, tuple]:
    """(candidate pairs as positions ``_l < _r``, skipped blocking values, what each rule did).

    A key value held by more than ``max_block`` rows makes no pairs (it is reported). Weak
    rules then share a budget of ``PAIR_BUDGET`` pairs per record: a weak rule whose keys
    would make more pairs than are left only keeps its keys of up to as many rows as fit
    (largest blocks dropped first), so a list of common names cannot blow up the work.
    """
    budget = pair_budget(data.height)
    hashed = coded_key_parts(data)
    found, skipped, rules, made = [], [], [], 0
    for rule in BLOCKING:
        key, position = _rule_keys(rule, hashed)
        order = pl.DataFrame({"k": key}).select(pl.col("k").arg_sort()).to_series().to_numpy()
        key, position = key[order], position[order]
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if key.size else np.zeros(0, int)
        sizes = np.diff(np.concatenate([starts, [key.size]])).astype(np.int64)
        big = sizes > max_block
        if big.any():   # say which values, as text: the first variant's, at the block's first row
            first_rows = np.minimum.reduceat(position, starts)[big]
            shown = skipped_text(key_texts(data[first_rows] if texts_at is None else texts_at(first_rows)), rule)
            skipped.append(pl.DataFrame({"field": [rule.name] * int(big.sum()), "value": shown,
                                         "rows": sizes[big]}))
        cap = max_block
        usable = (sizes >= 2) & (sizes <= max_block)
        if rule.weak and usable.any():
            cap = weak_cap(np.bincount(sizes[usable], minlength=max_block + 1), made, budget, max_block)
        keep = (sizes >= 2) & (sizes <= cap)
        kept_sizes = sizes[keep]
        firsts = np.cumsum(kept_sizes) - kept_sizes          # where each kept group starts among members
        members = position[np.repeat(starts[keep] - firsts, kept_sizes) + np.arange(int(kept_sizes.sum()))]
        pairs = _pairs_within(firsts, kept_sizes, members)
        made += pairs.size
        rules.append((rule.name, cap, int(pairs.size)))
        found.append(pairs)
    # In place where it can be: the rules' pairs, all of them together, a sorted copy and a
    # distinct copy (8 bytes a pair each) were all held at once at the end of blocking.
    pairs = np.concatenate(found) if found else np.zeros(0, np.uint64)
    found.clear()
    pairs.sort()
    if pairs.size:
        pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]
    candidates = pl.DataFrame({"_l": (pairs >> np.uint64(32)).astype(np.uint32),
                               "_r": (pairs & np.uint64(2**32 - 1)).astype(np.uint32)})
    return candidates, sorted_skipped(skipped), tuple(rules)


#: Key columns coded by a hash (no dictionary holds their texts).
HASHED_PARTS = tuple(c for c in KEY_COLUMNS if c in EQUALITY_ONLY)


def _common_texts(data: pl.DataFrame, max_block: int) -> dict[str, pl.DataFrame]:
    """Per part of :data:`HASHED_PARTS` (email, customer id), ``#<part>`` and ``<part>`` of the
    values more than ``max_block`` records share: the only texts of these parts that blocking can
    skip, and so show. A few values (placeholders, switchboards), not ten million texts; copied,
    because a text taken from a column holds that column's whole buffer of texts."""
    texts = {}
    for part in HASHED_PARTS:
        code = f"#{part}"
        common = data.group_by(code).len().filter((pl.col("len") > max_block) & pl.col(code).is_not_null())[code]
        found = data.select(code, part).filter(pl.col(code).is_in(common.implode())).unique(code)
        texts[part] = found.with_columns(pl.Series(part, found[part].to_list(), dtype=pl.String))
    return texts


def _key_texts_at(data: pl.DataFrame, dictionaries: dict[str, _Dictionary], common: dict[str, pl.DataFrame],
                  rows: np.ndarray) -> pl.DataFrame:
    """The texts of the blocking key parts (:data:`KEY_COLUMNS`) of the records at ``rows``,
    once the text columns are gone: Categorical columns as text, dictionary-coded ones from their
    dictionary, the email and customer id from ``common`` (:func:`_common_texts`)."""
    at = data[rows]
    columns = []
    for column in KEY_COLUMNS:
        if column in at.columns:
            columns.append(at[column].cast(pl.String))
        elif column in HASHED_PARTS:
            code = f"#{column}"
            columns.append(at.select(code).join(common[column], on=code, how="left", maintain_order="left")[column])
        elif column in DICTIONARY_OF and DICTIONARY_OF[column] in dictionaries:
            columns.append(dictionaries[DICTIONARY_OF[column]].series.gather(at[f"#{column}"]).alias(column))
        else:
            columns.append(pl.Series(column, [None] * len(rows), dtype=pl.String))
    return pl.DataFrame(columns)


SKIPPED_SCHEMA = {"field": pl.String, "value": pl.String, "rows": pl.Int64}


def skipped_text(texts: pl.DataFrame, rule: _Rule) -> pl.Series:
    """Per row, the text of ``rule``'s first variant (how a skipped blocking value is shown)."""
    return texts.select(pl.concat_str(list(rule.variants[0]), separator="|")).to_series()


def sorted_skipped(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The skipped blocking values (``field``, ``value``, ``rows``), most rows first."""
    return pl.concat([pl.DataFrame(schema=SKIPPED_SCHEMA), *[x.cast(SKIPPED_SCHEMA) for x in parts]]).sort(
        ["rows", "field", "value"], descending=[True, False, False])


# --- comparing and scoring -----------------------------------------------------------------


def _compare(data: pl.DataFrame, dictionaries: dict[str, _Dictionary], left: pl.Series, right: pl.Series,
             comparisons: list[_Comparison]) -> pl.DataFrame:
    """Level (Int8) of each comparison for the pairs of positions ``left``, ``right``."""
    columns = sorted({c for comparison in comparisons for c in comparison.columns})
    codes = data.select(pl.col(f"#{c}").alias(c) for c in columns)
    frame = pl.concat([codes.gather(left).rename({c: f"{c}_l" for c in columns}),
                       codes.gather(right).rename({c: f"{c}_r" for c in columns})], how="horizontal")
    return _features(frame, set(columns), dictionaries).select([_level(c) for c in comparisons])


def _score(data: pl.DataFrame, dictionaries: dict[str, _Dictionary], left: pl.Series, right: pl.Series,
           model: Model) -> pl.DataFrame:
    """``_id_l < _id_r``, weight, probability and the level of each comparison."""
    return _weigh(data, left, right, _compare(data, dictionaries, left, right, _fitted(model)), model)


def _fitted(model: Model) -> list[_Comparison]:
    names = [fitted.name for fitted in model.comparisons]
    return [next(c for c in COMPARISONS if c.name == name) for name in names]


def _weigh(data: pl.DataFrame, left: pl.Series, right: pl.Series, levels: pl.DataFrame, model: Model,
           terms: bool = False) -> pl.DataFrame:
    """Weights of compared pairs; with ``terms``, also each comparison's part (``_w_<name>``)."""
    return weigh_levels(exact_u(data, left, right, _fitted(model), levels), levels, model, terms)


def exact_u(data: pl.DataFrame, left: pl.Series, right: pl.Series, comparisons: list[_Comparison],
            levels: pl.DataFrame) -> pl.DataFrame:
    """``_id_l``, ``_id_r`` and, per comparison, ``_u_<name>``: the frequency-priced ``u`` of
    its exact level for each pair (:func:`_exact_u_of_pairs`), whatever the pair's level."""
    frame = pl.concat([_priced_pairs(data, left, right, comparisons, ("_id",)), levels], how="horizontal")
    return frame.select("_id_l", "_id_r", *[_exact_u_of_pairs(c.name, c.u0[0], tuple(levels.columns))
                                            .alias(f"_u_{c.name}") for c in comparisons])


def weigh_levels(priced: pl.DataFrame, levels: pl.DataFrame, model: Model, terms: bool = False) -> pl.DataFrame:
    """Weights of compared pairs from their levels and their exact levels' ``u`` (``priced``,
    from :func:`exact_u`); with ``terms``, also each comparison's part (``_w_<name>``)."""
    columns = []
    for comparison, fitted in zip(_fitted(model), model.comparisons):
        level = pl.col(comparison.name)
        term = pl.when(level < 0).then(0.0)
        for index, lv in enumerate(fitted.levels):
            if index == 0:   # exact: priced by the value's own frequency
                term = term.when(level == 0).then(math.log2(lv.m) - pl.col(f"_u_{comparison.name}").log(2))
            else:
                term = term.when(level == index).then(lv.weight)
        columns.append(term.otherwise(0.0).alias(f"_w_{comparison.name}"))
    frame = pl.concat([priced, levels], how="horizontal").with_columns(columns)
    names = [f"_w_{c.name}" for c in model.comparisons]
    weight = pl.sum_horizontal(pl.lit(model.prior_weight), *names)
    return frame.select(
        pl.min_horizontal("_id_l", "_id_r").alias("_id_l"), pl.max_horizontal("_id_l", "_id_r").alias("_id_r"),
        weight.alias("weight"), _probability(weight).alias("probability"), *levels.columns,
        *(names if terms else []))


def _probability(weight: pl.Expr) -> pl.Expr:
    """log2 odds → probability."""
    return 1.0 / (1.0 + pl.lit(2.0).pow(-weight))


# --- estimation ----------------------------------------------------------------------------


def _sample(n: int, size: int, seed: int) -> tuple[pl.Series, pl.Series]:
    """Random pairs of distinct positions (every pair when there are few)."""
    if n * (n - 1) // 2 <= size:
        left, right = np.triu_indices(n, 1)
    else:
        rng = np.random.default_rng(seed)
        left = rng.integers(0, n, size)
        right = rng.integers(0, n - 1, size)
        right = right + (right >= left)
    return pl.Series(left, dtype=pl.UInt32), pl.Series(right, dtype=pl.UInt32)


def _priced_pairs(data: pl.DataFrame, left: pl.Series, right: pl.Series, comparisons: list[_Comparison],
                  extra: tuple[str, ...] = ()) -> pl.DataFrame:
    """A pair frame of what prices the exact levels (and ``extra`` columns of both rows)."""
    lefts, rights = list(extra), list(extra)
    for comparison in comparisons:
        a, b = _pricing(comparison)
        lefts += a
        rights += b
    lefts, rights = list(dict.fromkeys(lefts)), list(dict.fromkeys(rights))
    return pl.concat([data.select(lefts).gather(left).rename(lambda c: f"{c}_l"),
                      data.select(rights).gather(right).rename(lambda c: f"{c}_r")], how="horizontal")


def _exact_log_u(data: pl.DataFrame, left: pl.Series, right: pl.Series, comparisons: list[_Comparison],
                 levels: pl.DataFrame) -> np.ndarray:
    """ln of the frequency-priced ``u`` of each comparison's exact level, per pair (pairs x comparisons)."""
    if not comparisons:
        return np.zeros((left.len(), 0))
    return log_u(exact_u(data, left, right, comparisons, levels))


def log_u(priced: pl.DataFrame) -> np.ndarray:
    """ln of :func:`exact_u`'s ``u`` columns (pairs x comparisons)."""
    return priced.select(pl.col(c).log() for c in priced.columns if c.startswith("_u_")).to_numpy()


def _log_probabilities(levels: np.ndarray, tables: list[np.ndarray], exact: np.ndarray | None = None) -> np.ndarray:
    """Sum over comparisons of ln(table[level]) (0 where a level is -1); with ``exact`` (ln u of
    the exact level per pair), that instead where the level is 0."""
    total = np.zeros(levels.shape[0])
    for k, table in enumerate(tables):
        column = levels[:, k].astype(np.int64)
        value = np.log(table)[np.maximum(column, 0)]
        if exact is not None:
            value = np.where((column == 0) & ~np.isnan(exact[:, k]), exact[:, k], value)
        total += np.where(column >= 0, value, 0.0)
    return total


def _estimate_u(levels: np.ndarray, weights: np.ndarray, comparisons: list[_Comparison],
                exact_u: list[float]) -> list[np.ndarray]:
    """``u`` per level from (weighted) sampled pairs, shrunk towards the defaults; the exact
    level from the value frequencies."""
    tables = []
    for k, comparison in enumerate(comparisons):
        column = levels[:, k].astype(np.int64)
        size = len(comparison.labels)
        present = column >= 0
        counts = np.bincount(column[present], weights=weights[present], minlength=size)
        u0 = np.asarray(comparison.u0)
        u = (counts + PRIOR_PAIRS * u0) / (counts.sum() + PRIOR_PAIRS)
        rest = u[1:] / u[1:].sum()
        tables.append(np.concatenate([[exact_u[k]], (1.0 - exact_u[k]) * rest]))
    return tables


def _em(levels: np.ndarray, exact: np.ndarray, counts: np.ndarray, u: list[np.ndarray],
        comparisons: list[_Comparison], total_pairs: float, start: float,
        records: int) -> tuple[list[np.ndarray], float, int]:
    """``m`` per level and the number of matching pairs among all pairs, by EM over the
    comparison patterns of the candidate pairs (``counts`` pairs each), ``u`` held fixed (on
    exact levels, each pattern's own frequency-priced ``u``, ``exact``).

    The share of matching pairs has a Beta prior worth ten pairs per record, centred on
    ``MATCHES_PER_RECORD``: nothing for a large list, but a list of three rows cannot
    conclude from one likely pair that a third of all pairs match."""
    m = [np.asarray(c.m0, dtype=float) for c in comparisons]
    strength = PRIOR_PAIRS_PER_RECORD * records
    expected = min(MATCHES_PER_RECORD * records / total_pairs, 0.5)
    log_u = _log_probabilities(levels, u, exact)
    matches, rounds = start, 0
    for rounds in range(1, EM_ROUNDS + 1):
        log_odds = (math.log(matches) + _log_probabilities(levels, m)
                    - math.log(max(total_pairs - matches, 1.0)) - log_u)
        posterior = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
        weights = counts * posterior
        new_matches = max(total_pairs * (float(weights.sum()) + strength * expected) / (total_pairs + strength), 1e-6)
        new_m = []
        for k, comparison in enumerate(comparisons):
            column = levels[:, k].astype(np.int64)
            present = column >= 0
            found = np.bincount(column[present], weights=weights[present], minlength=len(comparison.labels))
            new_m.append((found + PRIOR_MATCHES * np.asarray(comparison.m0)) / (found.sum() + PRIOR_MATCHES))
        moved = max(float(np.abs(a - b).max()) for a, b in zip(m, new_m)) if m else 0.0
        moved = max(moved, abs(new_matches - matches) / max(matches, 1.0))
        m, matches = new_m, new_matches
        if moved < EM_TOLERANCE:
            break
    return m, matches, rounds


#: Levels that carry the evidence of two fields (a swap also counts for the surname).
DOUBLE_LEVELS = frozenset({"given name and surname swapped"})


def _no_better_than_exact(comparison: _Comparison, m: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``u`` raised where needed so that no fuzzier level weighs more than an exact agreement
    (a phone one digit off cannot say more than the same phone, whatever a small sample saw)."""
    u = u.copy()
    for k in range(1, len(u) - 1):
        if comparison.labels[k] not in DOUBLE_LEVELS:
            u[k] = max(u[k], u[0] * m[k] / m[0])
    return u


def _pattern_counts(levels: pl.DataFrame, exact: np.ndarray) -> pl.DataFrame:
    """The comparison patterns of some pairs, with the exact levels' ln ``u`` rounded to a tenth
    (``_u_<comparison>``, so frequencies still count), and how many pairs show each (``len``)."""
    rounded = np.where(levels.to_numpy() == 0, np.round(exact, 1), np.nan)
    bins = [f"_u_{c}" for c in levels.columns]
    frame = levels.with_columns(pl.Series(name, rounded[:, k]).fill_nan(None) for k, name in enumerate(bins))
    return frame.group_by(frame.columns).agg(pl.len().cast(pl.Int64))


def _patterns(counted: list[pl.DataFrame], comparisons: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct patterns of every pair (sorted; ``counted`` holds ``_pattern_counts`` of the
    pairs a part at a time), the exact levels' rounded ln ``u`` and how many pairs show each."""
    if not comparisons:
        return np.zeros((0, 0), dtype=np.int8), np.zeros((0, 0)), np.zeros(0)
    columns = [*comparisons, *[f"_u_{c}" for c in comparisons]]
    table = (pl.concat(counted, how="vertical").group_by(columns).agg(pl.col("len").sum())
             .sort(columns, nulls_last=True))
    return (table.select(comparisons).to_numpy(), table.select(columns[len(comparisons):]).fill_null(np.nan).to_numpy(),
            table["len"].to_numpy().astype(float))


def sampled(data: pl.DataFrame, dictionaries: dict[str, _Dictionary], left: pl.Series, right: pl.Series,
            comparisons: list[_Comparison]) -> tuple[np.ndarray, np.ndarray]:
    """The levels of the sampled pairs (positions ``left``, ``right`` of :func:`_sample`) and
    their exact levels' ln ``u``, as :func:`fit` reads them."""
    if not comparisons:
        return np.zeros((left.len(), 0)), np.zeros((left.len(), 0))
    levels = _compare(data, dictionaries, left, right, comparisons)
    return levels.to_numpy(), _exact_log_u(data, left, right, comparisons, levels)


def fit(n: int, sample: tuple[np.ndarray, np.ndarray], patterns: tuple[np.ndarray, np.ndarray, np.ndarray],
        candidate_pairs: int, comparisons: list[_Comparison], used: tuple[str, ...], exact_u: list[float],
        excluded: float = 0.0) -> Model:
    """The model of ``n`` records from the sampled pairs (:func:`sampled`), the comparison
    patterns of the candidate pairs (:func:`_patterns`) and the exact levels' average ``u``."""
    total_pairs = max(n * (n - 1) / 2 - excluded, 1.0)
    sample, sample_exact = sample
    levels, exact, counts = patterns
    start = max(1.0, min(float(counts.sum()), float(n)) / 2)   # EM finds the same optimum from far lower
    u = _estimate_u(sample, np.ones(sample.shape[0]), comparisons, exact_u)
    m, matches, rounds = _em(levels, exact, counts, u, comparisons, total_pairs, start, n)
    # The sample holds a few matching pairs too: weigh each by its chance of being strangers, refit.
    odds = (math.log(matches / max(total_pairs - matches, 1.0)) + _log_probabilities(sample, m)
            - _log_probabilities(sample, u, sample_exact))
    strangers = 1.0 - 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700)))
    u = _estimate_u(sample, strangers, comparisons, exact_u)
    m, matches, more = _em(levels, exact, counts, u, comparisons, total_pairs, matches, n)
    u = [_no_better_than_exact(c, mk, uk) for c, mk, uk in zip(comparisons, m, u)]
    fitted = tuple(
        ComparisonModel(c.name, tuple(f for f in c.inputs if f in used),
                        tuple(Level(label, float(mk), float(uk), math.log2(mk / uk))
                              for label, mk, uk in zip(c.labels, m[k], u[k])))
        for k, c in enumerate(comparisons))
    prior = matches / total_pairs
    return Model(fitted, prior, math.log2(matches / max(total_pairs - matches, 1.0)), used,
                 candidate_pairs, rounds + more)


# --- the public functions ------------------------------------------------------------------


def link(records: pl.DataFrame, settings: MatchSettings = DEFAULTS) -> Links:
    """Score the candidate pairs of ``records`` (see the module docstring).

    ``records`` needs ``_id`` (unique Int64); it may have ``_source`` and any of
    :data:`FIELDS` (String). Only comparisons whose columns have data are used.
    """
    filled = {f for f in FIELDS if f in records.columns and records[f].count() > 0}
    # When the caller holds no reference either, the records as written go a field at a time as
    # they are stripped (from a shallow copy: the caller's frame is left as it was), and the
    # stripped fields as _normalised lets them go (no name here holds them).
    handed = [records.clone()]
    del records
    handed = [_stripped(handed)]
    data = _normalised(handed.pop())
    comparisons = [c for c in COMPARISONS if data[c.tf].count() >= 2]
    used = tuple(f for f in FIELDS if f in filled and any(f in c.inputs for c in comparisons))
    data, dictionaries = _encode(data)
    data = data.with_columns(SOUND_KEYS.values())
    # The codes stand for the values now (the dictionaries hold them): the text goes, that of
    # the blocking keys (which the holders are also made of) once the holders are made. Blocking
    # numbers its keys from the codes, and shows a skipped value from them (see _key_texts_at).
    data = data.drop([v for v in VALUES if v not in KEY_COLUMNS])
    holders = _holders(data)
    common = _common_texts(data, settings.max_block)
    data = data.drop([c for c in KEY_COLUMNS if data.schema[c] == pl.String])
    candidates, skipped, rules = _block(data, settings.max_block,
                                        lambda rows: _key_texts_at(data, dictionaries, common, rows))
    data = data.drop(KEY_COLUMNS, strict=False)
    data, averages = _term_frequencies(data, comparisons, holders)
    del holders
    # Two records of a one-per-source source are never one person: not candidates, and not
    # counted among the pairs that could match (the prior).
    sources = data["_source"]
    one = sources.is_in(list(settings.one_per_source)).fill_null(False)
    candidates = candidates.filter(~(one.gather(candidates["_l"]) & (sources.gather(candidates["_l"])
                                                                    == sources.gather(candidates["_r"]))).fill_null(True))
    excluded = sum(k * (k - 1) / 2 for k in sources.filter(one).value_counts()["count"].to_list())
    # The pairs are compared a part at a time: a part's pair frames hold both records' codes and
    # prices (hundreds of bytes a pair), what is kept of them a byte per comparison.
    parts = [candidates.slice(start, PAIRS_AT_A_TIME) for start in range(0, max(candidates.height, 1), PAIRS_AT_A_TIME)]
    levels, counted, exact = [], [], []
    for part in parts:
        compared = _compare(data, dictionaries, part["_l"], part["_r"], comparisons)
        priced = exact_u(data, part["_l"], part["_r"], comparisons, compared)
        levels.append(compared)
        # The weights, once fitted, read only the exact levels' u: kept (a few values a pair),
        # they need not be priced again from both records' columns.
        exact.append([priced[f"_u_{c.name}"].filter(compared[c.name] == 0) for c in comparisons])
        if comparisons:
            counted.append(_pattern_counts(compared, log_u(priced)))
    patterns = _patterns(counted, [c.name for c in comparisons])
    sample_l, sample_r = _sample(data.height, SAMPLE_PAIRS, settings.seed)
    model = fit(data.height, sampled(data, dictionaries, sample_l, sample_r, comparisons), patterns,
                candidates.height, comparisons, used, averages, excluded)
    model = replace(model, blocking=rules)
    # Not sorted by _id: the order of the records' content is as independent of the row order,
    # and sorting ten million wide pairs took a gigabyte more at the matcher's peak.
    pairs = pl.concat([weigh_levels(_repriced(data["_id"], part, compared, u), compared, model)
                       for part, compared, u in zip(parts, levels, exact)], how="vertical")
    return Links(pairs, model, skipped, kept_records(data), dictionaries)


def _repriced(ids: pl.Series, part: pl.DataFrame, levels: pl.DataFrame, exact: list[pl.Series]) -> pl.DataFrame:
    """:func:`exact_u`'s frame for the candidate pairs ``part`` from the ``u`` of their exact
    levels, the only ones :func:`weigh_levels` reads (the other cells hold 1)."""
    columns = [ids.gather(part["_l"]).alias("_id_l"), ids.gather(part["_r"]).alias("_id_r")]
    for u in exact:
        full = np.ones(levels.height)
        full[(levels[u.name.removeprefix("_u_")] == 0).to_numpy()] = u.to_numpy()
        columns.append(pl.Series(u.name, full))
    return pl.DataFrame(columns)


def kept_records(data: pl.DataFrame) -> pl.DataFrame:
    """What :class:`Links` keeps of the encoded, priced records: enough to score any pair."""
    return data.select("_id", "_source", "_hash", "_rows", *[c for c in data.columns if c.startswith("_t")],
                       *[f"#{column}" for column in (*DICTIONARY_OF, *EQUALITY_ONLY)])


def explain(links: Links, id_a: int, id_b: int, records: pl.DataFrame) -> list[Evidence]:
    """Why two records are (not) one person: each comparison's level, the two values as
    written in ``records`` and the weight it adds; then the prior and the total with its
    probability. Works for any two linked records, candidates or not."""
    positions = links.data.select("_id", pl.int_range(pl.len(), dtype=pl.UInt32).alias("_pos"))
    found = dict(positions.filter(pl.col("_id").is_in([id_a, id_b])).iter_rows())
    missing = [i for i in (id_a, id_b) if i not in found]
    if missing:
        raise ValueError(f"unknown _id {missing[0]}")
    left, right = pl.Series([found[id_a]], dtype=pl.UInt32), pl.Series([found[id_b]], dtype=pl.UInt32)
    comparisons = _fitted(links.model)
    levels = _compare(links.data, links.dictionaries, left, right, comparisons)
    scored = _weigh(links.data, left, right, levels, links.model, terms=True).row(0, named=True)
    rows = {row["_id"]: row for row in records.filter(pl.col("_id").is_in([id_a, id_b])).iter_rows(named=True)}

    def written(identifier: int, inputs: tuple[str, ...]) -> str | None:
        row = rows.get(identifier, {})
        return next((str(row[f]) for f in inputs if row.get(f) not in (None, "")), None)

    evidence = []
    for comparison, fitted in zip(comparisons, links.model.comparisons):
        level = scored[comparison.name]
        label = fitted.levels[level].label if level >= 0 else "no data"
        evidence.append(Evidence(comparison.name, label, written(id_a, comparison.inputs),
                                 written(id_b, comparison.inputs), scored[f"_w_{comparison.name}"]))
    evidence.append(Evidence("prior", "two records drawn at random", None, None, links.model.prior_weight))
    evidence.append(Evidence("total", "log2 odds of one person", None, None, scored["weight"],
                             scored["probability"]))
    return evidence
