"""Human summary for a terminal (rich), and the one-line summary used off a terminal."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.table import Table

from listclean.checks.registry import RULES
from listclean.mask import mask_personal_data
from listclean.result import Result, short_names

STATUS_STYLE = {"send": "green", "review": "yellow", "drop": "red", "duplicate": "cyan"}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "blue"}


def emit(result: Result, stream: TextIO) -> None:
    console = Console(file=stream, highlight=False, soft_wrap=False)
    console.print(f"[bold]listclean {result.command}[/] {result.source}  "
                  f"channel [bold]{result.channel}[/], policy [bold]{result.policy_name}[/], "
                  f"as of {result.as_of}", soft_wrap=True)
    statuses = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    statuses.add_column("status")
    statuses.add_column("rows", justify="right")
    statuses.add_column("share", justify="right")
    for status, count in result.counts_by_status().items():
        share = f"{100 * count / result.rows_in:.1f}%" if result.rows_in else "-"
        statuses.add_row(f"[{STATUS_STYLE[status]}]{status}[/]", f"{count:,}", share)
    console.print(statuses)
    console.print(f"[bold]{result.equation()}[/]", soft_wrap=True)
    if len(result.inputs) > 1:
        for path, counts in result.counts_by_source().items():
            console.print(f"  {path}: {counts['rows']} rows = send {counts['send']} + review {counts['review']} + "
                          f"drop {counts['drop']} + duplicate {counts['duplicate']}", soft_wrap=True, highlight=False)
    if result.people:
        people = result.people
        matched = (f"; probable matches merged {people['merged_rows']} rows, {people['review_pairs']} pairs to review"
                   if people.get("matching") == "probabilistic" else "")
        console.print(f"people {people['people']} in {people['rows']} rows ({people['matching']} matching{matched})",
                      soft_wrap=True, highlight=False)
    if result.message is not None:
        checked = result.message
        sms = checked.get("sms")
        cost = f"; {sms['encoding']}, {sms['segments']} segment{'s' if sms['segments'] != 1 else ''}" if sms else ""
        console.print(f"message {checked['path']} ({checked['channel']} {checked['kind']}, sha256 "
                      f"{checked['sha256'][:12]}…){cost}", soft_wrap=True, highlight=False, markup=False)

    by_code = result.counts_by_code()
    if by_code:
        codes = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for heading in ("code", "rule", "severity", "rows", "examples (masked)"):
            codes.add_column(heading, justify="right" if heading == "rows" else "left")
        for code, counts in by_code.items():
            examples = "; ".join(
                (f"{short_names([e['source']])[0]} " if "source" in e else "") + f"row {e['row']}"
                + (f" {e['value']}" if e["value"] else "") + f": {e['message']}"
                for e in result.examples.get(code, [])[:2])
            if counts["rows"] == 0:
                examples = "; ".join(result.file_notes().filter(result.file_notes()["code"] == code)["message"])
            sev = counts["severity"]
            codes.add_row(code, counts["name"], f"[{SEVERITY_STYLE[sev]}]{sev}[/]",
                          f"{counts['rows']:,}" if counts["rows"] else "file", examples)
        console.print(codes)
    versions = result.versions
    console.print(f"[dim]judged with phonenumbers {versions['phonenumbers_metadata']}, "
                  f"email-validator {versions['email_validator']}, disposable list "
                  f"{versions['disposable_email_domains']}; {result.seconds:.2f}s[/]")
    store = result.store or {}
    if store.get("consulted"):
        console.print(f"[dim]suppression store {store['path']}: {store['entries']:,} entries, "
                      f"last change {store['last_change'] or 'never'}[/]", soft_wrap=True)
    else:
        console.print(f"[dim]no suppression store consulted ({store.get('why', 'none')})[/]", soft_wrap=True)
    if result.overrides:
        overrides = mask_personal_data("; ".join(f"{k}={v}" for k, v in result.overrides.items()))
        console.print(f"[dim]overrides: {overrides}[/]", soft_wrap=True, markup=True)
    for kind, path in result.outputs.items():
        console.print(f"wrote {kind}: {path}")
    if by_code:
        console.print("[dim]explain a code: listclean rule CODE[/]")


def emit_line(result: Result, stream: TextIO) -> None:
    by_code = result.counts_by_code()
    worst = {sev: sorted(c for c, v in by_code.items() if v["severity"] == sev) for sev in ("error", "warning")}
    parts = [f"{sev}s: {','.join(codes)}" for sev, codes in worst.items() if codes]
    stream.write(f"listclean {result.command} {result.source}: {result.equation()}"
                 + (f" ({'; '.join(parts)})" if parts else "") + "\n")


def rule_table(stream: TextIO) -> None:
    """Every rule on one line each: code, name, family, default severity, channels, summary."""
    for code, rule in RULES.items():
        stream.write(f"{code}  {rule.name:<28} {rule.family:<10} {str(rule.severity):<8} "
                     f"{','.join(sorted(rule.channels)):<26} {rule.summary}\n")
