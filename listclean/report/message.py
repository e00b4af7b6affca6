"""The report of ``listclean message``: text for a person, JSON (schema listclean.message/1)."""

from __future__ import annotations

import json
from typing import TextIO

from listclean.message import MessageReport


def emit(report: MessageReport, output_format: str, stream: TextIO) -> None:
    if output_format == "json":
        json.dump(report.to_dict(), stream, ensure_ascii=False, indent=2)
        stream.write("\n")
        return
    stream.write(f"listclean message {report.path}: {report.channel} ({report.kind}), policy {report.policy_name}, "
                 f"sha256 {report.sha256[:12]}…\n")
    width = max((len(f.name) for f in report.findings), default=0)
    for finding in sorted(report.findings, key=lambda f: (-f.severity, f.code)):
        stream.write(f"  {finding.severity!s:<8} {finding.code} {finding.name:<{width}}  {finding.message}\n")
        if finding.suggestion:
            stream.write(f"  {'':<8} {'':<5} {'':<{width}}  → {finding.suggestion}\n")
    counts = {str(s): sum(1 for f in report.findings if str(f.severity) == s) for s in ("error", "warning", "info")}
    shown = ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items() if n)
    if report.findings:
        stream.write(f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''}: {shown} "
                     f"({len(report.rules_run)} rules run; explain a code: listclean rule CODE)\n")
    else:
        stream.write(f"no findings ({len(report.rules_run)} rules run: {', '.join(report.rules_run)})\n")
