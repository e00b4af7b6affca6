"""Judging in batches gives exactly what judging the whole file at once gives."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from listclean import load as load_module
from listclean.pipeline import check, clean
from listclean.settings import build_settings

SAMPLE = Path(__file__).parent.parent / "sample_data" / "crm_export.csv"


def run(tmp_path, monkeypatch, batch_rows):
    monkeypatch.setattr(load_module, "BATCH_ROWS", batch_rows)
    settings = build_settings(cwd=tmp_path, as_of="2026-11-01", date_format=None)
    out = tmp_path / f"send_{batch_rows}.csv"
    rejects = tmp_path / f"rejects_{batch_rows}.csv"
    result = clean(SAMPLE, settings, out, rejects)
    return result, pl.read_csv(out, infer_schema=False), pl.read_csv(rejects, infer_schema=False)


def test_small_batches_change_nothing(tmp_path, monkeypatch):
    whole, whole_send, whole_rejects = run(tmp_path, monkeypatch, 1_000_000)
    batched, batched_send, batched_rejects = run(tmp_path, monkeypatch, 97)
    assert batched.counts_by_status() == whole.counts_by_status()
    assert batched.statuses.equals(whole.statuses)
    key = ["_row", "code", "message"]
    assert batched.findings.sort(key, nulls_last=True).equals(whole.findings.sort(key, nulls_last=True))
    assert batched_send.equals(whole_send) and batched_rejects.equals(whole_rejects)
    assert batched.file_notes().height == whole.file_notes().height
    assert whole_send.height + whole_rejects.height == whole.rows_in == 3000


def test_duplicates_are_found_across_batches(tmp_path, monkeypatch, export):
    monkeypatch.setattr(load_module, "BATCH_ROWS", 2)
    path = export([{"email": "ana@gmail.com", "last_activity": "2026-01-01"}, {"email": "x@gmail.com"},
                   {"email": "bob@gmail.com"}, {"email": "A.na@gmail.com", "unsubscribed": "yes",
                                                 "last_activity": "2025-01-01"}])
    result = check(path, build_settings(cwd=tmp_path, as_of="2026-11-01"))
    statuses = dict(zip(result.statuses["_row"], result.statuses["status"]))
    assert statuses == {1: "drop", 2: "send", 3: "send", 4: "duplicate"}
