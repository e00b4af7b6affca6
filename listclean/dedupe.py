"""People, not rows: exact duplicates of the campaign's address, survivors, and the
most restrictive consent of each cluster carried to its survivor."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from listclean.normalize.email import matching_key_expr

from listclean.report.mask import mask_value

FINDING_SCHEMA = {"_row": pl.Int64, "code": pl.String, "field": pl.String,
                  "message": pl.String, "suggestion": pl.String}


@dataclass
class DedupeResult:
    findings: pl.DataFrame        # DU001, DU002 and inherited consent findings
    duplicate_of: pl.DataFrame    # _row, duplicate_of (survivor's row)
    notes: list[tuple[str, str | None, str]]  # (code, field, message) about the file


def address_key(channel: str) -> tuple[pl.Expr, str, pl.Expr, str]:
    """(key of the campaign's address, its field, key of the other identifier, its field)."""
    email = pl.when(pl.col("email_status") == "ok").then(matching_key_expr())
    phone = pl.when(pl.col("phone_status") == "ok").then(pl.col("phone_e164"))
    return (email, "email", phone, "phone") if channel == "email" else (phone, "phone", email, "email")


def _repeated(key: pl.Expr) -> pl.Expr:
    """Rows whose key probably occurs more than once: a cheap pass over 64-bit hashes that
    narrows millions of rows to the few that can be duplicates (a hash collision only adds a
    candidate; the grouping that follows compares the keys themselves)."""
    return key.is_not_null() & key.hash().is_duplicated()


def find_duplicates(work: pl.DataFrame, findings: pl.DataFrame, channel: str,
                    max_shared: int, inherit_prefix: str = "CN") -> DedupeResult:
    key, key_field, other, other_field = address_key(channel)
    # Survivor: most recently active, then most complete, then first.
    ranked = (
        work.filter(_repeated(key))
        .select("_row", key.alias("_key"), "last_activity", "_completeness")
        .sort(["last_activity", "_completeness", "_row"], descending=[True, True, False], nulls_last=True)
    )
    clusters = (ranked.group_by("_key", maintain_order=True)
                .agg(pl.col("_row").first().alias("duplicate_of"), pl.len().alias("_size"))
                .filter(pl.col("_size") > 1))
    members = (ranked.join(clusters, on="_key").filter(pl.col("_row") != pl.col("duplicate_of"))
               .select("_row", "duplicate_of").sort("_row"))
    duplicate_findings = members.select(
        "_row", pl.lit("DU001").alias("code"), pl.lit(key_field).alias("field"),
        pl.format("same {} as row {}, which is kept", pl.lit(key_field), pl.col("duplicate_of")).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"),
    )
    # The address's owner said stop on any copy → the survivor inherits it.
    inherited = (
        findings.filter(pl.col("code").str.starts_with(inherit_prefix))
        .join(members, on="_row")
        .select(pl.col("duplicate_of").alias("_row"), "code", "field",
                pl.format("row {} (same {}): {}", pl.col("_row"), pl.lit(key_field), pl.col("message")).alias("message"),
                "suggestion")
    )
    same_person, notes = _probable_same_person(work, members, key, other, other_field, max_shared)
    all_findings = pl.concat([duplicate_findings, inherited, same_person], how="vertical_relaxed")
    return DedupeResult(all_findings.cast(FINDING_SCHEMA), members, notes)


def _probable_same_person(work: pl.DataFrame, members: pl.DataFrame, key: pl.Expr, other: pl.Expr,
                          other_field: str, max_shared: int) -> tuple[pl.DataFrame, list]:
    """Rows that share only the other identifier; placeholders shared too widely are skipped."""
    duplicates = members.get_column("_row").implode()
    people = (work.filter(_repeated(other) & ~pl.col("_row").is_in(duplicates))
              .select("_row", key.alias("_key"), other.alias("_other")))
    groups = people.group_by("_other").agg(
        pl.col("_row").sort().head(2).alias("_first_two"), pl.len().alias("_size"),
        pl.col("_key").n_unique().alias("_keys"),
    ).filter((pl.col("_size") > 1) & (pl.col("_keys") > 1) | (pl.col("_size") > max_shared))
    too_common = groups.filter(pl.col("_size") > max_shared)
    notes = [("DU003", other_field,
              f"{other_field} {mask_value(other_field, value)} is shared by {size} rows; "
              "not used to link people")
             for value, size in too_common.select("_other", "_size").iter_rows()]
    linked = people.join(groups.filter(pl.col("_size") <= max_shared), on="_other")
    findings = linked.select(
        "_row", pl.lit("DU002").alias("code"), pl.lit(other_field).alias("field"),
        pl.format("shares its {} with row {}: probably the same person", pl.lit(other_field),
                  pl.when(pl.col("_first_two").list.first() == pl.col("_row"))
                  .then(pl.col("_first_two").list.last()).otherwise(pl.col("_first_two").list.first())
                  ).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"),
    )
    return findings, notes
