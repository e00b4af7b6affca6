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
import hashlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import polars as pl

from listclean.checks.registry import RULES
from listclean.normalize.email import matching_key_expr
from listclean.mask import mask_value
from listclean.people.links import Matches
from listclean.result import FINDING_SCHEMA, ROW_SPAN, input_index, row_ref, short_names

#: The export's own unsubscribe: the one stop a newer consent may supersede.
UNSUBSCRIBED = "CN001"
FUTURE_CONSENT = "CN014"
RESUBSCRIBED, CONSENT_FROM_COPY = "CN009", "CN015"
#: What each row must keep for this stage.
COLUMNS = ["_row", "email", "email_status", "email_key", "phone_e164", "phone_status", "phone_key",
           "last_activity", "_completeness", "consent", "consent_date", "unsubscribed_at"]


@dataclass
class People:
    findings: pl.DataFrame        # the findings the stage was given
    removed: pl.DataFrame         # _row, code of those that no longer stand (see ``standing``)
    added: pl.DataFrame           # findings this stage adds (stops carried, duplicates, links)
    duplicate_of: pl.DataFrame    # _row, duplicate_of (the survivor's row)
    person_id: pl.DataFrame       # _row, person_id for every row
    links: pl.DataFrame           # _row, _cluster, _person, _group for rows linked to any other row
    summary: dict = field(default_factory=dict)
    golden: pl.DataFrame | None = None

    def standing(self) -> pl.DataFrame:
        """The findings that still stand, in their order. Made when asked, not by ``resolve``:
        a copy of every finding, it would add to the stage's own peak (with none removed, the
        findings themselves, not a copy)."""
        if self.removed.is_empty():
            return self.findings
        return self.findings.join(self.removed, on=["_row", "code"], how="anti", maintain_order="left")


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
            resubscribe: bool, as_of: dt.date, active: set[str], sources: list[str],
            matches: Matches | None = None, too_common: pl.Series | None = None,
            shared_keys: pl.Series | None = None) -> People:
    """Link the rows of ``kept`` into addresses, people and stop groups, and let the findings
    follow. ``matches`` are the probable-person links of the matcher (none: exact links only).

    A caller that splits the input into parts, each holding whole stop groups (the Spark
    engine), passes what only the whole input knows: ``too_common``, the other identifiers
    shared by more than ``max_shared`` people in the whole input (they link nobody here, and
    their DU003 notes are the caller's to make, once; their rows are linked here as rows whose
    identifier repeats, which in the whole input they are), and ``shared_keys``, the person keys
    that several people of the whole input hold (see ``person_ids``). Left out (or empty), the
    result is the one computed from ``kept`` alone.
    """
    address, address_field, sendable, other, other_field = identifiers(channel)
    unsubscribed_rows = findings.filter(pl.col("code") == UNSUBSCRIBED)["_row"].drop_nulls().implode()
    candidates = _repeated(address) | _repeated(other) | pl.col("_row").is_in(unsubscribed_rows)
    if too_common is not None:  # they repeat in the whole input, however few of their rows are here
        candidates = candidates | other.is_in(too_common.cast(pl.String).implode())
    if matches is not None:
        candidates = candidates | pl.col("_row").is_in(matches.rows().implode())
    # Lazy, so that only the columns read are filtered (an eager filter copies every kept column).
    frame = (kept.lazy().filter(candidates)
             .select("_row", address.alias("_address"), other.alias("_other"), sendable.fill_null(False).alias("_ok"),
                     "last_activity", "_completeness", "consent", "consent_date", "unsubscribed_at").collect())
    frame = _clusters(frame)
    merged = None
    if matches is not None:
        # An address shared by more rows than max_shared (test@test.com, a placeholder) is one
        # mailbox, but no evidence that the records its rows match are one person: links through
        # it would chain strangers together.
        sizes = frame.group_by("_cluster").len()
        crowded = sizes.filter(pl.col("len") > max_shared)["_cluster"]
        merged = matches.merged_clusters(frame.filter(~pl.col("_cluster").is_in(crowded.implode())))
    frame = frame.join(_components(frame["_cluster"], merged, "_person"), on="_cluster", how="left",
                       maintain_order="left")
    persons = frame.select("_row", "_person")
    shared, notes = _shared_other(frame, max_shared, other_field, too_common)
    review = matches.review_persons(frame) if matches is not None else None
    stop_links = shared if review is None else pl.concat([shared, review], how="vertical")
    frame = frame.join(_components(frame["_person"], stop_links, "_group"), on="_person", how="left",
                       maintain_order="left")
    duplicate_of = _survivors(frame)
    links = frame.select("_row", "_cluster", "_person", "_group")
    ref = lambda row: row_ref(row, sources)  # noqa: E731

    # The newest dated, explicit yes of each person: what may supersede an unsubscribe.
    yes = (pl.col("consent") == True) & pl.col("consent_date").is_not_null() & (pl.col("consent_date") <= as_of)  # noqa: E712
    frame = frame.with_columns(pl.col("consent_date").filter(yes).max().over("_person").alias("_newest_yes"))
    # Only the findings of linked rows can follow a person (the join keeps no file note). Their
    # codes and messages stay dictionary codes: as text they were about 400 MB at 10M rows.
    on_rows = findings.select(FINDING_SCHEMA.keys()).join(links, on="_row")
    removed, added = [], []
    for code in sorted(on_rows["code"].unique().to_list()):
        carried = RULES[code].carried
        if carried in ("person", "address"):
            scope = "_group" if carried == "person" else "_cluster"
            gone, new = _carry(code, scope, frame, on_rows, resubscribe and code == UNSUBSCRIBED,
                               address_field, other_field, active, ref)
            removed.append(gone)
            added.append(new)
    gone, new = _lift_evidence(frame, on_rows, address_field, active, ref)
    removed.append(gone)
    added.append(new)

    removed = pl.concat(removed, how="vertical").unique().cast({"code": findings.schema["code"]})
    duplicate_of, duplicates = _duplicates(frame, duplicate_of, address_field, ref, active)
    parts = [*added, *duplicates]
    if "DU002" in active:
        parts += _same_person_findings(frame, duplicate_of, other_field, ref)
    if matches is not None and "DU005" in active:
        parts += matches.review_findings(ref)
    if "DU003" in active:
        parts += notes + (matches.skipped_findings() if matches is not None else [])
    added = pl.concat([p.select(FINDING_SCHEMA.keys()).cast(FINDING_SCHEMA) for p in parts], how="vertical")
    # Rows outside ``frame`` hold keys found nowhere else: each is a person of its own.
    summary = {"rows": kept.height, "people": kept.height - frame.height + frame["_person"].n_unique(),
               "matching": "exact" if matches is None else "probabilistic"}
    if matches is not None:
        summary.update(matches.summary())
    # The ids last, once the linked rows, their findings and the new findings as made (text
    # messages) are gone: made on a thread beside the findings' work, they saved about a second
    # at 1M rows, but were the run's peak at 10M (4,048 MiB against 3,715 made here).
    del frame, on_rows, parts, duplicates, new
    person_id = person_ids(kept, persons, address, other, sources, shared_keys)
    return People(findings, removed, added, duplicate_of, person_id, links, summary)


