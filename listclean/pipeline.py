"""check() / clean(): load → map columns → normalise → rules → people → decide → write.

The rows are read, normalised and judged in batches, keeping only a narrow frame
per row (the keys the people stage needs, the normalised address and number, the
consent facts) and the findings, so a file bigger than memory can be judged; rows
are then linked into people across the whole file, and ``clean`` writes the
outputs batch by batch from the same loaded input.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import polars as pl

from listclean import checks  # noqa: F401  (registers every rule)
from listclean.checks.registry import RULES, Flag
from listclean.columns import ColumnMap, map_columns
from listclean.decide import SEVERITY, Selection, decide
from listclean.errors import ListcleanError
from listclean.load import Loaded, load
from listclean.normalize.dns_columns import add_dns_columns
from listclean.normalize.consent import (DateOrder, add_consent_columns, consent_columns, date_columns,
                                        settle_date_orders, unsubscribe_columns)
from listclean.normalize.email import add_email_columns
from listclean.normalize.phone import add_phone_columns, country_code_expr
from listclean.report.mask import mask_value
from listclean.people import COLUMNS as PEOPLE_COLUMNS
from listclean.people import resolve
from listclean.result import FINDING_SCHEMA, Result
from listclean.settings import Settings
from listclean.suppress import record_unsubscribes as record
from listclean.suppress import store_path, store_summary
from listclean.suppression import SuppressionStore
from listclean.write import SPREADSHEET_FORMATS, OutputFile, check_output_path, neutralise_formulas, output_format

#: Told when a stage starts ("load", "normalise"…); for "dns" also (done, total) domains.
Stage = Callable[..., None]
EXAMPLES_PER_CODE = 3
WRITE_BATCH_ROWS = 200_000
#: The rule that reports a match in the suppression store; its messages go to the audit trail.
SUPPRESSION_CODE = "CN010"


def _silent(*_: object) -> None:
    """The Stage observer when nobody watches."""


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at besides the work frame."""

    settings: Settings
    channel: str
    column_map: ColumnMap
    date_orders: dict[str, DateOrder]
    work: pl.DataFrame            # for rules that work per distinct value (quiet hours)


#: What is kept of each row after its batch is judged.
KEPT_COLUMNS = PEOPLE_COLUMNS + ["unsubscribed"]


@dataclass
class Judged:
    result: Result
    kept: pl.DataFrame            # KEPT_COLUMNS of every row, in row order


def check(path: str | Path, settings: Settings, on_stage: Stage | None = None) -> Result:
    """Judge every row of an export; write nothing."""
    stage = on_stage or _silent
    stage("load")
    with load(path, encoding=settings.encoding, sheet=settings.sheet) as loaded:
        return judge(loaded, settings, stage, command="check").result


def clean(path: str | Path, settings: Settings, out: Path, rejects: Path | None = None,
          on_stage: Stage | None = None, audit: Path | None = None, record_unsubscribes: bool = False) -> Result:
    """Judge every row and write the send-ready rows to ``out``, the others to ``rejects``,
    and, with ``audit``, one JSON line per row saying why. ``record_unsubscribes`` adds the
    rows the export marks as unsubscribed to the suppression store."""
    targets = [(out, "--out"), (rejects, "--rejects"), (audit, "--audit")]
    for target, label in targets:
        check_output_path(target, [str(path)], label)
    chosen = [t.resolve() for t, _ in targets if t is not None]
    if len(set(chosen)) != len(chosen):
        raise ListcleanError("--out, --rejects and --audit must be different files", file=str(out))
    stage = on_stage or _silent
    stage("load")
    with load(path, encoding=settings.encoding, sheet=settings.sheet) as loaded:
        judged = judge(loaded, settings, stage, command="clean")
        stage("write")
        write_outputs(loaded, judged, out, rejects, audit)
        if record_unsubscribes:
            if settings.store_disabled:
                raise ListcleanError("--record-unsubscribes needs a suppression store, not --store none")
            with SuppressionStore(store_path(settings)) as store:
                added = record(store, judged.kept, judged.result.channel, Path(loaded.source).name)
            judged.result.outputs["suppression_store"] = str(store_path(settings))
            judged.result.recorded_unsubscribes = added.added
    return judged.result


