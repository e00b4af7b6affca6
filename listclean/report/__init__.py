"""Reporters: one module per output format behind one small interface, ``emit(result, stream)``."""

from __future__ import annotations

from typing import Callable, TextIO

from listclean.result import Result

Emitter = Callable[[Result, TextIO], None]


def reporters() -> dict[str, Emitter]:
    from listclean.report import github, json, junit, text

    return {"text": text.emit, "summary": text.emit_line, "json": json.emit,
            "github": github.emit, "junit": junit.emit}


FORMATS = ("auto", "text", "summary", "json", "github", "junit")
