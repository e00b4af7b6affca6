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
from conftest import FIELD_HEADERS, HEADER, countries_in_turn, write_rows
from conftest import SPARK_BATCH_ROWS as BATCH_ROWS
from polars.testing import assert_frame_equal

from listclean import pipeline
from listclean.errors import ListcleanError
from listclean.settings import build_settings
from listclean.suppression import SuppressionStore
from listclean.suppression.store import SuppressionEntry

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[1]
CRM = ROOT / "sample_data" / "crm_export.csv"
CASES = Path(__file__).parent / "cases"
AS_OF = "2026-11-01"


def crm_head(folder: Path, rows: int) -> Path:
    """The first ``rows`` records of the sample export (it has no field spanning lines)."""
    path = folder / f"crm_{rows}.csv"
    path.write_text("".join(CRM.read_text(encoding="utf-8").splitlines(keepends=True)[:rows + 1]), encoding="utf-8")
    return path


def per_row(result) -> pl.DataFrame:
    """Status, person, duplicate_of, sorted codes and sorted "code: message" of every row."""
    found = (result.findings.filter(pl.col("_row").is_not_null()).group_by("_row")
             .agg(pl.format("{}: {}", "code", "message").sort().alias("found")))
    return (result.statuses.select("_row", pl.col("status").cast(pl.String), "person_id", "duplicate_of")
            .join(result.codes_by_row(), on="_row", how="left")
            .join(found, on="_row", how="left").sort("_row"))


def file_notes(result) -> list[tuple[str, str]]:
    return sorted(result.findings.filter(pl.col("_row").is_null()).select("code", "message").rows())


def assert_parity(spark, path: Path, settings, *, batch: int | None = None, split: int | None = None,
                  people_on: str | None = None, matcher_on: str | None = None) -> tuple:
    """Judge ``path`` with both engines; every row must come out the same. ``batch``: rows per
    Arrow batch; ``split``: bytes per input partition (several partitions: the row numbering
    must carry on across them); ``people_on``: where Spark runs the people stage (``executors``:
    exact matching distributed, checked); ``matcher_on``: where probabilistic matching runs."""
    from listclean.engines import spark as engine

    local = pipeline.check(path, settings)
    if batch is not None:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch))
    if split is not None:
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(split))
    try:
        frame = engine.read(spark, str(path))
        if split is not None:
            assert frame.rdd.getNumPartitions() > 1
        judged = engine.judge(frame, settings, source=str(path), input_format="csv", people_on=people_on,
                              matcher_on=matcher_on, per_row=True)
        remote = judged.result
    finally:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert remote.rows_in == local.rows_in
    assert remote.counts_by_status() == local.counts_by_status()
    assert_frame_equal(per_row(remote), per_row(local))
    assert file_notes(remote) == file_notes(local)
    assert remote.rules_run == local.rules_run
    assert remote.people == local.people
    assert remote.examples == local.examples
    if people_on != "driver":
        assert judged.kept is None  # nothing of the rows but their verdicts (and identities) reached the driver
    return local, remote


def test_crm_export_email(spark, tmp_path):
    local, _ = assert_parity(spark, CRM, build_settings(cwd=tmp_path, as_of=AS_OF), split=100_000)
    assert local.rows_in == 3000 and local.counts_by_status()["duplicate"] > 0