def judge(loaded: Loaded, settings: Settings, stage: Stage, command: str) -> Judged:
    """Every row of ``loaded`` → one status, with the findings that led there."""
    started = time.perf_counter()
    cmap = map_columns(loaded.columns, settings.column_map, loaded.source)
    channel = _channel(settings, cmap, loaded)
    date_orders = settle_date_orders(loaded.scan, date_columns(cmap, channel), settings.date_format)
    selection = Selection(settings)
    keep = KEPT_COLUMNS + (["email_domain"] if settings.dns else [])
    kept, findings, examples = [], [], {}
    for index, batch in enumerate(loaded.batches()):
        stage("normalise")
        work = normalise(batch, cmap, settings, channel, date_orders)
        stage("rules")
        ctx = RuleContext(settings, channel, cmap, date_orders, work)
        found = evaluate_rules(work, ctx, selection, scope="rows", file_notes=index == 0)
        _add_examples(examples, found, work)
        findings.append(found)
        kept.append(work.select(keep).with_columns(
            pl.when((pl.col("email_key") != pl.col("email")).fill_null(True)).then(pl.col("email_key"))
            .alias("email_key")))
    work = pl.concat(kept, how="vertical")
    dns_stats = None
    if settings.dns and channel == "email":
        stage("dns")
        work, dns_stats = add_dns_columns(work, settings, lambda done, total: stage("dns", done, total))
    stage("file checks")  # rules that need the whole file: DNS verdicts, the suppression store
    ctx = RuleContext(settings, channel, cmap, date_orders, work)
    found = evaluate_rules(work, ctx, selection, scope="file", file_notes=True)
    _add_examples(examples, found, work)
    findings.append(found)
    findings = pl.concat(findings, how="vertical")
    stage("people")
    active = {c for c, r in RULES.items() if channel in r.channels and selection.active(c)}
    people = resolve(work, findings, channel, max_shared=settings.policy.max_shared_identifier,
                     resubscribe=settings.policy.consent_for(channel).resubscribe, as_of=settings.as_of,
                     active=active)
    findings, duplicate_of = people.findings, people.duplicate_of
    _add_examples(examples, findings.filter(~pl.col("code").is_in(list(examples))), work)
    stage("decide")
    findings = _with_severity_and_column(findings, selection, cmap, channel)
    statuses = decide(work, findings).join(duplicate_of, on="_row", how="left", maintain_order="left")
    result = Result(
        command=command, source=loaded.source, input_sha256=loaded.sha256, input_format=loaded.format,
        channel=channel, as_of=settings.as_of, policy_name=settings.policy.name,
        policy_source=settings.policy.source, policy_sha256=settings.policy.sha256, columns=cmap.as_dict(),
        statuses=statuses, findings=findings, examples=examples,
        rules_run=sorted(active),
        dns=dns_stats, store=store_summary(settings), overrides=settings.overrides(),
    )
    result.seconds = time.perf_counter() - started
    return Judged(result, work.select(KEPT_COLUMNS))


def _channel(settings: Settings, cmap: ColumnMap, loaded: Loaded) -> str:
    if cmap.get("email") is None and cmap.phone is None:
        raise ListcleanError(
            f"no email or phone column found among: {', '.join(loaded.columns)}; "
            "name one with --map email=COLUMN or --map phone=COLUMN", file=loaded.source)
    channel = settings.channel or ("email" if cmap.get("email") else "sms")
    if channel == "email" and cmap.get("email") is None:
        raise ListcleanError("--channel email, but no email column found; use --map email=COLUMN",
                             file=loaded.source)
    if channel != "email" and cmap.phone is None:
        raise ListcleanError(f"--channel {channel}, but no phone column found; use --map phone=COLUMN",
                             file=loaded.source)
    return channel


