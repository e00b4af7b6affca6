"""check() / clean(): load → map columns → normalise → rules → people → decide → write.

The rows are read, normalised and judged in batches, keeping only a narrow frame
per row (the keys the people stage needs, the normalised address and number, the
consent facts) and the findings, so a file bigger than memory can be judged; rows
are then linked into people across the whole file, and ``clean`` writes the
outputs batch by batch from the same loaded input.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import polars as pl

from listclean import checks  # noqa: F401  (registers every rule)
from listclean.checks.engine import RuleContext, evaluate
from listclean.checks.registry import RULES
from listclean.checks.select import Selection
from listclean.columns import ColumnMap, map_columns
from listclean.decide import decide, grade
from listclean.errors import ListcleanError
from listclean.load import Loaded, load, load_frame
from listclean.lookups import Lookups
from listclean.normalize.consent import (DateOrder, add_consent_columns, date_columns,
                                        settle_date_orders)
from listclean.normalize.email import add_email_columns
from listclean.normalize.phone import add_phone_columns, country_code_expr
from listclean.mask import mask_value
from listclean.people import COLUMNS as PEOPLE_COLUMNS
from listclean.people import resolve
from listclean.result import Result
from listclean.settings import Settings, build_settings
from listclean.suppression.imports import record_unsubscribes as record
from listclean.dns import DnsOptions
from listclean.suppression.imports import open_existing, store_path, store_summary
from listclean.suppression import SuppressionStore
from listclean.write import check_output_path, write_outputs

#: Told when a stage starts ("load", "normalise"…); for "dns" also (done, total) domains.
Stage = Callable[..., None]
EXAMPLES_PER_CODE = 3


def _silent(*_: object) -> None:
    """The Stage observer when nobody watches."""


#: What is kept of each row after its batch is judged.
KEPT_COLUMNS = PEOPLE_COLUMNS + ["unsubscribed"]


@dataclass
class Judged:
    result: Result
    kept: pl.DataFrame            # KEPT_COLUMNS of every row, in row order


def _is_frame(source: object) -> bool:
    return isinstance(source, (pl.DataFrame, pl.LazyFrame))


def _open(source: str | Path | pl.DataFrame | pl.LazyFrame, settings: Settings) -> Loaded:
    """The input loaded: a file by path, or a polars frame (``load.load_frame``)."""
    if _is_frame(source):
        return load_frame(source)
    return load(source, encoding=settings.encoding, sheet=settings.sheet)


def check(path: str | Path | pl.DataFrame | pl.LazyFrame, settings: Settings | None = None,
          on_stage: Stage | None = None) -> Result:
    """Judge every row of an export (a path, or a polars DataFrame/LazyFrame); write nothing.
    ``settings`` None means ``build_settings()``: the defaults, no project settings."""
    settings = settings if settings is not None else build_settings()
    stage = on_stage or _silent
    stage("load")
    with _open(path, settings) as loaded:
        return judge(loaded, settings, stage, command="check").result


def clean(path: str | Path | pl.DataFrame | pl.LazyFrame, settings: Settings | None, out: Path,
          rejects: Path | None = None, on_stage: Stage | None = None, audit: Path | None = None,
          record_unsubscribes: bool = False) -> Result:
    """Judge every row and write the send-ready rows to ``out``, the others to ``rejects``,
    and, with ``audit``, one JSON line per row saying why. ``record_unsubscribes`` adds the
    rows the export marks as unsubscribed to the suppression store. ``path`` may be a polars
    DataFrame/LazyFrame: the outputs are then CSV unless their extension says otherwise."""
    settings = settings if settings is not None else build_settings()
    if record_unsubscribes and settings.store_disabled:
        raise ListcleanError("--record-unsubscribes needs a suppression store, not --store none")
    out, rejects, audit = (Path(p) if p is not None else None for p in (out, rejects, audit))
    targets = [(out, "--out"), (rejects, "--rejects"), (audit, "--audit")]
    inputs = [] if _is_frame(path) else [str(path)]  # a frame has no file to protect
    for target, label in targets:
        check_output_path(target, inputs, label)
    chosen = [t.resolve() for t, _ in targets if t is not None]
    if len(set(chosen)) != len(chosen):
        raise ListcleanError("--out, --rejects and --audit must be different files", file=str(out))
    stage = on_stage or _silent
    stage("load")
    with _open(path, settings) as loaded:
        judged = judge(loaded, settings, stage, command="clean")
        stage("write")
        if loaded.format == "dataframe":
            loaded.format = "csv"  # the outputs' format when their extension names none (judged already)
        write_outputs(loaded, judged.result, judged.kept, out, rejects, audit)
        if record_unsubscribes:
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
    kept, findings, examples = [], [], {}
    with _lookups(settings, channel, stage) as lookups:
        for index, batch in enumerate(loaded.batches()):
            stage("normalise")
            work = normalise(batch, cmap, settings, channel, date_orders)
            stage("lookups")
            work = lookups.add_columns(work)
            stage("rules")
            ctx = RuleContext(settings, channel, cmap, date_orders, work, tuple(loaded.notes))
            found = evaluate(work, ctx, selection, file_notes=index == 0)
            _add_examples(examples, found, work)
            findings.append(found)
            kept.append(work.select(KEPT_COLUMNS).with_columns(
                pl.when((pl.col("email_key") != pl.col("email")).fill_null(True)).then(pl.col("email_key"))
                .alias("email_key")))
        dns_stats = lookups.dns_report()
    work = pl.concat(kept, how="vertical")
    findings = pl.concat(findings, how="vertical")
    stage("people")
    active = {c for c, r in RULES.items() if channel in r.channels and selection.active(c)}
    people = resolve(work, findings, channel, max_shared=settings.policy.max_shared_identifier,
                     resubscribe=settings.policy.consent_for(channel).resubscribe, as_of=settings.as_of,
                     active=active)
    findings, duplicate_of = people.findings, people.duplicate_of
    _add_examples(examples, findings.filter(~pl.col("code").is_in(list(examples))), work)
    stage("decide")
    findings = grade(findings, selection, cmap, channel)
    statuses = decide(work, findings, duplicate_of)
    # Which input each row came from, beside _row (one input per run for now).
    source = pl.lit(loaded.source, pl.String).cast(pl.Categorical).alias("_source")
    statuses = statuses.select("_row", source, pl.exclude("_row"))
    findings = findings.select("_row", source, pl.exclude("_row"))
    result = Result(
        command=command, source=loaded.source, input_sha256=loaded.sha256, input_format=loaded.format,
        channel=channel, as_of=settings.as_of, policy_name=settings.policy.name,
        policy_source=settings.policy.source, policy_sha256=settings.policy.sha256, columns=cmap.as_dict(),
        statuses=statuses, findings=findings, examples=examples,
        rules_run=sorted(active),
        dns=dns_stats, store=store_summary(settings), overrides=settings.overrides(),
    )
    result.seconds = time.perf_counter() - started
    return Judged(result, work)


@contextlib.contextmanager
def _lookups(settings: Settings, channel: str, stage: Stage) -> Iterator[Lookups]:
    """The run's lookups: DNS with --dns on an email campaign, the suppression store if any."""
    dns = None
    if settings.dns and channel == "email":
        dns = DnsOptions(nameservers=tuple(settings.nameservers), timeout=settings.dns_timeout,
                         deadline=settings.dns_deadline, concurrency=settings.dns_concurrency,
                         cache_path=settings.dns_cache)
    store = open_existing(settings)
    try:
        yield Lookups(channel, dns, store, lambda done, total: stage("dns", done, total))
    finally:
        if store is not None:
            store.close()


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
    # polars calls: the command line (listclean.entry) lets threads take turns more often than
    # every 5 ms; a library caller's process is left as it is.
    with ThreadPoolExecutor(max_workers=1) as pool:
        emails = pool.submit(add_email_columns, work, "raw_email" if raw["raw_email"] else None)
        phones = add_phone_columns(work, "raw_phone" if raw["raw_phone"] else None, "country_code",
                                   settings.default_region)
        work = emails.result().hstack(phones.select(pl.exclude(work.columns)))
    return add_consent_columns(work, source, cmap, channel, settings.as_of, date_orders, settings.date_format)


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
