"""Probabilistic person matching on Spark: the local matcher's steps (``people.match``) over the
whole input, the work that grows with the rows on the executors.

The steps, and where they run:

* **executors**, one Arrow batch at a time: each row's matcher record (``people.links.records``)
  prepared as the local engine prepares it (``match.prepare``: a row's values depend on that row
  only), the holders the term frequencies count (``match._holders``) and its content hash.
* **Spark** orders the rows by that hash (then the key) and numbers them: the local engine's
  positions, so the sampled pairs are the same records. It counts the term frequencies (per
  value: rows and distinct holders; per value and surname for email, phone and postcode), makes
  the blocking keys (``match._rule_keys``, on the executors) and groups them: the block sizes per
  rule, and the values held by more than ``max_block`` rows (skipped, noted).
* **driver**, over what is bounded by the rules, not the rows: the weak rules' caps from the
  histogram of block sizes (``match.weak_cap``, so the pair budget is spent as locally), the
  model (``match.fit``) from the comparison patterns Spark counted and the sampled pairs
  (``match.SAMPLE_PAIRS`` of them, the only records collected for the fit).
* **executors** again: the candidate pairs (a self-join of each block's rows, no block over its
  cap), each pair with both records compared (``match._compare``, ``match.exact_u``, with value
  dictionaries of the batch: a comparison reads values, not codes) and weighed
  (``match.weigh_levels``); the components of the pairs at or above ``merge`` (label
  propagation, ``spark._components``), hashed to buckets, each bucket's records and the pairs
  inside its components clustered into persons by ``cluster.cluster`` (a component is whole in
  its bucket: what may split a person is all there).

The links (the rows merged with another, the review pairs) stay on the cluster
(``SparkMatches``): the people stage joins them to the rows. What the driver holds beyond the
bounded sample grows with the rules (block sizes, skipped values), not with the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from listclean.people import match
from listclean.people.links import Matches, details, skipped_findings
from listclean.result import short_names

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

KEY = "_row"
#: Columns that are unsigned 64-bit hashes locally; Spark carries them as (signed) longs.
HASHED = ("_hash", "_tns", "_tng")
_PREPARED = ", ".join(["`_id` bigint", "`_order` bigint", "`_hash` bigint", "`_source` string", "`_fields` int",
                       *(f"`{c}` string" for c in match.VALUES), "`_tns` bigint", "`_tng` bigint",
                       *(f"`_h_{c.tf}` bigint" for c in match.COMPARISONS)])


def _signed(series: pl.Series) -> pl.Series:
    return series.cast(pl.UInt64).reinterpret(signed=True)


def _unsigned(frame: pl.DataFrame) -> pl.DataFrame:
    """Hash columns back to the local engine's unsigned type."""
    return frame.with_columns(pl.col(c).reinterpret(signed=False) for c in frame.columns
                              if c in HASHED or c.startswith("_tk_"))


def _prepare_rows(kept_schema: dict, source: str, schema):
    """For ``mapInArrow``: each row's prepared record (see the module)."""
    import pyarrow as pa

    from listclean.people.links import records

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch).select(pl.col(c).cast(t) for c, t in kept_schema.items())
            given = records(frame, [source])
            fields = [f for f in match.FIELDS if f in given.columns]
            present = pl.sum_horizontal(pl.col(f).is_not_null().cast(pl.Int32) * (1 << match.FIELDS.index(f))
                                        for f in fields) if fields else pl.lit(0, pl.Int32)
            # As text: the executors' hashes of the values must agree with one another.
            data = match.as_text(match.prepare(given)).join(given.select("_id", present.alias("_fields")), on="_id")
            holders = match._holders(data)
            out = data.select(
                "_id", (pl.col("_hash") ^ pl.lit(1 << 63, pl.UInt64)).reinterpret(signed=True).alias("_order"),
                pl.col("_hash").reinterpret(signed=True), "_source", pl.col("_fields").cast(pl.Int32), *match.VALUES,
                *[key.reinterpret(signed=True) for key in match.SOUND_KEYS.values()],
                *[_signed(holders[c.tf]).alias(f"_h_{c.tf}") for c in match.COMPARISONS])
            yield from out.to_arrow().cast(schema).to_batches()

    return run


