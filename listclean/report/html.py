"""The list-health report: one self-contained HTML page a manager reads at a glance.

No script and nothing fetched: styles are inlined and the charts are inline SVG (see ``svg``),
so the page opens offline, prints, and shows the same on a phone (the layout is one column
below 700 px). Personal data is masked as in every other report; the charts count domains,
countries, phone types, months and channels, never people.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import TextIO

import polars as pl

from listclean.checks.registry import RULES
from listclean.mask import mask_personal_data
from listclean.profile import DOMAIN_VERDICTS, MONTH_STEP, OPEN_END, TOP_COUNTRIES, TOP_DOMAINS, Profile
from listclean.report import svg
from listclean.result import STATUSES, Result, short_names

DOMAIN_COLOURS = dict(zip(DOMAIN_VERDICTS, ("#bc4c00", "#8250df", "#cf222e", "#a40e26", "#9a6700", "#1a7f37")))
CONSENT_COLOURS = {"yes": "#1a7f37", "no": "#cf222e", "blank": "#8c959f", "unreadable": "#9a6700"}
#: Notes on the whole file shown per rule (blocking values too common to match on can be thousands).
NOTES_PER_CODE = 10
CLUSTER_SIZES = ("1 row", "2 rows", "3 rows", "4 rows", "5+ rows")

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #ffffff; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.6rem; margin: 0.2em 0; }
h2 { font-size: 1.2rem; margin: 1.6em 0 0.4em; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 1rem; margin: 0.8em 0 0.2em; }
p.lead { color: #57606a; margin: 0 0 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 12px; border-left: 6px solid var(--c); }
.card .n { font-size: 1.5rem; font-weight: 700; }
.card .s { color: #57606a; }
.equation { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 8px 10px; border-radius: 6px; overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap: 8px 24px; }
figure { margin: 0; break-inside: avoid; }
figcaption { font-weight: 600; margin: 8px 0 2px; }
svg.chart { width: 100%; max-width: 620px; height: auto; display: block; }
svg.chart a text { fill: #0550ae; text-decoration: underline; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d8dee4; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
.sev-error { color: #a40e26; font-weight: 600; } .sev-warning { color: #7d4e00; font-weight: 600; } .sev-info { color: #0550ae; }
.up { color: #1a7f37; } .down { color: #a40e26; }
.rule { border: 1px solid #d0d7de; border-radius: 8px; padding: 4px 12px; margin: 8px 0; break-inside: avoid; }
.rule pre { white-space: pre-wrap; font: inherit; margin: 4px 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dl.meta dt { color: #57606a; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
a { color: #0550ae; }
.muted { color: #57606a; }
@media (max-width: 700px) { body { font-size: 14px; } main { padding: 10px; } dl.meta { grid-template-columns: 1fr; } }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; } a { color: inherit; text-decoration: none; } }
"""


def emit(result: Result, stream: TextIO) -> None:
    stream.write(render(result))


def render(result: Result) -> str:
    sections = [_statuses(result), _trend(result), _findings(result), _file_notes(result)]
    if result.profile is not None:
        sections += [_addresses(result, result.profile), _activity_and_consent(result.profile)]
    sections += [_people(result), _examples(result), _rules(result), _provenance(result)]
    title = f"List health: {', '.join(short_names([i['path'] for i in result.inputs]) or [result.source])}"
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
            f'<body><main><h1>{escape(title)}</h1>'
            f'<p class="lead">{escape(_run_line(result))}</p>'
            + "".join(s for s in sections if s) + "</main></body></html>\n")


def _run_line(result: Result) -> str:
    return (f"listclean {result.command} · channel {result.channel} · policy {result.policy_name} · "
            f"as of {result.as_of.isoformat()} · {result.rows_in:,} rows")


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _figure(caption: str, chart: str, note: str = "") -> str:
    if not chart:
        return ""
    return (f"<figure><figcaption>{escape(caption)}</figcaption>{chart}"
            + (f'<div class="muted">{note}</div>' if note else "") + "</figure>")


def _table(headings: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f'<th scope="col"{" class=n" if i in numeric else ""}>{escape(h)}</th>' for i, h in enumerate(headings))
    body = "".join("<tr>" + "".join(f'<td{" class=n" if i in numeric else ""}>{cell}</td>' for i, cell in enumerate(row))
                   + "</tr>" for row in rows)
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


# ------------------------------------------------------------------ sections

