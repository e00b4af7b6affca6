"""The Spark engine: listclean's stages over a Spark DataFrame, with the local engine's code.

What runs where:

* **executors** (``DataFrame.mapInArrow``, one Arrow batch at a time): ``pipeline.judge_batch``
  — normalise, lookups (DNS verdicts and suppression matches, shipped from the driver), the
  rules of the one registry, grading — exactly the function the local engine calls per batch.
  Each row comes back narrow: its key, the columns the people stage reads and its findings as
  an array (with exact matching, also its address key and other-identifier key, by
  ``people.identifiers``). Two cheap passes before it collect, per batch, the distinct days of
  the date columns and the distinct valid email domains (``--dns``).
* **driver**: the column map and the date orders (from the header and the distinct days, so
  every batch reads dates the same way), DNS (the distinct domains resolved once with the
  bounded resolver and its cache), a hashed snapshot of the suppression store (no plaintext).

The people stage (dedupe, consent and stop propagation) and decide run on the executors
(``_settle_distributed``; ``judge(..., people_on="driver")`` runs them on the driver instead, as
the local engine does, to compare):

* with **probabilistic matching** (the policy asks for it, or ``auto`` with a name column), the
  matcher runs first. Above ``spark_match.DRIVER_ROWS`` rows (or with ``matcher_on="executors"``)
  it is distributed (``spark_match.matched``): records prepared and compared on the executors,
  term frequencies, blocks and candidate pairs by Spark's shuffles, the model fitted on the
  driver from Spark's pattern counts and a bounded sample, persons clustered on the executors
  per bucket of whole components — the local matcher's functions at each step, so the same links.
  Otherwise the identity columns of every row (``MATCHER_COLUMNS``) are collected and
  ``people.links.find_matches`` runs on the driver (``spark_match.on_driver``). Either way the
  links (rows merged into one person, review pairs) are Spark frames (``spark_match.SparkMatches``).
* Spark's shuffles compute what needs the whole input (``_people_facts``): address clusters
  (rows with one address key); persons (clusters holding rows the matcher merged, unless the
  address is on more than ``max_shared_identifier`` rows); the other identifiers that repeat,
  those shared by more than ``max_shared_identifier`` people (too common: they link nobody;
  their DU003 notes are made once, on the driver, from the global counts); the person keys that
  several people hold; and the groups — people linked by a shared usable identifier or a review
  pair — by label propagation on DataFrames (``_components``, checkpointed each round). The
  rows of groups of several rows (and the flagged ones) are repartitioned by a hash of their
  group — a partition is a bucket holding whole groups — and every other row, a group of its
  own, stays where it is (no shuffle); each bucket, and each batch of lone rows, is settled by
  the local engine's code (``mapInArrow``): ``people.resolve`` (told the global too-common
  identifiers and shared person keys, and given the matcher's links of its rows, joined to them),
  grading, ``decide``. The executors return per row its status, person_id, duplicate_of, codes
  and final findings (and a few examples per code); they stay in Spark (checkpointed) for
  ``clean`` and the library's ``check``.
* **What remains driver-bound**: with the matcher on the driver, the identity columns of every
  row and its candidate pairs, as the local engine holds them (the driver's Python peaked at
  1.9 GB on a generated export of a million rows); distributed, the sampled records (bounded).
  ``judge(..., per_row=True)`` collects per row the key, status, person_id and duplicate_of,
  and its final findings (code, field, message, suggestion) — about 140 bytes a row as Arrow on
  a generated export with 1.1 findings a row; the driver's Python peak grows by about 560 MB per
  million rows with the copies made while the Result is built. By default (``per_row=False``:
  the CLI, whatever it reports, and ``check``) the reports' figures are counted on Spark
  (``_totals``: ``Result.totals``) and the driver's peak does not grow with the rows (+3 MB at
  a million, ``--paths totals``); json and the ``--findings`` file read the findings streamed
  from Spark in row order (``Result.streamed``), github and junit the first rows of each code
  worked out on Spark (``Result.first_by_code``). A group of linked rows is settled whole in
  one Python worker: one address on millions of rows (a placeholder) makes one big bucket.

See README "Running on Spark" for the limits.

Row keys: a ``_row`` column of the input (a long) is the key when there is one (the library's
``key=``). Otherwise rows are numbered 1, 2, … in Spark's read order (per partition counts, then
offsets; no shuffle): for a single CSV file that is the record's position after the header —
listclean's own ``_row`` whenever the file has no blank lines and no quoted field spanning lines
(where the local loader keeps line numbers). Parity between the engines is per key.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from listclean.columns import ColumnMap, file_overrides, map_columns, unused_overrides
from listclean.decide import grade
from listclean.errors import ListcleanError
from listclean.load import TABLE_PREFIX, _carried_names, sniff_delimiter
from listclean.lookups import Lookups
from listclean.normalize.consent import (
    TIME_OF_DAY,
    DateOrder,
    _date_order,
    date_columns,
)
from listclean.normalize.email import add_email_columns
from listclean.people import COLUMNS as PEOPLE_COLUMNS
from listclean.people import identifiers
from listclean.people.links import FIELDS as MATCHED_FIELDS
from listclean.result import FINDING_SCHEMA, STATUS, Result, RowTotals
from listclean.settings import Settings, build_settings
from listclean.suppression.imports import store_summary
from listclean.suppression.snapshot import HashedSnapshot

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

MISSING = '--engine spark needs pyspark: pip install ".[spark]" in a clone of listclean\'s repository'
KEY = "_row"
#: The transport of findings from the executors: one array of these per row.
_FINDING_FIELDS = ("code", "field", "message", "suggestion")
_FINDING_TYPE = "array<struct<" + ", ".join(f"{f}: string" for f in _FINDING_FIELDS) + ">>"
#: Each row's address key and other-identifier key (``people.identifiers``), for exact matching.
KEY_COLUMNS = ("_address", "_other")
#: A row's links by the matcher, carried to its bucket (``spark_match.SparkMatches.per_row``).
_LINK_COLUMNS = ("_match", "_reviews")
#: What the distributed people stage reads of the kept columns (the raw phone: for the examples;
#: the export's own unsubscribe: for ``clean --record-unsubscribes``; the typo fix: ``--fixable``).
EXACT_COLUMNS = (*PEOPLE_COLUMNS, "phone_unplaced", "raw_phone", "unsubscribed", "email_typo_fix")
#: What the matcher reads besides them (``people.links.records``): collected to the driver, never
#: shuffled with the rows.
MATCHER_COLUMNS = ("email_key", "email", "phone_e164", "raw_phone", *MATCHED_FIELDS)
#: Rounds of label propagation at most; links form stars around each shared value, so real
#: components settle in two or three.
MAX_ROUNDS = 100
#: Facts (rows linked to another, or flagged) joined to the rows by broadcast up to this many:
#: about 30 MB through the driver; beyond, a shuffle join.
BROADCAST_FACTS = 1_000_000
#: Rows of one bucket of the distributed people stage at most (on average): a bucket is held
#: whole in one Python worker, about 1 kB a row.
BUCKET_ROWS = 200_000
_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".jsonl": "json",
            ".ndjson": "json", ".json": "json"}


def require() -> None:
    """Raise the one-line error when pyspark cannot be imported."""
    try:
        import pyspark.sql  # noqa: F401
    except ImportError:
        raise ListcleanError(MISSING) from None


def session(master: str = "local[*]", conf: Sequence[str] | dict[str, str] = ()) -> SparkSession:
    """A SparkSession for the CLI: ``master`` and ``KEY=VALUE`` settings (``--spark-conf``).
    In local mode the Python workers run this interpreter (unless PYSPARK_PYTHON says otherwise),
    so they import the same listclean."""
    require()
    from pyspark.sql import SparkSession

    pairs = dict(conf) if isinstance(conf, dict) else dict(_conf_pair(each) for each in conf)
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("listclean")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    # Bigger Arrow batches than Spark's 10,000 rows: a quarter less time per row, workers of ~400 MB.
    pairs.setdefault("spark.sql.execution.arrow.maxRecordsPerBatch", "50000")
    # The reports that list rows collect every row's verdict and findings to the driver (on the
    # driver path of the people stage, its narrow columns too): no cap (see the module).
    builder = builder.config("spark.driver.maxResultSize", pairs.pop("spark.driver.maxResultSize", "0"))
    java_options = pairs.pop("spark.driver.extraJavaOptions", "")
    if "log4j2.configurationFile" not in java_options:  # Spark's own chatter: errors only, on stderr
        java_options = f"-Dlog4j2.configurationFile={_quiet_logging()} {java_options}".strip()
    builder = builder.config("spark.driver.extraJavaOptions", java_options)
    for name, value in pairs.items():
        builder = builder.config(name, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def _quiet_logging() -> str:
    """A log4j2 configuration file for the driver's JVM that lets only errors through."""
    import tempfile

    path = Path(tempfile.gettempdir()) / f"listclean-log4j2-{os.getuid()}.properties"
    if not path.is_file() or path.read_text() != _LOG4J2:
        path.write_text(_LOG4J2)
    return path.as_uri()