#: Inputs up to this many rows are matched on the driver (``on_driver``) unless asked otherwise.
#: Where it fits, the driver's matcher is the faster (a generated 1M-row export on two cores:
#: 121 s against 400 s distributed); it holds about 1.9 GB of the driver's memory a million rows.
DRIVER_ROWS = 500_000


@dataclass
class SparkMatches:
    """The matcher's links as ``people.links.Matches`` holds them, its persons and review pairs
    as Spark frames: they stay on the cluster, and the people stage joins them to the rows."""

    person: DataFrame      # _row, _match: rows the matcher put in one person with another row
    review: DataFrame      # _row < _other, probability: possibly the same person, not merged
    skipped: pl.DataFrame  # field, value, rows: blocking values too common to block on
    details: dict

    @classmethod
    def of(cls, spark, found: Matches) -> SparkMatches:
        """Links of the local matcher's ``Matches`` (the matcher on the driver)."""
        def frame(rows: pl.DataFrame, schema: str):
            return spark.createDataFrame(rows.to_arrow(), schema) if rows.height else spark.createDataFrame([], schema)

        return cls(frame(found.person, "`_row` bigint, `_match` bigint"),
                   frame(found.review, "`_row` bigint, `_other` bigint, `probability` double"),
                   found.skipped, found.details)

    def per_row(self) -> DataFrame:
        """``_row, _match, _reviews``: each linked row's person, and its review pairs as the
        smaller row (``_other``, ``probability``)."""
        from pyspark.sql import functions as F

        reviews = self.review.groupBy(KEY).agg(F.collect_list(F.struct("_other", "probability")).alias("_reviews"))
        return self.person.join(reviews, on=KEY, how="full")

    def skipped_findings(self) -> list[pl.DataFrame]:
        return skipped_findings(self.skipped)

    def summary(self) -> dict:
        return {"merged_rows": self.person.count(), "review_pairs": self.review.count(), **self.details}


def matcher_on_executors(matcher_on: str | None, rows_in: int) -> bool:
    """Whether the matcher runs distributed: ``"executors"``, ``"driver"``, or by the input's size."""
    from listclean.errors import ListcleanError

    if matcher_on not in (None, "executors", "driver"):
        raise ListcleanError(f"matcher_on={matcher_on!r}: give 'executors' or 'driver'")
    return matcher_on == "executors" or (matcher_on is None and rows_in > DRIVER_ROWS)


def on_driver(run, judged: DataFrame) -> SparkMatches:
    """The matcher (``people.links.find_matches``) on the driver, over the identity columns of
    every row only (``MATCHER_COLUMNS``), as in the local engine."""
    from listclean import pipeline
    from listclean.engines.spark import MATCHER_COLUMNS
    from listclean.people.links import find_matches

    columns = [KEY, *(c for c in MATCHER_COLUMNS if c in run.kept_schema)]
    identity = pl.from_arrow(judged.select(*columns).toArrow()).sort(KEY)
    identity = identity.select(*[pl.col(c).cast(run.kept_schema[c]) for c in columns])
    found = find_matches(identity, [run.source], pipeline.match_settings(run.settings.policy.match))
    return SparkMatches.of(judged.sparkSession, found)