def _statuses(result: Result) -> str:
    counts = result.counts_by_status()
    cards = "".join(
        f'<div class="card" style="--c:{svg.STATUS_COLOURS[s]}"><div class="n">{counts[s]:,}</div>'
        f'<div class="s">{s} · {_share(counts[s], result.rows_in)}</div></div>' for s in STATUSES)
    people = result.people or {}
    if people:
        cards += (f'<div class="card" style="--c:#0969da"><div class="n">{people["people"]:,}</div>'
                  f'<div class="s">people in {people["rows"]:,} rows</div></div>')
    chart = svg.stacked("Rows by status", [("all rows", [(s, counts[s], svg.STATUS_COLOURS[s]) for s in STATUSES])])
    by_source = ""
    if len(result.inputs) > 1:
        rows = [[escape(path), *(f"{c[s]:,}" for s in ("rows", *STATUSES))] for path, c in result.counts_by_source().items()]
        by_source = "<h3>By input</h3>" + _table(["input", "rows", *STATUSES], rows, numeric={1, 2, 3, 4, 5})
    return (f'<section aria-labelledby="h-status"><h2 id="h-status">Where every row went</h2>'
            f'<div class="cards">{cards}</div><p class="equation">{escape(result.equation())}</p>'
            f"{_figure('Status shares', chart)}{by_source}</section>")


def _trend(result: Result) -> str:
    if result.history is None:
        return ""
    if not result.history:
        return ('<section aria-labelledby="h-trend"><h2 id="h-trend">Trend</h2><p>This is the first recorded run of '
                'this list; the next runs will show whether it is getting healthier.</p></section>')
    now = {"as_of": result.as_of.isoformat(), "rows": result.rows_in, **result.counts_by_status(),
           "people": (result.people or {}).get("people")}
    runs = [*result.history, now]
    points = [(run["as_of"], {s: 100 * run[s] / run["rows"] if run["rows"] else 0.0 for s in ("send", "review", "drop")})
              for run in runs]
    chart = svg.trend("Share of rows by status, run by run", points,
                      {s: svg.STATUS_COLOURS[s] for s in ("send", "review", "drop")})
    before = result.history[-1]
    delta = points[-1][1]["send"] - points[-2][1]["send"]
    direction = "up" if delta > 0 else "down" if delta < 0 else ""
    change = (f'Send share <span class="{direction}">{delta:+.1f} points</span> since the run of {escape(before["as_of"])} '
              f'({_share(before["send"], before["rows"])} → {_share(now["send"], now["rows"])}); rows '
              f'{before["rows"]:,} → {now["rows"]:,}.')
    rows = [[escape(run["as_of"]), f'{run["rows"]:,}', *(f'{run[s]:,} ({_share(run[s], run["rows"])})' for s in STATUSES),
             f'{run["people"]:,}' if run.get("people") is not None else "–"] for run in reversed(runs)]
    return (f'<section aria-labelledby="h-trend"><h2 id="h-trend">Trend</h2><p>{change}</p>'
            f"{_figure('Share of rows by status, run by run', chart)}"
            f"<details><summary>Every recorded run (newest first)</summary>"
            f"{_table(['as of', 'rows', *STATUSES, 'people'], rows, numeric={1, 2, 3, 4, 5, 6})}</details></section>")


def _findings(result: Result) -> str:
    by_code = result.counts_by_code()
    if not by_code:
        return ('<section aria-labelledby="h-findings"><h2 id="h-findings">Findings by rule</h2>'
                "<p>No rule flagged anything.</p></section>")
    ranked = sorted(by_code.items(), key=lambda kv: (-kv[1]["rows"], kv[0]))
    items = [(f"{code} {c['name']}", c["rows"], svg.SEVERITY_COLOURS[c["severity"]], f"#rule-{code}", c["severity"])
             for code, c in ranked if c["rows"]]
    chart = svg.bars("Rows flagged by each rule", items)
    rows = [[f'<a href="#rule-{code}"><code>{code}</code></a>', escape(c["name"]),
             f'<span class="sev-{c["severity"]}">{c["severity"]}</span>',
             f'{c["rows"]:,}' if c["rows"] else "whole file", _share(c["rows"], result.rows_in) if c["rows"] else ""]
            for code, c in ranked]
    return (f'<section aria-labelledby="h-findings"><h2 id="h-findings">Findings by rule</h2>'
            f'<p class="muted">Bar colour is the severity after the policy: error drops the row, warning sends it to '
            f"review, info only notes. A row can be flagged by several rules.</p>"
            f"{_figure('Rows flagged by each rule', chart)}"
            f"{_table(['code', 'rule', 'severity', 'rows', 'share'], rows, numeric={3, 4})}</section>")


