"""People, not rows: which rows are copies of one address, which copies are linked into one
person, and what follows the person — stops, bounces and consent evidence.

Two levels of link, because a stop and a permission deserve different certainty:

* an **address cluster** holds the rows whose campaign address has the same matching key
  (valid or not: ``Ana <ana@correo.es>`` is the mailbox of ``ana@correo.es``). One survivor is
  kept (a sendable address first, then the most recently active, the most complete, the first);
  the others are duplicates (DU001). An explicit, clean yes on one copy lifts the evidence
  shortfalls of the others (CN015): a blank cell on an older copy is unknown, not a refusal.
* a **person** joins address clusters that share the other identifier (the phone in an email
  campaign). Only stops travel that far: a stop on any row reaches every row of its person
  ("conservatively": a shared home phone stops the household), saying which row it came from.
  An identifier shared by more than ``max_shared_identifier`` clusters links nobody (DU003).

A stop from the export (CN001) is superseded for a row only where the policy allows
re-subscription and a dated, explicit yes on a copy of that row's own address is newer than the
strongest stop of its person (an undated stop is never superseded); the row then gets CN009.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from listclean.checks.registry import RULES
from listclean.normalize.email import matching_key_expr
from listclean.mask import mask_value
from listclean.result import FINDING_SCHEMA

#: Iterations of label propagation; links form stars around each shared value, so real
#: components settle in two or three.
MAX_ROUNDS = 100
#: The export's own unsubscribe: the one stop a newer consent may supersede.
UNSUBSCRIBED = "CN001"
FUTURE_CONSENT = "CN014"
RESUBSCRIBED, CONSENT_FROM_COPY = "CN009", "CN015"
#: What each row must keep for this stage.
COLUMNS = ["_row", "email", "email_status", "email_key", "phone_e164", "phone_status", "phone_key",
           "last_activity", "_completeness", "consent", "consent_date", "unsubscribed_at"]


@dataclass
class People:
    findings: pl.DataFrame        # every finding after stops, bounces and evidence followed the person
    duplicate_of: pl.DataFrame    # _row, duplicate_of (the survivor's row)
    links: pl.DataFrame           # _row, _cluster, _person for rows linked to any other row


def identifiers(channel: str) -> tuple[pl.Expr, str, pl.Expr, pl.Expr, str]:
    """(campaign address key, its field, whether it is sendable, other identifier's key, its field)."""
    email = matching_key_expr()
    phone = pl.coalesce("phone_e164", "phone_key")
    if channel == "email":
        return email, "email", pl.col("email_status") == "ok", phone, "phone"
    return phone, "phone", pl.col("phone_status") == "ok", email, "email"


def _repeated(key: pl.Expr) -> pl.Expr:
    """Rows whose key probably occurs more than once: a cheap pass over 64-bit hashes (a
    collision only adds a candidate; the grouping that follows compares the keys themselves)."""
    return key.is_not_null() & key.hash().is_duplicated()


def resolve(kept: pl.DataFrame, findings: pl.DataFrame, channel: str, *, max_shared: int,
            resubscribe: bool, as_of: dt.date, active: set[str]) -> People:
    """Link the rows of ``kept`` into address clusters and people, and let the findings follow."""
    address, address_field, sendable, other, other_field = identifiers(channel)
    row_findings = findings.filter(pl.col("_row").is_not_null())
    unsubscribed_rows = row_findings.filter(pl.col("code") == UNSUBSCRIBED)["_row"].implode()
    frame = (kept.filter(_repeated(address) | _repeated(other) | pl.col("_row").is_in(unsubscribed_rows))
             .select("_row", address.alias("_address"), other.alias("_other"), sendable.fill_null(False).alias("_ok"),
                     "last_activity", "_completeness", "consent", "consent_date", "unsubscribed_at"))
    frame = _clusters(frame)
    duplicate_of = _survivors(frame)
    frame, notes = _persons(frame, max_shared, other_field)
    links = frame.select("_row", "_cluster", "_person")

    # The newest dated, explicit yes on each address: what may supersede an unsubscribe.
    yes = (pl.col("consent") == True) & pl.col("consent_date").is_not_null() & (pl.col("consent_date") <= as_of)  # noqa: E712
    frame = frame.with_columns(pl.col("consent_date").filter(yes).max().over("_cluster").alias("_newest_yes"))
    on_rows = row_findings.join(frame.select("_row", "_cluster", "_person"), on="_row")
    removed, added = [], []
    for code in sorted(row_findings["code"].unique().to_list()):
        carried = RULES[code].carried
        if carried in ("person", "address"):
            scope = "_person" if carried == "person" else "_cluster"
            gone, new = _carry(code, scope, frame, on_rows, resubscribe and code == UNSUBSCRIBED,
                               address_field, other_field, active)
            removed.append(gone)
            added.append(new)
    gone, new = _lift_evidence(frame, on_rows, address_field, active)
    removed.append(gone)
    added.append(new)

    kept_findings = findings.join(pl.concat(removed, how="vertical").unique(), on=["_row", "code"], how="anti",
                                  maintain_order="left")
    duplicates = _duplicate_findings(duplicate_of, address_field) if "DU001" in active else []
    same_person = _same_person_findings(frame, duplicate_of, other_field) if "DU002" in active else []
    file_notes = notes if "DU003" in active else []
    parts = [kept_findings, *added, *duplicates, *same_person, *file_notes]
    return People(pl.concat([p.select(FINDING_SCHEMA.keys()).cast(FINDING_SCHEMA) for p in parts], how="vertical"),
                  duplicate_of if "DU001" in active else duplicate_of.clear(), links)


def _clusters(frame: pl.DataFrame) -> pl.DataFrame:
    """``_cluster``: the first row of each address (a row without one is its own cluster)."""
    return frame.with_columns(
        pl.when(pl.col("_address").is_not_null()).then(pl.col("_row").min().over("_address"))
        .otherwise(pl.col("_row")).alias("_cluster"))


def _survivors(frame: pl.DataFrame) -> pl.DataFrame:
    """_row, duplicate_of for every copy but the one kept: sendable first, then the most
    recently active, the most complete, the first."""
    ranked = frame.filter(pl.col("_cluster").is_duplicated()).sort(
        ["_ok", "last_activity", "_completeness", "_row"], descending=[True, True, True, False], nulls_last=True)
    return (ranked.with_columns(pl.col("_row").first().over("_cluster").alias("duplicate_of"))
            .filter(pl.col("_row") != pl.col("duplicate_of")).select("_row", "duplicate_of").sort("_row"))


def _persons(frame: pl.DataFrame, max_shared: int, other_field: str) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """``_person``: the smallest cluster reachable through shared other identifiers (connected
    components by label propagation); identifiers shared too widely link nobody."""
    pairs = frame.filter(pl.col("_other").is_not_null()).select("_cluster", "_other").unique()
    shared = pairs.group_by("_other").agg(pl.len().alias("_clusters"))
    too_common = shared.filter(pl.col("_clusters") > max_shared)
    notes = []
    if not too_common.is_empty():
        rows = frame.filter(pl.col("_other").is_in(too_common["_other"].implode())).group_by("_other").agg(pl.len())
        notes = [pl.DataFrame({
            "_row": [None] * rows.height, "code": ["DU003"] * rows.height, "field": [other_field] * rows.height,
            "message": [f"{other_field} {mask_value(other_field, value)} is shared by {size} rows; "
                        "not used to link people" for value, size in rows.iter_rows()],
            "suggestion": [None] * rows.height}, schema=FINDING_SCHEMA)]
    links = pairs.join(shared.filter((pl.col("_clusters") > 1) & (pl.col("_clusters") <= max_shared)), on="_other",
                       how="semi")
    labels = frame.select("_cluster").unique().with_columns(pl.col("_cluster").alias("_person"))
    for _ in range(MAX_ROUNDS):
        lowest = (links.join(labels, on="_cluster").group_by("_other").agg(pl.col("_person").min())
                  .join(links, on="_other").group_by("_cluster").agg(pl.col("_person").min().alias("_reached")))
        updated = labels.join(lowest, on="_cluster", how="left").with_columns(
            pl.min_horizontal("_person", "_reached").alias("_person")).drop("_reached")
        changed = updated.join(labels, on="_cluster", suffix="_before").filter(
            pl.col("_person") != pl.col("_person_before")).height
        labels = updated
        if not changed:
            break
    return frame.join(labels, on="_cluster", how="left", maintain_order="left"), notes


def _via(source_cluster: pl.Expr, target_cluster: pl.Expr, address_field: str, other_field: str) -> pl.Expr:
    return (pl.when(source_cluster == target_cluster).then(pl.lit(f"same {address_field}"))
            .otherwise(pl.lit(f"linked by {other_field}")))


def _carry(code: str, scope: str, frame: pl.DataFrame, on_rows: pl.DataFrame, supersedable: bool,
           address_field: str, other_field: str, active: set[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(findings of ``code`` to remove, findings to add) so that every row of a stopped scope
    carries the scope's strongest ``code`` finding, said as coming from that row."""
    sources = on_rows.filter(pl.col("code") == code).join(
        frame.select("_row", "unsubscribed_at"), on="_row")
    # The strongest source of each scope: an undated stop, else the latest, else the first row.
    strongest = (sources.sort(["unsubscribed_at", "_row"], descending=[True, False], nulls_last=False)
                 .group_by(scope, maintain_order=True).first()
                 .select(scope, pl.col("_row").alias("_source"), pl.col("_cluster").alias("_source_cluster"),
                         pl.col("unsubscribed_at").alias("_stopped_on"), "field", "message"))
    targets = frame.join(strongest, on=scope).join(
        on_rows.filter(pl.col("code") == code).select("_row", pl.lit(True).alias("_own")), on="_row", how="left")

    def superseded(stopped_on: str) -> pl.Expr:
        return (pl.lit(supersedable) & pl.col(stopped_on).is_not_null()
                & (pl.col("_newest_yes") > pl.col(stopped_on)).fill_null(False))

    targets = targets.with_columns(
        (pl.col("_own").fill_null(False) & ~superseded("unsubscribed_at")).alias("_own_stands"),
        superseded("_stopped_on").alias("_superseded"))
    remove = targets.filter(pl.col("_own").fill_null(False) & ~pl.col("_own_stands")).select(
        "_row", pl.lit(code).alias("code"))
    via = _via(pl.col("_source_cluster"), pl.col("_cluster"), address_field, other_field)
    carried = targets.filter(~pl.col("_superseded") & ~pl.col("_own_stands")).select(
        "_row", pl.lit(code).alias("code"), "field",
        pl.format("row {} ({}): {}", pl.col("_source"), via, pl.col("message")).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))
    notes = targets.filter(pl.col("_superseded")).select(
        "_row", pl.lit(RESUBSCRIBED).alias("code"), pl.lit("consent").alias("field"),
        pl.format("consent of {} is newer than the unsubscribe of {} (row {}, {})", pl.col("_newest_yes"),
                  pl.col("_stopped_on"), pl.col("_source"), via).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))
    added = pl.concat([carried, notes], how="vertical") if RESUBSCRIBED in active else carried
    return remove, added


def _lift_evidence(frame: pl.DataFrame, on_rows: pl.DataFrame, address_field: str,
                   active: set[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Within each address, a clean explicit yes (no evidence shortfall, no stop, not dated in
    the future) lifts the evidence shortfalls of the other copies: blank is unknown, not no."""
    shortfall = [c for c, r in RULES.items() if r.carried == "evidence"]
    blocking = [c for c, r in RULES.items() if r.carried in ("evidence", "person")] + [FUTURE_CONSENT]
    blocked = on_rows.filter(pl.col("code").is_in(blocking))["_row"].unique().implode()
    clean_yes = (frame.filter((pl.col("consent") == True) & ~pl.col("_row").is_in(blocked))  # noqa: E712
                 .sort(["consent_date", "_row"], descending=[True, False], nulls_last=True)
                 .group_by("_cluster", maintain_order=True).first()
                 .select("_cluster", pl.col("_row").alias("_witness"), pl.col("consent_date").alias("_dated")))
    lifted = on_rows.filter(pl.col("code").is_in(shortfall)).join(clean_yes, on="_cluster")
    remove = lifted.select("_row", "code")
    notes = lifted.unique("_row", keep="first", maintain_order=True).select(
        "_row", pl.lit(CONSENT_FROM_COPY).alias("code"), pl.lit("consent").alias("field"),
        pl.format("consent from row {} (same {}){}", pl.col("_witness"), pl.lit(address_field),
                  pl.when(pl.col("_dated").is_not_null()).then(pl.format(", given on {}", pl.col("_dated")))
                  .otherwise(pl.lit(""))).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))
    return remove, notes if CONSENT_FROM_COPY in active else notes.clear()


def _duplicate_findings(duplicate_of: pl.DataFrame, address_field: str) -> list[pl.DataFrame]:
    return [duplicate_of.select(
        "_row", pl.lit("DU001").alias("code"), pl.lit(address_field).alias("field"),
        pl.format("same {} as row {}, which is kept", pl.lit(address_field), pl.col("duplicate_of")).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))]


def _same_person_findings(frame: pl.DataFrame, duplicate_of: pl.DataFrame, other_field: str) -> list[pl.DataFrame]:
    """DU002 on each kept row of a person with several addresses, naming another address's row."""
    firsts = frame.group_by("_person").agg(pl.col("_cluster").unique().sort().head(2).alias("_firsts"))
    linked = (frame.join(duplicate_of, on="_row", how="anti").join(firsts, on="_person")
              .filter(pl.col("_firsts").list.len() > 1))
    other = (pl.when(pl.col("_firsts").list.first() == pl.col("_cluster")).then(pl.col("_firsts").list.last())
             .otherwise(pl.col("_firsts").list.first()))
    return [linked.select(
        "_row", pl.lit("DU002").alias("code"), pl.lit(other_field).alias("field"),
        pl.format("shares its {} with row {}: probably the same person", pl.lit(other_field), other).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))]
