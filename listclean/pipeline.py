"""check() / clean(): load → map columns → normalise → rules → people → decide → write.

The rows are read, normalised and judged in batches, keeping only a narrow frame
per row (the keys the people stage needs, the normalised address and number, the
consent facts) and the findings, so a file bigger than memory can be judged; rows
are then linked into people across the whole file, and ``clean`` writes the
outputs batch by batch from the same loaded input.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import polars as pl

from listclean import checks  # noqa: F401  (registers every rule)
from listclean.aside import aside
from listclean.checks.engine import RuleContext, RuleOptions, evaluate
from listclean.checks.registry import RULES
from listclean.checks.select import Selection
from listclean.columns import ColumnMap, file_overrides, map_columns, unused_overrides
from listclean.decide import decide, grade
from listclean.errors import ListcleanError
from listclean.load import Loaded, load, load_frame
from listclean.message import LoadedMessage, check_loaded, message_channel, message_options, read_message
from listclean.lookups import Lookups
from listclean.normalize.consent import (DateOrder, add_consent_columns, date_columns,
                                        settle_date_orders)
from listclean.normalize.email import add_email_columns
from listclean.normalize.phone import (add_phone_columns, country_code_expr, usual_region, valid_regions,
                                      with_phone_keys)
from listclean.mask import mask_value
from listclean.people import COLUMNS as PEOPLE_COLUMNS
from listclean.people import People, resolve
from listclean.people.links import RECORD_COLUMNS, Matches, explain_row, find_matches, has_identity
from listclean.people.survivors import golden_people
from listclean.profile import ProfileCounter
from listclean.result import ROW_SPAN, Result, input_index, short_names
from listclean.settings import MatchPolicy, Settings, build_settings
from listclean.suppression.imports import record_unsubscribes as record
from listclean.dns import DnsOptions
from listclean.suppression.imports import open_existing, store_path, store_summary
from listclean.suppression import SuppressionStore
from listclean.write import (check_output_path, write_findings, write_golden, write_outputs,
                             write_person_outputs, write_text)
from listclean.write import ExtraOutputs, check_columns, parse_columns
from listclean.pseudonym import Pseudonymiser

#: Told when a stage starts ("load", "normalise"…); for "dns" also (done, total) domains.
Stage = Callable[..., None]
EXAMPLES_PER_CODE = 3


def _silent(*_: object) -> None:
    """The Stage observer when nobody watches."""


#: What is kept of each row after its batch is judged.
#: ``phone_key`` is read from ``phone_unplaced`` once the whole input is judged (``place_phones``).
KEPT_COLUMNS = ([("phone_unplaced" if c == "phone_key" else c) for c in PEOPLE_COLUMNS]
                + ["unsubscribed", "email_typo_fix"])  # the typo fix: clean --fixable
#: The fields that tell people apart besides the addresses, kept as the input wrote them.
IDENTITY_FIELDS = ("first_name", "last_name", "second_last_name", "full_name", "postcode", "city", "street", "birth_date", "customer_id")
IDENTITY_COLUMNS = ["raw_phone", "raw_country", *IDENTITY_FIELDS]
#: Kept columns whose values repeat (the typo fix is a domain, and mostly empty; a million rows
#: hold some 7,000 given names, 60,000 surnames, 1,200 cities): as dictionary codes, 4 bytes a row
#: instead of a 16-byte view and the text. Readers that want text cast them back.
FEW_VALUED = {"email_status", "phone_status", "raw_country", "email_typo_fix", "first_name", "last_name",
              "second_last_name", "city"}


@dataclass
class Judged:
    result: Result
    kept: pl.DataFrame            # kept_columns of every row, in row order
    golden: pl.DataFrame | None = None  # one row per person (several inputs, or asked for)
    matches: Matches | None = None      # the matcher's links (probabilistic matching)


Source = str | Path | pl.DataFrame | pl.LazyFrame


def _is_frame(source: object) -> bool:
    return isinstance(source, (pl.DataFrame, pl.LazyFrame))


def _as_list(sources: Source | Sequence[Source]) -> list[Source]:
    if isinstance(sources, (str, Path)) or _is_frame(sources):
        return [sources]
    sources = list(sources)
    if not sources:
        raise ListcleanError("no input given")
    return sources


@contextlib.contextmanager
def _open(sources: list[Source], settings: Settings) -> Iterator[list[Loaded]]:
    """The inputs loaded, each on its own (a file by path, or a polars frame), closed together."""
    with contextlib.ExitStack() as stack:
        loaded = []
        for index, source in enumerate(sources):
            if _is_frame(source):
                name = "<DataFrame>" if len(sources) == 1 else f"<DataFrame {index + 1}>"
                loaded.append(stack.enter_context(load_frame(source, name)))
            else:
                loaded.append(stack.enter_context(load(source, encoding=settings.encoding, sheet=settings.sheet)))
        yield loaded


@dataclass(frozen=True)
class HtmlReport:
    """The list-health report asked for (``--report``): where, and the run history it shows."""

    path: Path
    history: Path | bool = True     # True: history.sqlite beside the suppression store; False: none
    list_name: str | None = None    # the list's name in the history (default: its files' names)


def check(path: Source | Sequence[Source], settings: Settings | None = None,
          on_stage: Stage | None = None, report: HtmlReport | None = None,
          message: str | Path | None = None, findings: str | Path | None = None) -> Result:
    """Judge every row of one or several exports (paths, or polars DataFrames/LazyFrames); write
    nothing but the HTML ``report`` if asked. ``settings`` None means ``build_settings()``: the
    defaults, no project settings. ``message``: the campaign message (.eml, .html, .txt), checked
    too (see ``listclean.message``). ``findings``: a file (.jsonl, .csv, .parquet…) for every
    finding, written by polars; the JSON report then lists none inline."""
    settings = settings if settings is not None else build_settings()
    sources = _as_list(path)
    campaign = _read_campaign(message, settings)
    inputs = [str(s) for s in sources if not _is_frame(s)]
    targets = [(Path(report.path) if report is not None else None, "--report"),
               (Path(findings) if findings is not None else None, "--findings")]
    for target, label in targets:
        check_output_path(target, inputs, label)
    if report is not None and findings is not None and Path(report.path).resolve() == Path(findings).resolve():
        raise ListcleanError("--report and --findings must be different files", file=str(findings))
    stage = on_stage or _silent
    stage("load")
    with _open(sources, settings) as loaded:
        result = judge(loaded, settings, stage, command="check", profile=report is not None).result
        _add_message(result, campaign, settings)
    if findings is not None:
        stage("write")
        write_findings(result, Path(findings))
    if report is not None:
        stage("write")
        write_report(result, report, settings)
    return result


def clean(path: Source | Sequence[Source], settings: Settings | None, out: Path,
          rejects: Path | None = None, on_stage: Stage | None = None, audit: Path | None = None,
          record_unsubscribes: bool = False, keep: Sequence[str] = (), report: HtmlReport | None = None,
          repermission: Path | None = None, fixable: Path | None = None, columns: Sequence[str] | str | None = None,
          pseudonym_key: str | bytes | None = None, message: str | Path | None = None) -> Result:
    """Judge every row and write the send-ready rows to ``out``, the others to ``rejects``,
    and, with ``audit``, one JSON line per row saying why. ``record_unsubscribes`` adds the
    rows the export marks as unsubscribed to the suppression store. ``path`` may be a polars
    DataFrame/LazyFrame: the outputs are then CSV unless their extension says otherwise.

    With several inputs the outputs are in listclean's own columns (see ``write.CANONICAL``)
    plus the input columns named in ``keep``; with one, in the input's columns.

    ``repermission`` and ``fixable`` are extra views of rows not sent (see ``listclean.views``);
    ``columns`` chooses the columns written; ``pseudonym_key`` replaces the identifiers with
    keyed hashes (see ``listclean.pseudonym``); ``message`` is the campaign message, checked too
    (see ``listclean.message``)."""
    settings = settings if settings is not None else build_settings()
    if record_unsubscribes and settings.store_disabled:
        raise ListcleanError("--record-unsubscribes needs a suppression store, not --store none")
    sources = _as_list(path)
    out, rejects, audit = (Path(p) if p is not None else None for p in (out, rejects, audit))
    extras = ExtraOutputs(*(Path(p) if p is not None else None for p in (repermission, fixable)),
                          parse_columns(columns), Pseudonymiser(pseudonym_key) if pseudonym_key is not None else None)
    targets = [(out, "--out"), (rejects, "--rejects"), (audit, "--audit"),
               (Path(report.path) if report is not None else None, "--report"),
               (extras.repermission, "--repermission"), (extras.fixable, "--fixable")]
    inputs = [str(s) for s in sources if not _is_frame(s)]  # a frame has no file to protect
    inputs += [str(message)] if message is not None else []  # nor may an output overwrite the message
    for target, label in targets:
        check_output_path(target, inputs, label)
    chosen = [t.resolve() for t, _ in targets if t is not None]
    if len(set(chosen)) != len(chosen):
        raise ListcleanError("--out, --rejects, --audit, --report, --repermission and --fixable must be different files",
                             file=str(out))
    if keep and len(sources) == 1:
        raise ListcleanError("--keep is for several inputs; with one, every input column is kept")
    campaign = _read_campaign(message, settings)
    stage = on_stage or _silent
    stage("load")
    with _open(sources, settings) as loaded:
        check_columns(loaded, extras.columns, settings.column_map)
        judged = judge(loaded, settings, stage, command="clean", profile=report is not None)
        _add_message(judged.result, campaign, settings)  # before writing: the audit names the message
        stage("write")
        for each in loaded:
            if each.format == "dataframe":
                each.format = "csv"  # the outputs' format when their extension names none (judged already)
        if len(loaded) == 1:
            write_outputs(loaded[0], judged.result, judged.kept, out, rejects, audit, extras=extras)
        else:
            write_person_outputs(loaded, judged.result, judged.kept, judged.golden, out, rejects, audit, keep,
                                 extras=extras)
        if record_unsubscribes:
            with SuppressionStore(store_path(settings.store)) as store:
                added = record(store, judged.kept, judged.result.channel,
                               ", ".join(Path(each.source).name for each in loaded))
            judged.result.outputs["suppression_store"] = str(store_path(settings.store))
            judged.result.recorded_unsubscribes = added.added
    if report is not None:
        write_report(judged.result, report, settings)
    return judged.result


def _read_campaign(message: str | Path | None, settings: Settings) -> LoadedMessage | None:
    """The campaign message, read before any row is, so that a bad file stops the run at once
    (and its channel is checked then, when the run names one)."""
    if message is None:
        return None
    campaign = read_message(message)
    if settings.channel is not None:
        message_channel(campaign, settings.channel)
    return campaign


def _add_message(result: Result, campaign: LoadedMessage | None, settings: Settings) -> None:
    """The message's findings join the list's as findings on no row (field ``message``, each
    naming the file), under the run's selection and grading; the Result names the message."""
    if campaign is None:
        return
    checked = check_loaded(campaign, result.channel, message_options(settings))
    named = pl.lit(f"{Path(campaign.path).name}: ") + pl.col("message")
    found = checked.findings_frame().with_columns(named.alias("message"))
    result.findings = pl.concat([result.findings, found.select(
        *[(pl.col(name) if name in found.columns else pl.lit(None)).cast(dtype).alias(name)
          for name, dtype in result.findings.schema.items()])], how="vertical")
    result.message = checked.summary()
    result.rules_run = sorted({*result.rules_run, *checked.rules_run})


