"""The Spark engine against the local one: for the same input and settings, every row gets the
same status, codes, findings and person (parity is the contract), in local mode with small
Arrow batches so that every input is judged in several batches.

One SparkSession for the module (the ``spark`` fixture of conftest.py). Marked ``spark``: select with
``-m spark``, leave out with ``-m "not spark"``. CI installs the spark extra and Java, so these
run there; on a machine without pyspark they are skipped, except in CI (CI=true), where a
missing pyspark fails.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import polars as pl
import pytest
from conftest import FIELD_HEADERS, HEADER, write_rows
from conftest import SPARK_BATCH_ROWS as BATCH_ROWS
from polars.testing import assert_frame_equal
from spark_parity import AS_OF, CRM, assert_parity, crm_head, file_notes, per_row, suppression_store

from listclean import pipeline
from listclean.settings import build_settings
from listclean.suppression import SuppressionStore
from listclean.suppression.store import SuppressionEntry


pytestmark = pytest.mark.spark

CASES = Path(__file__).parent / "cases"


def test_crm_export_email(spark, tmp_path):
    local, _ = assert_parity(spark, CRM, build_settings(cwd=tmp_path, as_of=AS_OF), split=100_000)
    assert local.rows_in == 3000 and local.counts_by_status()["duplicate"] > 0


def test_suppression_store(spark, tmp_path):
    """A real SQLite store with plaintext, hashed-only and partner-hashed entries: the executors
    match a hashed snapshot and find exactly what the store finds (its phone entries on the SMS
    channel: ``test_crm_export_sms``)."""
    crm = crm_head(tmp_path, 1200)
    settings = build_settings(cwd=tmp_path, as_of=AS_OF, store=suppression_store(tmp_path, crm))
    local, _ = assert_parity(spark, crm, settings, batch=300)
    suppressed = local.findings.filter(pl.col("code") == "CN010")
    assert suppressed.height >= 12
    assert {"plain", "sha256", "md5-lower"} <= {m.rsplit("matched by ", 1)[1].rstrip(")")
                                                 for m in suppressed["message"].to_list()}


def test_snapshot_matches_as_the_store(tmp_path):
    """The hashed snapshot the executors get answers as the SQLite store does (no Spark)."""
    from listclean.suppression.hashing import get_profile
    from listclean.suppression.snapshot import HashedSnapshot

    with SuppressionStore(tmp_path / "s.sqlite") as store:
        store.add_many([SuppressionEntry("email", "ana@example.com", "email", "unsubscribe", created_at="2024-01-02"),
                        SuppressionEntry("email", "bo@example.com", "all", "complaint", created_at="2023-05-06")])
        store.add_many([SuppressionEntry("email", "ana@example.com", "all", "manual", created_at="2022-01-01")],
                       hashed_only=True)
        store.add_hashed("md5-lower", "email", get_profile("md5-lower").hash_many("email", ["cy@example.com"]),
                         "email", "legal-list", "partner.csv")
        store.add_many([SuppressionEntry("phone", "+34600000001", "sms", "unsubscribe")])
        emails = pl.Series(["ana@example.com", None, "cy@example.com", "bo@example.com", "x@example.com"])
        phones = pl.Series([None, "+34600000001", None, "+34600000002", None])
        for channel in ("email", "sms", "all"):
            snapshot = HashedSnapshot.of(store, channel)
            assert_frame_equal(snapshot.match(emails, phones, channel), store.match(emails, phones, channel))
        assert "value" not in HashedSnapshot.of(store, "email").entries.columns  # no plaintext shipped


def rule_case_files(tmp_path: Path) -> list[tuple[Path, dict]]:
    """The rows of every rule's case file (tests/cases), gathered into one export per set of
    settings: together they fire every rule family of rows (CN, CT, DU, EM, IN, PH, ST)."""
    groups: dict[tuple, list[dict]] = collections.defaultdict(list)
    for path in sorted(CASES.glob("*.toml")):
        spec = tomllib.loads(path.read_text())
        if spec.get("target", "rows") != "rows":
            continue
        for case in spec["case"]:
            if "header" in case:
                continue
            key = tuple(case.get(name, spec.get(name))
                        for name in ("policy", "channel", "send_at", "similar_products", "consent_evidence"))
            rows = ([case["rows_repeat"]["row"]] * case["rows_repeat"]["count"] if "rows_repeat" in case
                    else case["rows"])
            groups[key].extend(rows)
    files = []
    for number, (key, rows) in enumerate(sorted(groups.items(), key=lambda kv: -len(kv[1]))):
        extra = sorted({k for row in rows for k in row if k not in FIELD_HEADERS})
        path = write_rows(tmp_path / f"cases{number}.csv", rows, header=HEADER + extra)
        policy, channel, send_at, similar, evidence = key
        files.append((path, {"policy": policy, "channel": channel, "send_at": send_at,
                             "similar_products": similar, "consent_evidence": evidence}))
    return files


def test_every_rule_family(spark, tmp_path):
    files = rule_case_files(tmp_path)
    fired = set()
    # The four biggest sets (default email, sms, gdpr, tcpa at a send time) cover every family.
    wanted = [f for f in files if f[1]["policy"] in (None, "gdpr", "tcpa") and not f[1]["similar_products"]
              and not f[1]["consent_evidence"]][:4]
    for path, options in wanted:
        settings = build_settings(cwd=tmp_path, as_of=AS_OF, **options)
        local, _ = assert_parity(spark, path, settings, batch=37)
        fired |= set(local.findings["code"].to_list())
    assert {code[:2] for code in fired} >= {"CN", "CT", "DU", "EM", "IN", "PH", "ST"}


def test_library_check_returns_a_spark_frame(spark, tmp_path):
    """listclean.spark.check: input columns, the key, status, codes, person_id; a key column of
    the input is used as it is."""
    import listclean.spark as lspark

    settings = build_settings(cwd=tmp_path, as_of=AS_OF)
    rows = [{"email": "ana@gmail.com"}, {"email": "ANA@gmail.com"}, {"email": "bad@@x"},
            {"email": "bo@hotmail.com", "unsubscribed": "yes", "Notes.v2": "a `dotted` name"}]
    path = write_rows(tmp_path / "four.csv", rows, header=HEADER + ["Notes.v2"])
    frame = lspark.read(spark, str(path))
    out = lspark.check(frame, settings)
    assert out.columns[:1] == ["_row"] and {"status", "codes", "person_id", "Email", "Notes.v2"} <= set(out.columns)
    got = {r["_row"]: (r["status"], list(r["codes"])) for r in out.collect()}
    local = per_row(pipeline.check(path, settings))
    assert got == {r: (s, c or []) for r, s, c in local.select("_row", "status", "codes").rows()}
    # An input that carries its own key: the rows keep it.
    from pyspark.sql import functions as F

    keyed = frame.withColumn("id", F.lit(100) + F.monotonically_increasing_id())
    out = lspark.check(keyed, settings, key="id")
    assert sorted(r["id"] for r in out.select("id").collect()) == [100, 101, 102, 103]


def test_dns_verdicts_are_resolved_once_and_shipped(spark, tmp_path_factory, tmp_path):
    """--dns against a real NSD on loopback: the driver resolves each distinct domain once and
    the executors' rows get the verdicts the local engine gets (EM006–EM010)."""
    import dns_server
    from test_dns_pipeline import ORIGIN, ROWS, ZONE

    dns_server.require_nsd()
    server = dns_server.start_nsd(tmp_path_factory.mktemp("nsd-spark"), {ORIGIN: ZONE})
    try:
        rows = [{"email": f"{local}{n}@{domain}", "email_consent": "yes", "last_activity": "2026-10-01"}
                for n in range(3) for local, (domain, _) in ROWS.items()]
        path = write_rows(tmp_path / "dns.csv", rows)
        settings = build_settings(cwd=tmp_path, as_of=AS_OF, dns=True, nameservers=[server.nameserver],
                                  dns_cache=tmp_path / "cache.sqlite")
        local, remote = assert_parity(spark, path, settings, batch=5)
    finally:
        server.stop()
    expected = {code for _, code in ROWS.values() if code}
    assert expected <= set(local.findings["code"].to_list())
    assert remote.dns["domains"] == local.dns["domains"] == len(ROWS)


