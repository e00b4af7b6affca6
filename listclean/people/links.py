"""The matcher's probable-person links, in the terms of the people stage.

``find_matches`` hands the rows' identity fields to the matcher (``people.match``) and keeps
what the people stage needs: which rows the matcher merged into one person, which pairs it could
not decide (the review band), and which blocking values were too common to use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import polars as pl

from listclean.mask import mask_value
from listclean.normalize.email import matching_key_expr
from listclean.result import FINDING_SCHEMA, input_index, short_names

#: The identity fields the matcher compares, as the pipeline keeps them.
FIELDS = ("first_name", "last_name", "second_last_name", "full_name", "postcode", "city", "street", "birth_date", "customer_id")
NAME_FIELDS = ("first_name", "last_name", "full_name")
#: The kept columns :func:`records` reads.
RECORD_COLUMNS = ("_row", *FIELDS, "email", "email_key", "phone_e164", "raw_phone")


@dataclass
class Matches:
    person: pl.DataFrame     # _row, _match: rows the matcher put in one person with another row
    review: pl.DataFrame     # _row, _other, probability: possibly the same person, not merged
    skipped: pl.DataFrame    # field, value, rows: blocking values too common to block on
    details: dict = field(default_factory=dict)
    scored: object = field(default=None, repr=False)          # the matcher's Links (for explanations)
    records: pl.DataFrame | None = field(default=None, repr=False)   # both None unless evidence was asked

    def rows(self) -> pl.Series:
        return pl.concat([self.person["_row"], self.review["_row"], self.review["_other"]]).unique()

    def merged_clusters(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Edges (a, b) between the address clusters the matcher merged."""
        clusters = self.person.join(frame.select("_row", "_cluster"), on="_row")
        first = clusters.group_by("_match").agg(pl.col("_cluster").min().alias("b"))
        return (clusters.join(first, on="_match").filter(pl.col("_cluster") != pl.col("b"))
                .select(pl.col("_cluster").alias("a"), "b").unique())

    def review_persons(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Edges (a, b) between the people of each review pair."""
        persons = frame.select("_row", "_person")
        return (self.review.join(persons, on="_row")
                .join(persons.rename({"_row": "_other", "_person": "b"}), on="_other")
                .filter(pl.col("_person") != pl.col("b")).select(pl.col("_person").alias("a"), "b").unique())

    def review_findings(self, ref) -> list[pl.DataFrame]:
        """DU005 on each row of a review pair, naming the other row and the match probability."""
        both = pl.concat([self.review, self.review.select(pl.col("_other").alias("_row"),
                                                          pl.col("_row").alias("_other"), "probability")],
                         how="vertical")
        best = both.sort(["_row", "probability", "_other"], descending=[False, True, False]).unique(
            "_row", keep="first", maintain_order=True)
        return [best.select(
            "_row", pl.lit("DU005").alias("code"), pl.lit("person").alias("field"),
            pl.format("may be the same person as {} (match probability {}); a stop on either applies to both",
                      ref(pl.col("_other")), pl.col("probability").round(3)).alias("message"),
            pl.lit(None, pl.String).alias("suggestion"))]

    def skipped_findings(self) -> list[pl.DataFrame]:
        return skipped_findings(self.skipped)

    def summary(self) -> dict:
        return {"merged_rows": self.person.height, "review_pairs": self.review.height, **self.details}


def skipped_findings(skipped: pl.DataFrame) -> list[pl.DataFrame]:
    """DU003 notes for blocking values shared too widely (placeholders, switchboards)."""
    if skipped.is_empty():
        return []
    notes = [f"{name} {mask_value(name, value) if name in ('email', 'phone') else _mask_text(value)} "
             f"is shared by {rows} rows; not used to match people"
             for name, value, rows in skipped.select("field", "value", "rows").iter_rows()]
    return [pl.DataFrame({"_row": [None] * len(notes), "code": ["DU003"] * len(notes),
                          "field": [n for n, *_ in skipped.iter_rows()], "message": notes,
                          "suggestion": [None] * len(notes)}, schema=FINDING_SCHEMA)]


def _mask_text(value: str | None) -> str:
    """A name or postcode in a message: its first letter and its length, never the whole value."""
    if not value:
        return repr(value)
    return f"'{value[0]}…' ({len(value)} characters)"


def has_identity(column_maps: list[dict]) -> bool:
    """Whether any input has a name column: without names there is nothing to match fuzzily
    beyond the exact keys."""
    return any(m.get(name) for m in column_maps for name in NAME_FIELDS)


def records(kept: pl.DataFrame, sources: list[str]) -> pl.DataFrame:
    """The matcher's input: one record per row, its identity fields as written."""
    names = dict(enumerate(short_names(sources)))
    return kept.select(
        pl.col("_row").alias("_id"),
        input_index(pl.col("_row")).replace_strict(names, return_dtype=pl.Categorical).alias("_source"),
        *[pl.col(name) for name in FIELDS if name not in ("last_name", "second_last_name")],
        # Spanish exports split the two surnames; the matcher compares them as one.
        pl.concat_str("last_name", "second_last_name", separator=" ", ignore_nulls=True).alias("last_name"),
        matching_key_expr().alias("email_key"),
        pl.col("phone_e164"),
        pl.col("raw_phone").str.replace_all(r"\D", "").alias("phone_digits"),
    )


def find_matches(kept: pl.DataFrame, sources: list[str], settings, evidence: bool = False,
                 then: Callable[[], None] | None = None) -> Matches:
    """Run the matcher over every row; keep the links the people stage acts on (a person of one
    row links nothing; review pairs as the smaller row first), and with ``evidence`` the scored
    pairs and the records for explanations (gigabytes for ten million rows: only when asked).
    ``then`` is called once the records are made from ``kept``; nothing here reads ``kept``
    after it."""
    from listclean.people.cluster import cluster
    from listclean.people.match import link

    given = records(kept, sources)
    ids = kept["_row"].rename("_id")
    if then is not None:
        then()
    if evidence:
        found = link(given, settings)
    else:   # no reference left here: the records go once the matcher has prepared them
        handed, given = [given], None
        found = link(handed.pop(), settings)
    clusters = cluster(ids, found, settings, keep_scoring=evidence)
    merged = clusters.person.filter(pl.col("_person").is_duplicated()).select(
        pl.col("_id").alias("_row"), pl.col("_person").alias("_match"))
    review = clusters.review.select(pl.min_horizontal("_id", "_other").alias("_row"),
                                    pl.max_horizontal("_id", "_other").alias("_other"), "probability")
    review = review.unique(["_row", "_other"], keep="first").sort("_row", "_other")
    return Matches(merged, review, found.skipped, details(found.model, settings), found if evidence else None, given)


def details(model, settings) -> dict:
    """What the people summary says of the matcher's run."""
    return {"candidate_pairs": model.candidate_pairs, "fields": list(model.fields),
            "merge_threshold": settings.merge, "review_threshold": settings.review}


def explain_row(matches: Matches, row: int, person_rows: list[int]) -> list[tuple[int, list]]:
    """For ``row``: each other row of its person or of a review pair with it, and the matcher's
    evidence for the pair (``people.match.explain``)."""
    from listclean.people.match import explain

    others = set(person_rows) - {row}
    for a, b in matches.review.filter((pl.col("_row") == row) | (pl.col("_other") == row)).select(
            "_row", "_other").iter_rows():
        others.add(b if a == row else a)
    return [(other, explain(matches.scored, row, other, matches.records)) for other in sorted(others)]
