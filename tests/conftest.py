"""Shared fixtures: tiny exports written to tmp_path, and a CLI runner."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from typer.testing import CliRunner

from listclean.cli import app

# No per-example time limit: on a shared 2-core machine one slow example is load, not a bug, and
# a test that fails by the clock once in a while is noise nobody can act on.
hypothesis_settings.register_profile("listclean", deadline=None)
hypothesis_settings.load_profile("listclean")

HEADER = ["Email", "Phone", "Country", "Email Consent", "SMS Consent", "Unsubscribed", "Last Activity"]
FIELD_HEADERS = {"email": "Email", "phone": "Phone", "country": "Country", "email_consent": "Email Consent",
                 "sms_consent": "SMS Consent", "unsubscribed": "Unsubscribed", "last_activity": "Last Activity"}


def countries_in_turn() -> list[dict]:
    """An export sorted by country: a hundred US rows, a stop on a national number without a
    country, then three hundred Spanish rows, the last the same number written in full."""
    rows = [{"phone": f"+1 212 555 {i:04d}", "country": "US", "sms_consent": "yes"} for i in range(100)]
    rows.append({"phone": "699 111 222", "unsubscribed": "yes"})
    rows += [{"phone": f"+34 612 {i:06d}", "country": "ES", "sms_consent": "yes"} for i in range(299)]
    return rows + [{"phone": "+34 699 111 222", "country": "ES", "sms_consent": "yes"}]


def write_rows(path: Path, rows: list[dict], header: list[str] | None = None, delimiter: str = ",",
               encoding: str = "utf-8") -> Path:
    """Write rows keyed by canonical field (email, phone…) or by header name."""
    header = header or HEADER
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            named = {FIELD_HEADERS.get(k, k): v for k, v in row.items()}
            writer.writerow([named.get(h, "") for h in header])
    return path


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path_factory, monkeypatch):
    """No test reads or writes the developer's own suppression store or DNS cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


@pytest.fixture
def export(tmp_path):
    def make(rows, name="export.csv", **kwargs):
        return write_rows(tmp_path / name, rows, **kwargs)
    return make


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run the CLI in an empty folder (no project settings leak in)."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input)
    return run


@pytest.fixture(autouse=True)
def no_stop_is_ever_sent(monkeypatch):
    """Every run in the suite, whatever it tests: no row carrying a stop (its own or its person's)
    has status send, and a written send file holds exactly the rows whose status is send."""
    import polars as pl

    from listclean import pipeline
    from listclean.checks.registry import RULES

    stops = [code for code, rule in RULES.items() if rule.carried == "person"]
    judge, write_outputs = pipeline.judge, pipeline.write_outputs

    def judged(*args, **kwargs):
        outcome = judge(*args, **kwargs)
        result = outcome.result
        stopped = result.findings.filter(pl.col("code").is_in(stops) & pl.col("_row").is_not_null()).select(
            "_source", "_row").unique()
        sent = result.statuses.filter(pl.col("status") == "send").join(stopped, on=["_source", "_row"])
        assert sent.is_empty(), f"rows with a stop were sent: {sent.select('_source', '_row').rows()}"
        # Every person with a stop on any row sends nothing.
        stopped_people = result.statuses.join(stopped, on=["_source", "_row"])["person_id"].unique()
        sent_people = result.statuses.filter((pl.col("status") == "send") & pl.col("person_id").is_in(
            stopped_people.implode()))
        assert sent_people.is_empty(), f"people with a stop were sent: {sent_people.select('_source', '_row').rows()}"
        return outcome

    def written(loaded, result, kept, out, *args, **kwargs):
        write_outputs(loaded, result, kept, out, *args, **kwargs)
        from listclean.write import output_format
        kind = output_format(out, loaded.format)
        if str(out) != "-" and kind in ("csv", "tsv", "jsonl", "parquet"):
            reader = {"csv": lambda p: pl.read_csv(p, infer_schema=False, separator=loaded.delimiter),
                      "tsv": lambda p: pl.read_csv(p, infer_schema=False, separator="\t"),
                      "jsonl": pl.read_ndjson, "parquet": pl.read_parquet}[kind]
            assert reader(out).height == result.counts_by_status()["send"]

    monkeypatch.setattr(pipeline, "judge", judged)
    monkeypatch.setattr(pipeline, "write_outputs", written)


#: Rows per Arrow batch in the Spark tests: several batches per input.
SPARK_BATCH_ROWS = 1000


@pytest.fixture(scope="module")
def spark():
    """A local Spark session for one test module (tests/test_spark.py; startup costs tens of
    seconds): one core, UI off, two shuffle partitions, the workers on this interpreter. The JVM
    compiles with its quick compiler only and collects with one thread: on inputs of a few
    thousand rows its optimising compiler and parallel collector cost 40% more CPU than they
    save (69 s against 41 s for one parity run of the sample export), CPU the other tests want."""
    if not os.environ.get("CI"):
        pytest.importorskip("pyspark")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from listclean.engines import spark as engine

    session = engine.session("local[1]", {
        "spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2",
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(SPARK_BATCH_ROWS),
        "spark.default.parallelism": "2", "spark.driver.memory": "1g",
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    })
    yield session
    session.stop()