def judge(loaded: list[Loaded], settings: Settings, stage: Stage, command: str, golden: bool = False,
          profile: bool = False) -> Judged:
    """Every row of every input → one status, with the findings that led there."""
    started = time.perf_counter()
    sources = [each.source for each in loaded]
    several = len(loaded) > 1
    cmaps = [map_columns(each.columns, file_overrides(settings.column_map, each.source, each.columns, several),
                         each.source) for each in loaded]
    unused_overrides(settings.column_map, sources, [each.columns for each in loaded])
    channel = _channel(settings, cmaps, loaded)
    options = rule_options(settings, channel)
    # Names, places and every number as written are read only by the matcher and golden
    # records; at 10M rows they are about 1.3 GB of the kept rows.
    identity = several or golden or _probabilistic(settings.policy.match, cmaps)
    kept, findings, examples = [], [], {}
    rows = [0] * len(loaded)  # counted as judged: counting them apart reads the whole file again
    regions: list[list[pl.DataFrame]] = [[] for _ in loaded]
    counter = ProfileCounter(settings.as_of, settings.policy.max_inactive_days) if profile else None
    with _lookups(settings, channel, stage) as lookups:
        shared = _Serialised(lookups)
        for number, (each, cmap) in enumerate(zip(loaded, cmaps)):
            date_orders = settle_date_orders(each.scan, date_columns(cmap, channel), settings.date_format)

            def judge_one(index: int, batch: pl.DataFrame, number=number, cmap=cmap, date_orders=date_orders,
                          notes=tuple(each.notes)) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
                if number:
                    batch = batch.with_columns(pl.col("_row") + number * ROW_SPAN)
                work, found = judge_batch(batch, cmap, settings, channel, date_orders, shared, options, notes,
                                          file_notes=index == 0, stage=stage)
                return batch, work, found

            for batch, work, found in _in_turn(judge_one, each.batches()):
                if several:  # a note on the whole file says which file
                    found = found.with_columns(
                        pl.when(pl.col("_row").is_null())
                        .then(pl.lit(f"{short_names(sources)[number]}: ") + pl.col("message").cast(pl.String))
                        .otherwise(pl.col("message").cast(pl.String)).cast(pl.Categorical).alias("message"))
                _add_examples(examples, found, work, sources)
                rows[number] += batch.height
                regions[number].append(valid_regions(work))
                findings.append(found)
                if counter is not None:
                    counter.add(work, batch, cmap)
                kept.append(kept_columns(work, identity))
        dns_stats = lookups.dns_report()
    work = pl.concat(kept, how="vertical")
    kept.clear()  # so that the unplaced numbers go once read
    # An input without a valid number of its own (a store's export of national numbers) reads
    # them in the region of all the inputs' numbers.
    overall = usual_region(pl.concat([part for each in regions for part in each]))
    work = place_phones(work, [usual_region(pl.concat(each)) or overall for each in regions])
    findings = pl.concat(findings, how="vertical")
    stage("people")
    findings, statuses, people_summary, matches, active = settle(work, findings, examples, settings, channel,
                                                                 cmaps, sources, stage, evidence=command == "people",
                                                                 identity_after=several or golden)
    golden = (golden_people(work, statuses, sources, settings.policy.match.source_priority)
              if several or golden else None)
    result = Result(
        command=command, source=", ".join(sources), input_sha256=loaded[0].sha256, input_format=loaded[0].format,
        channel=channel, as_of=settings.as_of, policy_name=settings.policy.name,
        policy_source=settings.policy.source, policy_sha256=settings.policy.sha256,
        columns=cmaps[0].as_dict() if not several else {s: c.as_dict() for s, c in zip(sources, cmaps)},
        statuses=_by_source(statuses, sources, "duplicate_of"), findings=_by_source(findings, sources),
        examples=examples, rules_run=sorted(active),
        dns=dns_stats, store=store_summary(settings.store, settings.store_disabled), overrides=settings.overrides(),
        inputs=[{"path": each.source, "format": each.format, "rows": count, "sha256": each.sha256}
                for each, count in zip(loaded, rows)],
        people=people_summary, profile=counter.total() if counter is not None else None,
    )
    result.seconds = time.perf_counter() - started
    return Judged(result, work, golden, matches)