def normalise(source: pl.DataFrame, cmap: ColumnMap, settings: Settings, channel: str,
              date_orders: dict[str, DateOrder]) -> pl.DataFrame:
    """The work frame of a batch: _row plus every canonical, normalised column the rules read."""
    data_columns = [c for c in source.columns if c != "_row"]
    raw = {"raw_email": cmap.get("email"), "raw_phone": cmap.phone, "raw_country": cmap.get("country")}
    filled = [pl.col(c).str.len_chars().fill_null(0).gt(0).cast(pl.Int32) for c in data_columns]
    work = source.select(
        "_row",
        *[(pl.col(column) if column else pl.lit(None, pl.String)).alias(name) for name, column in raw.items()],
        pl.sum_horizontal(filled).alias("_completeness"),
        country_code_expr(source, cmap.get("country")).alias("country_code"),
    )
    # Email and phone side by side keep both cores busier (about 0.4 s faster at 1M rows than
    # one after the other). The phone side needs the GIL back after each of its many short
    # polars calls, so let the threads take turns more often than every 5 ms.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            emails = pool.submit(add_email_columns, work, "raw_email" if raw["raw_email"] else None)
            phones = add_phone_columns(work, "raw_phone" if raw["raw_phone"] else None, "country_code",
                                       settings.default_region)
            work = emails.result().hstack(phones.select(pl.exclude(work.columns)))
    finally:
        sys.setswitchinterval(switch_interval)
    return add_consent_columns(work, source, cmap, channel, settings.as_of, date_orders, settings.date_format)


def evaluate_rules(work: pl.DataFrame, ctx: RuleContext, selection: Selection, scope: str,
                   file_notes: bool) -> pl.DataFrame:
    """Run every selected rule of the channel and scope; findings as one long frame.

    ``file_notes`` keeps the notes about the whole file (they are the same for every batch).
    """
    parts = [pl.DataFrame(schema=FINDING_SCHEMA)]
    for code, rule in RULES.items():
        if (rule.check is None or rule.scope != scope or ctx.channel not in rule.channels
                or not selection.active(code)):
            continue
        outcome = rule.check(ctx)
        if isinstance(outcome, Flag):
            message, suggestion = _as_expr(outcome.message), _as_expr(outcome.suggestion)
            # Filter only the columns the rule reads. (One lazy query over all the rules ran
            # faster, but its findings held ~1 GB more memory at 10M rows.)
            read = {"_row"} | {name for e in (outcome.mask, message, suggestion) for name in e.meta.root_names()}
            parts.append(work.select(*read).filter(outcome.mask.fill_null(False)).select(
                "_row", pl.lit(code).alias("code"), pl.lit(outcome.field).alias("field"),
                message.alias("message"), suggestion.alias("suggestion"),
            ))
        elif isinstance(outcome, pl.DataFrame):
            parts.append(outcome.select("_row", pl.lit(code).alias("code"), "field", "message",
                                        pl.lit(None, pl.String).alias("suggestion")))
        elif outcome and file_notes:
            parts.append(_file_findings(code, [(n.field, n.message) for n in outcome]))
    return pl.concat([p.cast(FINDING_SCHEMA) for p in parts], how="vertical")


def _with_severity_and_column(findings: pl.DataFrame, selection: Selection, cmap: ColumnMap,
                              channel: str) -> pl.DataFrame:
    codes = findings["code"].unique().to_list()
    severities = {code: str(selection.severity(code)) for code in codes}
    field_columns = {
        "email": cmap.get("email"), "phone": cmap.phone, "country": cmap.get("country"),
        "consent": (consent_columns(cmap, channel) or [cmap.get("consent_date")])[0],
        "unsubscribed": (unsubscribe_columns(cmap, channel) + cmap.all("unsubscribed_at") + cmap.all("member_status") or [None])[0],
        "last_activity": (cmap.all("last_activity") or [None])[0],
        "last_contacted": cmap.get("last_contacted"),
    }
    # Few distinct values over millions of findings: stored as dictionary codes.
    return findings.with_columns(
        pl.col("code").replace_strict(severities, return_dtype=SEVERITY).alias("severity"),
        pl.col("field").replace_strict(field_columns, default=None, return_dtype=pl.String)
        .cast(pl.Categorical).alias("column"),
        pl.col("field").cast(pl.Categorical),
    )


