"""JUnit XML: one test case per rule that ran; a failure where it found errors or warnings."""

from __future__ import annotations

from typing import TextIO
from xml.etree import ElementTree as ET

from listclean.checks.registry import RULES
from listclean.result import Result

MAX_ROWS_LISTED = 200


def emit(result: Result, stream: TextIO) -> None:
    by_code = result.counts_by_code()
    rows_by_code = {code: entry["first_rows"] for (code, _), entry in
                    result.first_findings(MAX_ROWS_LISTED, by_file=False).items()}
    failures = sum(1 for c in by_code.values() if c["severity"] in ("error", "warning"))
    suite = ET.Element("testsuite", name="listclean", tests=str(len(result.rules_run)),
                       failures=str(failures), errors="0", time=f"{result.seconds:.3f}")
    properties = ET.SubElement(suite, "properties")
    for name, value in {"input": result.source, "channel": result.channel,
                        "policy": result.policy_name, "equation": result.equation(),
                        **{f"version.{k}": v for k, v in result.versions.items()}}.items():
        ET.SubElement(properties, "property", name=name, value=str(value))
    for code in result.rules_run:
        rule = RULES[code]
        case = ET.SubElement(suite, "testcase", classname=f"listclean.{rule.family}",
                             name=f"{code} {rule.name}", file=result.source)
        counts = by_code.get(code)
        if counts is None:
            continue
        rows = rows_by_code.get(code, [])
        listed = ", ".join(map(str, rows)) + (" …" if counts["rows"] > MAX_ROWS_LISTED else "")
        text = f"{counts['rows']} rows: {listed}" if rows else "file-level finding"
        if counts["severity"] in ("error", "warning"):
            failure = ET.SubElement(case, "failure", type=counts["severity"],
                                    message=f"{code} {rule.name}: {counts['rows']} rows ({counts['severity']})")
            failure.text = text
        else:
            ET.SubElement(case, "system-out").text = text
    ET.indent(suite)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(suite, encoding="unicode"))
    stream.write("\n")