#: Batches judged at once: polars releases the GIL while it computes, and one batch alone keeps
#: two cores about three quarters busy (its Python steps and single-threaded string kernels leave
#: gaps). At 1M rows on 2 cores: 8.3 s for loading, normalising and judging one at a time, 6.9 s two.
BATCHES_IN_FLIGHT = 2


def _in_turn(judge_one: Callable[[int, pl.DataFrame], tuple], batches: Iterator[pl.DataFrame]) -> Iterator[tuple]:
    """``judge_one(index, batch)`` over the batches, ``BATCHES_IN_FLIGHT`` at a time on threads,
    the results in batch order (so findings, examples and kept rows stay in row order)."""
    with ThreadPoolExecutor(max_workers=BATCHES_IN_FLIGHT) as pool:
        pending: list = []
        for index, batch in enumerate(batches):
            pending.append(pool.submit(judge_one, index, batch))
            if len(pending) >= BATCHES_IN_FLIGHT:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


class _Serialised:
    """The run's lookups for batches judged side by side: one batch at a time asks DNS (its
    verdicts and deadline are the run's) and the suppression store (one SQLite connection)."""

    def __init__(self, lookups: Lookups):
        self.lookups, self._lock = lookups, threading.Lock()

    def add_columns(self, work: pl.DataFrame) -> pl.DataFrame:
        with self._lock:
            return self.lookups.add_columns(work)