def _add_examples(examples: dict[str, list[dict]], findings: pl.DataFrame, work: pl.DataFrame) -> None:
    """Top up each code's examples (the first rows found) from a batch's findings."""
    for code, shown in _examples(findings, work).items():
        have = examples.setdefault(code, [])
        have.extend(shown[:EXAMPLES_PER_CODE - len(have)])


def _examples(findings: pl.DataFrame, work: pl.DataFrame) -> dict[str, list[dict]]:
    """A few rows per code with the personal value masked, for the text summary."""
    heads = (findings.filter(pl.col("_row").is_not_null())
             .group_by("code").agg(pl.all().bottom_k_by("_row", EXAMPLES_PER_CODE))
             .explode(pl.exclude("code")).sort("code", "_row"))
    shown = work.filter(pl.col("_row").is_in(heads["_row"].implode())).select(
        "_row", pl.coalesce("email", *(["raw_email"] if "raw_email" in work.columns else [])).alias("raw_email"),
        pl.coalesce("phone_e164", *(["raw_phone"] if "raw_phone" in work.columns else [])).alias("raw_phone"))
    heads = heads.join(shown, on="_row", how="left", maintain_order="left")
    examples: dict[str, list[dict]] = {}
    for row, code, field, message, email, phone in heads.select(
            "_row", "code", "field", "message", "raw_email", "raw_phone").iter_rows():
        value = email if field == "email" else phone if field == "phone" else None
        shown = mask_value(field, value.strip() if value else value) if field in ("email", "phone") else None
        examples.setdefault(code, []).append({"row": row, "value": shown, "message": message})
    return examples


