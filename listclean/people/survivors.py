"""One golden record per person, for runs over several inputs: each field's surviving value
(``people.golden``) and the person's status, decided by the row that is kept."""

from __future__ import annotations

import polars as pl

from listclean.people.golden import golden_records
from listclean.result import ROW_SPAN, input_index

#: The fields a golden record holds, in the order written.
GOLDEN_FIELDS = ["email", "phone_e164", "first_name", "last_name", "second_last_name", "full_name", "street", "postcode", "city",
                 "country", "birth_date", "customer_id"]


def golden_people(kept: pl.DataFrame, statuses: pl.DataFrame, sources: list[str],
                  source_priority: list[str]) -> pl.DataFrame:
    """person_id, status, kept_row (where the send address comes from), rows, sources, then each
    golden field with its ``<field>_from`` provenance."""
    names = dict(enumerate(sources))
    rows = kept.select(
        input_index(pl.col("_row")).replace_strict(names, return_dtype=pl.String).alias("_source"),
        (pl.col("_row") % ROW_SPAN).alias("_row"),
        pl.col("last_activity").alias("_updated"), "_completeness",
        "email", "phone_e164", *[pl.col(name).cast(pl.String) for name in GOLDEN_FIELDS[2:-3]],
        pl.col("raw_country").alias("country"),
        "birth_date", "customer_id",
    ).with_columns(statuses["person_id"])
    golden = golden_records(rows, GOLDEN_FIELDS, list(source_priority))
    # The person's status is the status of its kept row (the one that is not a duplicate).
    kept_rows = (statuses.filter(pl.col("status") != "duplicate")
                 .sort(["person_id", "status", "_row"]).unique("person_id", keep="first")
                 .select("person_id", "status",
                         pl.format("{}:{}", input_index(pl.col("_row")).replace_strict(names, return_dtype=pl.String),
                                   pl.col("_row") % ROW_SPAN).alias("kept_row")))
    return kept_rows.join(golden, on="person_id", how="right").select(
        "person_id", pl.col("status").cast(pl.String), "kept_row", pl.exclude("person_id", "status", "kept_row"))
