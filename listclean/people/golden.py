"""Golden records: one row per person, each field taken from the member row most worth believing.

Each field survives on its own: the email may come from the CRM while the postcode comes from
the till. For every person and every field, the surviving value is the first **non-empty**
value of that field among the person's rows, taking the rows in this order:

1. the most trusted source first: a source's position in ``source_priority``; sources not
   listed come after every listed one, equal among themselves;
2. then the most recently updated row (``_updated``; a row with no date counts as the oldest);
3. then the most complete row (``_completeness``: its non-empty cells; missing counts as least);
4. then the lowest ``(_source, _row)``: file name, then line, so the choice never depends on
   the order the rows arrived in (``_source`` and ``_row`` name one input row each).

Empty means null or only whitespace: an empty cell never beats a value, however trusted its
row. The value survives as the row wrote it. ``<field>_from`` names the row it came from as
``"<source>:<row>"`` (null when no row of the person has a value). ``sources`` lists the
person's sources in trust order (priority, then name).

The work is a handful of whole-column operations, whatever the number of rows or people: the
rows are ranked once (one integer sort), each field's survivor is the best-ranked non-empty row
of its person (one group-by), and the survivors' values are gathered by row number.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

#: Columns every input row must have besides the fields.
REQUIRED = {"_source": "the input file", "_row": "the input line", "person_id": "the person",
            "_updated": "the row's latest activity or update date", "_completeness": "the row's non-empty cells"}
#: Output columns besides the fields and their provenance.
OUTPUT_COLUMNS = ["person_id", "rows", "sources"]
#: The survivorship order of the rows: column, descending (nulls always last). ``_order`` is the
#: source's place in (priority, name) order: within one ``_rank`` it is the source's name order.
ORDER = [("_rank", False), ("_updated", True), ("_completeness", True), ("_order", False), ("_row", False)]


def field_rule_description(source_priority: Sequence[str] = ()) -> str:
    """How one field's value survives, in words the README and the report can quote."""
    trusted = (f"the most trusted source first ({', '.join(source_priority)}, then any other source)"
               if source_priority else "the most trusted source first (no priority given: all sources equal)")
    return ("Each field of a person is taken, on its own, from the first of the person's rows that has a "
            "non-empty value for it (null or blank never survives), trying the rows in this order: "
            f"{trusted}; then the most recently updated row (undated rows last); then the most complete row; "
            "then the lowest file name and line. The field's _from column names that file and line.")


