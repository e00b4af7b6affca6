"""The Spark engine's people stage against the local one's (parity, as in test_spark.py): exact
matching on the executors, the matcher distributed or on the driver, stops reaching every copy
and every linked row, and the blocking guards. A module of its own so that the two Spark
modules run side by side on two test workers.

Marked ``spark`` (see test_spark.py).
"""

from __future__ import annotations

import collections
import subprocess
import sys

import polars as pl
import pytest
from conftest import write_rows
from polars.testing import assert_frame_equal
from spark_parity import AS_OF, CRM, ROOT, assert_parity, crm_head, exact_settings, file_notes, per_row, suppression_store

from listclean.errors import ListcleanError
from listclean.settings import build_settings

pytestmark = pytest.mark.spark


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


# -- exact matching: the people stage on the executors ----------------------------------------

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
