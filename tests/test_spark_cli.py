"""The Spark engine from the command line and in the reports: the files ``clean`` writes, the
reports of ``check`` (HTML, findings, counts), the one-line errors. A module of its own, so that
its Spark session runs beside test_spark.py's on another pytest worker.

Marked ``spark``, as test_spark.py (see there).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from conftest import SPARK_BATCH_ROWS as BATCH_ROWS
from polars.testing import assert_frame_equal
from test_spark import AS_OF, CRM, crm_head, file_notes

from listclean import pipeline
from listclean.settings import build_settings
from listclean.suppression import SuppressionStore
from listclean.suppression.store import SuppressionEntry

pytestmark = pytest.mark.spark


# -- the command line: the files clean writes, check's reports, the one-line errors ----------------------
def test_totals_instead_of_rows(spark, tmp_path):
    """``per_row=False``: the Result holds no row, only what Spark counted of them
    (``Result.totals``), and every report figure equals the local engine's."""
    from listclean.engines import spark as engine

    settings = build_settings(cwd=tmp_path, as_of=AS_OF, store="none")
    crm = crm_head(tmp_path, 800)
    local = pipeline.check(crm, settings)
    remote = engine.judge(engine.read(spark, str(crm)), settings, source=str(crm), per_row=False).result
    assert not remote.per_row and remote.statuses.is_empty()
    assert remote.findings["_row"].is_null().all()  # the notes on the whole file only
    assert remote.rows_in == local.rows_in == 800
    assert remote.counts_by_status() == local.counts_by_status()
    assert remote.counts_by_code() == local.counts_by_code() and len(local.counts_by_code()) > 5
    assert remote.people_by_size() == local.people_by_size() and max(local.people_by_size()) > 1
    assert remote.worst() == local.worst() and remote.people == local.people
    assert remote.examples == local.examples and file_notes(remote) == file_notes(local)
    with pytest.raises(RuntimeError, match="did not keep them"):
        remote.findings_frame()


def test_cli_engine_spark(spark, cli, tmp_path):
    """check prints the local engine's report and HTML page, from totals (clean's files:
    ``test_clean_files``; the reports that list rows: ``test_report_and_findings``); one input only."""
    crm = crm_head(tmp_path, 500)
    said, pages = {}, {}
    for name, engine in (("local", []), ("spark", ["--engine", "spark", "--spark-master", "local[1]",
                                                   "--spark-conf", "spark.ui.enabled=false"])):
        said[name] = cli("check", crm, "--as-of", AS_OF, "--format", "summary", "--store", "none",
                         "--report", tmp_path / f"{name}.html", "--history", "none", *engine)
        pages[name] = (tmp_path / f"{name}.html").read_text(encoding="utf-8")
    remote, local = said["spark"], said["local"]
    assert remote.exit_code == local.exit_code, remote.output
    assert remote.stdout == local.stdout
    volatile = re.compile(r"<dd>(?:[^<]*(?:spark|local)\.html|[0-9.]+ s|\d{4}-\d\d-\d\dT[0-9:+]+)</dd>")
    assert volatile.sub("", pages["spark"]) == volatile.sub("", pages["local"])
    assert len(volatile.findall(pages["spark"])) == 3 and "500 rows" in pages["spark"]
    refused = cli("check", crm, crm, "--engine", "spark")
    assert refused.exit_code == 2 and "--engine spark judges one input" in refused.output


