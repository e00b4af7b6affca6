"""The Spark engine: listclean's stages over a Spark DataFrame, with the local engine's code.

What runs where:

* **executors** (``DataFrame.mapInArrow``, one Arrow batch at a time): ``pipeline.judge_batch``
  — normalise, lookups (DNS verdicts and suppression matches, shipped from the driver), the
  rules of the one registry, grading — exactly the function the local engine calls per batch.
  Each row comes back narrow: its key, the columns the people stage reads (``KEPT_COLUMNS`` +
  ``IDENTITY_COLUMNS``) and its findings as an array. Two cheap passes before it collect, per
  batch, the distinct days of the date columns and the distinct valid email domains (``--dns``).
* **driver**: the column map and the date orders (from the header and the distinct days, so
  every batch reads dates the same way), DNS (the distinct domains resolved once with the
  bounded resolver and its cache), a hashed snapshot of the suppression store (no plaintext),
  then — on the collected narrow rows — ``pipeline.settle``: people (exact dedupe, consent and
  stop propagation, the matcher when the policy asks) and decide. The statuses go back to Spark
  as a DataFrame joined to the rows by key.

The people stage is driver-bound: it holds every row's narrow columns (about 25 short
columns; measure with benchmarks/bench_spark.py) and every finding. See README "Running on
Spark" for the limits and what a shuffle-based version would need.

Row keys: a ``_row`` column of the input (a long) is the key when there is one (the library's
``key=``). Otherwise rows are numbered 1, 2, … in Spark's read order (per partition counts, then
offsets; no shuffle): for a single CSV file that is the record's position after the header —
listclean's own ``_row`` whenever the file has no blank lines and no quoted field spanning lines
(where the local loader keeps line numbers). Parity between the engines is per key.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from listclean.columns import ColumnMap, file_overrides, map_columns, unused_overrides
from listclean.decide import grade
from listclean.errors import ListcleanError
from listclean.load import _carried_names, sniff_delimiter
from listclean.lookups import Lookups
from listclean.normalize.consent import (
    TIME_OF_DAY,
    DateOrder,
    _date_order,
    date_columns,
)
from listclean.normalize.email import add_email_columns
from listclean.result import FINDING_SCHEMA, Result
from listclean.settings import Settings, build_settings
from listclean.suppression.imports import store_summary
from listclean.suppression.snapshot import HashedSnapshot

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

MISSING = '--engine spark needs pyspark: pip install ".[spark]" in a clone of listclean\'s repository'
KEY = "_row"
#: The transport of findings from the executors: one array of these per row.
_FINDING_FIELDS = ("code", "field", "message", "suggestion")
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
    # The people stage collects every row's narrow columns to the driver (see the module).
    builder = builder.config("spark.driver.maxResultSize", pairs.pop("spark.driver.maxResultSize", "0"))
    if "spark.driver.extraJavaOptions" not in pairs:  # Spark's own chatter: errors only, on stderr
        builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_quiet_logging()}")
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
    local file's head), Parquet, JSON Lines; a folder of part files by its files' extension."""
    where = Path(path)
    suffix = where.suffix.lower()
    if where.is_dir():
        suffixes = {p.suffix.lower() for p in where.iterdir() if p.is_file() and not p.name.startswith(("_", "."))}
        suffix = next((s for s in suffixes if s in _FORMATS), suffix)
    kind = _FORMATS.get(suffix)
    if kind is None:
        raise ListcleanError("--engine spark reads .csv, .tsv, .txt, .parquet and .jsonl inputs", file=path)
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
    from pyspark.sql import functions as F

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

        for record_batch in batches:
            if record_batch.num_rows == 0:
                continue
            batch = pl.from_arrow(record_batch).rename(names).cast({c: pl.String for c in plan.columns}).with_columns(
                pl.col(KEY).cast(pl.Int64))
            batch = batch.select(KEY, *plan.columns)
            work, found = plan.judge(batch)
            narrow = pipeline.kept_columns(work).with_columns(work["raw_email"].alias("_raw_email"))
            nested = (found.filter(pl.col(KEY).is_not_null())
                      .select(KEY, pl.struct(*[pl.col(f).cast(pl.String) for f in _FINDING_FIELDS]).alias("_findings"))
                      .group_by(KEY, maintain_order=True).agg("_findings"))
            out = narrow.join(nested, on=KEY, how="left", maintain_order="left").select(
                *[pl.col(c).cast(_transport(plan.kept_schema[c])) for c in kept], "_raw_email",
                pl.col("_findings").fill_null(pl.lit([], dtype=nested.schema["_findings"])))
            yield from out.to_arrow().cast(arrow_schema).to_batches()

    return run


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
    kept: pl.DataFrame      # the narrow columns of every row (driver memory)
    header: list[str]       # the input's column names (``rows`` carries a reserved one renamed)
    cmap: ColumnMap


