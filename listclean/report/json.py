"""JSON report: the stable document of Result.to_dict() (schema listclean.report/1)."""

from __future__ import annotations

import json
from typing import TextIO

from listclean.result import Result


def emit(result: Result, stream: TextIO) -> None:
    """The document, with its findings (the bulk of it: one per flagged row and rule) written last
    by polars, a part at a time (``Result.listed_parts``: all at once, or streamed from Spark).
    Serialising a million findings one by one through ``json`` took ten times as long as the
    check itself."""
    head = json.dumps(result.to_dict(include_findings=False), ensure_ascii=False, indent=2, default=str)
    if "findings" in result.outputs:   # check --findings FILE: they are there, the document stays small
        stream.write(head + "\n")
        return
    stream.write(head[:-2] + ',\n  "findings": [')  # the document's closing "\n}" comes after the findings
    separator = ""
    for part in result.listed_parts():
        if part.height:
            stream.write(separator + part.write_json()[1:-1])  # the part's objects, without its brackets
            separator = ","
    stream.write("]\n}\n")
