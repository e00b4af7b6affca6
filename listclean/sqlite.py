"""How listclean keeps its SQLite files (the DNS cache and the suppression store): one way to
open them, to wait for another process's lock, and to write.

Several listclean processes may share a file (a nightly import while a check runs): WAL lets
readers go on while one writes; every write is one ``BEGIN IMMEDIATE`` transaction, which takes
the write lock up front so two writers queue instead of failing halfway; and what SQLite still
reports as locked (beyond its busy timeout, or at once, as when switching to WAL while another
connection opens the file) is tried again with jittered back-off.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path
from typing import Callable, TypeVar

from listclean.errors import ListcleanError

_T = TypeVar("_T")


def is_busy(error: sqlite3.Error) -> bool:
    """The database is locked by another connection (worth waiting for), not broken."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(error).lower()
    return "locked" in text or "busy" in text


def retry(operation: Callable[[], _T], give_up_after: float = 300.0) -> _T:
    """``operation()``, run again while the database is busy, for up to ``give_up_after`` seconds."""
    deadline = time.monotonic() + give_up_after
    delay = 0.01
    while True:
        try:
            return operation()
        except sqlite3.OperationalError as error:
            if not is_busy(error) or time.monotonic() >= deadline:
                raise
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 1.0)


def write(connection: sqlite3.Connection, operation: Callable[[sqlite3.Connection], _T],
          give_up_after: float = 300.0) -> _T:
    """``operation(connection)`` in one ``BEGIN IMMEDIATE`` transaction, retried while locked."""

    def attempt() -> _T:
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = operation(connection)
            connection.execute("COMMIT")
            return result
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    return retry(attempt, give_up_after)


def connect(path: Path, what: str, *, busy_timeout: float = 30.0) -> sqlite3.Connection:
    """Open (creating it, readable by its owner only, if missing) the database at ``path`` in WAL
    mode. A file that is not a SQLite database is a ListcleanError naming ``what`` it should be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Personal data: SQLite gives the -wal/-shm files the database file's permissions.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        retry(lambda: connection.execute("PRAGMA journal_mode = WAL").fetchone())
    except sqlite3.DatabaseError as error:
        connection.close()
        if is_busy(error):
            raise
        raise ListcleanError(f"{what} is not a readable SQLite database ({error}); "
                             "move it aside or name another file", file=str(path)) from None
    return connection
