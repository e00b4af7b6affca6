"""GitHub Actions workflow annotations: one per rule code, not one per finding.

GitHub shows only a handful of annotations per step (10 errors and 10 warnings, 50 in all per
run), so a report of thousands of findings would be cut at random. Each annotation names the
rule code (per file, with several inputs), how many rows it flagged, the first rows (``line`` points at the first one: row N of
a CSV is line N+1 when no field spans lines) and the first finding's message, masked like every
other report. At most ``MAX_CODES`` codes are annotated, worst severity first; a last notice
says how many were left out. The one-line summary (``rows_in … = send … + …``) ends the output.
"""

from __future__ import annotations

from typing import TextIO

from listclean.checks.registry import RULES
from listclean.mask import mask_personal_data
from listclean.result import Result, Severity

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}
#: Rule codes annotated at most (one annotation each).
MAX_CODES = 50
#: Row numbers listed in an annotation.
FIRST_ROWS = 10


def _escape(text: str, property_value: bool = False) -> str:
    text = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def emit(result: Result, stream: TextIO) -> None:
    # With several inputs, each code is annotated on each file it flagged (rows are per file).
    entries = sorted(result.first_findings(FIRST_ROWS).values(),
                     key=lambda e: (-int(Severity.parse(e["severity"])), e["code"], e["file"]))
    for entry in entries[:MAX_CODES]:
        code, rows, count = entry["code"], entry["first_rows"], entry["rows"]
        where = f"file={_escape(entry['file'], True)}" + (f",line={rows[0] + 1}" if rows else "")
        title = _escape(f"{code} {RULES[code].name}", True)
        if rows:
            listed = ", ".join(str(r) for r in rows) + (", …" if count > FIRST_ROWS else "")
            what = f"{count} row{'s' if count != 1 else ''} (row{'s' if count != 1 else ''} {listed})"
        else:
            what = "file note"
        message = mask_personal_data(" ".join(str(entry["message"] or "").split()))
        text = f"{what}; first: {message}. Details: listclean rule {code}"
        stream.write(f"::{LEVELS[entry['severity']]} {where},title={title}::{_escape(text)}\n")
    if len(entries) > MAX_CODES:
        left = len(entries) - MAX_CODES
        stream.write(f"::notice file={_escape(result.source, True)},title=listclean::{left} more rule codes not "
                     f"annotated (at most {MAX_CODES}); see --format json\n")
    stream.write(f"{result.equation()}\n")