def _components(nodes: pl.Series, edges: pl.DataFrame | None, name: str) -> pl.DataFrame:
    """``nodes`` → ``name``: the smallest node reachable through ``edges`` (columns ``a``, ``b``;
    an edge to anything but a node links nothing)."""
    distinct = nodes.unique().sort()
    labels = distinct.to_frame(nodes.name)
    if edges is None or edges.is_empty():
        return labels.with_columns(pl.col(nodes.name).alias(name))
    values = distinct.to_numpy()

    def positions(column: str) -> np.ndarray:
        wanted = edges[column].cast(distinct.dtype).to_numpy()
        at = np.minimum(np.searchsorted(values, wanted), len(values) - 1)
        return np.where(values[at] == wanted, at, -1)

    left, right = positions("a"), positions("b")
    known = (left >= 0) & (right >= 0)
    # Positions follow the sorted nodes: the smallest position reached is the smallest node.
    return labels.with_columns(pl.Series(name, values[connected(len(values), left[known], right[known])]))


def connected(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Per position ``0..n-1``, the smallest position reachable through the edges ``left``–``right``."""
    # 32-bit labels where they fit: clustering indexes them by tens of millions of pairs.
    label = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
    while True:   # min-label propagation with pointer jumping: a few rounds for real data
        new = label.copy()
        np.minimum.at(new, left, label[right])
        np.minimum.at(new, right, label[left])
        new = new[new]
        if np.array_equal(new, label):
            return label
        label = new


def _clusters(frame: pl.DataFrame) -> pl.DataFrame:
    """``_cluster``: the first row of each address (a row without one is its own cluster)."""
    return frame.with_columns(
        pl.when(pl.col("_address").is_not_null()).then(pl.col("_row").min().over("_address"))
        .otherwise(pl.col("_row")).alias("_cluster"))


def _survivors(frame: pl.DataFrame) -> pl.DataFrame:
    """_row, duplicate_of for every row of a person but the one kept: sendable first, then the most
    recently active, the most complete, the first."""
    ranked = frame.select("_row", "_person", "_ok", "last_activity", "_completeness").filter(
        pl.col("_person").is_duplicated()).sort(
        ["_ok", "last_activity", "_completeness", "_row"], descending=[True, True, True, False], nulls_last=True)
    return (ranked.with_columns(pl.col("_row").first().over("_person").alias("duplicate_of"))
            .filter(pl.col("_row") != pl.col("duplicate_of")).select("_row", "duplicate_of").sort("_row"))


def _shared_other(frame: pl.DataFrame, max_shared: int, other_field: str,
                  known_too_common: pl.Series | None = None) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Edges between people who share the other identifier (the phone in an email campaign), and
    DU003 notes for identifiers shared too widely to link anybody. ``known_too_common``: such
    identifiers as the whole input counts them (a part of it may hold too few of their rows to
    tell); they link nobody, and their notes are the caller's."""
    pairs = frame.select("_person", "_other").filter(pl.col("_other").is_not_null()).unique()
    if known_too_common is not None:
        pairs = pairs.filter(~pl.col("_other").is_in(known_too_common.cast(pl.String).implode()))
    shared = pairs.group_by("_other").agg(pl.len().alias("_people"), pl.col("_person").min().alias("_first"))
    too_common = shared.filter(pl.col("_people") > max_shared)
    notes = []
    if not too_common.is_empty():
        crowded = pl.col("_other").is_in(too_common["_other"].implode())
        # In the identifiers' order, as the Spark engine gives them: a group_by's order is not fixed.
        rows = frame.select("_other").filter(crowded).group_by("_other").agg(pl.len()).sort("_other")
        notes = [shared_notes(rows, other_field)]
    usable = shared.filter((pl.col("_people") > 1) & (pl.col("_people") <= max_shared))
    edges = pairs.join(usable, on="_other").filter(pl.col("_person") != pl.col("_first")).select(
        pl.col("_person").alias("a"), pl.col("_first").alias("b"))
    return edges, notes


def shared_notes(rows: pl.DataFrame, other_field: str) -> pl.DataFrame:
    """DU003 file notes, one per identifier of ``rows`` (its value, then how many rows hold it),
    with the value masked."""
    return pl.DataFrame({
        "_row": [None] * rows.height, "code": ["DU003"] * rows.height, "field": [other_field] * rows.height,
        "message": [f"{other_field} {mask_value(other_field, value)} is shared by {size} rows; "
                    "not used to link people" for value, size in rows.iter_rows()],
        "suggestion": [None] * rows.height}, schema=FINDING_SCHEMA)


def address_person_key(address: pl.Expr) -> pl.Expr:
    """The person key ``person_ids`` gives a person with an address: its matching key."""
    return pl.format("a:{}", address)


def other_person_key(other: pl.Expr) -> pl.Expr:
    """The person key ``person_ids`` gives a person without an address: its other identifier."""
    return pl.format("o:{}", other)


def _via(ref: Callable[[pl.Expr], pl.Expr], source: str, address_field: str, other_field: str) -> pl.Expr:
    """How a carried finding names where it came from: ``row 12 (same email)``."""
    how = (pl.when(pl.col("_source_cluster") == pl.col("_cluster")).then(pl.lit(f"same {address_field}"))
           .when(pl.col("_source_person") == pl.col("_person")).then(pl.lit("same person"))
           .when(pl.col("_source_other") == pl.col("_other")).then(pl.lit(f"linked by {other_field}"))
           .otherwise(pl.lit(f"linked through {other_field} or a possible match")))
    return pl.format("{} ({})", ref(pl.col(source)), how)


def _carry(code: str, scope: str, frame: pl.DataFrame, on_rows: pl.DataFrame, supersedable: bool,
           address_field: str, other_field: str, active: set[str],
           ref: Callable[[pl.Expr], pl.Expr]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(findings of ``code`` to remove, findings to add) so that every row of a stopped scope
    carries the scope's strongest ``code`` finding, said as coming from that row."""
    sources = on_rows.filter(pl.col("code") == code).join(
        frame.select("_row", "unsubscribed_at", "_other"), on="_row")
    # The strongest source of each scope: an undated stop, else the latest, else the first row.
    strongest = (sources.sort(["unsubscribed_at", "_row"], descending=[True, False], nulls_last=False)
                 .group_by(scope, maintain_order=True).first()
                 .select(scope, pl.col("_row").alias("_source"), pl.col("_cluster").alias("_source_cluster"),
                         pl.col("_person").alias("_source_person"), pl.col("_other").alias("_source_other"),
                         pl.col("unsubscribed_at").alias("_stopped_on"), "field", "message"))
    # Only what the carried findings read: the join copies every column of its left side.
    frame = frame.select("_row", "_cluster", "_person", "_group", "_other", "unsubscribed_at", "_newest_yes")
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
    via = _via(ref, "_source", address_field, other_field)
    carried = targets.filter(~pl.col("_superseded") & ~pl.col("_own_stands")).select(
        "_row", pl.lit(code).alias("code"), pl.col("field").cast(pl.String),
        pl.format("{}: {}", via, pl.col("message")).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))
    notes = targets.filter(pl.col("_superseded")).select(
        "_row", pl.lit(RESUBSCRIBED).alias("code"), pl.lit("consent").alias("field"),
        pl.format("consent of {} is newer than the unsubscribe of {} ({})", pl.col("_newest_yes"),
                  pl.col("_stopped_on"), via).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))
    added = pl.concat([carried, notes], how="vertical") if RESUBSCRIBED in active else carried
    return remove, added