def _file_notes(result: Result) -> str:
    """Findings about a whole file or the campaign message rather than a row."""
    notes = result.file_notes()
    if notes.is_empty():
        return ""
    rows = []
    for (code,), of_code in notes.partition_by("code", as_dict=True, maintain_order=True).items():
        for severity, message in of_code.head(NOTES_PER_CODE).select(pl.col("severity").cast(pl.String),
                                                                     "message").iter_rows():
            rows.append([f'<a href="#rule-{code}"><code>{code}</code></a>',
                         f'<span class="sev-{severity}">{severity}</span>', escape(mask_personal_data(message or ""))])
        if of_code.height > NOTES_PER_CODE:
            rows.append([f"<code>{code}</code>", "", f"and {of_code.height - NOTES_PER_CODE:,} more notes of this "
                         f"rule (all of them: --format json)"])
    message = result.message
    said = (f"<p>The campaign message <code>{escape(message['path'])}</code> (SHA-256 "
            f"<code>{escape(message['sha256'])}</code>) was checked with the list.</p>" if message else "")
    return (f'<section aria-labelledby="h-notes"><h2 id="h-notes">Notes on the files and the message</h2>{said}'
            f"{_table(['code', 'severity', 'note'], rows)}</section>")


def _addresses(result: Result, profile: Profile) -> str:
    domains = profile.domains.head(TOP_DOMAINS)
    domain_chart = svg.bars(f"Top {TOP_DOMAINS} email domains", [
        (domain, rows, DOMAIN_COLOURS[verdict], None, verdict)
        for domain, rows, verdict in domains.iter_rows()])
    flagged = (profile.domains.filter(pl.col("verdict") != "ok").head(TOP_DOMAINS))
    flagged_table = ""
    if flagged.height:
        flagged_table = ("<details><summary>Domains with a verdict other than ok (largest first)</summary>"
                         + _table(["domain", "rows", "verdict"], [[escape(d), f"{r:,}", escape(v)]
                                                                 for d, r, v in flagged.iter_rows()], numeric={1})
                         + "</details>")
    countries = profile.countries.head(TOP_COUNTRIES)
    country_chart = svg.bars(f"Top {TOP_COUNTRIES} phone countries", [
        (region or "no valid number", rows, svg.PALETTE[0] if region else "#8c959f")
        for region, rows in countries.iter_rows()])
    type_chart = svg.bars("Phone number types", [
        ((kind or "no valid number").replace("_", " "), rows, svg.PALETTE[4] if kind else "#8c959f")
        for kind, rows in profile.phone_types.iter_rows()])
    legend = ", ".join(DOMAIN_VERDICTS)
    dns_note = "" if result.dns is not None else " DNS was not asked (run with --dns for MX verdicts)."
    return ('<section aria-labelledby="h-addr"><h2 id="h-addr">Email domains and phone numbers</h2><div class="grid">'
            + _figure(f"Top {TOP_DOMAINS} email domains", domain_chart,
                      f"Verdict after each bar ({escape(legend)}): typo, disposable or invalid when most of the "
                      f"domain's rows are.{dns_note}" + flagged_table)
            + _figure(f"Top {TOP_COUNTRIES} phone countries", country_chart)
            + _figure("Phone number types", type_chart, "Texts need mobile numbers; "
                      "&ldquo;fixed line or mobile&rdquo; cannot be told apart in some countries (US, CA).")
            + "</div></section>")


def _activity_and_consent(profile: Profile) -> str:
    counts = dict(profile.activity.iter_rows())
    undated = counts.pop(None, 0)
    bins = [(f"{m}+" if m >= OPEN_END else f"{m}–{m + MONTH_STEP}", counts.get(m, 0))
            for m in range(0, OPEN_END + 1, MONTH_STEP)]
    cutoff = profile.cutoff_months
    chart = svg.histogram("Months since the last activity", bins, "#0969da",
                          (min(cutoff, OPEN_END) / MONTH_STEP, f"policy cut-off: {cutoff:.0f} months"))
    stale = sum(v for m, v in counts.items() if m is not None and m + MONTH_STEP <= cutoff)
    older = profile.rows - undated - stale
    note = (f"{older:,} rows ({_share(older, profile.rows)}) are at or near the cut-off or beyond it; "
            f"{undated:,} rows have no activity date.")
    channels = profile.consent.partition_by("channel", as_dict=True, maintain_order=True)
    consent_rows = []
    for (channel,), frame in sorted(channels.items()):
        answers = dict(frame.select("answer", "rows").iter_rows())
        consent_rows.append((channel, [(a, answers.get(a, 0), c) for a, c in CONSENT_COLOURS.items()]))
    consent_chart = svg.stacked("Consent coverage by channel", consent_rows)
    consent = (_figure("Consent coverage by channel", consent_chart,
                       "From the export's consent columns: yes, no, blank, or a value listclean could not read.")
               if consent_chart else "<p>The export has no consent column.</p>")
    return ('<section aria-labelledby="h-time"><h2 id="h-time">Activity and consent</h2><div class="grid">'
            + _figure("Months since the last activity", chart, escape(note)) + consent + "</div></section>")