def _file_findings(code: str, notes: list[tuple[str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"_row": [None] * len(notes), "code": [code] * len(notes), "field": [f for f, _ in notes],
         "message": [m for _, m in notes], "suggestion": [None] * len(notes)},
        schema=FINDING_SCHEMA,
    )


def _as_expr(value) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value.cast(pl.String)
    return pl.lit(value, pl.String)


# ---------------------------------------------------------------------------- outputs

#: The columns listclean adds: to both outputs, and to the rejects only.
ADDED_COLUMNS = ("email_normalized", "phone_e164")
REJECT_COLUMNS = ("row", "status", "codes", "reasons", "duplicate_of")


def output_names(header: list[str]) -> dict[str, str]:
    """Each column listclean adds → its name in the outputs: its own name, or
    ``listclean_<name>`` when the input already has a column of that name (then
    ``listclean_<name>_2``, ``_3``…). The input's own column is written as it came; the status
    and everything else listclean decides are read from listclean's own frame only."""
    names = {}
    for name in ADDED_COLUMNS + REJECT_COLUMNS:
        candidate, n = name, 1
        while candidate in header:
            n += 1
            candidate = f"listclean_{name}" if n == 2 else f"listclean_{name}_{n - 1}"
        names[name] = candidate
    return names


def write_outputs(loaded: Loaded, judged: Judged, out: Path, rejects: Path | None, audit: Path | None) -> None:
    """Write each row, batch by batch from the same loaded input that was judged, to the file its
    status sends it to; commit the files only if the input did not change meanwhile."""
    result, kept = judged.result, judged.kept
    raw_phone = result.columns.get("phone") or result.columns.get("phone_other")
    names = output_names(loaded.header)
    files = {"send": OutputFile(out, output_format(out, loaded.format), loaded.delimiter)}
    if rejects is not None:
        files["rejects"] = OutputFile(rejects, output_format(rejects, loaded.format), loaded.delimiter)
    if audit is not None:
        files["audit"] = OutputFile(audit, "jsonl")
    run_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    try:
        loaded.verify_unchanged()
        offset = 0
        # Smaller batches than judging used: each one copies the input's wide rows.
        for batch in loaded.batches(WRITE_BATCH_ROWS):
            rows = pl.concat([kept.slice(offset, batch.height), result.statuses.slice(offset, batch.height)
                              .drop("_row")], how="horizontal")
            offset += batch.height
            first, last = rows["_row"].min(), rows["_row"].max()
            reasons = (result.findings.filter(pl.col("_row").is_between(first, last))
                       .group_by("_row").agg(pl.col("code").unique().sort().alias("codes"),
                                             pl.format("{}: {}", "code", "message").alias("reasons"),
                                             pl.col("message").filter(pl.col("code") == SUPPRESSION_CODE)
                                             .alias("suppression")))
            rows = rows.join(reasons, on="_row", how="left", maintain_order="left").with_columns(
                pl.col("codes", "reasons", "suppression").fill_null(pl.lit([], dtype=pl.List(pl.String))))
            # The input's columns and listclean's are kept in two frames, so no input column,
            # whatever its name, can stand in for listclean's status.
            given = batch.select(loaded.columns)
            ours = rows.select(pl.col("email").alias(names["email_normalized"]),
                               pl.col("phone_e164").alias(names["phone_e164"]))
            sent = rows["status"] == "send"
            phone_ok = rows["phone_status"] == "ok"

            def written(frame: pl.DataFrame, rows_of: pl.Series, kind: str) -> pl.DataFrame:
                guarded = _guard(frame.filter(rows_of), kind, raw_phone, names["phone_e164"], phone_ok.filter(rows_of))
                return loaded.restore_header(guarded)

            send = pl.concat([given, ours], how="horizontal")
            files["send"].append(written(send, sent, files["send"].kind))
            if "rejects" in files:
                other = pl.concat([given, ours, rows.select(
                    pl.col("_row").alias(names["row"]),
                    pl.col("status").cast(pl.String).alias(names["status"]),
                    pl.col("codes").list.join(";").alias(names["codes"]),
                    pl.col("reasons").list.join(" | ").alias(names["reasons"]),
                    pl.col("duplicate_of").alias(names["duplicate_of"]),
                )], how="horizontal")
                files["rejects"].append(written(other, ~sent, files["rejects"].kind))
            if "audit" in files:
                files["audit"].append(_audit_lines(rows, result, run_at))
        loaded.verify_unchanged()
        for name, output in files.items():
            output.commit()
            result.outputs[name] = str(output.path)
    finally:
        for output in files.values():
            output.abort()


def _audit_lines(rows: pl.DataFrame, result: Result, run_at: str) -> pl.DataFrame:
    """One record per row: status, codes, reasons, suppression matches, and what judged it."""
    return rows.select(
        pl.col("_row").alias("row"), "status", "codes", "reasons", "duplicate_of", "suppression",
        pl.lit(result.channel).alias("channel"),
        pl.struct(name=pl.lit(result.policy_name), source=pl.lit(result.policy_source),
                  sha256=pl.lit(result.policy_sha256)).alias("policy"),
        pl.struct(path=pl.lit(result.source), sha256=pl.lit(result.input_sha256)).alias("input"),
        pl.lit(result.as_of.isoformat()).alias("as_of"),
        _record(result.overrides).alias("overrides"),
        pl.lit(result.store["path"] if result.store and result.store["consulted"] else None, pl.String)
        .alias("suppression_store"),
        pl.lit(run_at).alias("run_at"),
        pl.lit(result.versions["listclean"]).alias("listclean"),
    )


def _record(values: dict) -> pl.Expr:
    """A dict as one struct value repeated on every row (null when empty)."""
    return pl.lit(pl.Series([values])).first() if values else pl.lit(None)


#: A phone number as typed that no spreadsheet can run: a + and then only digits and separators.
PLAIN_PHONE = r"^\+[\d\s().\-/]+$"


def _guard(frame: pl.DataFrame, kind: str, raw_phone: str | None, e164: str, phone_ok: pl.Series) -> pl.DataFrame:
    """Neutralise spreadsheet formulas in spreadsheet formats. listclean's own E.164 column and a
    valid phone number typed as a plain ``+34 612…`` stay as they are; anything else that could
    start a formula is neutralised, whatever the column."""
    if kind not in SPREADSHEET_FORMATS:
        return frame
    keep_when = {raw_phone: pl.lit(phone_ok) & pl.col(raw_phone).str.contains(PLAIN_PHONE)} if raw_phone else {}
    return neutralise_formulas(frame, {e164}, keep_when)