def settle(work: pl.DataFrame, findings: pl.DataFrame, examples: dict[str, list[dict]], settings: Settings,
           channel: str, cmaps: list[ColumnMap], sources: list[str], stage: Stage = _silent, evidence: bool = False,
           identity_after: bool = True):
    """The stages that need every row at once: people (exact keys, and the matcher when the
    policy asks), then decide. ``work`` holds ``kept_columns`` of every row, ``findings`` the
    graded findings of every batch. Returns (findings, statuses with person_id, the people
    summary, matches, the active row rules); the matches keep the matcher's evidence for
    ``explain`` only with ``evidence``. While the matcher runs, ``findings`` and ``work`` wait on
    disk (emptied in place, filled again after it; what its records are made of once they are
    made), and without ``identity_after`` (nothing after reads the names, places and numbers as
    written) ``work`` lets them go. Both engines call this (Spark's on its driver)."""
    options = rule_options(settings, channel)
    selection = options.selection
    active = {c for c, r in RULES.items() if r.target == "rows" and channel in r.channels and selection.active(c)}
    matches = None
    if _probabilistic(settings.policy.match, cmaps):
        with aside() as set_aside:
            # The kept rows and findings wait on disk for the people stage: all but what the
            # matcher's records are made of before they are made, the rest after.
            set_aside(findings)
            set_aside(work, keep=RECORD_COLUMNS)

            def records_made() -> None:
                if not identity_after:
                    forget_identity(work, keep_numbers=True)
                set_aside(work)

            matches = find_matches(work, sources, match_settings(settings.policy.match), evidence,
                                   then=records_made)
        if not identity_after:
            # The numbers read go once the kept rows are back, not beside the matcher's records
            # (there, this step's 380 MiB at ten million rows was the run's peak).
            forget_identity(work)
    people = resolve_people(work, findings, settings, channel, active, sources, matches=matches)
    added = pl.concat([grade(people.added.filter(input_index(pl.col("_row")).fill_null(0) == number),
                             selection, cmap, channel) for number, cmap in enumerate(cmaps)], how="vertical")
    # Graded, the stage's findings are dictionary codes; their text (about 300 MiB at ten million
    # rows) goes before the examples and the statuses are made.
    people.added = people.added.clear()
    _add_examples(examples, added.filter(~pl.col("code").is_in(list(examples))), work, sources)
    stage("decide")
    findings, statuses = decide_people(work, people, added)
    # Not ``people``: it holds the findings as given, which the caller is done with.
    return findings, statuses, people.summary, matches, active