def _col(name: str):
    """A column by its name, whatever characters the name holds (dots, spaces, backticks)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _positional(frame: DataFrame, columns: list[str]) -> tuple[DataFrame, dict[str, str]]:
    """``frame`` with ``columns`` renamed ``_c0``, ``_c1``… for mapInArrow (which cannot take a
    column whose name has a dot), and the names to give them back in the executors."""
    names = {f"_c{i}": c for i, c in enumerate(columns)}
    back = {c: n for n, c in names.items()}
    return frame.select(*[_col(c).alias(back[c]) if c in back else _col(c) for c in frame.columns]), names


def _conf_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ListcleanError(f"--spark-conf {text!r}: give KEY=VALUE, e.g. spark.executor.memory=4g")
    return name.strip(), value


def read(spark: SparkSession, path: str) -> DataFrame:
    """An input as Spark reads it, every column as text: CSV/TSV (the delimiter sniffed from a
    local file's head), Parquet, JSON Lines; a folder of part files by its files' extension;
    ``table:NAME``, a table or view of the session's catalog (``spark.table``: Hive, Delta,
    Iceberg… as the session's settings configure it)."""
    from pyspark.sql import functions as F

    if path.startswith(TABLE_PREFIX):
        name = path[len(TABLE_PREFIX):]
        if not spark.catalog.tableExists(name):
            raise ListcleanError(f"no table or view {name!r} in the Spark session's catalog", file=path)
        frame = spark.table(name)
        return frame.select(*[_col(c).cast("string").alias(c) for c in frame.columns])
    where = Path(path)
    suffix = where.suffix.lower()
    if where.is_dir():
        suffixes = {p.suffix.lower() for p in where.iterdir() if p.is_file() and not p.name.startswith(("_", "."))}
        suffix = next((s for s in suffixes if s in _FORMATS), suffix)
    kind = _FORMATS.get(suffix)
    if kind is None:
        raise ListcleanError("--engine spark reads .csv, .tsv, .txt, .parquet and .jsonl inputs, and "
                             "table:NAME", file=path)
    if kind == "csv":
        sep = "\t" if suffix == ".tsv" else ","
        if where.is_file():
            with where.open("rb") as handle:
                sep = sniff_delimiter(handle.read(64 * 1024).decode("utf-8", "ignore").lstrip("\ufeff"))
        frame = (spark.read.option("header", True).option("sep", sep).option("inferSchema", False)
                 .option("escape", '"').option("multiLine", False).option("mode", "FAILFAST")
                 .option("encoding", "UTF-8").csv(path))
    elif kind == "parquet":
        frame = spark.read.parquet(path)
    else:
        frame = spark.read.json(path)
    # Spark keeps a UTF-8 byte order mark in the first column's name, and reads an empty CSV
    # cell as null where listclean's loader reads it as "" (a parquet null stays null in both).
    cell = (lambda c: F.coalesce(_col(c), F.lit(""))) if kind == "csv" else (lambda c: _col(c))
    return frame.select(*[cell(c).cast("string").alias(c.lstrip("\ufeff")) for c in frame.columns])


# -- what the executors get --------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """Everything a batch needs, decided once on the driver and shipped (pickled) to executors."""

    settings: Settings
    channel: str
    cmap: ColumnMap
    columns: tuple[str, ...]            # the input columns, as the batches carry them
    date_orders: dict[str, DateOrder]
    verdicts: dict | None               # domain → dns.DomainVerdict (None without --dns)
    snapshot: HashedSnapshot | None     # the suppression store, hashed (None: no store)
    kept_schema: dict[str, pl.DataType]  # the narrow columns kept per row (driver's dtypes)
    profile: bool = False               # count the report's aggregates (one record per partition)

    def lookups(self) -> Lookups:
        from listclean.dns import DnsOptions

        lookups = Lookups(self.channel, DnsOptions() if self.verdicts is not None else None, self.snapshot)
        lookups._verdicts.update(self.verdicts or {})  # every domain is resolved already
        return lookups

    def judge(self, batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        from listclean import pipeline

        options = pipeline.rule_options(self.settings, self.channel)
        return pipeline.judge_batch(batch, self.cmap, self.settings, self.channel, self.date_orders,
                                    self.lookups(), options)


def _transport(dtype: pl.DataType) -> pl.DataType:
    """How a kept column travels through Spark (cast back to ``dtype`` on the driver)."""
    if dtype in (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16):
        return pl.Int32
    if dtype.is_integer():
        return pl.Int64
    if dtype.is_float():
        return pl.Float64
    if dtype in (pl.Boolean, pl.Date):
        return dtype
    return pl.String


def _spark_type(dtype: pl.DataType) -> str:
    return {pl.Int32: "int", pl.Int64: "bigint", pl.Float64: "double", pl.Boolean: "boolean",
            pl.Date: "date"}.get(dtype, "string")


def _judge_rows(plan: Plan, arrow_schema, names: dict[str, str]):
    """The executors' function for mapInArrow: Arrow batches of input rows → narrow rows."""
    import pyarrow as pa

    kept = list(plan.kept_schema)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from listclean import pipeline
        from listclean.profile import ProfileCounter

        settings = plan.settings
        counter = ProfileCounter(settings.as_of, settings.policy.max_inactive_days) if plan.profile else None
        for record_batch in batches:
            if record_batch.num_rows == 0:
                continue
            batch = pl.from_arrow(record_batch).rename(names).cast({c: pl.String for c in plan.columns}).with_columns(
                pl.col(KEY).cast(pl.Int64))
            batch = batch.select(KEY, *plan.columns)
            work, found = plan.judge(batch)
            if counter is not None:
                counter.add(work, batch, plan.cmap)
            narrow = pipeline.kept_columns(work).with_columns(
                work["raw_email"].alias("_raw_email"),
                pl.when(work["phone_status"] == "ok").then(work["phone_region"]).alias("_phone_region"))
            nested = (found.filter(pl.col(KEY).is_not_null())
                      .select(KEY, pl.struct(*[pl.col(f).cast(pl.String) for f in _FINDING_FIELDS]).alias("_findings"))
                      .group_by(KEY, maintain_order=True).agg("_findings"))
            out = narrow.join(nested, on=KEY, how="left", maintain_order="left").select(
                *[pl.col(c).cast(_transport(plan.kept_schema[c])) for c in kept], "_raw_email", "_phone_region",
                pl.col("_findings").fill_null(pl.lit([], dtype=nested.schema["_findings"])),
                *([pl.lit(None, pl.Binary).alias("_profile")] if counter is not None else []))
            yield from out.to_arrow().cast(arrow_schema).to_batches()
        if counter is not None:  # the partition's aggregates: one record without a row
            yield pa.RecordBatch.from_pydict(
                {**{name: [None] for name in arrow_schema.names},
                 "_profile": [pickle.dumps((counter.parts, counter.rows))]}, schema=arrow_schema)

    return run


def _profile(records: pl.DataFrame, settings: Settings):
    """The report's aggregates (``profile.Profile``) added up from the partitions' records."""
    from listclean.profile import ProfileCounter

    counter = ProfileCounter(settings.as_of, settings.policy.max_inactive_days)
    for blob in records["_profile"]:
        parts, rows = pickle.loads(blob)
        for name, frames in parts.items():
            counter.parts.setdefault(name, []).extend(frames)
        counter.rows += rows
    return counter.total()


def _survey_rows(plan: Plan, dates: list[str], email: str | None, names: dict[str, str]):
    """The executors' pre-pass: the distinct days of each date column (as
    ``settle_date_orders`` reads them) and, with --dns, the distinct valid email domains."""
    import pyarrow as pa

    schema = pa.schema([("kind", pa.string()), ("column", pa.string()), ("value", pa.string())])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for record_batch in batches:
            batch = pl.from_arrow(record_batch).rename(names)
            parts = [pl.DataFrame({"kind": "date", "column": c, "value": batch[c].cast(pl.String).str.strip_chars()
                                   .str.replace(TIME_OF_DAY, "").drop_nulls().unique()}) for c in dates]
            if email is not None and plan.verdicts is not None:
                emails = add_email_columns(batch.select(pl.col(email).cast(pl.String).alias("raw_email")), "raw_email")
                domains = emails.filter(pl.col("email_status") == "ok")["email_domain"].drop_nulls().unique()
                parts.append(pl.DataFrame({"kind": "domain", "column": "", "value": domains}))
            if parts:
                found = pl.concat([p.cast(pl.String) for p in parts], how="vertical")
                yield from found.to_arrow().cast(schema).to_batches()

    return run


# -- the driver ----------------------------------------------------------------------------------

@dataclass
class SparkJudged:
    result: Result
    rows: DataFrame         # the keyed input: _row and every input column (as text)
    statuses: DataFrame     # _row, status, codes, person_id, duplicate_of
    kept: pl.DataFrame | None  # the narrow columns of every row (driver memory; None when distributed)
    header: list[str]       # the input's column names (``rows`` carries a reserved one renamed)
    cmap: ColumnMap
    unsubscribed: pl.DataFrame | None = None  # the kept columns of the rows the export marks unsubscribed
    run: _Run | None = None  # what judged it: the settings, channel and column map (grading)


def keyed(df: DataFrame, key: str = KEY) -> DataFrame:
    """``df`` as text columns with a long ``_row`` first: ``key`` if the input has it, else
    1, 2, … in Spark's read order (see the module's docstring)."""
    inputs = [c for c in df.columns if c != key]
    carried = _carried_names(inputs)
    text = [_col(c).cast("string").alias(n) for c, n in zip(inputs, carried)]
    if key in df.columns:
        return df.select(_col(key).cast("long").alias(KEY), *text)
    return numbered(df.select(*text), KEY, first=1)


def numbered(frame: DataFrame, name: str, first: int = 0) -> DataFrame:
    """``frame`` with a long column ``name`` first: ``first``, ``first`` + 1, … in the order of
    its partitions and of the rows in each (per partition counts, then offsets; no shuffle). The
    frame is computed twice: it must give the same partitions both times (a read, or a checkpoint)."""
    from pyspark.sql import functions as F

    columns = [_col(c) for c in frame.columns]
    tagged = frame.select(F.spark_partition_id().alias("_pid"), F.monotonically_increasing_id().alias("_mid"),
                          *columns)
    counts = dict(tagged.groupBy("_pid").count().collect())
    offsets, total = [], first
    for pid in range(max(counts, default=-1) + 1):
        offsets += [F.lit(pid), F.lit(total)]
        total += counts.get(pid, 0)
    if not offsets:
        return tagged.select(F.col("_mid").alias(name), *columns)
    # monotonically_increasing_id is (partition << 33) + position in the partition
    offset = F.element_at(F.create_map(*offsets), F.col("_pid"))
    number = offset + F.col("_mid") - F.shiftleft(F.col("_pid").cast("long"), 33)
    return tagged.select(number.cast("long").alias(name), *columns)


def judge(df: DataFrame, settings: Settings | None = None, *, key: str = KEY, source: str = "<Spark DataFrame>",
          input_format: str = "spark", input_sha256: str = "", command: str = "check",
          on_stage=None, people_on: str | None = None, profile: bool = False,
          unsubscribed: bool = False, views: bool = False, per_row: bool = False,
          matcher_on: str | None = None) -> SparkJudged:
    """Every row of ``df`` → one status, as ``pipeline.judge`` does for one input (see the module).
    ``people_on``: where the people stage runs, ``"executors"`` (the default) or ``"driver"``
    (all of it, as the local engine runs it). ``profile``: also count the HTML report's aggregates (``Result.profile``);
    ``unsubscribed``: also collect the rows the export marks unsubscribed (``SparkJudged.unsubscribed``,
    for ``suppression.imports.record_unsubscribes``); ``views``: the marketer's views of each row
    (``views.marketer_views``: columns ``repermission``, ``fixable`` and the fix of the statuses).
    ``per_row`` (people on the executors): False (the default), the Result's statuses and
    findings are counted on Spark (``Result.totals``), not collected: the driver holds nothing
    per row, and the reports read the findings streamed from Spark in row order
    (``Result.streamed``) or the first rows of each code (``Result.first_by_code``); True, every
    row's status, person, duplicate_of and final findings are collected into the Result
    (``Result.statuses``, ``Result.findings``), as the local engine gives them.
    ``matcher_on`` (people on the executors, probabilistic matching): ``"executors"`` (blocking,
    scoring and components distributed, ``engines.spark_match``), ``"driver"`` (the local
    matcher over every row's identity columns), or ``None``: the driver up to
    ``spark_match.DRIVER_ROWS`` rows."""

    from listclean import pipeline
    from listclean.engines import spark_match

    started = time.perf_counter()
    settings = settings if settings is not None else build_settings()
    stage = on_stage or pipeline._silent
    rows = keyed(df, key)  # an input column named _row (not the key) is carried as _row_input
    columns = [c for c in rows.columns if c != KEY]
    cmap = map_columns(columns, file_overrides(settings.column_map, source, columns, False), source)
    unused_overrides(settings.column_map, [source], [columns])
    loaded = _Input(source, columns)
    channel = pipeline._channel(settings, [cmap], [loaded])
    options = pipeline.rule_options(settings, channel)

    with pipeline._lookups(settings, channel, stage) as lookups:
        # The pre-pass: distinct days of the date columns, distinct domains with --dns.
        dates = date_columns(cmap, channel)
        probe = Plan(settings, channel, cmap, tuple(columns), {}, {} if lookups.dns is not None else None, None, {})
        surveyed = pl.DataFrame(schema={"kind": pl.String, "column": pl.String, "value": pl.String})
        if dates or lookups.dns is not None:
            stage("normalise")
            read = list(dict.fromkeys([*dates, *([cmap.get("email")] if lookups.dns is not None else [])]))
            narrow, names = _positional(rows.select(*[_col(c) for c in read]), read)
            survey = narrow.mapInArrow(_survey_rows(probe, dates, cmap.get("email"), names),
                                                      "kind string, column string, value string").distinct()
            surveyed = pl.from_arrow(survey.toArrow())
        date_orders = {c: _date_order(surveyed.filter((pl.col("kind") == "date") & (pl.col("column") == c))["value"],
                                      c, settings.date_format) for c in dates}
        verdicts = None
        if lookups.dns is not None:
            stage("lookups")
            domains = surveyed.filter(pl.col("kind") == "domain")["value"]
            lookups._dns_table(pl.DataFrame({"email_status": ["ok"] * len(domains), "email_domain": domains}))
            verdicts = dict(lookups._verdicts)
        snapshot = HashedSnapshot.of(lookups.store, channel) if lookups.store is not None else None
        dns_stats = lookups.dns_report()

    # The schema of what is kept per row, and the file notes, from an empty batch on the driver.
    empty = pl.DataFrame(schema={KEY: pl.Int64, **{c: pl.String for c in columns}})
    plan = Plan(settings, channel, cmap, tuple(columns), date_orders, verdicts, snapshot, {})
    work, file_found = pipeline.judge_batch(empty, cmap, settings, channel, date_orders, plan.lookups(), options,
                                            file_notes=True)
    kept_schema = dict(pipeline.kept_columns(work).schema)
    distributed = _people_on_executors(people_on)
    spark_match.matcher_on_executors(matcher_on, 0)  # a wrong value is refused, whatever the policy
    probabilistic = pipeline._probabilistic(settings.policy.match, [cmap])
    if distributed:  # only what the people stage, decide and the examples read (and the matcher's
        # fields, collected apart): the rows shuffled are narrower
        kept_schema = {c: t for c, t in kept_schema.items()
                       if c in EXACT_COLUMNS or (probabilistic and c in MATCHER_COLUMNS)}
    plan = Plan(settings, channel, cmap, tuple(columns), date_orders, verdicts, snapshot, kept_schema,
                profile=profile)

    stage("rules")
    def fields(kept: dict[str, pl.DataType]) -> list[str]:
        return [*(f"`{c}` {_spark_type(_transport(t))}" for c, t in kept.items()), "`_raw_email` string"]

    rest = [f"`_findings` {_FINDING_TYPE}", *(["`_profile` binary"] if profile else [])]
    out_schema = ", ".join([*fields(kept_schema), "`_phone_region` string", *rest])
    safe, names = _positional(rows, columns)
    judged = safe.mapInArrow(_judge_rows(plan, _arrow_schema(out_schema), names), out_schema)
    rows_in = rows.count()
    kept_schema = {("phone_key" if c == "phone_unplaced" else c): t for c, t in kept_schema.items()}
    placed_schema = ", ".join([*fields(kept_schema), *(f"`{c}` string" for c in (KEY_COLUMNS if distributed else ())),
                               *rest])
    run = _Run(settings, channel, cmap, source, key, kept_schema, file_found.filter(pl.col(KEY).is_null()),
               unsubscribed=unsubscribed, views=views)
    from pyspark import StorageLevel

    judged = judged.persist(StorageLevel.MEMORY_AND_DISK)  # read twice: the usual region, then the rows
    try:
        placed = _place_phones(judged, channel, distributed, placed_schema)
        # The settling stage lets go of them once it holds the placed rows.
        settled = (_settle_distributed(run, placed, rows_in, stage, probabilistic, per_row, matcher_on,
                                       judged.unpersist)
                   if distributed else _settle_on_driver(run, placed, rows_in, stage, judged.unpersist))
    finally:
        judged.unpersist()
    result = Result(
        command=command, source=source, input_sha256=input_sha256, input_format=input_format, channel=channel,
        as_of=settings.as_of, policy_name=settings.policy.name, policy_source=settings.policy.source,
        policy_sha256=settings.policy.sha256, columns=cmap.as_dict(),
        statuses=pipeline._by_source(settled.statuses, [source], "duplicate_of"),
        findings=pipeline._by_source(settled.findings, [source]), examples=settled.examples,
        rules_run=sorted(settled.active),
        dns=dns_stats, store=store_summary(settings.store, settings.store_disabled), overrides=settings.overrides(),
        inputs=[{"path": source, "format": input_format, "rows": rows_in, "sha256": input_sha256}],
        people=settled.people, profile=settled.profile, totals=settled.totals,
        streamed=None if settled.totals is None else _streamed_findings(settled.status_frame, run, source),
        first_by_code=None if settled.totals is None else _first_by_code(settled.status_frame, run),
    )
    result.seconds = time.perf_counter() - started
    return SparkJudged(result, rows, settled.status_frame, settled.kept, [c for c in df.columns if c != key], cmap,
                       settled.unsubscribed, run)


def _place_phones(judged: DataFrame, channel: str, keys: bool, schema: str) -> DataFrame:
    """The judged rows with ``phone_key`` (``pipeline.place_phones``: the numbers that had no
    region read in the usual region of the whole input's valid numbers, as the local engine
    reads them) and, with ``keys``, each row's address and other-identifier keys, by the people
    stage's own expressions."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    from listclean import pipeline
    from listclean.normalize.phone import usual_region

    counts = pl.from_arrow(judged.filter(F.col("_phone_region").isNotNull()).groupBy("_phone_region").count()
                           .toArrow()).rename({"_phone_region": "phone_region"})
    usual = usual_region(counts.with_columns(pl.col("count").cast(pl.Int64)))
    arrow_schema = _arrow_schema(schema)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for record_batch in batches:
            frame = pipeline.place_phones(pl.from_arrow(record_batch).drop("_phone_region"), [usual])
            if keys:
                address, _, _, other, _ = identifiers(channel)
                frame = frame.with_columns(address.alias("_address"), other.alias("_other"))
            yield from frame.select(arrow_schema.names).to_arrow().cast(arrow_schema).to_batches()

    return judged.mapInArrow(run, schema)


def _people_on_executors(people_on: str | None) -> bool:
    """Whether the people stage runs distributed (the default) rather than on the driver."""
    if people_on not in (None, "executors", "driver"):
        raise ListcleanError(f"people_on={people_on!r}: give 'executors' or 'driver'")
    return people_on != "driver"


def _arrow_schema(ddl: str):
    """The Arrow schema of a Spark DDL schema string (what an executors' function must yield)."""
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import _parse_datatype_string

    return to_arrow_schema(_parse_datatype_string(ddl))


@dataclass(frozen=True)
class _Run:
    """What the people stage needs of a run (shipped, pickled, to the executors when distributed)."""

    settings: Settings
    channel: str
    cmap: ColumnMap
    source: str
    key: str
    kept_schema: dict[str, pl.DataType]
    file_notes: pl.DataFrame  # the judging's notes on the whole input, graded
    unsubscribed: bool = False  # collect the rows the export marks unsubscribed
    views: bool = False       # work out the marketer's views (``views.marketer_views``)

    def selection(self):
        """The rules chosen and their severities (``checks.select.Selection``)."""
        from listclean import pipeline

        return pipeline.rule_options(self.settings, self.channel).selection

    def active(self) -> set[str]:
        """The row rules in force, as ``pipeline.settle`` selects them."""
        from listclean import pipeline

        selection = self.selection()
        return {c for c, r in pipeline.RULES.items()
                if r.target == "rows" and self.channel in r.channels and selection.active(c)}

    def graded(self, findings: pl.DataFrame) -> pl.DataFrame:
        """Findings graded under the run's selection, as ``pipeline.settle`` grades them."""
        return grade(findings, self.selection(), self.cmap, self.channel)


@dataclass
class _Settled:
    """The people stage and decide, done: what the Result and the Spark outputs are made of."""

    statuses: pl.DataFrame   # _row, status, duplicate_of, person_id of every row (driver memory)
    findings: pl.DataFrame   # every finding, graded
    examples: dict[str, list[dict]]
    people: dict             # people.summary
    active: set[str]
    status_frame: DataFrame  # Spark: _row, status, codes, person_id, duplicate_of, reasons, email, phone…
    kept: pl.DataFrame | None  # the narrow columns of every row (the driver path only)
    profile: object = None     # profile.Profile (with ``judge(..., profile=True)``)
    unsubscribed: pl.DataFrame | None = None  # with ``judge(..., unsubscribed=True)``
    totals: RowTotals | None = None  # with ``judge(..., per_row=False)``: statuses empty, findings the notes


def _row_findings(frame: pl.DataFrame, run: _Run) -> pl.DataFrame:
    """The findings carried in ``frame``'s ``_findings`` arrays, in rule order then row order, graded."""
    from listclean import pipeline

    findings = frame.select(KEY, "_findings").explode("_findings").drop_nulls("_findings").unnest("_findings")
    order = {code: index for index, code in enumerate(pipeline.RULES)}
    findings = (findings.sort(pl.col("code").replace_strict(order, default=len(order), return_dtype=pl.Int32), KEY)
                .cast(FINDING_SCHEMA))
    return run.graded(findings)


def _decided(kept: pl.DataFrame, statuses: pl.DataFrame, findings: pl.DataFrame, run: _Run) -> pl.DataFrame:
    """Per row, as ``write.write_outputs`` reads them: status, codes and reasons, listclean's own
    columns, its final findings (``_findings``, in the order the reasons name them) and, if the
    run asks, the marketer's views of it (``views.marketer_views``, over whole people): the Spark
    statuses frame."""
    from listclean.views import FIX_COLUMNS, marketer_views

    statuses = statuses.sort(KEY)
    source = pl.lit(run.source).alias("_source")
    if run.views:
        views = marketer_views(statuses.with_columns(source), findings.with_columns(source), kept.sort(KEY))
    else:
        views = pl.DataFrame(schema={"repermission": pl.Boolean, "fixable": pl.Boolean,
                                     **{c: pl.String for c in FIX_COLUMNS}}).clear(statuses.height)
    codes = (findings.filter(pl.col(KEY).is_not_null()).group_by(KEY, maintain_order=True)
             .agg(pl.col("code").unique().cast(pl.String).sort().alias("codes"),
                  pl.format("{}: {}", "code", "message").str.join(" | ").alias("reasons"),
                  pl.struct(*[pl.col(f).cast(pl.String) for f in _FINDING_FIELDS]).alias("_findings")))
    return (statuses.join(codes, on=KEY, how="left").join(
        kept.select(KEY, "email", "phone_e164", "phone_status"), on=KEY, how="left").select(
        KEY, pl.col("status").cast(pl.String), pl.col("codes").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        "person_id", "duplicate_of", pl.col("reasons").fill_null(""), "email", "phone_e164", "phone_status",
        "_findings").sort(KEY).hstack(views.get_columns()))


def _conserve(statuses: pl.DataFrame, rows_in: int, run: _Run) -> None:
    """Every row in has exactly one status, and the row key is unique."""
    if statuses[KEY].n_unique() != statuses.height:
        raise ListcleanError(f"the row key {run.key!r} is not unique", file=run.source)
    counts = statuses.group_by("status").len()
    if counts["len"].sum() != rows_in or statuses.height != rows_in:
        raise ListcleanError(f"row conservation failed: {counts['len'].sum()} statuses for {rows_in} rows")


# -- the people stage on the driver (people_on="driver") ---------------------------------------------

def _settle_on_driver(run: _Run, judged: DataFrame, rows_in: int, stage, held=lambda: None) -> _Settled:
    """Collect every row's narrow columns and findings, and settle them with the local engine's
    ``pipeline.settle`` (the matcher included): driver-bound, see the module. ``held`` is called
    once the rows are collected."""
    from listclean import pipeline

    collected = pl.from_arrow(judged.toArrow())
    held()
    profile = None
    if "_profile" in collected.columns:
        profile = _profile(collected.filter(pl.col(KEY).is_null()), run.settings)
        collected = collected.filter(pl.col(KEY).is_not_null()).drop("_profile")
    if collected.height != rows_in:
        raise ListcleanError(f"the Spark engine judged {collected.height} rows of {rows_in}: rows were lost")
    if collected[KEY].n_unique() != rows_in:
        raise ListcleanError(f"the row key {run.key!r} is not unique", file=run.source)
    collected = collected.sort(KEY)
    kept = collected.select(*[pl.col(c).cast(t) for c, t in run.kept_schema.items()])
    findings = pl.concat([run.file_notes, _row_findings(collected, run)], how="vertical")
    examples: dict[str, list[dict]] = {}
    pipeline._add_examples(examples, findings, kept.with_columns(collected["_raw_email"].alias("raw_email")),
                           [run.source])

    stage("people")
    findings, statuses, people_summary, _matches, active = pipeline.settle(
        kept, findings, examples, run.settings, run.channel, [run.cmap], [run.source], stage)
    _conserve(statuses, rows_in, run)
    status_frame = judged.sparkSession.createDataFrame(_decided(kept, statuses, findings, run).to_arrow())
    unsubscribed = kept.filter(pl.col("unsubscribed").fill_null(False)) if run.unsubscribed else None
    return _Settled(statuses, findings, examples, people_summary, active, status_frame, kept, profile, unsubscribed)


# -- the people stage on the executors (the default) ------------------------------------------------

#: What the executors return after the people stage: one record per row, and one per example of
#: a code (``_row`` null, ``_example`` set; ``added``: found by the people stage, not the judging).
_SETTLED_SCHEMA = ("`_row` bigint, `status` string, `codes` array<string>, `person_id` string, "
                   "`duplicate_of` bigint, `reasons` string, `email` string, `phone_e164` string, "
                   f"`phone_status` string, `_findings` {_FINDING_TYPE}, `repermission` boolean, `fixable` boolean, "
                   "`fix_code` string, `suggestion` string, `suggested_value` string, "
                   "`_example` struct<added: boolean, code: string, row: bigint, value: string, message: string>")


def _settle_distributed(run: _Run, judged: DataFrame, rows_in: int, stage, probabilistic: bool = False,
                        per_row: bool = False, matcher_on: str | None = None, held=lambda: None) -> _Settled:
    """The people stage on the cluster: with ``probabilistic``, first the matcher (distributed or
    on the driver, ``matcher_on``: see ``judge``); then the facts that need the whole input by
    Spark shuffles (``_people_facts``), and the local engine's people stage and decide in the
    executors, per bucket of whole stop groups (``_settle_bucket``). The driver collects each
    row's status, person, duplicate_of and final findings (``per_row``; else only their totals,
    ``_totals``), and the first examples of each code. ``held`` is called once the rows are cached."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from listclean.engines import spark_match
    from listclean.people import shared_notes

    spark = judged.sparkSession
    # Judged once (now): the matcher and the facts read its keys, the buckets its rows.
    cached = judged = judged.persist(StorageLevel.MEMORY_AND_DISK)
    profile = None
    try:
        if "_profile" in judged.columns:
            profile = _profile(pl.from_arrow(judged.filter(F.col(KEY).isNull()).select("_profile").toArrow()),
                               run.settings)
            judged = judged.filter(F.col(KEY).isNotNull()).drop("_profile")
        judged_rows = judged.count()
        held()
        if judged_rows != rows_in:
            raise ListcleanError(f"the Spark engine judged {judged_rows} rows of {rows_in}: rows were lost")
        unsubscribed = None
        if run.unsubscribed:
            kept = [c for c in judged.columns if c in run.kept_schema]
            unsubscribed = pl.from_arrow(judged.filter(F.col("unsubscribed")).select(*kept).toArrow()).select(
                pl.col(c).cast(run.kept_schema[c]) for c in kept)
        stage("people")
        max_shared = run.settings.policy.max_shared_identifier
        matches = None
        if probabilistic:
            distribute = spark_match.matcher_on_executors(matcher_on, rows_in)
            matches = (spark_match.matched if distribute else spark_match.on_driver)(run, judged)
        facts, too_common = _people_facts(judged, max_shared, matches)
        # The buckets read no identity field: the matcher is done.
        bucket_run = replace(run, kept_schema={c: t for c, t in run.kept_schema.items() if c in EXACT_COLUMNS})
        carried = [c for c in judged.columns if c in bucket_run.kept_schema or c not in run.kept_schema]
        carried += [c for c in _LINK_COLUMNS if c in facts.columns]
        linked_rows = facts.count()
        if linked_rows <= BROADCAST_FACTS:  # the rows then cross no shuffle to meet their facts
            facts = F.broadcast(facts)
        joined = judged.join(facts, on=KEY, how="left")
        flags = [F.coalesce(c, F.lit(False)).alias(c) for c in ("_too_common", "_shared_key")]
        schema = _arrow_schema(_SETTLED_SCHEMA)
        settle, by_batch = _settle_bucket(bucket_run, schema), _settle_bucket(bucket_run, schema, whole=False)
        # Rows of groups of several rows (or flagged) meet their group in a bucket, hashed by the
        # group; any other row is a group of its own, settled where it is (any set of them is whole).
        linked = (joined.filter(F.col("_group").isNotNull()).select(*carried, *flags, "_group")
                  .repartition(_bucket_count(spark, linked_rows), "_group"))
        alone = joined.filter(F.col("_group").isNull()).select(*carried, *flags)
        # Checkpointed (computed now, lineage cut): clean and the library read it again, and a
        # cached frame would be dropped with the judged rows' cache.
        settled = (linked.mapInArrow(settle, _SETTLED_SCHEMA)
                   .unionByName(alone.mapInArrow(by_batch, _SETTLED_SCHEMA)).transform(_cut))
    finally:
        cached.unpersist()
    stage("decide")
    wanted = [KEY, "status", "duplicate_of", "person_id", "_findings", "_example"]
    collected = pl.from_arrow((settled if per_row else settled.filter(F.col(KEY).isNull())).select(*wanted).toArrow())
    rows = collected.filter(pl.col(KEY).is_not_null())
    statuses = rows.select(KEY, pl.col("status").cast(STATUS), "duplicate_of", "person_id").sort(KEY)
    status_frame = settled.filter(F.col(KEY).isNotNull()).drop("_example")
    totals = None
    if per_row:
        _conserve(statuses, rows_in, run)
    else:
        totals = _totals(status_frame, rows_in, run)
    active = run.active()
    other_field = identifiers(run.channel)[4]
    notes = [shared_notes(too_common, other_field)] if "DU003" in active else []
    if matches is not None and "DU003" in active:
        notes += matches.skipped_findings()
    findings = pl.concat([run.file_notes, _row_findings(rows, run), *map(run.graded, notes)], how="vertical")
    people = {"rows": rows_in, "people": (statuses["person_id"].n_unique() if per_row
                                          else sum(totals.people_by_size.values())),
              "matching": "exact" if matches is None else "probabilistic"}
    if matches is not None:
        people.update(matches.summary())
    return _Settled(statuses, findings, _merged_examples(collected.filter(pl.col(KEY).is_null())), people, active,
                    status_frame, None, profile, unsubscribed, totals)


def _totals(statuses: DataFrame, rows_in: int, run: _Run) -> RowTotals:
    """What the reports read of the rows (``result.RowTotals``), counted by Spark over the
    statuses frame; row conservation and the key's uniqueness checked there too."""
    from pyspark.sql import functions as F

    by_status = conserved(statuses, rows_in)
    if statuses.select(KEY).distinct().count() != rows_in:
        raise ListcleanError(f"the row key {run.key!r} is not unique", file=run.source)
    selection = run.selection()
    by_code = {code: (count, str(selection.severity(code))) for code, count in
               statuses.select(F.explode("codes").alias("code")).groupBy("code").count().collect()}
    sizes = (statuses.groupBy("person_id").count()
             .groupBy(F.least(F.col("count"), F.lit(5)).alias("size")).count().collect())
    return RowTotals(rows_in, by_status, by_code, {int(size): people for size, people in sizes})


def _cut(frame: DataFrame) -> DataFrame:
    """``frame`` computed now and its lineage cut: a reliable checkpoint where the session has a
    checkpoint folder (``sparkContext.setCheckpointDir``: survives lost executors on a cluster),
    else a local one (executors' storage: fast, enough in local mode)."""
    if frame.sparkSession.sparkContext.getCheckpointDir() is not None:
        return frame.checkpoint()
    return frame.localCheckpoint()


def _bucket_count(spark: SparkSession, rows_in: int) -> int:
    """Buckets of the people stage: the shuffle partitions, or more where a bucket would hold
    more than ``BUCKET_ROWS`` rows (a bucket is settled whole in one Python worker)."""
    setting = str(spark.conf.get("spark.sql.shuffle.partitions", "200"))
    partitions = int(setting) if setting.isdigit() else spark.sparkContext.defaultParallelism
    return max(partitions, -(-rows_in // BUCKET_ROWS), 1)


def _people_facts(judged: DataFrame, max_shared: int, matches=None) -> tuple[DataFrame, pl.DataFrame]:
    """What the people stage can only know from the whole input, by Spark shuffles:
    ``_row, _group, _too_common, _shared_key`` for every row of a group of several rows, flagged
    or linked by the matcher (any other row is a group of its own, flags false; with ``matches``
    also its links: ``_match, _reviews``, ``spark_match.SparkMatches.per_row``), and the other
    identifiers too common to link anybody with their row counts (for the DU003 notes).

    As ``people.resolve`` links them: rows with the same address key are one cluster (named by
    its first row); clusters holding rows the matcher (``matches``) put in one person are one
    person, unless the cluster's address is on more than ``max_shared`` rows (a placeholder links
    no one); people sharing an other identifier, or holding the two rows of a review pair, are one
    group, unless more than ``max_shared`` people share the identifier (too common: it links
    nobody). A group is named by its smallest person. ``_shared_key``: the row holding the person
    key (``people.person_ids``: the smallest other identifier of a person without an address)
    that other people hold too — ``person_ids`` then names each one's first row. Skew: keys are
    grouped with partial aggregation, every join has at most one row per key on one side (no
    fan-out), rows without a key never meet in a join, and a too-common identifier or a crowded
    address makes no edge.
    """
    from pyspark.sql import functions as F

    clustered = _address_clusters(judged.select(KEY, *KEY_COLUMNS)).transform(_cut)
    person = F.col("_cluster")
    if matches is not None:
        merged = matches.person.join(clustered.filter(F.col("_size") <= max_shared).select(KEY, "_cluster"), KEY)
        firsts = merged.groupBy("_match").agg(F.min("_cluster").alias("b"))
        edges = (merged.join(firsts, "_match").filter(F.col("_cluster") != F.col("b"))
                 .select(F.col("_cluster").alias("a"), "b").distinct())
        persons = _components(edges).select(F.col("_node").alias("_cluster"), F.col("_label").alias("_person"))
        clustered = clustered.join(persons, "_cluster", "left").transform(_cut)
        person = F.coalesce("_person", "_cluster")
    else:
        clustered = clustered.withColumn("_person", F.lit(None).cast("long"))
    clustered = clustered.select(KEY, "_address", "_other", "_cluster", "_copied",
                                 F.col("_person").isNotNull().alias("_merged"), person.alias("_person"))
    # (identifier, person) pairs, then per identifier: rows, people, first person.
    pairs = (clustered.filter(F.col("_other").isNotNull()).groupBy("_other", "_person")
             .agg(F.count(F.lit(1)).alias("_rows")).transform(_cut))
    per_other = (pairs.groupBy("_other").agg(
        F.sum("_rows").alias("_rows"), F.count(F.lit(1)).alias("_people"), F.min("_person").alias("_first"))
        .filter(F.col("_rows") > 1)).transform(_cut)  # an identifier of one row links nothing
    too_common = F.col("_people") > max_shared
    # Stars: each person holding a usable identifier to the identifier's first person.
    edges = (pairs.join(per_other.filter((F.col("_people") > 1) & ~too_common).select("_other", "_first"), "_other")
             .filter(F.col("_person") != F.col("_first"))
             .select(F.col("_person").alias("a"), F.col("_first").alias("b")))
    if matches is not None:
        of = clustered.select(KEY, "_person")
        edges = edges.unionByName(
            matches.review.join(of.withColumnRenamed("_person", "a"), KEY)
            .join(of.select(F.col(KEY).alias("_other"), F.col("_person").alias("b")), "_other")
            .filter(F.col("a") != F.col("b")).select("a", "b"))
    labels = _components(edges.distinct())
    # Person keys of people without an address (their smallest other identifier), held by several.
    bare = clustered.filter(F.col("_address").isNull() & F.col("_other").isNotNull())
    keys = bare.filter(~F.col("_merged")).select("_person", F.col("_other").alias("_key")).unionByName(
        clustered.filter(F.col("_merged")).groupBy("_person")
        .agg(F.max(F.col("_address").isNotNull()).alias("_addressed"), F.min("_other").alias("_key"))
        .filter(~F.col("_addressed") & F.col("_key").isNotNull()).select("_person", "_key"))
    shared = keys.join(keys.groupBy("_key").count().filter(F.col("count") > 1).select("_key"), "_key")
    flags = (clustered.filter(F.col("_other").isNotNull())
             .join(per_other.filter(too_common).select("_other", F.lit(True).alias("_too_common")), "_other", "left")
             .join(shared.select("_person", F.col("_key").alias("_other"), F.lit(True).alias("_shared_key")),
                   ["_person", "_other"], "left")
             .filter(F.col("_too_common").isNotNull() | F.col("_shared_key").isNotNull())
             .select(KEY, "_too_common", "_shared_key"))
    linked = (clustered.join(labels, F.col("_person") == F.col("_node"), "left")
              .filter(F.col("_copied") | F.col("_merged") | F.col("_label").isNotNull())
              .select(KEY, F.coalesce("_label", "_person").alias("_group")))
    facts = linked.join(flags, on=KEY, how="full")
    if matches is not None:
        facts = facts.join(matches.per_row(), on=KEY, how="full")
    facts = facts.select(
        KEY, F.coalesce("_group", KEY).alias("_group"),
        *(F.coalesce(c, F.lit(False)).alias(c) for c in ("_too_common", "_shared_key")),
        *(c for c in _LINK_COLUMNS if c in facts.columns)).transform(_cut)
    notes = pl.from_arrow(per_other.filter(too_common).select("_other", "_rows").toArrow()).sort("_other")
    return facts, notes


def _address_clusters(keys: DataFrame) -> DataFrame:
    """``keys`` with ``_cluster``, the first row of its address key (a row without one, or the
    only row of its address: itself), ``_copied``: other rows have its address, and ``_size``:
    the rows of its cluster."""
    from pyspark.sql import functions as F

    with_address = keys.filter(F.col("_address").isNotNull())
    copied = (with_address.groupBy("_address").agg(F.min(KEY).alias("_cluster"), F.count(F.lit(1)).alias("_copies"))
              .filter(F.col("_copies") > 1))
    return with_address.join(copied, on="_address", how="left").select(
        KEY, "_address", "_other", F.coalesce("_cluster", KEY).alias("_cluster"),
        F.col("_cluster").isNotNull().alias("_copied"), F.coalesce("_copies", F.lit(1)).alias("_size")).unionByName(
        keys.filter(F.col("_address").isNull()).select(
            KEY, "_address", "_other", F.col(KEY).alias("_cluster"), F.lit(False).alias("_copied"),
            F.lit(1).cast("long").alias("_size")))


def _components(edges: DataFrame) -> DataFrame:
    """``_node, _label``: the smallest node reachable through ``edges`` (``a``, ``b``), for every
    node of an edge (as ``people._components`` gives it), by label propagation: each round a
    node takes the smallest label of its own and its neighbours'. Links are stars around shared
    values, so two or three rounds settle; each round is checkpointed (its lineage cut), and the
    loop ends when no label changed."""
    from pyspark.sql import functions as F

    both = edges.unionByName(edges.select(F.col("b").alias("a"), F.col("a").alias("b"))).distinct().transform(_cut)
    labels = (both.groupBy(F.col("a").alias("_node")).agg(F.min("b").alias("_near"))
              .select("_node", F.least("_node", "_near").alias("_label")).transform(_cut))
    for _ in range(MAX_ROUNDS):
        near = (both.join(labels.select(F.col("_node").alias("b"), F.col("_label").alias("_near")), on="b")
                .groupBy("a").agg(F.min("_near").alias("_near")))
        updated = (labels.join(near, F.col("_node") == F.col("a"))  # every node has a neighbour
                   .select("_node", F.least("_label", "_near").alias("_label"),
                           (F.col("_near") < F.col("_label")).alias("_changed"))
                   .transform(_cut))
        labels = updated.select("_node", "_label")
        if updated.filter(F.col("_changed")).isEmpty():
            break
    return labels


def _settle_bucket(run: _Run, arrow_schema, whole: bool = True):
    """The executors' function for ``mapInArrow``: rows holding whole stop groups, settled by
    the local engine's code (``people.resolve``, grading, ``decide``) with the whole input's facts
    → per row its status, person, duplicate_of, codes, reasons and final findings, and the first
    examples of each code. ``whole``: a partition's batches together are a bucket (hashed by
    group); otherwise each batch is settled on its own (rows that are groups of their own)."""
    import pyarrow as pa

    def settle(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        batches = [batch for batch in batches if batch.num_rows] if whole else batches
        if whole and batches:
            yield from _settle_rows(run, pa.Table.from_batches(batches), arrow_schema)
        elif not whole:
            for batch in batches:
                if batch.num_rows:
                    yield from _settle_rows(run, batch, arrow_schema)

    return settle


def _settle_rows(run: _Run, rows, arrow_schema) -> Iterator:
    """One bucket (an Arrow table or batch of whole groups) settled: see ``_settle_bucket``."""
    from listclean import pipeline
    from listclean.people import other_person_key
    from listclean.result import input_index

    frame = pl.from_arrow(rows).sort(KEY)
    kept = frame.select(*[pl.col(c).cast(t) for c, t in run.kept_schema.items()])
    judged = _row_findings(frame, run)
    examples = [_example_rows(pipeline._examples(
        judged, kept.with_columns(frame["_raw_email"].alias("raw_email")), [run.source]), added=False)]
    people = pipeline.resolve_people(
        kept, judged, run.settings, run.channel, run.active(), [run.source], matches=_bucket_matches(frame),
        too_common=frame.filter(pl.col("_too_common"))["_other"].unique(),
        shared_keys=frame.filter(pl.col("_shared_key")).select(other_person_key(pl.col("_other"))).to_series())
    # Notes on the whole input (DU003) are the driver's, made once from the global counts.
    added = run.graded(people.added.filter(input_index(pl.col(KEY)) == 0))
    examples.append(_example_rows(pipeline._examples(added, kept, [run.source]), added=True))
    findings, statuses = pipeline.decide_people(kept, people, added)
    out = _decided(kept, statuses, findings, run)
    out = pl.concat([out, *examples], how="diagonal")
    yield from out.select([field.name for field in arrow_schema]).to_arrow().cast(arrow_schema).to_batches()


def _bucket_matches(frame: pl.DataFrame):
    """The matcher's links of a bucket's rows (``_match``, ``_reviews``: whole groups hold every
    link of their rows; the blocking values it skipped are noted once, by the driver), or None
    with exact matching."""
    from listclean.people.links import Matches

    if "_match" not in frame.columns:
        return None
    reviews = frame.select(KEY, "_reviews").explode("_reviews").drop_nulls("_reviews").unnest("_reviews")
    return Matches(frame.filter(pl.col("_match").is_not_null()).select(KEY, "_match"), reviews.sort(KEY, "_other"),
                   pl.DataFrame(schema={"field": pl.String, "value": pl.String, "rows": pl.Int64}))


_EXAMPLE = pl.Struct({"added": pl.Boolean, "code": pl.String, "row": pl.Int64, "value": pl.String,
                      "message": pl.String})


def _example_rows(examples: dict[str, list[dict]], added: bool) -> pl.DataFrame:
    """``pipeline._examples`` of a bucket as records (``_example``) for the driver to merge."""
    records = [{"added": added, "code": code, **shown} for code, each in examples.items() for shown in each]
    return pl.DataFrame({"_example": pl.Series(records, dtype=_EXAMPLE)})


def _merged_examples(found: pl.DataFrame) -> dict[str, list[dict]]:
    """The buckets' examples merged as the local engine picks them (``pipeline._add_examples``):
    the first rows of each code the judging found, then, for codes only the people stage found,
    the first rows it found."""
    from listclean.pipeline import EXAMPLES_PER_CODE

    merged: dict[str, list[dict]] = {}
    records = found.select("_example").unnest("_example").sort("added", "code", "row")
    for added in (False, True):
        part: dict[str, list[dict]] = {}
        for code, row, value, message in records.filter(pl.col("added") == added).select(
                "code", "row", "value", "message").iter_rows():
            if code in merged:
                continue
            shown = part.setdefault(code, [])
            if len(shown) < EXAMPLES_PER_CODE:
                shown.append({"row": row, "value": value, "message": message})
        merged.update(part)
    return merged


@dataclass
class _Input:
    """What ``pipeline._channel`` reads of an input."""

    source: str
    columns: list[str]


def conserved(frame: DataFrame, rows_in: int) -> dict[str, int]:
    """Counts per status of a joined frame, computed by Spark; raise unless they sum to ``rows_in``
    (a row without a status would be a lost row)."""
    counts = {str(status): count for status, count in frame.groupBy("status").count().collect()}
    if None in counts or "None" in counts or sum(counts.values()) != rows_in:
        raise ListcleanError(f"row conservation failed on Spark: {counts} for {rows_in} rows")
    return counts


def check(df: DataFrame, settings: Settings | None = None, *, key: str = KEY) -> DataFrame:
    """Judge a Spark DataFrame of text columns: the rows keyed by ``key`` (a long column of the
    input; without one, 1, 2, … in read order) with ``status``, ``codes`` (sorted rule codes)
    and ``person_id``, plus every input column. Row conservation is checked on Spark."""
    require()
    judged = judge(df, settings, key=key)
    return _joined(judged, key)


def _joined(judged: SparkJudged, key: str = KEY) -> DataFrame:

    frame = judged.rows.join(judged.statuses.select(KEY, "status", "codes", "person_id"), on=KEY, how="left")
    conserved(frame, judged.result.rows_in)
    return frame.withColumnRenamed(KEY, key) if key != KEY else frame.select(*[_col(c) for c in frame.columns])


def file_sha256(path: str) -> str:
    """The SHA-256 of a local input file (empty for a folder or a remote path)."""
    where = Path(path)
    if not where.is_file():
        return ""
    digest = hashlib.sha256()
    with where.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run_check(path: str, settings: Settings, master: str, conf: Sequence[str], on_stage=None,
              command: str = "check", profile: bool = False, unsubscribed: bool = False,
              views: bool = False) -> SparkJudged:
    """``listclean check --engine spark``: read the input with Spark and judge it, keeping the
    rows' totals (``per_row=False``; ``profile``: with the HTML report's aggregates)."""
    spark = session(master, conf)
    suffix = Path(path).suffix.lower()
    frame = read(spark, path)
    input_format = "table" if path.startswith(TABLE_PREFIX) else _FORMATS.get(suffix, "csv")
    return judge(frame, settings, source=path, input_format=input_format,
                 input_sha256=file_sha256(path), command=command, on_stage=on_stage, profile=profile,
                 unsubscribed=unsubscribed, views=views, per_row=False)


def run_clean(path: str, settings: Settings, out: Path, rejects: Path | None, master: str, conf: Sequence[str],
              on_stage=None, profile: bool = False, record_unsubscribes: bool = False,
              audit: Path | None = None, extras=None) -> Result:
    """``listclean clean --engine spark``: the send-ready rows to the folder ``out`` and the others
    (with status, codes, duplicate_of) to the folder ``rejects``, as CSV part files written by
    Spark, in row order, under the input's header, or to a table of the session's catalog (an
    output named ``table:NAME``, replaced if it exists; every column text). ``audit``: a folder
    of JSON Lines part files, one line per row as the local engine writes it. ``extras``
    (``write.ExtraOutputs``): the columns chosen and the pseudonyms, as the local engine writes
    them. ``record_unsubscribes``: then the rows the export marks unsubscribed are added to the
    suppression store, as the local engine adds them."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    from listclean.write import ExtraOutputs

    extras = extras or ExtraOutputs()
    targets = [(Path(target).resolve(), label) for target, label in (
        (out, "--out"), (rejects, "--rejects"), (audit, "--audit"), (extras.repermission, "--repermission"),
        (extras.fixable, "--fixable")) if target is not None]
    for target, label in targets:
        if target == Path(path).resolve():
            raise ListcleanError(f"{label} would overwrite the input", file=path)
    if len({target for target, _ in targets}) < len(targets):
        raise ListcleanError("--out, --rejects, --audit, --repermission and --fixable must be different folders")
    if audit is not None and str(audit).startswith(TABLE_PREFIX):
        raise ListcleanError("--audit writes a folder of JSON Lines part files, not a table", file=str(audit))
    judged = run_check(path, settings, master, conf, on_stage, command="clean", profile=profile,
                       unsubscribed=record_unsubscribes, views=extras.views)
    stage = on_stage or (lambda *_: None)
    stage("write")
    # The input's columns renamed by position first: one named like listclean's (Email, Status)
    # would be ambiguous in the join, Spark's names being case-insensitive.
    safe, _ = _positional(judged.rows, [c for c in judged.rows.columns if c != KEY])
    frame = safe.join(judged.statuses, on=KEY, how="left")
    conserved(frame, judged.result.rows_in)
    # Cells as they are: Spark trims them when it writes CSV unless told not to.
    writer = {"header": True, "mode": "overwrite", "escape": '"',
              "ignoreLeadingWhiteSpace": False, "ignoreTrailingWhiteSpace": False}
    for output, target, which in (("send", out, F.col("status") == "send"),
                                  ("rejects", rejects, F.col("status") != "send"),
                                  ("repermission", extras.repermission, F.col("repermission")),
                                  ("fixable", extras.fixable, F.col("fixable"))):
        if target is None:
            continue
        written, run = _layout(judged, output, extras)
        schema = StructType([StructField(name, StringType()) for name in written])
        laid_out = frame.filter(which).orderBy(KEY).mapInArrow(run, schema)
        if str(target).startswith(TABLE_PREFIX):
            laid_out.write.mode("overwrite").saveAsTable(str(target)[len(TABLE_PREFIX):])
        else:
            laid_out.write.csv(str(target), **writer)
        judged.result.outputs[output] = str(target)
    if audit is not None:
        lines = (judged.statuses.select(KEY, "status", "codes", "duplicate_of", "_findings").orderBy(KEY)
                 .mapInArrow(_audit_layout(judged.result, extras), "value string"))
        lines.write.mode("overwrite").text(str(audit))
        judged.result.outputs["audit"] = str(audit)
    if record_unsubscribes:
        from listclean.suppression import SuppressionStore
        from listclean.suppression.imports import record_unsubscribes as record
        from listclean.suppression.imports import store_path

        with SuppressionStore(store_path(settings.store)) as store:
            added = record(store, judged.unsubscribed, judged.result.channel, Path(path).name)
        judged.result.outputs["suppression_store"] = str(store_path(settings.store))
        judged.result.recorded_unsubscribes = added.added
    return judged.result


def _flagged(statuses: DataFrame) -> DataFrame:
    """``_row, _findings`` of the rows with a finding."""
    from pyspark.sql import functions as F

    return statuses.select(KEY, "_findings").where(F.size("_findings") > 0)


def _streamed_findings(statuses: DataFrame, run: _Run, source: str):
    """``Result.streamed`` for a run that kept only totals: every row's findings streamed from
    Spark in row order — the flagged rows sorted by key, each Arrow batch shipped as one Arrow
    IPC blob (``toLocalIterator``: one partition at a time reaches the driver's JVM, one batch at
    a time its Python) — and graded as the local engine grades them. A failed job is one line
    (``_failed``), wherever the report reads it."""
    import pyarrow as pa

    def as_blobs(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            yield pa.RecordBatch.from_pydict({"blob": [sink.getvalue().to_pybytes()]})

    from listclean import pipeline

    def parts() -> Iterator[pl.DataFrame]:
        try:
            flagged = (_flagged(statuses).orderBy(KEY).mapInArrow(as_blobs, "blob binary")
                       .toLocalIterator(prefetchPartitions=True))
            for row in flagged:
                frame = pl.from_arrow(pa.ipc.open_stream(row["blob"]).read_all())
                yield pipeline._by_source(_row_findings(frame, run), [source])
        except Exception as error:
            raise _failed(error) from None

    return parts


def _first_by_code(statuses: DataFrame, run: _Run):
    """``Result.first_by_code`` for a run that kept only totals: per rule code its first ``rows``
    rows with their first finding (``_row, code, severity, message``), graded as the local engine
    grades them. Each partition keeps its own first rows of each code (``mapInArrow``, no
    shuffle of the findings); Spark then keeps the first of those per code (a window over at
    most ``rows`` × partitions rows a code) and the driver collects at most ``rows`` a code."""
    import pyarrow as pa
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    schema = "`_row` bigint, `code` string, `severity` string, `message` string"

    def first(rows: int):
        arrow_schema = _arrow_schema(schema)

        def firsts(frame: pl.DataFrame) -> pl.DataFrame:
            return (frame.sort(KEY, "code", "message", maintain_order=True).unique([KEY, "code"], keep="first")
                    .sort(KEY).group_by("code", maintain_order=True).head(rows).select(KEY, "code", "severity", "message"))

        def in_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            kept = None
            for batch in batches:
                graded = _row_findings(pl.from_arrow(batch), run).select(
                    KEY, "code", pl.col("severity").cast(pl.String), "message")
                kept = firsts(graded if kept is None else pl.concat([kept, graded], how="vertical"))
            if kept is not None:
                yield from kept.to_arrow().cast(arrow_schema).to_batches()

        try:
            candidates = _flagged(statuses).mapInArrow(in_partition, schema)
            order = Window.partitionBy("code").orderBy(KEY)
            chosen = candidates.withColumn("_n", F.row_number().over(order)).where(F.col("_n") <= rows).drop("_n")
            return pl.from_arrow(chosen.toArrow()).sort(KEY, "code")
        except Exception as error:
            raise _failed(error) from None

    return first


@dataclass
class _Header:
    """What the local writer's layout (``write._Layout``) reads of a loaded input."""

    header: list[str]    # the input's column names
    columns: list[str]   # as the rows carry them (a reserved name renamed)

    def restore_header(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.rename({c: n for c, n in zip(self.columns, self.header) if c != n and c in frame.columns})


def _layout(judged: SparkJudged, output: str, extras):
    """The columns of ``output`` (send or rejects) and the executors' function that lays out a
    batch, by the local writer's own layout (``write._Layout``: the input's columns under its
    header, then listclean's; or the ``--columns`` chosen; pseudonyms; the guard against
    spreadsheet formulas)."""
    import pyarrow as pa

    from listclean.views import FIX_COLUMNS
    from listclean.write import _Layout, output_names

    carried = [c for c in judged.rows.columns if c != KEY]
    names = output_names(judged.header)
    layout = _Layout(_Header(judged.header, carried), judged.result, names, extras)
    raw_phone = judged.result.columns.get("phone") or judged.result.columns.get("phone_other")
    positions = {f"_c{i}": c for i, c in enumerate(carried)}  # as _positional names them
    ours = {"email": "email_normalized", "phone_e164": "phone_e164"}
    if output != "send":
        ours |= {KEY: "row", "status": "status", "codes": "codes", "reasons": "reasons", "duplicate_of": "duplicate_of"}
    if output == "fixable":
        ours |= {c: c for c in FIX_COLUMNS}

    def laid_out(rows: pl.DataFrame) -> pl.DataFrame:
        frame = rows.select(*carried, *(pl.col(c).alias(names[name]) for c, name in ours.items()))
        if "codes" in ours:
            frame = frame.with_columns(pl.col(names["codes"]).list.join(";"))
        return layout.write(frame, output, "csv", raw_phone, rows["phone_status"] == "ok")

    empty = pl.DataFrame(schema={**{c: pl.String for c in carried}, KEY: pl.Int64, "status": pl.String,
                                 "codes": pl.List(pl.String), "reasons": pl.String, "duplicate_of": pl.Int64,
                                 "email": pl.String, "phone_e164": pl.String, "phone_status": pl.String,
                                 **{c: pl.String for c in FIX_COLUMNS}})
    written = laid_out(empty).columns
    schema = pa.schema([(name, pa.string()) for name in written])

    def run(batches):
        for record_batch in batches:
            frame = laid_out(pl.from_arrow(record_batch).rename(positions))
            yield from frame.select(pl.all().cast(pl.String)).to_arrow().cast(schema).to_batches()

    return written, run


def _failed(error: Exception) -> Exception:
    """A Spark job's failure as one line (exit 2). From a Python worker, only the exception's
    class (its traceback can quote the rows' values; Spark's log, above, has the whole of it);
    from Spark itself, the first line of its message. Other errors as they are."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException, PythonException

    if not isinstance(error, PySparkException | Py4JError):
        return error
    if isinstance(error, PythonException):
        raised = [line for line in str(error).splitlines() if re.match(r"^[\w.]+(Error|Exception)\b", line)]
        what = f"{raised[-1].split(':')[0].rsplit('.', 1)[-1]} in a Python worker" if raised else "a Python worker"
    else:
        what = f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0][:200]}"
    return ListcleanError(f"the Spark job failed ({what}); Spark's log above has the details")


def _audit_layout(result: Result, extras):
    """The executors' function that writes a batch of verdicts (``SparkJudged.statuses``) as the
    local audit trail's lines (``write._audit_lines``: status, codes, reasons, suppression
    matches, and what judged the row), one JSON text per row."""
    import datetime as dt

    import pyarrow as pa

    from listclean.write import SUPPRESSION_CODE, _audit_lines, _sharing_audit

    run_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    # What the lines read of the run, without its per-row frames (shipped to every task).
    run = replace(result, statuses=result.statuses.clear(), findings=result.findings.clear(), examples={})
    texts, schema = pl.List(pl.String), pa.schema([("value", pa.string())])

    def lay_out(batches):
        for record_batch in batches:
            rows = pl.from_arrow(record_batch)
            found = rows.select(KEY, "_findings").explode("_findings").unnest("_findings").drop_nulls("code")
            reasons = found.group_by(KEY, maintain_order=True).agg(
                pl.format("{}: {}", "code", "message").alias("reasons"),
                pl.col("message").filter(pl.col("code") == SUPPRESSION_CODE).alias("suppression"))
            rows = rows.join(reasons, on=KEY, how="left", maintain_order="left").with_columns(
                pl.col("reasons", "suppression").fill_null(pl.lit([], dtype=texts)),
                pl.col("codes").fill_null(pl.lit([], dtype=texts)))
            text = _sharing_audit(_audit_lines(rows, run, run_at), run, extras).write_ndjson()
            yield pa.RecordBatch.from_pydict({"value": text.splitlines()}, schema=schema)

    return lay_out


# -- the command line ------------------------------------------------------------------------------

def cli_run(command: str, paths: list[str], settings: Settings, master: str, conf: Sequence[str] | None,
            on_stage=None, message: str | Path | None = None, out: Path | None = None,
            rejects: Path | None = None, report=None, audit: Path | None = None, record_unsubscribes: bool = False,
            keep=None, columns=None, pseudonym_key: str | None = None, findings: Path | None = None,
            repermission: Path | None = None, fixable: Path | None = None) -> Result:
    """``check``/``clean`` with ``--engine spark``: one input read by Spark (a file or a folder of
    part files); ``clean`` writes ``out`` (and ``rejects``, ``audit``, ``repermission``, ``fixable``)
    as folders of part files, laid out as the local engine lays out its files (``columns``,
    ``pseudonym_key``); ``report`` (``pipeline.HtmlReport``): the HTML report, from aggregates
    counted on the executors; ``findings``: every finding to that file, as the local engine
    writes it. The driver keeps the rows' totals only (``per_row=False``): the reports and the
    findings file read the rows' findings from Spark (``Result.streamed``, ``Result.first_by_code``)."""
    if len(paths) != 1 or paths[0] == "-":
        raise ListcleanError("--engine spark judges one input (a file or a folder of part files), not stdin "
                             "or several")
    if keep:  # as the local engine says it
        raise ListcleanError("--keep is for several inputs; with one, every input column is kept")
    if command == "clean" and "-" in (str(out), str(rejects), str(audit)):
        raise ListcleanError("--engine spark writes folders of part files: -o - is not available")
    if command == "clean" and record_unsubscribes and settings.store_disabled:
        raise ListcleanError("--record-unsubscribes needs a suppression store, not --store none")
    require()
    from listclean import pipeline
    from listclean.pseudonym import Pseudonymiser
    from listclean.write import ExtraOutputs, check_output_path, parse_columns

    for target, label in ((report and Path(report.path), "--report"), (findings and Path(findings), "--findings")):
        check_output_path(target, paths, label)
    if report is not None and findings is not None and Path(report.path).resolve() == Path(findings).resolve():
        raise ListcleanError("--report and --findings must be different files", file=str(findings))
    extras = ExtraOutputs(repermission and Path(repermission), fixable and Path(fixable), columns=parse_columns(columns),
                          pseudonymiser=Pseudonymiser(pseudonym_key) if pseudonym_key is not None else None)
    campaign = pipeline._read_campaign(message, settings)
    profile = report is not None
    try:
        if command == "clean":
            result = run_clean(paths[0], settings, Path(out), rejects, master, conf or (), on_stage, profile,
                               record_unsubscribes, audit, extras)
        else:
            result = run_check(paths[0], settings, master, conf or (), on_stage, profile=profile).result
        pipeline._add_message(result, campaign, settings)
        if findings is not None:
            (on_stage or pipeline._silent)("write")
            pipeline.write_findings(result, Path(findings))
    except Exception as error:
        raise _failed(error) from None
    if report is not None:
        (on_stage or pipeline._silent)("write")
        pipeline.write_report(result, report, settings)
    return result
