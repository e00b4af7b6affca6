"""listclean: clean a contact export before an email or SMS campaign.

The library API::

    import listclean
    result = listclean.check("contacts.csv")              # or a polars DataFrame / LazyFrame
    result = listclean.clean(frame, out="send.csv", rejects="rejects.csv")
    settings = listclean.build_settings(policy="gdpr", channel="email")

Importing listclean imports nothing heavy (no polars) and changes nothing process-wide: the
names below are loaded on first use (PEP 562), and the command line's process settings live in
``listclean.entry``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from listclean.errors import ExitStatus, ListcleanError
    from listclean.result import Result
    from listclean.settings import Settings, build_settings

__all__ = ["check", "clean", "Result", "Settings", "build_settings", "ListcleanError", "ExitStatus"]

_LAZY = {
    "Result": "listclean.result",
    "Settings": "listclean.settings",
    "build_settings": "listclean.settings",
    "ListcleanError": "listclean.errors",
    "ExitStatus": "listclean.errors",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'listclean' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def check(source: str | Path | pl.DataFrame | pl.LazyFrame, settings: Settings | None = None, *,
          on_stage: Callable[..., None] | None = None) -> Result:
    """Judge every row of ``source`` (a path, ``-`` for stdin, or a polars DataFrame/LazyFrame)
    and return the Result; write nothing. ``settings=None`` means ``build_settings()``: the
    defaults, with no project settings looked for. ``on_stage(name, ...)`` is told as each
    stage starts."""
    from listclean import pipeline

    return pipeline.check(source, settings, on_stage)


def clean(source: str | Path | pl.DataFrame | pl.LazyFrame, settings: Settings | None = None, *,
          out: str | Path, rejects: str | Path | None = None, audit: str | Path | None = None,
          record_unsubscribes: bool = False, on_stage: Callable[..., None] | None = None) -> Result:
    """Judge every row of ``source`` and write the send-ready rows to ``out``, the others to
    ``rejects``, one JSON line per row to ``audit``. Output formats follow the extensions,
    else the input's format (CSV for a DataFrame/LazyFrame)."""
    from listclean import pipeline

    return pipeline.clean(source, settings, Path(out), None if rejects is None else Path(rejects), on_stage,
                          audit=None if audit is None else Path(audit), record_unsubscribes=record_unsubscribes)