# -- the command line: the files clean writes, check's reports, the one-line errors ----------------------
def test_totals_instead_of_rows(spark, tmp_path):
    """``per_row=False``: the Result holds no row, only what Spark counted of them
    (``Result.totals``), and every report figure equals the local engine's; the reports that list
    findings (json, github, junit) read them streamed from Spark and print what the local
    engine's print."""
    import io

    from listclean.engines import spark as engine
    from listclean.report import reporters

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
    printed = {}
    for name in ("json", "github", "junit"):
        for result in (local, remote):
            stream = io.StringIO()
            reporters()[name](result, stream)
            printed[name, result is remote] = stream.getvalue()
    assert printed["github", True] == printed["github", False] and printed["github", True].count("::") > 10
    seconds = re.compile(r' time="[0-9.]+"')
    assert seconds.sub("", printed["junit", True]) == seconds.sub("", printed["junit", False])
    documents = [json.loads(printed["json", remote]) for remote in (True, False)]
    assert documents[0]["findings"] == documents[1]["findings"] and len(documents[0]["findings"]) > 800
    assert documents[0]["summary"] == documents[1]["summary"]
    assert_frame_equal(remote.findings_frame(), local.findings_frame())


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
    monkeypatch.setattr(pipeline, "write_findings", lambda result, *args, write=pipeline.write_findings: (
        streamed.append(result.per_row), write(result, *args)))

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
    assert streamed == [False, True] and len(found["spark"]) > 1000 and found["spark"] == found["local"]


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
