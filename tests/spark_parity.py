"""What the Spark tests share: the sample export, the parity check of the two engines
(``assert_parity``) and the inputs and settings several tests judge."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from conftest import SPARK_BATCH_ROWS as BATCH_ROWS
from polars.testing import assert_frame_equal

from listclean import pipeline
from listclean.settings import build_settings
from listclean.suppression import SuppressionStore
from listclean.suppression.store import SuppressionEntry

ROOT = Path(__file__).resolve().parents[1]
CRM = ROOT / "sample_data" / "crm_export.csv"
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
                              matcher_on=matcher_on)
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


def exact_settings(folder: Path, max_shared: int | None = None, **options):
    """Settings with a policy of exact matching only (and ``max_shared_identifier`` if given)."""
    policy = folder / "exact.toml"
    policy.write_text('[match]\nmode = "exact"\n'
                      + (f"[dedupe]\nmax_shared_identifier = {max_shared}\n" if max_shared else ""))
    return build_settings(cwd=folder, as_of=AS_OF, policy=str(policy), **options)