def matched(run, judged: DataFrame) -> SparkMatches:
    """The matcher's links over every row of ``judged``, distributed (see the module)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from listclean import pipeline
    from listclean.engines.spark import MATCHER_COLUMNS, _arrow_schema, _cut, numbered

    settings = pipeline.match_settings(run.settings.policy.match)
    columns = [KEY, *(c for c in MATCHER_COLUMNS if c in run.kept_schema)]
    kept_schema = {c: run.kept_schema[c] for c in columns}
    source = short_names([run.source])[0]
    prepared = judged.select(*columns).mapInArrow(_prepare_rows(kept_schema, run.source, _arrow_schema(_PREPARED)),
                                                  _PREPARED)
    # The local engine's positions: rows by content hash (unsigned: _order), then key.
    rows = numbered(prepared.orderBy("_order", "_id").transform(_cut), "_pos").drop("_order")
    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    persisted = [rows]
    try:
        counted = rows.agg(F.count(F.lit(1)).alias("n"), F.bit_or("_fields").alias("fields"),
                           *[F.count(c.tf).alias(c.tf) for c in match.COMPARISONS]).first()
        n = int(counted["n"])
        comparisons = [c for c in match.COMPARISONS if counted[c.tf] >= 2]
        used = tuple(f for i, f in enumerate(match.FIELDS) if (counted["fields"] or 0) >> i & 1
                     and any(f in c.inputs for c in comparisons))
        rows, exact_u = _term_frequencies(rows, comparisons, n, {c.tf: counted[c.tf] for c in comparisons})
        rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
        persisted.append(rows)
        pairs, skipped, rules, cached = _block(rows, n, settings.max_block)
        persisted += cached
        excluded = 0.0
        if source in settings.one_per_source:  # one input: its rows are never one person
            pairs, excluded = pairs.limit(0), n * (n - 1) / 2
        pairs = pairs.persist(StorageLevel.MEMORY_AND_DISK)
        candidates = pairs.count()
        compared = _compared(rows, pairs, comparisons).persist(StorageLevel.MEMORY_AND_DISK)
        persisted += [pairs, compared]
        patterns = _patterns(compared, comparisons)
        sample_l, sample_r = match._sample(n, match.SAMPLE_PAIRS, settings.seed)
        sample = _sampled(rows, sample_l, sample_r, comparisons)
        model = replace(match.fit(n, sample, patterns, candidates, comparisons, used, exact_u, excluded),
                        blocking=rules)
        scored = _weighed(compared, comparisons, model).persist(StorageLevel.MEMORY_AND_DISK)
        persisted.append(scored)
        return _clustered(rows, scored, model, skipped, settings)
    finally:
        for frame in persisted:
            frame.unpersist()


def _term_frequencies(rows: DataFrame, comparisons: list, n: int,
                      present: dict[str, int]) -> tuple[DataFrame, list[float]]:
    """``rows`` with the columns ``match._term_frequencies`` adds, counted by Spark, and each
    comparison's average exact ``u`` (``match.average_exact_u``; ``present``: the rows with a
    value, per compared column). Every comparison's values are counted in one frame (one row
    per row and compared value) and brought back to the rows with one join."""
    from pyspark.sql import functions as F

    family = [i for i, c in enumerate(comparisons) if c.name in match.FAMILY_SHARED]
    added = [F.lit(float(n)).alias("_rows")]
    if comparisons:
        held = F.array(*[F.struct(F.lit(i).alias("_c"), F.col(c.tf).alias("_v"), F.col(f"_h_{c.tf}").alias("_k"))
                         for i, c in enumerate(comparisons)])
        values = (rows.select("_pos", "_tns", F.explode(held).alias("_s")).select("_pos", "_tns", "_s.*")
                  .filter(F.col("_v").isNotNull()))
        by_value = values.groupBy("_c", "_v").agg(F.count(F.lit(1)).alias("_r"), F.countDistinct("_k").alias("_h"))
        spread = pl.from_arrow(by_value.groupBy("_c", F.col("_r").alias("rows"), F.col("_h").alias("holders"))
                               .agg(F.sum("_r").alias("values_rows")).toArrow())
        averages = [match.average_exact_u(c, spread.filter(pl.col("_c") == i), present[c.tf])
                    for i, c in enumerate(comparisons)]
        within = (values.filter(F.col("_c").isin(family) & F.col("_tns").isNotNull()).groupBy("_c", "_v", "_tns")
                  .agg(F.count(F.lit(1)).alias("_rw"), F.countDistinct("_k").alias("_hw")))
        counted = values.join(by_value, on=["_c", "_v"]).join(within, on=["_c", "_v", "_tns"], how="left")

        def of(i: int, column):
            return F.max(F.when(F.col("_c") == i, column))

        stats = []
        for i, c in enumerate(comparisons):
            stats += [of(i, F.col("_h")).alias(f"_th_{c.name}"), of(i, F.col("_r")).alias(f"_tr_{c.name}")]
            if i in family:
                stats += [of(i, F.col("_hw")).alias(f"_tv_{c.name}"), of(i, F.col("_rw")).alias(f"_tw_{c.name}")]
        rows = rows.join(counted.groupBy("_pos").agg(*stats), on="_pos", how="left")
        added += [F.when(F.col(c.tf).isNotNull(), F.col(f"_h_{c.tf}")).alias(f"_tk_{c.name}") for c in comparisons]
    else:
        averages = []
    if family:
        surnames = rows.groupBy(F.col("_tns").alias("_s")).agg(F.count(F.lit(1)).alias("_tnn"))
        rows = rows.join(surnames, F.col("_tns").eqNullSafe(F.col("_s")), "left").drop("_s")
        added += [F.col("_tnn").alias(f"_tnn_{comparisons[i].name}") for i in family]
    rows = rows.select("*", *added).drop("_tnn", *[f"_h_{c.tf}" for c in match.COMPARISONS])
    return rows, averages


def _memberships(rows: DataFrame) -> DataFrame:
    """``_rule, _key, _pos``: each row under the key of each blocking rule it has (once per variant)."""
    import pyarrow as pa

    schema = "`_rule` int, `_key` bigint, `_pos` bigint"

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            hashed = match.key_hashes(frame)
            position = frame["_pos"].to_numpy()
            for index, rule in enumerate(match.BLOCKING):
                keys, at = match._rule_keys(rule, hashed)
                yield pa.RecordBatch.from_pydict({"_rule": pa.array(np.full(len(keys), index, np.int32)),
                                                  "_key": pa.array(keys.view(np.int64)),
                                                  "_pos": pa.array(position[at])})

    return rows.select("_pos", *match.KEY_COLUMNS).mapInArrow(run, schema)


def _block(rows: DataFrame, n: int, max_block: int) -> tuple[DataFrame, pl.DataFrame, tuple, list]:
    """(candidate pairs ``_l < _r`` of positions, skipped blocking values, what each rule did —
    as ``match._block`` finds them — and the frames it persisted)."""
    from pyspark.sql import functions as F

    members = _memberships(rows).persist()
    # A row may hold a key twice (two variants): it pairs with the others, not with itself.
    blocks = (members.groupBy("_rule", "_key", "_pos").agg(F.count(F.lit(1)).alias("_m"))
              .groupBy("_rule", "_key").agg(F.sum("_m").alias("_size"), F.sum(F.col("_m") * (F.col("_m") - 1) / 2)
                                            .cast("long").alias("_self"), F.min("_pos").alias("_first"))
              .persist())
    # Per rule: its blocks by size, and each block too big to use (by its first row: two such
    # blocks of one row and size are counted together, shown alike).
    summary = pl.from_arrow(blocks.filter(F.col("_size") >= 2).groupBy(
        "_rule", "_size", F.when(F.col("_size") > max_block, F.col("_first")).alias("_first"))
        .agg(F.count(F.lit(1)).alias("blocks"), F.sum("_self").alias("self")).toArrow())
    sizes = summary.filter(pl.col("_first").is_null())
    big = summary.filter(pl.col("_first").is_not_null()).select(
        "_rule", "_size", "_first", pl.int_ranges("blocks").alias("_copy")).explode("_copy")
    shown = _first_rows(rows, big["_first"])
    budget, made, rules, caps, skipped = match.pair_budget(n), 0, [], [], []
    for index, rule in enumerate(match.BLOCKING):
        mine = sizes.filter(pl.col("_rule") == index)
        counts = np.zeros(max_block + 1, dtype=np.int64)
        counts[mine["_size"].to_numpy()] = mine["blocks"].to_numpy()
        cap = match.weak_cap(counts, made, budget, max_block) if rule.weak and counts.any() else max_block
        kept = mine.filter(pl.col("_size") <= cap)
        pairs = int((kept["blocks"] * kept["_size"] * (kept["_size"] - 1) // 2 - kept["self"]).sum())
        made += pairs
        rules.append((rule.name, cap, pairs))
        caps += [F.lit(index), F.lit(cap)]
        over = big.filter(pl.col("_rule") == index)
        if over.height:
            text = match.skipped_text(shown, rule).gather(shown["_pos"].search_sorted(over["_first"]))
            skipped.append(pl.DataFrame({"field": [rule.name] * over.height, "value": text, "rows": over["_size"]}))
    cap = F.element_at(F.create_map(*caps), F.col("_rule"))
    usable = blocks.filter((F.col("_size") >= 2) & (F.col("_size") <= cap)).select("_rule", "_key")
    held = members.join(usable, on=["_rule", "_key"]).select("_rule", "_key", "_pos").distinct()
    pairs = (held.alias("a").join(held.alias("b"), on=["_rule", "_key"])
             .filter(F.col("a._pos") < F.col("b._pos"))
             .select(F.col("a._pos").alias("_l"), F.col("b._pos").alias("_r")).distinct())
    return pairs, match.sorted_skipped(skipped), tuple(rules), [members, blocks]


def _at(rows: DataFrame, positions: pl.Series) -> pl.DataFrame:
    """The rows at ``positions`` (a few hundred thousand at most: broadcast), collected."""
    from pyspark.sql import functions as F

    chosen = rows.sparkSession.createDataFrame(positions.unique().cast(pl.Int64).to_frame("_pos").to_arrow())
    return pl.from_arrow(rows.join(F.broadcast(chosen), on="_pos").toArrow())


def _first_rows(rows: DataFrame, positions: pl.Series) -> pl.DataFrame:
    """The blocking key parts' texts (``match.key_texts``) of the rows at ``positions``, by position."""
    frame = _at(rows.select("_pos", *match.KEY_COLUMNS), positions).sort("_pos")
    return match.key_texts(frame).with_columns(frame["_pos"])


