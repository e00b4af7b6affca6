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
    import polars as pl  # noqa: F401  (named in the Source alias, a string)

    from listclean.errors import ExitStatus, ListcleanError
    from listclean.result import Result
    from listclean.settings import Settings, build_settings

__all__ = ["check", "clean", "people", "Result", "Settings", "build_settings", "ListcleanError", "ExitStatus"]

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


#: A path (``-`` for stdin) or a polars DataFrame/LazyFrame; check, clean and people also take
#: a list of them, judged as one list of people.
Source = "str | Path | pl.DataFrame | pl.LazyFrame"


def check(source: Source | list[Source], settings: Settings | None = None, *,
          on_stage: Callable[..., None] | None = None, message: str | Path | None = None) -> Result:
    """Judge every row of ``source`` (a path, ``-`` for stdin, a polars DataFrame/LazyFrame, or a
    list of them) and return the Result; write nothing. ``settings=None`` means
    ``build_settings()``: the defaults, with no project settings looked for. ``on_stage(name, ...)``
    is told as each stage starts. ``message``: the campaign message (.eml, .html, .txt), checked
    too; its findings join the Result's (see ``listclean.message``)."""
    from listclean import pipeline

    return pipeline.check(source, settings, on_stage, message=message)


def clean(source: Source | list[Source], settings: Settings | None = None, *,
          out: str | Path, rejects: str | Path | None = None, audit: str | Path | None = None,
          record_unsubscribes: bool = False, keep: list[str] | tuple[str, ...] = (),
          on_stage: Callable[..., None] | None = None, message: str | Path | None = None) -> Result:
    """Judge every row of ``source`` and write the send-ready rows to ``out``, the others to
    ``rejects``, one JSON line per row to ``audit``. Output formats follow the extensions,
    else the input's format (CSV for a DataFrame/LazyFrame). With several sources the outputs
    are in listclean's canonical columns plus the input columns named in ``keep``."""
    from listclean import pipeline

    return pipeline.clean(source, settings, Path(out), None if rejects is None else Path(rejects), on_stage,
                          audit=None if audit is None else Path(audit), record_unsubscribes=record_unsubscribes,
                          keep=keep, message=message)


def people(source: Source | list[Source], settings: Settings | None = None, *, out: str | Path | None = None,
           on_stage: Callable[..., None] | None = None):
    """Resolve the rows of ``source`` into people: a ``PeopleRun`` with the Result and one golden
    record per person (``golden``); with ``out``, the golden records are written there too.
    ``listclean.pipeline.explain(run, "FILE:ROW")`` says why a row belongs to its person."""
    from listclean import pipeline

    return pipeline.people(source, settings, None if out is None else Path(out), on_stage)