def test_crm_export_sms(spark, tmp_path, monkeypatch):
    """The SMS channel with the matcher distributed (``engines.spark_match``) under tight blocking
    guards: the same persons and review pairs; the blocking values on more than ``max_block``
    rows skipped (each noted once, DU003, as the local matcher shows it); the weak rules' pair
    budget spent as the local matcher spends it (the same cap for each rule, some below
    ``max_block``). With a suppression store: its SMS entries match phones on the executors."""
    from listclean.people import match

    caps = []

    def recorded(*args):
        caps.append(real(*args))
        return caps[-1]

    real = match.weak_cap
    monkeypatch.setattr(match, "weak_cap", recorded)
    monkeypatch.setattr(match, "PAIR_BUDGET", 0.4)  # weak rules may bring 3000 rows to 1200 pairs
    monkeypatch.setattr(match, "PAIR_FLOOR", 100)
    policy = tmp_path / "small_blocks.toml"
    policy.write_text('[match]\nmax_block = 4\n')
    settings = build_settings(cwd=tmp_path, as_of=AS_OF, channel="sms", policy=str(policy),
                              store=suppression_store(tmp_path, CRM))
    local, _ = assert_parity(spark, CRM, settings, matcher_on="executors")
    assert any("source sms.csv" in m for m in local.findings.filter(pl.col("code") == "CN010")["message"].to_list())
    assert local.channel == "sms" and local.people["matching"] == "probabilistic"
    assert local.people["merged_rows"] > 100 and local.people["review_pairs"] > 0
    assert caps and len(caps) % 2 == 0 and caps[:len(caps) // 2] == caps[len(caps) // 2:]
    assert min(caps) < 4, caps
    assert any(c == "DU003" and "not used to match" in m for c, m in file_notes(local)), file_notes(local)


def test_where_the_matcher_runs():
    """The matcher runs distributed when asked, or above ``DRIVER_ROWS`` rows; a wrong value is
    refused with a one-line error (no Spark needed)."""
    from listclean.engines import spark_match

    assert not spark_match.matcher_on_executors(None, spark_match.DRIVER_ROWS)
    assert spark_match.matcher_on_executors(None, spark_match.DRIVER_ROWS + 1)
    assert spark_match.matcher_on_executors("executors", 10) and not spark_match.matcher_on_executors("driver", 10**9)
    with pytest.raises(ListcleanError, match="matcher_on='everywhere'"):
        spark_match.matcher_on_executors("everywhere", 10)


def test_crm_export_people_on_the_driver(spark, tmp_path):
    """The driver path (``people_on="driver"``: every row's narrow columns collected and the
    local ``pipeline.settle`` run there) gives the same rows too."""
    assert_parity(spark, crm_head(tmp_path, 1000), build_settings(cwd=tmp_path, as_of=AS_OF, channel="sms"),
                  people_on="driver")


def suppression_store(folder: Path, crm: Path) -> Path:
    """A real SQLite store holding rows of ``crm``: plaintext, hashed-only and partner-hashed
    email entries, and plaintext phone entries for SMS."""
    from listclean.suppression.hashing import get_profile

    rows = pl.read_csv(crm, infer_schema=False, n_rows=1200)
    emails = [e.strip().lower() for e in rows["Email Address"].drop_nulls().to_list()
              if e and "@" in e and " " not in e.strip() and not e.lower().startswith("mailto")][:12]
    phones = [p for p in rows["Phone Number"].drop_nulls().to_list() if p.startswith("+34") and " " not in p][:3]
    store_path = folder / "suppression.sqlite"
    with SuppressionStore(store_path) as store:
        store.add_many([SuppressionEntry("email", e, "email", "unsubscribe", source="esp.csv") for e in emails[:5]])
        store.add_many([SuppressionEntry("email", e, "all", "complaint", source="abuse.csv") for e in emails[5:8]],
                       hashed_only=True)
        store.add_hashed("md5-lower", "email", get_profile("md5-lower").hash_many("email", emails[8:12]),
                         "email", "legal-list", "partner.csv")
        store.add_many([SuppressionEntry("phone", p, "sms", "unsubscribe", source="sms.csv") for p in phones])
    return store_path


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


def test_library_check_returns_a_spark_frame(spark, tmp_path, monkeypatch):
    """listclean.spark.check: input columns, the key, status, codes, person_id; a key column of
    the input is used as it is. The driver keeps the totals, not the rows."""
    import listclean.spark as lspark
    from listclean.engines import spark as engine

    counted = []
    real = engine._totals
    monkeypatch.setattr(engine, "_totals", lambda *args: counted.append(real(*args)) or counted[-1])

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
    assert [{s: n for s, n in totals.by_status.items() if n} for totals in counted] == [
        dict(local["status"].value_counts().iter_rows())]
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


# -- exact matching: the people stage on the executors ----------------------------------------

def exact_settings(folder: Path, max_shared: int | None = None, **options):
    """Settings with a policy of exact matching only (and ``max_shared_identifier`` if given)."""
    policy = folder / "exact.toml"
    policy.write_text('[match]\nmode = "exact"\n'
                      + (f"[dedupe]\nmax_shared_identifier = {max_shared}\n" if max_shared else ""))
    return build_settings(cwd=folder, as_of=AS_OF, policy=str(policy), **options)


def test_exact_crm_export_on_executors(spark, tmp_path):
    """The sample export (which has names, so ``auto`` would match on the driver) with exact
    matching: several input partitions and Arrow batches, two shuffle partitions; a low
    max_shared_identifier makes phones too common to link (DU003)."""
    local, remote = assert_parity(spark, CRM, exact_settings(tmp_path, max_shared=2), split=100_000,
                                  people_on="executors")
    assert local.people["matching"] == "exact" and local.counts_by_status()["duplicate"] > 0
    notes = [m for c, m in file_notes(remote) if c == "DU003"]
    assert len(notes) > 1 and len(set(notes)) == len(notes)  # each too-common phone noted once


def test_exact_generated_export_sms(spark, tmp_path):
    """A generated export (sample_data/generate.py) on the SMS channel: the email is the other
    identifier, the phone the address."""
    path = tmp_path / "generated.csv"
    subprocess.run([sys.executable, str(ROOT / "sample_data" / "generate.py"), "--rows", "4000", "--output",
                    str(path), "--quiet", "--seed", "7"], check=True)
    local, _ = assert_parity(spark, path, exact_settings(tmp_path, max_shared=3, channel="sms"), batch=700,
                             people_on="executors")
    assert local.counts_by_status()["duplicate"] > 0


@pytest.mark.parametrize("people_on", ["executors", "driver"])
def test_a_stop_without_country_is_read_in_the_usual_region_of_the_whole_input(spark, tmp_path, people_on):
    """Arrow batches of 101 rows: the stop's batch holds only US numbers, the input mostly Spanish
    ones. Both engines read the number in ES, so the stop reaches its full copy."""
    path = write_rows(tmp_path / "in.csv", countries_in_turn())
    local, _ = assert_parity(spark, path, exact_settings(tmp_path, channel="sms"), batch=101, people_on=people_on)
    statuses = local.statuses.sort("_row")["status"].cast(pl.String).to_list()
    assert statuses[100] == "duplicate" and statuses[-1] == "drop"


def linked_rows() -> tuple[list[dict], dict[str, list[int]]]:
    """An export whose people span Arrow batches: three copies of one address (one unsubscribed)
    and two other addresses sharing a copy's phone; a phone on six rows (four addresses, one
    unsubscribed, and two rows without an email) — too common at max_shared_identifier 3; two
    rows without an email sharing a phone. Returns the rows and the row numbers of each kind."""
    rows = [{"email": f"filler{n}@buzon-ejemplo.es", "phone": f"+34 6{n:08d}", "country": "ES",
             "email_consent": "yes", "last_activity": "2026-10-01"} for n in range(1, 101)]
    placed: dict[str, list[int]] = collections.defaultdict(list)

    def put(position: int, kind: str, **fields) -> None:
        rows[position - 1] = {"country": "ES", "email_consent": "yes", "last_activity": "2026-09-01", **fields}
        placed[kind].append(position)

    put(3, "copies", email="ana@buzon-ejemplo.es", phone="+34 612 345 601")
    put(41, "copies", email="Ana@Buzon-Ejemplo.es", phone="+34 612 345 602", unsubscribed="yes")
    put(97, "copies", email="ana@buzon-ejemplo.es")
    put(22, "by_phone", email="bo@buzon-ejemplo.es", phone="+34 612 345 601")
    put(88, "by_phone", email="cy@buzon-ejemplo.es", phone="+34612345601")
    for position, name in ((5, "di"), (36, "ed"), (64, "flo"), (99, "gus")):
        put(position, "common", email=f"{name}@buzon-ejemplo.es", phone="+34 699 000 000",
            unsubscribed="yes" if name == "ed" else "")
    put(15, "common_bare", phone="+34 699 000 000")
    put(77, "common_bare", phone="+34 699 000 000")
    put(30, "bare", phone="+34 611 111 111")
    put(70, "bare", phone="+34 611 111 111")
    return rows, placed


def test_exact_stops_reach_every_copy_and_phone_link(spark, cli, tmp_path):
    """A stop on one copy reaches every copy and every row linked by phone, wherever the rows
    are; a phone shared by more clusters than allowed links nobody and is noted once; people
    without an email sharing a phone get distinct ids. ``clean`` writes what the local engine
    writes."""
    rows, placed = linked_rows()
    path = write_rows(tmp_path / "linked.csv", rows)
    _, remote = assert_parity(spark, path, exact_settings(tmp_path, max_shared=3), batch=10,
                              people_on="executors")
    found = per_row(remote).select("_row", "codes", "person_id")
    codes = {row: set(c or []) for row, c, _ in found.rows()}
    for row in placed["copies"] + placed["by_phone"]:
        assert "CN001" in codes[row], row
    common = placed["common"] + placed["common_bare"]
    assert [row for row in common if "CN001" in codes[row]] == [36]
    assert [m for c, m in file_notes(remote) if c == "DU003"] == [
        "phone +34 6** ** ** 00 is shared by 6 rows; not used to link people"]
    ids = dict(found.select("_row", "person_id").rows())
    assert len({ids[row] for row in common}) == len(common)
    assert ids[30] != ids[70]
    assert len({ids[row] for row in placed["copies"]}) == 1
    policy = tmp_path / "exact.toml"
    said = {}
    for engine in ("spark", "local"):
        suffix = "" if engine == "spark" else ".csv"
        done = cli("clean", path, "--as-of", AS_OF, "--store", "none", "--policy", policy, "--engine", engine,
                   "-o", tmp_path / f"send-{engine}{suffix}", "--rejects", tmp_path / f"rejects-{engine}{suffix}",
                   "--format", "summary")
        assert done.exit_code in (0, 1) and not isinstance(done.exception, Exception), done.output
        said[engine] = (done.exit_code, done.stdout)
    assert said["spark"] == said["local"]
    for name in ("send", "rejects"):
        parts = sorted((tmp_path / f"{name}-spark").glob("part-*.csv"))
        written = pl.concat([pl.read_csv(p, infer_schema=False) for p in parts], how="vertical")
        assert_frame_equal(written, pl.read_csv(tmp_path / f"{name}-local.csv", infer_schema=False))


# -- probabilistic matching: the matcher's links in the distributed people stage ------------------

MATCHED_HEADER = ["First Name", "Last Name", "Email", "Phone", "Country", "City", "Email Consent", "Unsubscribed",
                  "Last Activity"]


def matched_rows() -> tuple[list[dict], dict[str, list[int]]]:
    """An export with names whose people span Arrow batches: Ana under three emails and one phone
    (one row unsubscribed); Eva under two emails and two phones (one unsubscribed: only the
    matcher links her rows); Bo twice without an email, and Cy without one, on Bo's phone; name
    twins among the fillers (rows n and n + 100: review pairs)."""
    given = ["Lucía", "Mateo", "Sofía", "Hugo", "Martina", "Leo", "Julia", "Daniel", "Paula", "Álvaro"]
    family = ["López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Hernández", "Moreno", "Muñoz", "Romero"]
    rows = [{"First Name": given[n % 10], "Last Name": family[(n * 7 // 10) % 10],
             "Email": f"filler{n}@buzon-ejemplo.es", "Phone": f"+34 6{n:08d}", "Country": "ES", "City": "Madrid",
             "Email Consent": "yes", "Last Activity": "2026-10-01"} for n in range(1, 121)]
    placed: dict[str, list[int]] = collections.defaultdict(list)

    def put(position: int, kind: str, first: str, last: str, **fields) -> None:
        rows[position - 1] = {"First Name": first, "Last Name": last, "Country": "ES", "Email Consent": "yes",
                              "Last Activity": "2026-09-01", "City": "Sevilla", **fields}
        placed[kind].append(position)

    for position, email, stop in ((3, "ana.garcia@buzon-ejemplo.es", ""), (41, "agarcia.ruiz@correo-ejemplo.es", "yes"),
                                  (97, "anagarcia77@otro-ejemplo.es", "")):
        put(position, "ana", "Ana", "García Ruiz", Email=email, Phone="+34 612 345 601", Unsubscribed=stop)
    put(30, "eva", "Eva", "Prieto Gil", Email="eva.prieto@buzon-ejemplo.es", Phone="+34 633 000 001", Unsubscribed="yes")
    put(80, "eva", "Eva", "Prieto Gil", Email="evapg@otro-ejemplo.es", Phone="+34 633 999 002")
    put(15, "bo", "Bo", "Díaz Soto", Phone="+34 611 111 111")
    put(70, "bo", "Bo", "Díaz Soto", Phone="+34611111111")
    put(110, "cy", "Cy", "Rey Vidal", City="Bilbao", Phone="+34 611 111 111", Unsubscribed="yes")
    return rows, placed


@pytest.mark.parametrize("max_shared", [1, 2])
def test_matched_people_on_executors(spark, tmp_path, max_shared):
    """Probabilistic matching with the people stage on the executors, ten rows an Arrow batch:
    a stop reaches the rows only the matcher links; an identifier is shared by people, not
    address clusters (Ana's phone on three emails of one person links, even at 1); Bo's phone,
    held by two people without an email, is too common at 1 (noted once, distinct person ids)
    and links Cy's stop to Bo at 2."""
    rows, placed = matched_rows()
    path = write_rows(tmp_path / "matched.csv", rows, header=MATCHED_HEADER)
    policy = tmp_path / "shared.toml"
    policy.write_text(f"[dedupe]\nmax_shared_identifier = {max_shared}\n")
    _, remote = assert_parity(spark, path, build_settings(cwd=tmp_path, as_of=AS_OF, policy=str(policy), store="none"),
                              batch=10)
    assert remote.people["matching"] == "probabilistic" and remote.people["review_pairs"] > 0
    found = per_row(remote)
    codes = {row: set(c or []) for row, c in found.select("_row", "codes").rows()}
    ids = dict(found.select("_row", "person_id").rows())
    for row in placed["ana"] + placed["eva"]:
        assert "CN001" in codes[row], row
    assert len({ids[row] for row in placed["ana"]}) == 1 and len({ids[row] for row in placed["eva"]}) == 1
    assert any("DU005" in c for c in codes.values())
    notes = [m for c, m in file_notes(remote) if c == "DU003"]
    bo, cy = placed["bo"], placed["cy"][0]
    assert ids[bo[0]] == ids[bo[1]] != ids[cy]
    if max_shared == 1:
        assert notes == ["phone +34 6** ** ** 11 is shared by 3 rows; not used to link people"]
        assert not any("CN001" in codes[row] for row in bo)
    else:
        assert notes == [] and all("CN001" in codes[row] for row in bo)


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


def test_tables_of_the_catalog_in_and_out(spark, cli, tmp_path, monkeypatch):
    """``table:NAME``: a table or view of the Spark session's catalog, judged as the same rows
    read from their file, and ``clean``'s outputs written to tables, holding the rows of the local
    engine's files; an unknown table is a one-line error, and the local engine, which reads and
    writes no tables, says which engine does."""
    from listclean.engines import spark as engine

    crm = crm_head(tmp_path, 300)
    engine.read(spark, str(crm)).createOrReplaceTempView("contacts")
    monkeypatch.setattr(engine, "session", lambda *_: spark)  # the view lives in this session
    options = ("--as-of", AS_OF, "--format", "summary", "--store", "none")
    local = cli("check", crm, *options)
    remote = cli("check", "table:contacts", *options, "--engine", "spark")
    assert remote.exit_code == local.exit_code == 1, remote.output
    assert remote.stdout.replace("table:contacts", str(crm)) == local.stdout
    missing = cli("check", "table:nowhere", *options, "--engine", "spark")
    assert missing.exit_code == 2 and missing.output.count("\n") == 1, missing.output
    assert "table:nowhere: no table or view 'nowhere' in the Spark session's catalog" in missing.output
    elsewhere = cli("check", "table:contacts", *options)
    assert elsewhere.exit_code == 2 and "table:NAME, is read with --engine spark" in elsewhere.output

    spark.sql(f"CREATE DATABASE IF NOT EXISTS listclean_out LOCATION '{tmp_path / 'warehouse'}'")
    outputs = ("-o", "table:listclean_out.send", "--rejects", "table:listclean_out.rejects")
    for _ in range(2):  # the second run replaces the tables
        done = cli("clean", "table:contacts", *options, "--engine", "spark", *outputs)
        assert done.exit_code == 1, done.output
    local = cli("clean", crm, *options, "-o", tmp_path / "send.csv", "--rejects", tmp_path / "rejects.csv")
    assert local.exit_code == 1, local.output
    for name in ("send", "rejects"):
        written = pl.from_arrow(spark.table(f"listclean_out.{name}").toArrow())
        expected = pl.read_csv(tmp_path / f"{name}.csv", infer_schema=False)
        assert written.columns == expected.columns
        assert_frame_equal(written.sort(pl.all()), expected.sort(pl.all()))
    refused = cli("clean", crm, *options, "-o", "table:listclean_out.send")
    assert refused.exit_code == 2 and "tables (table:NAME) are written by clean --engine spark" in refused.output


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