def test_report_and_findings(spark, cli, tmp_path, monkeypatch, request):
    """The HTML report's aggregates, counted per partition on the executors and added up on the
    driver, are the local engine's; ``check --engine spark --report --findings`` writes the
    local engine's page (but for the run's own facts) and findings file, line for line in its
    order, streamed from Spark a hundred rows (an Arrow batch) at a time: the run keeps only totals."""
    from listclean.engines import spark as engine

    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "100")
    request.addfinalizer(lambda: spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS)))
    monkeypatch.setattr(engine, "session", lambda *_: spark)  # the CLI's settings would replace that one
    streamed = []
    monkeypatch.setattr(engine, "write_findings", lambda judged, *args, write=engine.write_findings: (
        streamed.append(judged.result.per_row), write(judged, *args)))

    settings = build_settings(cwd=tmp_path, as_of=AS_OF, store="none")
    crm = crm_head(tmp_path, 1000)
    with pipeline._open([str(crm)], settings) as loaded:
        local = pipeline.judge(loaded, settings, pipeline._silent, "check", profile=True).result.profile
    spark.conf.set("spark.sql.files.maxPartitionBytes", "40000")
    try:
        frame = engine.read(spark, str(crm))
        assert frame.rdd.getNumPartitions() > 1
        remote = engine.judge(frame, settings, source=str(crm), profile=True).result.profile
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert remote.rows == local.rows == 1000
    for table in ("domains", "countries", "phone_types", "activity", "consent"):
        assert_frame_equal(getattr(remote, table), getattr(local, table), check_row_order=False)
    pages, found = {}, {}
    for name in ("spark", "local"):
        done = cli("check", crm, "--as-of", AS_OF, "--store", "none", "--format", "json", "--engine", name,
                   "--report", tmp_path / f"{name}.html", "--history", "none",
                   "--findings", tmp_path / f"findings-{name}.jsonl")
        assert done.exit_code in (0, 1) and not isinstance(done.exception, Exception), done.output
        assert "findings" not in json.loads(done.stdout)  # listed in the file, not inline
        pages[name] = (tmp_path / f"{name}.html").read_text(encoding="utf-8")
        found[name] = (tmp_path / f"findings-{name}.jsonl").read_text(encoding="utf-8").splitlines()
    # The same page but for the run's own facts: its files' names, seconds and time.
    volatile = re.compile(r"<dd>(?:[^<]*(?:spark|local)\.(?:html|jsonl)|[0-9.]+ s|\d{4}-\d\d-\d\dT[0-9:+]+)</dd>")
    assert pages["spark"].startswith("<!DOCTYPE html>") and "1,000 rows" in pages["spark"]
    assert volatile.sub("", pages["spark"]) == volatile.sub("", pages["local"])
    assert len(volatile.findall(pages["spark"])) == 4
    assert streamed == [False] and len(found["spark"]) > 1000 and found["spark"] == found["local"]


def test_marketer_views(spark, tmp_path):
    """The re-permission and fixable views (``views.marketer_views``, over whole people) come out
    of the buckets as the local engine works them out."""
    from listclean.engines import spark as engine
    from listclean.views import marketer_views

    settings = build_settings(cwd=tmp_path, as_of=AS_OF, store="none")
    crm = crm_head(tmp_path, 1500)
    with pipeline._open([str(crm)], settings) as loaded:
        judged = pipeline.judge(loaded, settings, pipeline._silent, "clean")
    result = judged.result
    expected = pl.concat([result.statuses.select("_row"), marketer_views(result.statuses, result.findings, judged.kept)],
                         how="horizontal")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
    try:
        remote = engine.judge(engine.read(spark, str(crm)), settings, source=str(crm), views=True)
    finally:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
    got = pl.from_arrow(remote.statuses.select("_row", *expected.columns[1:]).toArrow()).sort("_row")
    assert_frame_equal(got, expected, check_dtypes=False)
    assert expected["repermission"].sum() > 0 and expected["fixable"].sum() > 0


def part_lines(folder: Path) -> list[dict]:
    """The JSON lines of a folder of part files, in order."""
    return [json.loads(line) for part in sorted(folder.glob("part-*")) for line in
            part.read_text(encoding="utf-8").splitlines()]