def keyed(df: DataFrame, key: str = KEY) -> DataFrame:
    """``df`` as text columns with a long ``_row`` first: ``key`` if the input has it, else
    1, 2, … in Spark's read order (see the module's docstring)."""
    from pyspark.sql import functions as F

    inputs = [c for c in df.columns if c != key]
    carried = _carried_names(inputs)
    text = [_col(c).cast("string").alias(n) for c, n in zip(inputs, carried)]
    if key in df.columns:
        return df.select(_col(key).cast("long").alias(KEY), *text)
    tagged = df.select(F.spark_partition_id().alias("_pid"), F.monotonically_increasing_id().alias("_mid"), *text)
    counts = dict(tagged.groupBy("_pid").count().collect())
    offsets, total = [], 0
    for pid in range(max(counts, default=-1) + 1):
        offsets += [F.lit(pid), F.lit(total)]
        total += counts.get(pid, 0)
    if not offsets:
        return tagged.select(F.col("_mid").alias(KEY), *[_col(c) for c in carried])
    # monotonically_increasing_id is (partition << 33) + position in the partition
    offset = F.element_at(F.create_map(*offsets), F.col("_pid"))
    row = offset + F.col("_mid") - F.shiftleft(F.col("_pid").cast("long"), 33) + 1
    return tagged.select(row.cast("long").alias(KEY), *[_col(c) for c in carried])


