"""GitHub Actions workflow annotations, one per finding (file notes without a line)."""

from __future__ import annotations

from typing import TextIO

from listclean.checks.registry import RULES
from listclean.result import Result

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _escape(text: str, property_value: bool = False) -> str:
    text = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def emit(result: Result, stream: TextIO) -> None:
    # Row N of a CSV is line N+1 when no field spans lines (the header is line 1).
    for row, code, severity, message in result.findings.sort("_row", "code", nulls_last=False).select(
            "_row", "code", "severity", "message").iter_rows():
        where = f"file={_escape(result.source, True)}"
        if row is not None:
            where += f",line={row + 1}"
        title = _escape(f"{code} {RULES[code].name}", True)
        suffix = f" (row {row})" if row is not None else ""
        stream.write(f"::{LEVELS[severity]} {where},title={title}::{_escape(message)}{suffix}\n")
    stream.write(f"{result.equation()}\n")
