"""Reports that are not about a run: which column was taken for which field (``listclean
columns``), and the rule catalogue (``listclean rule``), each as text or JSON."""

from __future__ import annotations

import json
from typing import TextIO

from listclean.checks.registry import RULES, describe
from listclean.columns import ColumnMap
from listclean.load import Loaded
from listclean.report.text import rule_table

#: What `listclean columns` reports as not found when no column was taken for it.
KEY_FIELDS = ("email", "phone", "country", "consent", "unsubscribed", "last_activity")


def columns(loaded: Loaded, cmap: ColumnMap, output_format: str, stream: TextIO) -> None:
    if output_format == "json":
        json.dump({"input": loaded.source, "format": loaded.format, "delimiter": loaded.delimiter,
                   "encoding": loaded.encoding, "rows": loaded.rows, "fields": cmap.as_dict(),
                   "unread_stop_columns": cmap.unread_stop_columns}, stream, ensure_ascii=False, indent=2)
        stream.write("\n")
        return
    stream.write(f"{loaded.source}: {loaded.format}, {loaded.rows} rows, encoding {loaded.encoding}"
                 + (f", delimiter {loaded.delimiter!r}" if loaded.format == "csv" else "") + "\n")
    width = max(len(c) for c in loaded.header)
    for column, carried in zip(loaded.header, loaded.columns):
        field = cmap.field_of(carried)
        how = f"  ({cmap.reasons[carried]})" if field else ""
        stream.write(f"  {column:<{width}}  →  {field or '-'}{how}\n")
    missing = [f for f in KEY_FIELDS
               if not (cmap.get(f) or (f == "phone" and cmap.phone) or any(k.endswith(f) for k in cmap.fields))]
    if missing:
        stream.write(f"  not found: {', '.join(missing)}\n")
    for column in cmap.unread_stop_columns:
        stream.write(f"  {column!r} looks like a stop signal but is not read as one (CN017); "
                     f"name it with --map unsubscribed={column!r} if it says stop\n")


def rule_record(code: str) -> dict:
    r = RULES[code]
    return {"code": r.code, "name": r.name, "family": r.family, "severity": str(r.severity),
            "channels": sorted(r.channels), "status": r.status, "doc": r.doc}


def rules(code: str | None, output_format: str, stream: TextIO) -> None:
    """One rule explained, or every rule on one line each."""
    if output_format == "json":
        json.dump(rule_record(code) if code else [rule_record(c) for c in RULES], stream, indent=2)
        stream.write("\n")
    elif code:
        stream.write(describe(code) + "\n")
    else:
        rule_table(stream)


def people(run, explained: dict | None, output_format: str, quiet: bool, stream: TextIO) -> None:
    """The people summary (unless quiet) and, when asked, the explanation of one row's person.
    Email addresses and phone numbers are masked, as in every report."""
    if explained is not None:
        explained = _masked(explained)
    if output_format == "json":
        json.dump({"people": run.result.people, "outputs": run.result.outputs,
                   **({"explain": explained} if explained is not None else {})},
                  stream, ensure_ascii=False, indent=2)
        stream.write("\n")
        return
    if not quiet:
        counts = run.result.people
        stream.write(f"people {counts['people']} in {counts['rows']} rows ({counts['matching']} matching)\n")
        for name, path in run.result.outputs.items():
            stream.write(f"wrote {name}: {path}\n")
    if explained is None:
        return
    stream.write(f"{explained['row']}: person {explained['person_id']}, status {explained['status']}; "
                 f"rows of the person: {', '.join(explained['members'])}\n")
    if not explained["pairs"]:
        stream.write("  no other row of this person or under review with it"
                     + (" (exact matching: rows join only by identical email or phone)"
                        if explained["matching"] == "exact" else "") + "\n")
    for pair in explained["pairs"]:
        how = "same person" if pair["same_person"] else "not merged (review band or below)"
        stream.write(f"  vs {pair['other']}: {how}\n")
        for e in pair["evidence"]:
            if e["field"] == "total":
                stream.write(f"    {'total':<12} {e['weight']:+7.2f}  probability {e['probability']:.4f}\n")
                continue
            values = "" if e["field"] == "prior" else f"  {e['value_a'] or '-'} | {e['value_b'] or '-'}"
            stream.write(f"    {e['field']:<12} {e['weight']:+7.2f}  {e['label']}{values}\n")


def _masked(explained: dict) -> dict:
    """Mask email addresses and phone numbers in an explanation's values."""
    from listclean.mask import mask_personal_data

    for pair in explained["pairs"]:
        for evidence in pair["evidence"]:
            for side in ("value_a", "value_b"):
                if evidence[side] is not None:
                    evidence[side] = mask_personal_data(evidence[side])
    return explained