def judge(df: DataFrame, settings: Settings | None = None, *, key: str = KEY, source: str = "<Spark DataFrame>",
          input_format: str = "spark", input_sha256: str = "", command: str = "check",
          on_stage=None) -> SparkJudged:
    """Every row of ``df`` → one status, as ``pipeline.judge`` does for one input (see the module)."""

    from listclean import pipeline

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
    spark = rows.sparkSession

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
    plan = Plan(settings, channel, cmap, tuple(columns), date_orders, verdicts, snapshot, kept_schema)

    stage("rules")
    finding_type = "array<struct<" + ", ".join(f"{f}: string" for f in _FINDING_FIELDS) + ">>"
    out_schema = ", ".join([*(f"`{c}` {_spark_type(_transport(t))}" for c, t in kept_schema.items()),
                            "`_raw_email` string", f"`_findings` {finding_type}"])
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import _parse_datatype_string

    arrow_schema = to_arrow_schema(_parse_datatype_string(out_schema))
    safe, names = _positional(rows, columns)
    judged = safe.mapInArrow(_judge_rows(plan, arrow_schema, names), out_schema)
    collected = pl.from_arrow(judged.toArrow())
    rows_in = rows.count()
    if collected.height != rows_in:
        raise ListcleanError(f"the Spark engine judged {collected.height} rows of {rows_in}: rows were lost")
    if collected[KEY].n_unique() != rows_in:
        raise ListcleanError(f"the row key {key!r} is not unique", file=source)
    collected = collected.sort(KEY)
    kept = collected.select(*[pl.col(c).cast(t) for c, t in kept_schema.items()])
    findings = collected.select(KEY, "_findings").explode("_findings").drop_nulls("_findings").unnest("_findings")
    order = {code: index for index, code in enumerate(pipeline.RULES)}
    findings = (findings.sort(pl.col("code").replace_strict(order, default=len(order), return_dtype=pl.Int32), KEY)
                .cast(FINDING_SCHEMA))
    findings = pl.concat([file_found.filter(pl.col(KEY).is_null()),
                          grade(findings, options.selection, cmap, channel)], how="vertical")
    examples: dict[str, list[dict]] = {}
    pipeline._add_examples(examples, findings, kept.with_columns(collected["_raw_email"].alias("raw_email")),
                           [source])

    stage("people")
    findings, statuses, people, _matches, active = pipeline.settle(kept, findings, examples, settings, channel,
                                                                    [cmap], [source], stage)
    counts = statuses.group_by("status").len()
    if counts["len"].sum() != rows_in or statuses.height != rows_in:
        raise ListcleanError(f"row conservation failed: {counts['len'].sum()} statuses for {rows_in} rows")
    # As write.write_outputs reads them: codes and reasons per row, listclean's own columns.
    codes = (findings.filter(pl.col(KEY).is_not_null()).group_by(KEY)
             .agg(pl.col("code").unique().sort().alias("codes"),
                  pl.format("{}: {}", "code", "message").str.join(" | ").alias("reasons")))
    decided = (statuses.join(codes, on=KEY, how="left").join(
        kept.select(KEY, "email", "phone_e164", "phone_status"), on=KEY, how="left").select(
        KEY, pl.col("status").cast(pl.String), pl.col("codes").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        "person_id", "duplicate_of", pl.col("reasons").fill_null(""), "email", "phone_e164", "phone_status")
        .sort(KEY))
    status_frame = spark.createDataFrame(decided.to_arrow())
    result = Result(
        command=command, source=source, input_sha256=input_sha256, input_format=input_format, channel=channel,
        as_of=settings.as_of, policy_name=settings.policy.name, policy_source=settings.policy.source,
        policy_sha256=settings.policy.sha256, columns=cmap.as_dict(),
        statuses=pipeline._by_source(statuses, [source], "duplicate_of"),
        findings=pipeline._by_source(findings, [source]), examples=examples, rules_run=sorted(active),
        dns=dns_stats, store=store_summary(settings.store, settings.store_disabled), overrides=settings.overrides(),
        inputs=[{"path": source, "format": input_format, "rows": rows_in, "sha256": input_sha256}],
        people=people.summary,
    )
    result.seconds = time.perf_counter() - started
    return SparkJudged(result, rows, status_frame, kept, [c for c in df.columns if c != key], cmap)


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
              command: str = "check") -> SparkJudged:
    """``listclean check --engine spark``: read the input with Spark and judge it."""
    spark = session(master, conf)
    suffix = Path(path).suffix.lower()
    frame = read(spark, path)
    return judge(frame, settings, source=path, input_format=_FORMATS.get(suffix, "csv"),
                 input_sha256=file_sha256(path), command=command, on_stage=on_stage)