def _lift_evidence(frame: pl.DataFrame, on_rows: pl.DataFrame, address_field: str, active: set[str],
                   ref: Callable[[pl.Expr], pl.Expr]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Within each person, a clean explicit yes (no evidence shortfall, no stop, not dated in the
    future) lifts the evidence shortfalls of the other rows: blank is unknown, not no."""
    shortfall = [c for c, r in RULES.items() if r.carried == "evidence"]
    blocking = [c for c, r in RULES.items() if r.carried in ("evidence", "person")] + [FUTURE_CONSENT]
    blocked = on_rows.filter(pl.col("code").is_in(blocking))["_row"].unique().implode()
    clean_yes = (frame.select("_row", "_person", "_cluster", "consent", "consent_date")
                 .filter((pl.col("consent") == True) & ~pl.col("_row").is_in(blocked))  # noqa: E712
                 .sort(["consent_date", "_row"], descending=[True, False], nulls_last=True)
                 .group_by("_person", maintain_order=True).first()
                 .select("_person", pl.col("_row").alias("_witness"), pl.col("_cluster").alias("_witness_cluster"),
                         pl.col("consent_date").alias("_dated")))
    lifted = on_rows.filter(pl.col("code").is_in(shortfall)).join(clean_yes, on="_person")
    remove = lifted.select("_row", pl.col("code").cast(pl.String))
    how = (pl.when(pl.col("_witness_cluster") == pl.col("_cluster")).then(pl.lit(f"same {address_field}"))
           .otherwise(pl.lit("same person")))
    notes = lifted.unique("_row", keep="first", maintain_order=True).select(
        "_row", pl.lit(CONSENT_FROM_COPY).alias("code"), pl.lit("consent").alias("field"),
        pl.format("consent from {} ({}){}", ref(pl.col("_witness")), how,
                  pl.when(pl.col("_dated").is_not_null()).then(pl.format(", given on {}", pl.col("_dated")))
                  .otherwise(pl.lit(""))).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))
    return remove, notes if CONSENT_FROM_COPY in active else notes.clear()


def _duplicates(frame: pl.DataFrame, duplicate_of: pl.DataFrame, address_field: str,
                ref: Callable[[pl.Expr], pl.Expr], active: set[str]) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """The duplicates the active rules keep, with their findings: DU001 on the copies of the
    kept row's address, DU004 on the person's other addresses."""
    clusters = frame.select("_row", "_cluster")
    rows = (duplicate_of.join(clusters, on="_row", maintain_order="left")
            .join(clusters.rename({"_row": "duplicate_of", "_cluster": "_kept_cluster"}), on="duplicate_of",
                  maintain_order="left")
            .with_columns((pl.col("_cluster") == pl.col("_kept_cluster")).alias("_same_address")))
    rows = rows.filter(pl.when(pl.col("_same_address")).then(pl.lit("DU001" in active))
                       .otherwise(pl.lit("DU004" in active)))
    copies = rows.filter(pl.col("_same_address")).select(
        "_row", pl.lit("DU001").alias("code"), pl.lit(address_field).alias("field"),
        pl.format("same {} as {}, which is kept", pl.lit(address_field), ref(pl.col("duplicate_of")))
        .alias("message"), pl.lit(None, pl.String).alias("suggestion"))
    others = rows.filter(~pl.col("_same_address")).select(
        "_row", pl.lit("DU004").alias("code"), pl.lit("person").alias("field"),
        pl.format("the same person as {}, which is kept", ref(pl.col("duplicate_of"))).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))
    return rows.select("_row", "duplicate_of"), [copies, others]


def _same_person_findings(frame: pl.DataFrame, duplicate_of: pl.DataFrame, other_field: str,
                          ref: Callable[[pl.Expr], pl.Expr]) -> list[pl.DataFrame]:
    """DU002 on each kept row of a stop group with several people, naming another person's row."""
    rows = frame.select("_row", "_group", "_person")  # a join copies every column of its left side
    firsts = rows.group_by("_group").agg(pl.col("_person").unique().sort().head(2).alias("_firsts"))
    linked = (rows.join(duplicate_of, on="_row", how="anti").join(firsts, on="_group")
              .filter(pl.col("_firsts").list.len() > 1))
    other = (pl.when(pl.col("_firsts").list.first() == pl.col("_person")).then(pl.col("_firsts").list.last())
             .otherwise(pl.col("_firsts").list.first()))
    return [linked.select(
        "_row", pl.lit("DU002").alias("code"), pl.lit(other_field).alias("field"),
        pl.format("shares its {} with {}: probably the same person", pl.lit(other_field), ref(other)).alias("message"),
        pl.lit(None, pl.String).alias("suggestion"))]


def person_ids(kept: pl.DataFrame, frame: pl.DataFrame, address: pl.Expr, other: pl.Expr,
               sources: list[str], shared_keys: pl.Series | None = None) -> pl.DataFrame:
    """_row, person_id for every row: a hash of the smallest identifier among the person's rows.

    The identifier is the address's matching key (rows with the same one are always one person),
    else, for a person without an address, the other identifier's key, else the input's file
    name and line. A person's id therefore stays the same from run to run while the row holding
    its smallest identifier stays in the person; it changes when a row with a smaller identifier
    joins (two people found to be one take the smaller id of the two) or when that row leaves.
    Where people without an address share their other identifier, each id also names the
    person's first row; ``shared_keys`` (keys as ``other_person_key`` forms them) are the ones
    shared in the whole input, for a caller that passes only a part of it in ``kept``.
    """
    names = dict(enumerate(short_names(sources)))
    line = pl.format("r:{}:{}", input_index(pl.col("_row")).replace_strict(names, return_dtype=pl.String),
                     pl.col("_row") % ROW_SPAN)
    address_key, other_key = address_person_key(address), other_person_key(other)
    person_key = _linked_keys(kept, frame, address, other, line, shared_keys)
    # Every row's key as text, a slice at a time: whole, the keys and their copies were the
    # stage's peak (about 1.5 GB at 10M rows).
    ids = [pl.Series("person_id", [], pl.String)]
    for start in range(0, kept.height, IDS_AT_A_TIME):
        part = kept.slice(start, IDS_AT_A_TIME).select(
            "_row", pl.coalesce(address_key, other_key, line).alias("_own"))
        rows = pl.col("_row").is_between(part["_row"].min(), part["_row"].max())
        part = part.join(person_key.filter(rows), on="_row", how="left", maintain_order="left")
        ids.append(stable_ids(part.select(pl.coalesce("_key", "_own")).to_series()))
    return kept.select("_row").with_columns(pl.concat(ids, rechunk=False).alias("person_id"))


def _linked_keys(kept: pl.DataFrame, frame: pl.DataFrame, address: pl.Expr, other: pl.Expr, line: pl.Expr,
                 shared_keys: pl.Series | None) -> pl.DataFrame:
    """_row, _key of the linked rows (``frame``): their person's smallest key (see ``person_ids``)."""
    # A row linked to no other row is its own person, and its keys occur nowhere else (the
    # people stage takes every row whose keys repeat): only linked rows need the person's minimum.
    # The smallest key is formed from the smallest values (a prefix keeps the order), and the
    # lines only for the few persons that need them: every linked row's keys as text were the
    # stage's peak at ten million rows.
    read = {"_row", *address.meta.root_names(), *other.meta.root_names()}
    linked = kept.select(sorted(read)).join(frame.select("_row", "_person"), on="_row").select(
        "_row", "_person", address.alias("_address"), other.alias("_other"))
    persons = linked.group_by("_person").agg(
        pl.coalesce(address_person_key(pl.col("_address").min()), other_person_key(pl.col("_other").min()))
        .alias("_key"))
    shared = pl.col("_person").n_unique().over("_key") > 1
    if shared_keys is not None:
        shared = shared | pl.col("_key").is_in(shared_keys.cast(pl.String).implode())
    persons = persons.with_columns((pl.col("_key").is_not_null() & shared).fill_null(False).alias("_shared"))
    # A person without a key is named by its first line; one whose key other persons hold too, by both.
    named = persons.filter(pl.col("_key").is_null() | pl.col("_shared")).select("_person")
    firsts = (linked.select("_row", "_person").join(named, on="_person").select("_person", line.alias("_line"))
              .group_by("_person").agg(pl.col("_line").min().alias("_first")))
    persons = persons.join(firsts, on="_person", how="left").select(
        "_person", pl.when(pl.col("_shared")).then(pl.format("{}#{}", "_key", "_first"))
        .otherwise(pl.coalesce("_key", "_first")).alias("_key"))
    return linked.select("_row", "_person").join(persons, on="_person").select("_row", "_key")


#: Keys hashed at a time: a chunk's keys and digests are Python objects (about 100 bytes a key).
IDS_AT_A_TIME = 500_000


def stable_ids(keys: pl.Series) -> pl.Series:
    """``"p"`` + the 8-byte BLAKE2b of each key, in hex: the same id for the same key in every run,
    process and polars version. (A pool of processes loses more to pickling than it gains.)"""
    blake2b = hashlib.blake2b
    digests = [pl.Series([], dtype=pl.Binary)]
    for start in range(0, len(keys), IDS_AT_A_TIME):
        chunk = keys.slice(start, IDS_AT_A_TIME).cast(pl.Binary).to_list()
        digests.append(pl.Series([blake2b(key, digest_size=8).digest() for key in chunk], dtype=pl.Binary))
    return pl.select(pl.lit("p") + pl.concat(digests, rechunk=False).bin.encode("hex")).to_series().alias(keys.name)
