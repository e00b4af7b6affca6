"""The run history: one small row per run of a list, so a report can show the trend.

A SQLite file beside the suppression store (``history.sqlite``), or the one named with
``--history``. A run is keyed by the list's name, the channel and the run's day (``--as-of``):
running the same list twice on one day replaces that day's row, so a nightly job that is retried
leaves one row, and a reproducible run (``--as-of``) is recorded once however often it runs.
Nothing in it names a person: counts by status and by rule code only.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from listclean.result import Result
from listclean.sqlite import connect, retry, write

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    list TEXT NOT NULL,
    channel TEXT NOT NULL,
    as_of TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    command TEXT NOT NULL,
    policy TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    rows INTEGER NOT NULL,
    send INTEGER NOT NULL,
    review INTEGER NOT NULL,
    drop_ INTEGER NOT NULL,
    duplicate INTEGER NOT NULL,
    people INTEGER,
    codes TEXT NOT NULL,
    PRIMARY KEY (list, channel, as_of)
)
"""
#: How many earlier runs a report shows.
SHOWN = 30


def default_path(store_path: Path) -> Path:
    return store_path.with_name("history.sqlite")


def list_name(sources: list[str]) -> str:
    """A list is known by its input files' names (not their folders: a dump copied elsewhere is
    the same list); ``--list-name`` names it otherwise (a dump whose file name carries a date)."""
    return " + ".join(sorted(Path(source).name for source in sources))


def record_and_read(path: Path, name: str, result: Result) -> list[dict]:
    """Record the run; return the list's runs before it (oldest first, at most SHOWN)."""
    counts = result.counts_by_status()
    codes = {code: each["rows"] for code, each in result.counts_by_code().items()}
    row = (name, result.channel, result.as_of.isoformat(),
           dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), result.command,
           result.policy_name, result.policy_sha256, result.rows_in, counts["send"], counts["review"],
           counts["drop"], counts["duplicate"], result.people.get("people"), json.dumps(codes, sort_keys=True))
    db = connect(path, "the run history")
    try:
        retry(lambda: db.execute(SCHEMA))
        write(db, lambda c: c.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row))
        rows = db.execute(
            "SELECT as_of, recorded_at, policy, policy_sha256, rows, send, review, drop_, duplicate, people, codes "
            "FROM runs WHERE list = ? AND channel = ? AND as_of < ? ORDER BY as_of DESC LIMIT ?",
            (name, result.channel, result.as_of.isoformat(), SHOWN)).fetchall()
    finally:
        db.close()
    keys = ("as_of", "recorded_at", "policy", "policy_sha256", "rows", "send", "review", "drop", "duplicate",
            "people", "codes")
    runs = [dict(zip(keys, row)) for row in reversed(rows)]
    for run in runs:
        run["codes"] = json.loads(run["codes"])
    return runs