def golden_records(rows: pl.DataFrame, fields: Sequence[str], source_priority: Sequence[str] = ()) -> pl.DataFrame:
    """One row per ``person_id`` (sorted): person_id, rows, sources, then ``<field>`` and
    ``<field>_from`` for each field, chosen as the module docstring says."""
    fields = list(fields)
    _check(rows, fields)
    if rows.is_empty():
        return pl.DataFrame(schema={"person_id": pl.String, "rows": pl.Int64, "sources": pl.String,
                                    **{c: t for f in fields for c, t in ((f, rows.schema[f]), (f"{f}_from", pl.String))}})
    # Sources are few: order them once (priority, then name) and let the rows carry integers.
    rank: dict[str, int] = {}
    for position, name in enumerate(source_priority):
        rank.setdefault(name, position)
    unlisted = len(source_priority)
    source = rows.get_column("_source").cast(pl.String)
    names = sorted(source.unique().to_list(), key=lambda s: (rank.get(s, unlisted), s))
    numbers = range(len(names))
    order = source.replace_strict(names, numbers, return_dtype=pl.Int32).alias("_order")
    keys = pl.DataFrame([order.replace_strict(numbers, [rank.get(s, unlisted) for s in names],
                                              return_dtype=pl.Int32).alias("_rank"),
                         rows.get_column("_updated"), rows.get_column("_completeness"), order,
                         rows.get_column("_row")])
    # best[i]: the row at place i of the survivorship order; place[row]: that row's place.
    best = _survivorship_order(keys)
    place = pl.zeros(rows.height, pl.UInt32, eager=True).scatter(
        best, pl.int_range(rows.height, dtype=pl.UInt32, eager=True)).alias("_place")

    def nonempty(name: str) -> pl.Expr:
        if rows.schema[name] == pl.String:
            return pl.col(name).str.contains(r"\S").fill_null(False)
        return pl.col(name).is_not_null()

    # A person's sources as the bits of one integer; as a list when there are too many.
    bitwise = len(names) <= 64
    bit = (pl.col("_order").replace_strict(numbers, [1 << i for i in numbers], return_dtype=pl.UInt64)
           if bitwise else pl.col("_order"))
    firsts = [f"_first{i}" for i in range(len(fields))]
    people = (rows.lazy()
              .select("person_id", *fields)
              .with_columns(place, order)
              .select("person_id", bit.alias("_seen"), *[pl.when(nonempty(name)).then("_place").alias(first)
                                                          for name, first in zip(fields, firsts)])
              .group_by("person_id")
              .agg(pl.len().cast(pl.Int64).alias("rows"),
                   pl.col("_seen").bitwise_or() if bitwise else pl.col("_seen").unique().sort(),
                   *[pl.col(f).min() for f in firsts])
              .sort("person_id")
              .collect())

    seen = people.get_column("_seen")
    if bitwise:
        masks = seen.unique().to_list()
        sources = seen.replace_strict(masks, [", ".join(n for i, n in enumerate(names) if mask >> i & 1)
                                              for mask in masks], return_dtype=pl.String)
    else:
        sources = seen.list.eval(pl.element().replace_strict(numbers, names, return_dtype=pl.String)).list.join(", ")
    columns = [people.get_column("person_id"), people.get_column("rows"), sources.alias("sources")]
    for name, first in zip(fields, firsts):
        survivor = best.gather(people.get_column(first))  # null: no member has a value
        columns.append(rows.get_column(name).gather(survivor))
        origin = pl.DataFrame([order.gather(survivor), rows.get_column("_row").gather(survivor)])
        columns.append(origin.select(pl.format("{}:{}", pl.col("_order").replace_strict(numbers, names), "_row")
                                     .alias(f"{name}_from")).to_series())
    return pl.DataFrame(columns)


def _survivorship_order(keys: pl.DataFrame) -> pl.Series:
    """Row numbers sorted by ORDER. The keys are packed into one unsigned 64-bit integer when
    their ranges fit (one integer sort instead of a row-encoded multi-column one)."""
    parts, shift = [], 0
    for name, descending in reversed(ORDER):  # least significant first
        column = keys.get_column(name).to_physical()
        low, high = column.min(), column.max()
        if low is None:  # all null: every row ties
            continue
        span = high - low + 1  # a null takes the value past the end: last
        if shift + span.bit_length() > 64:
            return keys.select(pl.arg_sort_by([n for n, _ in ORDER], descending=[d for _, d in ORDER],
                                              nulls_last=True)).to_series()
        physical = pl.col(name).to_physical().cast(pl.Int64)
        value = pl.lit(high, pl.Int64) - physical if descending else physical - pl.lit(low, pl.Int64)
        parts.append(value.fill_null(span).cast(pl.UInt64) * pl.lit(1 << shift, pl.UInt64))
        shift += span.bit_length()
    if not parts:
        return pl.int_range(keys.height, dtype=pl.UInt32, eager=True)
    return keys.select(pl.sum_horizontal(parts).arg_sort()).to_series()


def _check(rows: pl.DataFrame, fields: list[str]) -> None:
    missing = [c for c in [*REQUIRED, *fields] if c not in rows.columns]
    if missing:
        raise ValueError(f"golden_records: missing columns {missing} "
                         f"(needs {', '.join(f'{c} ({why})' for c, why in REQUIRED.items())} and the fields)")
    clash = [f for f in fields if f in REQUIRED or f in OUTPUT_COLUMNS or f"{f}_from" in fields]
    if clash or len(set(fields)) != len(fields):
        raise ValueError(f"golden_records: field names clash with the output columns: {clash or fields}")
    dtypes = rows.schema
    if not (dtypes["_updated"].is_temporal() or dtypes["_updated"] == pl.Null):
        raise ValueError(f"golden_records: _updated must be a date, not {dtypes['_updated']}")
    if not (dtypes["_completeness"].is_integer() or dtypes["_completeness"] == pl.Null):
        raise ValueError(f"golden_records: _completeness must be an integer, not {dtypes['_completeness']}")
    for column in ("person_id", "_source"):
        if rows.get_column(column).null_count():
            raise ValueError(f"golden_records: every row needs a {column}")
