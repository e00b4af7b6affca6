"""JSON report: the stable document of Result.to_dict() (schema listclean.report/1)."""

from __future__ import annotations

import json
from typing import TextIO

from listclean.result import Result


def emit(result: Result, stream: TextIO) -> None:
    json.dump(result.to_dict(), stream, ensure_ascii=False, indent=2, default=str)
    stream.write("\n")