#: Per row, what comparing and pricing a pair read of it.
def _pair_columns(rows: DataFrame) -> list[str]:
    return ["_id", "_pos", *match.VALUES, "_rows", "_tns", "_tng", *[c for c in rows.columns if c.startswith("_t")
                                                               and c not in ("_tns", "_tng")]]


def _local(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Records as the local matcher holds them, by position: codes into this frame's own value
    dictionaries (``match._encode``)."""
    return match._encode(_unsigned(frame).unique("_pos").sort("_pos"))


def _compared(rows: DataFrame, pairs: DataFrame, comparisons: list) -> DataFrame:
    """Per candidate pair: ``_id_l, _id_r``, the exact levels' ``u`` (``_u_<comparison>``) and
    the level of each comparison, computed on the executors from both records."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    from listclean.engines.spark import _arrow_schema

    wanted = _pair_columns(rows)
    side = {s: rows.select(*[F.col(c).alias(f"{s}{c}") for c in wanted]) for s in ("l", "r")}
    joined = (pairs.join(side["l"], F.col("_l") == F.col("l_pos")).join(side["r"], F.col("_r") == F.col("r_pos"))
              .drop("_l", "_r"))
    names = [c.name for c in comparisons]
    schema = ", ".join(["`_id_l` bigint", "`_id_r` bigint", *(f"`_u_{c}` double" for c in names),
                        *(f"`{c}` tinyint" for c in names)])
    arrow_schema = _arrow_schema(schema)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            ends = {s: frame.select(pl.col(f"{s}{c}").alias(c) for c in wanted) for s in ("l", "r")}
            data, dictionaries = _local(pl.concat([ends["l"], ends["r"]]))
            left, right = (data["_pos"].search_sorted(ends[s]["_pos"]).cast(pl.UInt32) for s in ("l", "r"))
            levels = match._compare(data, dictionaries, left, right, comparisons)
            priced = match.exact_u(data, left, right, comparisons, levels)
            yield from priced.hstack(levels.get_columns()).to_arrow().cast(arrow_schema).to_batches()

    return joined.mapInArrow(run, schema)


def _patterns(compared: DataFrame, comparisons: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The comparison patterns of every candidate pair and their counts (``match._patterns``),
    counted per batch (``match._pattern_counts``) and summed by Spark."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    from listclean.engines.spark import _arrow_schema

    names = [c.name for c in comparisons]
    if not names:
        return match._patterns([], [])
    schema = ", ".join([*(f"`{c}` tinyint" for c in names), *(f"`_u_{c}` double" for c in names), "`len` bigint"])
    arrow_schema = _arrow_schema(schema)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            counted = match._pattern_counts(frame.select(names), match.log_u(frame))
            yield from counted.to_arrow().cast(arrow_schema).to_batches()

    groups = [*names, *[f"_u_{c}" for c in names]]
    summed = compared.mapInArrow(run, schema).groupBy(*groups).agg(F.sum("len").alias("len"))
    return match._patterns([pl.from_arrow(summed.toArrow()).with_columns(pl.col("len").cast(pl.Int64))], names)


def _sampled(rows: DataFrame, left: pl.Series, right: pl.Series, comparisons: list) -> tuple[np.ndarray, np.ndarray]:
    """The sampled pairs' levels and exact levels' ln ``u`` (``match.sampled``): their records
    collected (at most twice ``match.SAMPLE_PAIRS``) and compared on the driver."""
    data, dictionaries = _local(_at(rows.select(*_pair_columns(rows)), pl.concat([left, right])))
    at = data["_pos"]
    return match.sampled(data, dictionaries, at.search_sorted(left.cast(pl.Int64)).cast(pl.UInt32),
                         at.search_sorted(right.cast(pl.Int64)).cast(pl.UInt32), comparisons)


def _weighed(compared: DataFrame, comparisons: list, model) -> DataFrame:
    """``_id_l < _id_r, weight, probability`` of every candidate pair (``match.weigh_levels``)."""
    import pyarrow as pa

    from listclean.engines.spark import _arrow_schema

    names = [c.name for c in comparisons]
    schema = "`_id_l` bigint, `_id_r` bigint, `weight` double, `probability` double"
    arrow_schema = _arrow_schema(schema)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            weighed = match.weigh_levels(frame.drop(names), frame.select(names), model)
            yield from weighed.select("_id_l", "_id_r", "weight", "probability").to_arrow().cast(
                arrow_schema).to_batches()

    return compared.mapInArrow(run, schema)


#: What the clustering of a bucket returns: a row merged with others (``_match``: its person), or
#: a review pair inside a component (``_other``, ``probability``).
_CLUSTERED = "`_row` bigint, `_match` bigint, `_other` bigint, `probability` double"


def _clustered(rows: DataFrame, scored: DataFrame, model, skipped: pl.DataFrame, settings):
    """Persons (``cluster.cluster``) on the executors: the components of the pairs at or above
    ``merge`` (Spark's label propagation) are hashed to buckets, and each bucket's records and
    the pairs inside its components are clustered by the local engine's code. A pair at or above
    ``review`` across components is a review pair as it is. The links are checkpointed: they
    outlive the frames the matcher persisted."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    from listclean.engines.spark import _arrow_schema, _bucket_count, _components, _cut
    from listclean.people.cluster import cluster

    strong = scored.filter(F.col("probability") >= settings.merge).select(F.col("_id_l").alias("a"),
                                                                        F.col("_id_r").alias("b"))
    labels = _components(strong).withColumnRenamed("_node", "_id")
    label = {s: labels.select(F.col("_id").alias(f"_id_{s}"), F.col("_label").alias(f"_c_{s}")) for s in "lr"}
    pairs = scored.join(label["l"], "_id_l", "left").join(label["r"], "_id_r", "left")
    across = (pairs.filter((F.col("probability") >= settings.review)
                           & ~F.coalesce(F.col("_c_l") == F.col("_c_r"), F.lit(False)))
              .select(F.col("_id_l").alias("_row"), F.lit(None).cast("long").alias("_match"),
                      F.col("_id_r").alias("_other"), "probability"))
    buckets = _bucket_count(rows.sparkSession, labels.count())
    bucket = F.pmod(F.hash("_label"), F.lit(buckets)).alias("_b")
    inside = pairs.filter(F.col("_c_l") == F.col("_c_r")).select(
        F.pmod(F.hash("_c_l"), F.lit(buckets)).alias("_b"), "_id_l", "_id_r", "weight", "probability")
    records = rows.join(labels, "_id").select(bucket, "_source", "_hash", *_pair_columns(rows))
    arrow_schema = _arrow_schema(_CLUSTERED)
    no_skipped = skipped.clear()

    def settle(members: pa.Table, linked: pa.Table) -> pa.Table:
        data, dictionaries = _local(pl.from_arrow(members).drop("_b"))
        links = match.Links(pl.from_arrow(linked).drop("_b").sort("_id_l", "_id_r"), model, no_skipped,
                            match.kept_records(data), dictionaries)
        found = cluster(data["_id"], links, settings)
        merged = found.person.filter(pl.col("_person").is_duplicated()).select(
            pl.col("_id").alias("_row"), pl.col("_person").alias("_match"))
        review = found.review.filter(pl.col("_id") < pl.col("_other")).select(
            pl.col("_id").alias("_row"), "_other", "probability")
        return pl.concat([merged, review], how="diagonal").select(
            "_row", "_match", "_other", "probability").to_arrow().cast(arrow_schema)

    clustered = records.groupBy("_b").cogroup(inside.groupBy("_b")).applyInArrow(settle, _CLUSTERED)
    found = clustered.unionByName(across).transform(_cut)
    return SparkMatches(found.filter(F.col("_match").isNotNull()).select("_row", "_match"),
                 found.filter(F.col("_other").isNotNull()).select(
                     F.least("_row", "_other").alias("_row"), F.greatest("_row", "_other").alias("_other"), "probability"),
                 skipped, details(model, settings))