def resolve_people(work: pl.DataFrame, findings: pl.DataFrame, settings: Settings, channel: str, active: set[str],
                   sources: list[str], **links) -> People:
    """``people.resolve`` under the run's settings; ``links``: the matcher's ``matches``, and what
    a part of the input is told of the whole (``too_common``, ``shared_keys``)."""
    policy = settings.policy
    return resolve(work, findings, channel, max_shared=policy.max_shared_identifier,
                   resubscribe=policy.consent_for(channel).resubscribe, as_of=settings.as_of, active=active,
                   sources=sources, **links)


def decide_people(work: pl.DataFrame, people: People, added: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(every finding, the statuses with person_id): the findings that stand and the people
    stage's ``added`` (graded), then ``decide``."""
    findings = pl.concat([people.standing(), added], how="vertical")
    statuses = decide(work, findings, people.duplicate_of)
    ids = people.person_id
    if ids["_row"].equals(statuses["_row"]):  # rows in the same order: no copy of 10M ids
        return findings, statuses.with_columns(ids["person_id"])
    return findings, statuses.join(ids, on="_row", how="left", maintain_order="left")


def rule_options(settings: Settings, channel: str) -> RuleOptions:
    """What the rules read of the run's settings for ``channel`` (its ``selection`` included)."""
    selection = Selection(select=settings.select if settings.select is not None else settings.policy.select,
                          ignore=settings.policy.ignore + settings.ignore,
                          severity={**settings.policy.severity, **settings.severity})
    return RuleOptions(
        as_of=settings.as_of, send_at=settings.send_at, selection=selection, policy_name=settings.policy.name,
        consent=settings.policy.consent_for(channel), quiet_hours=settings.policy.quiet_hours.get(channel),
        min_days_between_contacts=settings.policy.min_days_between_contacts,
        max_inactive_days=settings.policy.max_inactive_days,
        extra_role_accounts=tuple(settings.policy.extra_role_accounts), consent_evidence=settings.consent_evidence,
        similar_products=settings.similar_products, dns=settings.dns)


def judge_batch(batch: pl.DataFrame, cmap: ColumnMap, settings: Settings, channel: str,
                date_orders: dict[str, DateOrder], lookups: Lookups, options: RuleOptions,
                notes: tuple[tuple[str, str], ...] = (), file_notes: bool = False,
                stage: Stage = _silent) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One batch of rows (text columns plus ``_row``) judged: normalise → lookups → rules →
    grade. Returns the work frame and the batch's graded findings. Both engines call this: the
    local one per batch of the file, the Spark one inside its executors per Arrow batch."""
    stage("normalise")
    work = normalise(batch, cmap, settings, channel, date_orders)
    stage("lookups")
    work = lookups.add_columns(work)
    stage("rules")
    ctx = RuleContext(options, channel, cmap, date_orders, work, tuple(notes))
    found = evaluate(work, ctx, options.selection, file_notes=file_notes)
    return work, grade(found, options.selection, cmap, channel)


def place_phones(kept: pl.DataFrame, usual: list[str | None]) -> pl.DataFrame:
    """``kept`` with ``phone_key``: the numbers that had no region read in their input's usual
    region (``usual``, by input), decided over the whole input so that a stop on such a row reaches
    the other copies of the number wherever the batches of the file begin and end."""
    regions = (pl.lit(usual[0], pl.String) if len(usual) == 1 else
               input_index(pl.col("_row")).replace_strict(range(len(usual)), usual, return_dtype=pl.String))
    return with_phone_keys(kept, regions)


#: ``raw_phone`` only where the number was not read (the examples show it).
UNREAD_PHONES = pl.when(pl.col("phone_e164").is_null()).then(pl.col("raw_phone")).cast(pl.Categorical).alias("raw_phone")


def kept_columns(work: pl.DataFrame, identity: bool = True) -> pl.DataFrame:
    """What is kept of a judged batch for the people stage: ``KEPT_COLUMNS`` and ``raw_phone``, and
    with ``identity`` (the matcher or golden records will read them) ``IDENTITY_COLUMNS``. Without,
    ``raw_phone`` only where the number was not read (the examples show it)."""
    names = [*KEPT_COLUMNS, *(IDENTITY_COLUMNS if identity else ["raw_phone"])]
    kept = work.select(names).with_columns(
        # Copied (`+ ""`): masked, the column would still hold every row's key text (it shares
        # the column's buffers; ten million synthetic keys, a quarter kept: 381 MiB, 222 copied).
        (pl.when((pl.col("email_key") != pl.col("email")).fill_null(True)).then(pl.col("email_key")) + "")
        .alias("email_key"),
        pl.col(*(name for name in names if name in FEW_VALUED)).cast(pl.Categorical),
        *([] if identity else [UNREAD_PHONES]))
    # A column with no value (a field the export lacks) still costs a 16-byte view a row as
    # String; as a literal it costs nothing until something reads it.
    empty = [name for name in kept.columns if kept[name].null_count() == kept.height]
    return kept.with_columns(pl.lit(None, kept.schema[name]).alias(name) for name in empty) if empty else kept


def forget_identity(kept: pl.DataFrame, keep_numbers: bool = False) -> None:
    """Take out of ``kept``, in place, what only the matcher and golden records read, so that
    the matcher does not run beside it: ``kept`` then holds what :func:`kept_columns` keeps
    without ``identity``. With ``keep_numbers``, ``raw_phone`` stays whole (see ``settle``)."""
    if "raw_phone" in kept.columns and not keep_numbers:
        kept.replace_column(kept.get_column_index("raw_phone"), kept.select(UNREAD_PHONES).to_series())
    for name in IDENTITY_COLUMNS:
        if name != "raw_phone" and name in kept.columns:
            kept.drop_in_place(name)


def write_report(result: Result, report: HtmlReport, settings: Settings) -> None:
    """Record the run in the list's history (unless ``report.history`` is False) and write the
    HTML report of a profiled run."""
    from listclean import history as run_history
    from listclean.report import html

    if report.history:
        where = (run_history.default_path(store_path(settings.store if not settings.store_disabled else None))
                 if report.history is True else Path(report.history))
        name = report.list_name or run_history.list_name([each["path"] for each in result.inputs])
        result.history = run_history.record_and_read(where, name, result)
        result.outputs["history"] = str(where)
    result.outputs["report"] = str(report.path)
    write_text(Path(report.path), html.render(result), "--report")


@dataclass
class PeopleRun:
    result: Result
    golden: pl.DataFrame           # one row per person: status, kept row, golden fields, provenance
    matches: Matches | None
    sources: list[str]


def people(path: Source | Sequence[Source], settings: Settings | None = None, out: Path | None = None,
           on_stage: Stage | None = None) -> PeopleRun:
    """Judge the inputs and resolve their rows into people; with ``out``, write one golden record
    per person there (the format follows the extension)."""
    settings = settings if settings is not None else build_settings()
    sources = _as_list(path)
    if out is not None:
        check_output_path(Path(out), [str(s) for s in sources if not _is_frame(s)], "--out")
    stage = on_stage or _silent
    stage("load")
    with _open(sources, settings) as loaded:
        judged = judge(loaded, settings, stage, command="people", golden=True)
        if out is not None:
            stage("write")
            write_golden(judged.golden, Path(out), loaded[0].format if loaded[0].format != "dataframe" else "csv")
            judged.result.outputs["people"] = str(out)
        return PeopleRun(judged.result, judged.golden, judged.matches, [each.source for each in loaded])


def explain(run: PeopleRun, reference: str) -> dict:
    """Why a row belongs to its person: ``reference`` is ``FILE:ROW`` (or ``ROW`` with one
    input). Each other row of its person, or of a review pair with it, with the matcher's
    evidence field by field."""
    key = _row_key(reference, run.sources)
    statuses = run.result.statuses
    line = key % ROW_SPAN
    mine = statuses.filter((pl.col("_row") == line) & (pl.col("_source").cast(pl.String) == run.sources[key // ROW_SPAN]))
    if mine.is_empty():
        raise ListcleanError(f"--explain {reference}: no such row")
    person = mine["person_id"].item()
    members = statuses.filter(pl.col("person_id") == person).select(
        (pl.col("_source").cast(pl.String).replace_strict({s: i for i, s in enumerate(run.sources)}, return_dtype=pl.Int64)
         * ROW_SPAN + pl.col("_row")).alias("key"))["key"].to_list()
    names = short_names(run.sources)
    label = lambda k: f"{names[k // ROW_SPAN]} row {k % ROW_SPAN}" if len(run.sources) > 1 else f"row {k}"  # noqa: E731
    pairs = explain_row(run.matches, key, members) if run.matches is not None else []
    return {"row": label(key), "person_id": person, "status": str(mine["status"].item()),
            "members": [label(k) for k in sorted(members)],
            "matching": "probabilistic" if run.matches is not None else "exact",
            "pairs": [{"other": label(other), "same_person": other in members,
                       "evidence": [vars(e) for e in evidence]} for other, evidence in pairs]}


def _row_key(reference: str, sources: list[str]) -> int:
    where, _, row = reference.rpartition(":")
    if not row.strip().isdigit():
        raise ListcleanError(f"--explain {reference!r}: give FILE:ROW, e.g. {short_names(sources)[0]}:12")
    if not where:
        if len(sources) > 1:
            raise ListcleanError(f"--explain {reference!r}: several inputs; give FILE:ROW")
        return int(row)
    names = short_names(sources)
    for index, (source, name) in enumerate(zip(sources, names)):
        if where in (source, name):
            return index * ROW_SPAN + int(row)
    raise ListcleanError(f"--explain {reference!r}: no input is named {where!r} (inputs: {', '.join(sources)})")


def _probabilistic(match: MatchPolicy, cmaps: list[ColumnMap]) -> bool:
    """Whether to match people probabilistically: as the policy says; ``auto`` when an input
    has a name column (without names, the exact keys are all the evidence there is)."""
    if match.mode == "auto":
        return has_identity([cmap.as_dict() for cmap in cmaps])
    return match.mode == "probabilistic"


def match_settings(match: MatchPolicy):
    from listclean.people.match import MatchSettings

    return MatchSettings(merge=match.merge, review=match.review, max_block=match.max_block,
                         one_per_source=tuple(match.one_per_source))


def _by_source(frame: pl.DataFrame, sources: list[str], *row_columns: str) -> pl.DataFrame:
    """A frame keyed by the run's row key, keyed by ``_source`` and the input's own line instead
    (and each of ``row_columns`` as a line, with ``<name>_source`` beside it when several inputs)."""
    if len(sources) == 1:  # the key is the line: no new copy of ten million keys and names
        source = pl.lit(sources[0], pl.Categorical)
        if frame["_row"].null_count():  # a file note is on no row, and so in no input
            source = pl.when(pl.col("_row").is_not_null()).then(source)
        return frame.select("_row", source.alias("_source"), pl.exclude("_row", *row_columns), *row_columns)
    names = dict(enumerate(sources))
    source = input_index(pl.col("_row")).replace_strict(names, return_dtype=pl.Categorical)
    extra = []
    for column in row_columns:
        if len(sources) > 1:
            extra.append(input_index(pl.col(column)).replace_strict(names, default=None, return_dtype=pl.String)
                         .alias(f"{column}_source"))
        extra.append((pl.col(column) % ROW_SPAN).alias(column))
    return frame.select((pl.col("_row") % ROW_SPAN).alias("_row"), source.alias("_source"),
                        pl.exclude("_row", *row_columns), *extra)


@contextlib.contextmanager
def _lookups(settings: Settings, channel: str, stage: Stage) -> Iterator[Lookups]:
    """The run's lookups: DNS with --dns on an email campaign, the suppression store if any."""
    dns = None
    if settings.dns and channel == "email":
        dns = DnsOptions(nameservers=tuple(settings.nameservers), timeout=settings.dns_timeout,
                         deadline=settings.dns_deadline, concurrency=settings.dns_concurrency,
                         cache_path=settings.dns_cache)
    store = open_existing(settings.store, settings.store_disabled)
    try:
        yield Lookups(channel, dns, store, lambda done, total: stage("dns", done, total))
    finally:
        if store is not None:
            store.close()


def _channel(settings: Settings, cmaps: list[ColumnMap], loaded: list[Loaded]) -> str:
    """The campaign's channel: as given, else email when an input has an email column, else sms.
    With several inputs, an input without the channel's column still counts: its rows are
    people whose stops must reach the others."""
    where = loaded[0].source if len(loaded) == 1 else ", ".join(each.source for each in loaded)
    has_email = any(cmap.get("email") is not None for cmap in cmaps)
    has_phone = any(cmap.phone is not None for cmap in cmaps)
    if len(loaded) == 1 and not (has_email or has_phone):
        raise ListcleanError(
            f"no email or phone column found among: {', '.join(loaded[0].columns)}; "
            "name one with --map email=COLUMN or --map phone=COLUMN", file=where)
    for each, cmap in zip(loaded, cmaps):
        if cmap.get("email") is None and cmap.phone is None:
            raise ListcleanError(f"no email or phone column found among: {', '.join(each.columns)}; name one "
                                 f"with --map {Path(each.source).name}:email=COLUMN", file=each.source)
    channel = settings.channel or ("email" if has_email else "sms")
    if channel == "email" and not has_email:
        raise ListcleanError("--channel email, but no email column found; use --map email=COLUMN", file=where)
    if channel != "email" and not has_phone:
        raise ListcleanError(f"--channel {channel}, but no phone column found; use --map phone=COLUMN", file=where)
    return channel


def normalise(source: pl.DataFrame, cmap: ColumnMap, settings: Settings, channel: str,
              date_orders: dict[str, DateOrder]) -> pl.DataFrame:
    """The work frame of a batch: _row plus every canonical, normalised column the rules read."""
    data_columns = [c for c in source.columns if c != "_row"]
    raw = {"raw_email": cmap.get("email"), "raw_phone": cmap.phone, "raw_country": cmap.get("country"),
           **{name: cmap.get(name) for name in IDENTITY_FIELDS}}
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


def _add_examples(examples: dict[str, list[dict]], findings: pl.DataFrame, work: pl.DataFrame,
                  sources: list[str]) -> None:
    """Top up each code's examples (the first rows found) from a batch's findings."""
    for code, shown in _examples(findings, work, sources).items():
        have = examples.setdefault(code, [])
        have.extend(shown[:EXAMPLES_PER_CODE - len(have)])


def _examples(findings: pl.DataFrame, work: pl.DataFrame, sources: list[str]) -> dict[str, list[dict]]:
    """A few rows per code with the personal value masked, for the text summary."""
    heads = (findings.filter(pl.col("_row").is_not_null())
             .group_by("code").agg(pl.all().bottom_k_by("_row", EXAMPLES_PER_CODE))
             .explode(pl.exclude("code")).sort("code", "_row"))
    raw = [name for name in ("raw_email", "raw_phone") if name in work.columns]
    # The columns read first: a filter copies every column it is given (at ten million kept rows,
    # 670 MiB for a few rows).
    shown = work.select("_row", "email", "phone_e164", *raw).filter(
        pl.col("_row").is_in(heads["_row"].implode())).select(
        "_row", pl.coalesce("email", *(["raw_email"] if "raw_email" in raw else [])).alias("raw_email"),
        pl.coalesce("phone_e164", *(["raw_phone"] if "raw_phone" in raw else [])).alias("raw_phone"))
    heads = heads.join(shown, on="_row", how="left", maintain_order="left")
    examples: dict[str, list[dict]] = {}
    for row, code, field, message, email, phone in heads.select(
            "_row", "code", "field", "message", "raw_email", "raw_phone").iter_rows():
        value = email if field == "email" else phone if field == "phone" else None
        shown = mask_value(field, value.strip() if value else value) if field in ("email", "phone") else None
        where = {"row": row % ROW_SPAN} if len(sources) == 1 else {
            "source": sources[row // ROW_SPAN], "row": row % ROW_SPAN}
        examples.setdefault(code, []).append({**where, "value": shown, "message": message})
    return examples