def _people(result: Result) -> str:
    by_size = result.people_by_size()
    chart = svg.bars("People by number of rows", [(label, by_size.get(i + 1, 0), svg.PALETTE[0])
                                                  for i, label in enumerate(CLUSTER_SIZES)], unit="people")
    people = result.people or {}
    counts = result.counts_by_status()
    lines = [f"{counts['duplicate']:,} rows are duplicates of a row that stands for the same person."]
    if people.get("matching") == "probabilistic":
        lines.append(f"Probable matches merged {people.get('merged_rows', 0):,} rows; "
                     f"{people.get('review_pairs', 0):,} pairs are close enough to review (DU005).")
    return (f'<section aria-labelledby="h-people"><h2 id="h-people">Duplicates and people</h2>'
            f"<p>{escape(' '.join(lines))}</p>{_figure('People by number of rows', chart)}</section>")


def _examples(result: Result) -> str:
    if not result.examples:
        return ""
    several = len(result.inputs) > 1
    rows = []
    for code in sorted(result.examples):
        for example in result.examples[code]:
            where = (f"{short_names([example['source']])[0]} " if several and "source" in example else "") + f"row {example['row']}"
            rows.append([f'<a href="#rule-{code}"><code>{code}</code></a>', escape(where),
                         escape(example["value"] or ""), escape(mask_personal_data(example["message"] or ""))])
    return (f'<section aria-labelledby="h-examples"><h2 id="h-examples">Examples</h2>'
            f'<p class="muted">The first rows of each rule, addresses and numbers masked.</p>'
            f"{_table(['code', 'row', 'value (masked)', 'message'], rows)}</section>")


def _rules(result: Result) -> str:
    by_code = result.counts_by_code()
    if not by_code:
        return ""
    parts = []
    for code, counts in by_code.items():
        rule = RULES[code]
        parts.append(f'<div class="rule" id="rule-{code}"><h3><code>{code}</code> {escape(rule.name)}</h3>'
                     f'<p class="muted">{rule.family} · in this run: <span class="sev-{counts["severity"]}">'
                     f'{counts["severity"]}</span> (default {rule.severity}) · channels '
                     f'{", ".join(sorted(rule.channels))}</p><pre>{escape(rule.doc)}</pre></div>')
    return (f'<section aria-labelledby="h-rules"><h2 id="h-rules">The rules, explained</h2>'
            f'<p class="muted">As <code>listclean rule CODE</code> prints them.</p>{"".join(parts)}</section>')


def _provenance(result: Result) -> str:
    entries = [("command", f"listclean {result.command}"), ("as of", result.as_of.isoformat()),
               ("channel", result.channel),
               ("policy", f"{result.policy_name} ({result.policy_source})"),
               ("policy SHA-256", result.policy_sha256)]
    for each in result.inputs:
        entries.append(("input", f"{each['path']} · {each['format']} · {each['rows']:,} rows · SHA-256 {each['sha256']}"))
    if result.message:
        entries.append(("campaign message", f"{result.message['path']} · SHA-256 {result.message['sha256']}"))
    if result.overrides:
        entries.append(("overrides", mask_personal_data("; ".join(f"{k}={v}" for k, v in result.overrides.items()))))
    store = result.store or {}
    entries.append(("suppression store", f"{store['path']}: {store['entries']:,} entries, last change "
                     f"{store['last_change'] or 'never'}" if store.get("consulted")
                     else f"none consulted ({store.get('why', 'none')})"))
    if result.dns is not None:
        entries.append(("DNS", ", ".join(f"{k} {v}" for k, v in result.dns.items() if not isinstance(v, (dict, list)))))
    entries += [(f"version of {name}", version) for name, version in result.versions.items()]
    entries += [(f"wrote {kind}", path) for kind, path in result.outputs.items()]
    entries.append(("judged in", f"{result.seconds:.2f} s"))
    entries.append(("report made", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in entries)
    return (f'<section aria-labelledby="h-prov"><h2 id="h-prov">How this run was made</h2>'
            f'<dl class="meta">{body}</dl></section>')