def run_clean(path: str, settings: Settings, out: Path, rejects: Path | None, master: str, conf: Sequence[str],
              on_stage=None) -> Result:
    """``listclean clean --engine spark``: the send-ready rows to the folder ``out`` and the others
    (with status, codes, duplicate_of) to the folder ``rejects``, as CSV part files written by
    Spark, in row order, under the input's header."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    for target, label in ((out, "--out"), (rejects, "--rejects")):
        if target is not None and Path(target).resolve() == Path(path).resolve():
            raise ListcleanError(f"{label} would overwrite the input", file=path)
    if rejects is not None and Path(out).resolve() == Path(rejects).resolve():
        raise ListcleanError("--out and --rejects must be different folders")
    judged = run_check(path, settings, master, conf, on_stage, command="clean")
    stage = on_stage or (lambda *_: None)
    stage("write")
    frame = judged.rows.join(judged.statuses, on=KEY, how="left")
    conserved(frame, judged.result.rows_in)
    # Cells as they are: Spark trims them when it writes CSV unless told not to.
    writer = {"header": True, "mode": "overwrite", "escape": '"',
              "ignoreLeadingWhiteSpace": False, "ignoreTrailingWhiteSpace": False}
    for output, target, which in (("send", out, F.col("status") == "send"),
                                  ("rejects", rejects, F.col("status") != "send")):
        if target is None:
            continue
        written, run = _layout(judged, output)
        schema = StructType([StructField(name, StringType()) for name in written])
        safe, _ = _positional(frame.filter(which).orderBy(KEY), [c for c in judged.rows.columns if c != KEY])
        safe.mapInArrow(run, schema).write.csv(str(target), **writer)
        judged.result.outputs[output] = str(target)
    return judged.result


def _layout(judged: SparkJudged, output: str):
    """The columns of ``output`` (send or rejects) as the local writer lays them out — the input's
    columns under its header, then listclean's (``write.output_names``) — and the executors'
    function that lays out a batch, with the local writer's guard against spreadsheet formulas."""
    import pyarrow as pa

    from listclean.write import (
        ADDED_COLUMNS,
        REJECT_COLUMNS,
        _guard_shared,
        output_names,
    )

    carried = [c for c in judged.rows.columns if c != KEY]
    restore = dict(zip(carried, judged.header))
    names = output_names(judged.header)
    added = list(ADDED_COLUMNS) + (list(REJECT_COLUMNS) if output == "rejects" else [])
    raw_phone = judged.cmap.phone
    raw_phone = carried[judged.header.index(raw_phone)] if raw_phone in judged.header else None
    written = [restore[c] for c in carried] + [names[c] for c in added]
    positions = {f"_c{i}": c for i, c in enumerate(carried)}  # as _positional names them
    schema = pa.schema([(name, pa.string()) for name in written])

    def run(batches):
        for record_batch in batches:
            rows = pl.from_arrow(record_batch).rename(positions)
            frame = rows.select(
                *carried, pl.col("email").alias(names["email_normalized"]),
                pl.col("phone_e164").alias(names["phone_e164"]),
                pl.col(KEY).alias(names["row"]), pl.col("status").alias(names["status"]),
                pl.col("codes").list.join(";").alias(names["codes"]), pl.col("reasons").alias(names["reasons"]),
                pl.col("duplicate_of").alias(names["duplicate_of"]))
            frame = _guard_shared(frame, "csv", raw_phone, names["phone_e164"], rows["phone_status"] == "ok",
                                  names["suggested_value"])
            frame = frame.select(*carried, *(names[c] for c in added)).rename(restore)
            yield from frame.select(pl.all().cast(pl.String)).to_arrow().cast(schema).to_batches()

    return written, run


# -- the command line ------------------------------------------------------------------------------

#: Options of check/clean the Spark engine does not carry out yet (refused, never ignored).
UNSUPPORTED = {"audit": "--audit", "record_unsubscribes": "--record-unsubscribes", "keep": "--keep",
               "report": "--report", "repermission": "--repermission", "fixable": "--fixable",
               "columns": "--columns", "pseudonymise": "--pseudonymise"}


def cli_run(command: str, paths: list[str], settings: Settings, master: str, conf: Sequence[str] | None,
            on_stage=None, message: str | Path | None = None, out: Path | None = None,
            rejects: Path | None = None, **others) -> Result:
    """``check``/``clean`` with ``--engine spark``: one input read by Spark (a file or a folder of
    part files); ``clean`` writes ``out`` (and ``rejects``) as folders of CSV part files."""
    asked = [UNSUPPORTED[name] for name, value in others.items() if name in UNSUPPORTED and value]
    if asked:
        raise ListcleanError(f"{', '.join(asked)}: not available with --engine spark (use --engine local)")
    if len(paths) != 1 or paths[0] == "-":
        raise ListcleanError("--engine spark judges one input (a file or a folder of part files), not stdin "
                             "or several")
    if command == "clean" and "-" in (str(out), str(rejects)):
        raise ListcleanError("--engine spark writes folders of part files: -o - is not available")
    require()
    from listclean import pipeline

    campaign = pipeline._read_campaign(message, settings)
    if command == "clean":
        result = run_clean(paths[0], settings, Path(out), rejects, master, conf or (), on_stage)
    else:
        result = run_check(paths[0], settings, master, conf or (), on_stage).result
    pipeline._add_message(result, campaign, settings)
    return result