def test_clean_files(spark, cli, tmp_path, monkeypatch):
    """Every file ``clean --engine spark`` writes holds what the local engine's holds: send,
    rejects, re-permission and fixable as CSV part files (``--columns`` and ``--pseudonymise``
    by the local writer's own layout; the default layout: ``test_exact_stops_reach_every_copy_and_phone_link``),
    the audit trail as JSON Lines part files (but the time of the run; suppression matches
    included), and ``--record-unsubscribes`` adds to the store what the local engine adds."""
    options = ["--record-unsubscribes", "--pseudonymise", "--columns", "Customer ID,email"]
    monkeypatch.setenv("LISTCLEAN_PSEUDONYM_KEY", "k" * 40)
    crm = crm_head(tmp_path, 1500)
    email = next(e.strip().lower() for e in pl.read_csv(crm, infer_schema=False)["Email Address"].drop_nulls()
                 if "@" in e and " " not in e.strip() and not e.lower().startswith("mailto"))
    files, audit, added = ("send", "rejects", "rep", "fix"), {}, {}
    for engine in ("spark", "local"):
        store = tmp_path / f"store-{engine}.sqlite"
        with SuppressionStore(store) as opened:
            opened.add_many([SuppressionEntry("email", email, "email", "complaint", source="abuse.csv")])
        suffix = "" if engine == "spark" else ".csv"
        named = dict(zip(("-o", "--rejects", "--repermission", "--fixable"), files))
        done = cli("clean", crm, "--as-of", AS_OF, "--store", store, "--engine", engine, "--format", "json",
                   *[arg for option, name in named.items() for arg in (option, tmp_path / f"{name}-{engine}{suffix}")],
                   "--audit", tmp_path / (f"audit-{engine}" + ("" if engine == "spark" else ".jsonl")), *options)
        assert done.exit_code in (0, 1) and not isinstance(done.exception, Exception), done.output
        audit[engine] = (part_lines(tmp_path / "audit-spark") if engine == "spark" else
                         [json.loads(line) for line in (tmp_path / "audit-local.jsonl").read_text().splitlines()])
        with SuppressionStore(store) as opened:
            # An unsubscribe without a date is recorded at the run's time: only the dated ones compare.
            added[engine] = opened.export().select(
                "channel", "kind", "value", "reason", "source",
                pl.when(pl.col("created_at") < dt.datetime(2026, 11, 2, tzinfo=dt.UTC)).then("created_at"))
        assert json.loads(done.stdout)["recorded_unsubscribes"] == added[engine].height - 1 > 0
    for name in files:
        written = pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted((tmp_path / f"{name}-spark")
                                                                               .glob("part-*.csv"))], how="vertical")
        assert written.height > 0, name
        assert_frame_equal(written, pl.read_csv(tmp_path / f"{name}-local.csv", infer_schema=False))
    for engine in ("spark", "local"):
        for line in audit[engine]:
            line.pop("run_at")
            assert line.pop("suppression_store").endswith(f"store-{engine}.sqlite")
    assert len(audit["spark"]) == 1500 and audit["spark"] == audit["local"]
    assert any(line["suppression"] for line in audit["spark"])
    assert "columns" in audit["spark"][0] and "pseudonymised" in audit["spark"][0]
    assert_frame_equal(added["spark"].sort(pl.all()), added["local"].sort(pl.all()))
    refused = cli("clean", crm, "--engine", "spark", "--store", "none", "--record-unsubscribes", "-o", tmp_path / "x")
    assert refused.exit_code == 2 and "needs a suppression store" in refused.output


def test_failed_spark_job_is_one_line(spark, cli, tmp_path, monkeypatch):
    """A job that fails in a Python worker ends the run with one line and exit 2, naming the
    exception's class but never quoting what the worker's message says (it can hold a row's values)."""
    from listclean.engines import spark as engine

    def failing(result, extras):
        def lay_out(batches):
            for _ in batches:
                raise ValueError("cannot write ana.secreta@example.com")
            yield from ()
        return lay_out

    monkeypatch.setattr(engine, "_audit_layout", failing)
    crm = crm_head(tmp_path, 50)
    done = cli("clean", crm, "--as-of", AS_OF, "--store", "none", "--engine", "spark", "-o", tmp_path / "send",
               "--audit", tmp_path / "audit", "--format", "summary")
    assert done.exit_code == 2, done.output
    assert "listclean: error: the Spark job failed (ValueError in a Python worker)" in done.output
    assert "secreta" not in done.output and "Traceback" not in done.output


def test_engine_spark_without_pyspark_is_one_line(tmp_path):
    """No pyspark installed (the import blocked): one line naming the extra, exit 2."""
    code = ("import sys; sys.modules['pyspark'] = None; sys.modules['pyspark.sql'] = None\n"
            "from listclean.entry import main\n"
            f"sys.argv = ['listclean', 'check', {str(CRM)!r}, '--engine', 'spark']\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "XDG_DATA_HOME": str(tmp_path)}, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "listclean: error: --engine spark needs pyspark: pip install \".[spark]\" in a clone of listclean's repository"]
    assert done.stdout == ""
