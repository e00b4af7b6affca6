"""The command line: parse options, build Settings, call the library, report, exit.

Exit statuses: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, settings, policy or input error, 3 listclean's own failure (each one line on stderr).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer
from typer.exceptions import TyperException

from listclean import checks  # noqa: F401  (registers every rule)
from listclean import pipeline
from listclean.checks.registry import RULES
from listclean.columns import map_columns, parse_map_options
from listclean.errors import DEBUG_VARIABLE, ExitStatus, ListcleanError, internal_error_line
from listclean.load import load
from listclean.report import FORMATS, catalogue, reporters
from listclean.settings import Settings, build_settings, load_policy, policy_names

#: Plain (click) help, not rich's boxed tables: rich cuts long option names
#: ("--record-unsubs…") to fit 80 columns, click wraps the help text and keeps names whole.
HELP = {"rich_markup_mode": None}

app = typer.Typer(
    name="listclean", no_args_is_help=True, add_completion=True, pretty_exceptions_enable=False, **HELP,
    help="Clean a contact export before an email or SMS campaign: validate, normalise, "
         "deduplicate and check consent, with a status and rule codes for every row.",
)
policy_app = typer.Typer(help="List and show the policy files (rules/*.toml).", no_args_is_help=True, **HELP)
app.add_typer(policy_app, name="policy")
cache_app = typer.Typer(help="Inspect or empty the DNS cache.", no_args_is_help=True, **HELP)
app.add_typer(cache_app, name="cache")
suppress_app = typer.Typer(help="The suppression store: people who must not be contacted.", no_args_is_help=True, **HELP)
app.add_typer(suppress_app, name="suppress")

# ----------------------------------------------------------------- shared options
Channel = Annotated[Optional[str], typer.Option("--channel", help="email, sms, whatsapp or call (default: email if the export has an email column, else sms).")]
PolicyOpt = Annotated[Optional[str], typer.Option("--policy", help="Policy name (default, gdpr, can-spam…) or path to a .toml file.")]
Select = Annotated[Optional[str], typer.Option("--select", help="Comma-separated rule codes or prefixes to run (e.g. EM,CN001).")]
Ignore = Annotated[Optional[str], typer.Option("--ignore", help="Comma-separated rule codes or prefixes to skip.")]
FailOn = Annotated[Optional[str], typer.Option("--fail-on", help="Exit 1 when a finding is at or above: error (default), warning, info, never.")]
def _one_of(*allowed: str):
    """An option callback refusing any other value before any work is done."""
    def check(value: str) -> str:
        if value not in allowed:
            hint = "; for the HTML report use --report FILE.html" if value == "html" else ""
            raise typer.BadParameter(f"unknown format {value!r} (use {', '.join(allowed)}){hint}")
        return value
    return check


Format = Annotated[str, typer.Option("--format", "-f", callback=_one_of(*FORMATS), help=f"Report format: {', '.join(FORMATS)}. auto = text on a terminal, one line otherwise.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors; the exit status tells.")]
Region = Annotated[Optional[str], typer.Option("--default-region", help="Region for national phone numbers when the row has no country (e.g. ES).")]
AsOf = Annotated[Optional[str], typer.Option("--as-of", help="Fix 'today' (YYYY-MM-DD) for reproducible runs.")]
DateFormat = Annotated[Optional[str], typer.Option("--date-format", help="dmy, mdy, or a strftime pattern such as %d.%m.%Y.")]
MapOpt = Annotated[Optional[list[str]], typer.Option("--map", help='FIELD=COLUMN, e.g. phone="Tel. móvil" (repeatable); FILE:FIELD=COLUMN for one input of several.')]
Encoding = Annotated[Optional[str], typer.Option("--encoding", help="Text encoding of the input (default: detected).")]
Sheet = Annotated[Optional[str], typer.Option("--sheet", help="Excel sheet to read (default: the first).")]
Input = Annotated[str, typer.Argument(help="Export file (.csv .tsv .csv.gz .xlsx .parquet .jsonl), or - for stdin.")]
Inputs = Annotated[list[str], typer.Argument(help="One or more export files (.csv .tsv .csv.gz .xlsx .parquet .jsonl), or - for stdin; several exports are judged as one list of people. With --engine spark: one input, which may also be a folder of part files or table:NAME (a table of the Spark catalog).", show_default=False)]
Dns = Annotated[Optional[bool], typer.Option("--dns/--no-dns", help="Ask DNS whether each distinct email domain takes mail (MX, A, null MX…).")]
Nameservers = Annotated[Optional[list[str]], typer.Option("--nameserver", help="Resolver IP[:PORT] to ask (repeatable; default: the system's).")]
DnsTimeout = Annotated[Optional[float], typer.Option("--dns-timeout", help="Seconds per DNS query, enforced (default 2).")]
DnsDeadline = Annotated[Optional[float], typer.Option("--dns-deadline", help="Seconds for all DNS work; what is left is unknown (default 120).")]
DnsConcurrency = Annotated[Optional[int], typer.Option("--dns-concurrency", help="DNS queries in flight at once (default 100).")]
SendAt = Annotated[Optional[str], typer.Option("--send-at", help="Planned send time with UTC offset, e.g. 2026-12-01T10:00+01:00: checks quiet hours (SMS, WhatsApp, calls).")]
SimilarProducts = Annotated[Optional[bool], typer.Option("--similar-products/--no-similar-products", help="Declare the campaign is about your own similar products (soft opt-in, PECR/LSSI).")]
Store = Annotated[Optional[Path], typer.Option("--store", help="Suppression store (SQLite; default: in the user's data folder; none: consult no store).")]
ConsentEvidence = Annotated[Optional[str], typer.Option("--consent-evidence", help="Declare where dated proof of consent is kept (e.g. \"Shopify admin\"): CN006/CN007 are not applied; recorded in the report and audit.")]
Cache = Annotated[Optional[Path], typer.Option("--cache", help="DNS cache file (default: in the user's cache folder).")]
ReportOpt = Annotated[Optional[Path], typer.Option("--report", help="Also write the list-health report: one self-contained HTML page (charts, examples masked, the run's provenance, the trend of earlier runs).")]
History = Annotated[Optional[str], typer.Option("--history", help="With --report: the run-history file (SQLite) that gives the trend; default history.sqlite beside the suppression store; none: record nothing.")]
MessageOpt = Annotated[Optional[Path], typer.Option("--message", help="Also check the campaign message (.eml, .html, .txt; MS rules): its findings join the list's and fail the run the same way; the report and the audit name its SHA-256.")]


def _engine(value: str) -> str:
    if value not in ("local", "spark"):
        raise typer.BadParameter(f"unknown engine {value!r} (use local or spark)")
    return value


EngineOpt = Annotated[str, typer.Option("--engine", callback=_engine, help="local (this machine, polars) or spark (the same rules over a Spark DataFrame; needs the spark extra; see README \"Running on Spark\").")]
SparkMaster = Annotated[str, typer.Option("--spark-master", help="With --engine spark: the Spark master URL (local[*], spark://HOST:7077, yarn…).")]
SparkConf = Annotated[Optional[list[str]], typer.Option("--spark-conf", help="With --engine spark: a Spark setting KEY=VALUE (repeatable), e.g. spark.executor.memory=4g.")]
ListName = Annotated[Optional[str], typer.Option("--list-name", help="With --report: the list's name in the run history (default: its files' names; give one when a nightly dump's file name carries a date).")]


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """A ListcleanError becomes one line on stderr and exit status 2."""
    try:
        yield
    except ListcleanError as error:
        typer.echo(f"listclean: error: {error.one_line()}", err=True)
        raise typer.Exit(ExitStatus.ERROR) from None


#: The options of check/clean that say what to do with the result, not how to judge.
_OUTPUT_OPTIONS = {"path", "out", "rejects", "audit", "output_format", "quiet", "record_unsubscribes", "keep",
                   "explain", "findings", "report", "history", "list_name", "message",
                   "repermission", "fixable", "columns", "pseudonymise", "pseudonym_key_file",
                   "engine", "spark_master", "spark_conf"}


def _settings(options: dict) -> Settings:
    """Settings from every other option of a command, named as the settings are: build_settings
    refuses a name it does not know, so no option is ever dropped on the way. Options left at
    None defer to the project's settings file."""
    given = {name: value for name, value in options.items() if name not in _OUTPUT_OPTIONS}
    given["column_map"] = parse_map_options(given["column_map"]) if given.get("column_map") else None
    given["nameservers"] = given.get("nameservers") or None
    return build_settings(cwd=Path.cwd(), **given)


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator:
    """A progress bar over the stages on an interactive terminal; nothing in CI or cron."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    stages = ["load", "normalise", "lookups", "dns", "rules", "people", "decide", "write"]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("listclean", total=len(stages))
        domains = None

        def on_stage(name: str, done: int | None = None, total: int | None = None) -> None:
            nonlocal domains
            if name == "dns" and total:
                if domains is None:
                    domains = bar.add_task("listclean: dns domains", total=total)
                bar.update(domains, completed=done)
            bar.update(task, description=f"listclean: {name}", completed=stages.index(name))

        yield on_stage


def _report(result, output_format: str, quiet: bool, fail_on: str) -> int:
    """Print the report asked for; --quiet silences the summary and the chatter, never a report
    a machine asked for by name (json, github, junit)."""
    if output_format == "auto":
        output_format = "text" if sys.stdout.isatty() else "summary"
    if not quiet or output_format not in ("text", "summary"):
        reporters()[output_format](result, sys.stdout)
    return int(result.exit_status(fail_on))


def _pseudonym_key(pseudonymise: bool, key_file: Path | None) -> str | None:
    """The --pseudonymise key (from --pseudonym-key-file, else LISTCLEAN_PSEUDONYM_KEY), or None."""
    from listclean.pseudonym import read_key

    if not pseudonymise:
        if key_file is not None:
            raise ListcleanError("--pseudonym-key-file goes with --pseudonymise")
        return None
    return read_key(key_file)


def _html_report(path: Path | None, history: str | None, list_name: str | None) -> pipeline.HtmlReport | None:
    if path is None:
        if history is not None or list_name is not None:
            raise ListcleanError("--history and --list-name go with --report FILE.html")
        return None
    where = True if history is None else False if history.strip().lower() == "none" else Path(history)
    return pipeline.HtmlReport(path, where, list_name)


@app.command()
def check(
    path: Inputs, channel: Channel = None, policy: PolicyOpt = None, select: Select = None,
    ignore: Ignore = None, fail_on: FailOn = None, output_format: Format = "auto", quiet: Quiet = False,
    default_region: Region = None, as_of: AsOf = None, date_format: DateFormat = None,
    column_map: MapOpt = None, encoding: Encoding = None, sheet: Sheet = None,
    dns: Dns = None, nameservers: Nameservers = None, dns_timeout: DnsTimeout = None,
    dns_deadline: DnsDeadline = None, dns_concurrency: DnsConcurrency = None, dns_cache: Cache = None,
    send_at: SendAt = None, similar_products: SimilarProducts = None, store: Store = None,
    consent_evidence: ConsentEvidence = None, report: ReportOpt = None, history: History = None,
    list_name: ListName = None, message: MessageOpt = None,
    engine: EngineOpt = "local", spark_master: SparkMaster = "local[*]", spark_conf: SparkConf = None,
    findings: Annotated[Optional[Path], typer.Option("--findings", help="Write every finding to this file (.jsonl, .csv, .tsv, .parquet, .xlsx; by its extension) in one go; the JSON report then lists none inline and stays small.")] = None,
) -> None:
    """Judge every row of an export and report; write nothing (but the HTML report, with --report).

    Example: listclean check contacts.csv --policy gdpr --dns --format json
    """
    with user_errors():
        settings = _settings(locals())
        with _progress(quiet) as on_stage:
            if engine == "spark":
                from listclean.engines.spark import cli_run

                result = cli_run("check", path, settings, spark_master, spark_conf, on_stage, message,
                                 report=_html_report(report, history, list_name), findings=findings)
            else:
                result = pipeline.check(path, settings, on_stage, report=_html_report(report, history, list_name),
                                        message=message, findings=findings)
        raise typer.Exit(_report(result, output_format, quiet, settings.fail_on))


def report(**options) -> None:
    """Write the list-health report: one self-contained HTML page (statuses, findings by rule,
    domains, countries, staleness, consent coverage, duplicates, masked examples, provenance and
    the trend of earlier runs of the same list). Takes every option of check.

    Example: listclean report contacts.csv -o report.html --as-of 2026-11-01
    """
    check(**options)


# `report` is `check` with the report's file required: the same options, declared once.
report.__signature__ = inspect.signature(check, eval_str=True).replace(parameters=sorted(
    (parameter.replace(annotation=Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
                       default=inspect.Parameter.empty) if parameter.name == "report" else parameter
     for parameter in inspect.signature(check, eval_str=True).parameters.values()),
    key=lambda parameter: parameter.default is not inspect.Parameter.empty))
app.command("report")(report)


@app.command()
def clean(
    path: Inputs,
    out: Annotated[Path, typer.Option("--out", "-o", help="Send-ready file. Its extension sets the format: .csv/.txt comma-separated, .tsv tab-separated, .xlsx, .parquet, .jsonl (other: the input's format). A .csv/.txt output with the input's own extension keeps the input's delimiter (e.g. ; stays ;). - writes CSV to stdout; the report then goes to stderr. send, rejects and audit appear together or not at all; files get the usual permissions (0666 minus the umask). With --engine spark: a folder of part files, or table:NAME (a table of the Spark catalog).")],
    rejects: Annotated[Optional[Path], typer.Option("--rejects", help="File for every row not sent: review, drop, duplicate (format as for --out).")] = None,
    audit: Annotated[Optional[Path], typer.Option("--audit", help="Write one JSON line per row: status, codes, policy and its hash, suppression matches, the input's SHA-256.")] = None,
    channel: Channel = None, policy: PolicyOpt = None, select: Select = None, ignore: Ignore = None,
    fail_on: FailOn = None, output_format: Format = "auto", quiet: Quiet = False,
    default_region: Region = None, as_of: AsOf = None, date_format: DateFormat = None,
    column_map: MapOpt = None, encoding: Encoding = None, sheet: Sheet = None,
    dns: Dns = None, nameservers: Nameservers = None, dns_timeout: DnsTimeout = None,
    dns_deadline: DnsDeadline = None, dns_concurrency: DnsConcurrency = None, dns_cache: Cache = None,
    send_at: SendAt = None, similar_products: SimilarProducts = None, store: Store = None,
    consent_evidence: ConsentEvidence = None,
    record_unsubscribes: Annotated[bool, typer.Option("--record-unsubscribes", help="Add the rows this export marks as unsubscribed to the suppression store.")] = False,
    keep: Annotated[Optional[list[str]], typer.Option("--keep", help="With several inputs: an input column to carry into the outputs beside listclean's own (repeatable).")] = None,
    repermission: Annotated[Optional[Path], typer.Option("--repermission", help="Also write the re-permission list: rows not sent only because they are stale (ST001), with no stop and no other problem, one per person, none whose person is sent (format as for --out). An extra view: each row keeps its one status in send/rejects.")] = None,
    fixable: Annotated[Optional[Path], typer.Option("--fixable", help="Also write the rows not sent whose problem has a fix listclean can name (an email domain typo, a national number missing its country), with fix_code, suggestion and suggested_value; never a row with a stop. An extra view: each row keeps its one status in send/rejects.")] = None,
    columns: Annotated[Optional[list[str]], typer.Option("--columns", help="Write only these columns, in this order (comma-separated, repeatable): input column names, or fields (email and phone: listclean's normalised values; first_name, customer_id…: the input column taken for them). The rejects and the other files add row, status, codes and reasons.")] = None,
    pseudonymise: Annotated[bool, typer.Option("--pseudonymise", "--pseudonymize", help="Replace email, phone and customer id in every file written with keyed hashes (HMAC-SHA256, hex) of their normalised values, for sharing a list. The key comes from LISTCLEAN_PSEUDONYM_KEY or --pseudonym-key-file, never from the command line.")] = False,
    pseudonym_key_file: Annotated[Optional[Path], typer.Option("--pseudonym-key-file", help="File holding the --pseudonymise key (at least 32 characters; instead of LISTCLEAN_PSEUDONYM_KEY).")] = None,
    report: ReportOpt = None, history: History = None, list_name: ListName = None, message: MessageOpt = None,
    engine: EngineOpt = "local", spark_master: SparkMaster = "local[*]", spark_conf: SparkConf = None,
) -> None:
    """Write the send-ready rows (and the rejects, with status, codes and reasons).

    Example: listclean clean contacts.csv --channel email -o send.csv --rejects rejects.csv
    """
    with user_errors():
        settings = _settings(locals())
        with _progress(quiet) as on_stage:
            if engine == "spark":
                from listclean.engines.spark import cli_run

                result = cli_run("clean", path, settings, spark_master, spark_conf, on_stage, message, out, rejects,
                                 audit=audit, record_unsubscribes=record_unsubscribes, keep=keep,
                                 report=_html_report(report, history, list_name),
                                 repermission=repermission, fixable=fixable, columns=columns,
                                 pseudonym_key=_pseudonym_key(pseudonymise, pseudonym_key_file))
            else:
                result = pipeline.clean(path, settings, out, rejects, on_stage, audit=audit,
                                        record_unsubscribes=record_unsubscribes, keep=keep or (),
                                        report=_html_report(report, history, list_name),
                                        repermission=repermission, fixable=fixable, columns=columns,
                                        pseudonym_key=_pseudonym_key(pseudonymise, pseudonym_key_file),
                                        message=message)
        # With an output on stdout (-o -), the report goes to stderr so it never mixes with the data.
        to_stdout = "-" in (str(out), str(rejects), str(audit), str(repermission), str(fixable))
        with contextlib.redirect_stdout(sys.stderr) if to_stdout else contextlib.nullcontext():
            status = _report(result, output_format, quiet, settings.fail_on)
        raise typer.Exit(status)


@app.command()
def people(
    path: Inputs,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="People file: one golden record per person, each field with the source and row it came from (.csv .tsv .xlsx .parquet .jsonl).")] = None,
    explain: Annotated[Optional[str], typer.Option("--explain", help="FILE:ROW (or ROW with one input): show which rows are that row's person and why, field by field.")] = None,
    channel: Channel = None, policy: PolicyOpt = None, select: Select = None, ignore: Ignore = None,
    output_format: Annotated[str, typer.Option("--format", "-f", callback=_one_of("text", "json"), help="text or json (for --explain and the summary).")] = "text",
    quiet: Quiet = False, default_region: Region = None, as_of: AsOf = None, date_format: DateFormat = None,
    column_map: MapOpt = None, encoding: Encoding = None, sheet: Sheet = None, store: Store = None,
    consent_evidence: ConsentEvidence = None,
) -> None:
    """Resolve the rows of one or several exports into people; write one golden record per person.

    Example: listclean people web.csv tienda.xlsx -o people.csv --explain tienda.xlsx:12
    """
    with user_errors():
        if out is None and explain is None:
            raise ListcleanError("people: give -o FILE for the golden records, --explain FILE:ROW, or both")
        settings = _settings(locals())
        with _progress(quiet) as on_stage:
            run = pipeline.people(path, settings, out, on_stage)
        explained = pipeline.explain(run, explain) if explain is not None else None
        catalogue.people(run, explained, output_format, quiet, sys.stdout)


@app.command()
def columns(
    path: Input, column_map: MapOpt = None, encoding: Encoding = None, sheet: Sheet = None,
    output_format: Annotated[str, typer.Option("--format", "-f", callback=_one_of("text", "json"), help="text or json.")] = "text",
) -> None:
    """Show which input column was taken for which field, and why.

    Example: listclean columns contacts.csv --map phone="Tel. móvil"
    """
    with user_errors(), load(path, encoding=encoding, sheet=sheet) as loaded:
        cmap = map_columns(loaded.columns, parse_map_options(column_map or []), loaded.source)
        catalogue.columns(loaded, cmap, output_format, sys.stdout)


@app.command()
def rule(
    code: Annotated[Optional[str], typer.Argument(help="A rule code such as EM003; none lists every rule.")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", callback=_one_of("text", "json"), help="text or json.")] = "text",
) -> None:
    """Explain a rule (what it flags, why it matters, how to fix), or list them all.

    Example: listclean rule EM003
    """
    with user_errors():
        if code is not None and code.upper() not in RULES:
            raise ListcleanError(f"unknown rule code {code!r} (see `listclean rule`)")
        catalogue.rules(code.upper() if code else None, output_format, sys.stdout)


@app.command()
def message(
    path: Annotated[Path, typer.Argument(help="The campaign message: an .eml (headers and MIME body), an .html or .txt email template, or an SMS/WhatsApp text (.txt).", show_default=False)],
    channel: Annotated[Optional[str], typer.Option("--channel", help="email, sms or whatsapp (default: email for .eml and .html; a .txt needs it).")] = None,
    policy: PolicyOpt = None, select: Select = None, ignore: Ignore = None, fail_on: FailOn = None,
    sender: Annotated[Optional[str], typer.Option("--sender", help="The brand a text must name (MS008), when it is not a tag at its start such as \"Acme: \".")] = None,
    final: Annotated[Optional[bool], typer.Option("--final/--template", help="The file is the message as it will be sent, so placeholders must be filled (MS006), or a template the platform fills (default: an .eml is final, other files are templates).")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", callback=_one_of("text", "json"), help="text or json.")] = "text",
    quiet: Quiet = False,
) -> None:
    """Check a campaign message (MS rules): an unsubscribe link or opt-out instruction, one-click
    unsubscribe headers, the sender's postal address, unfilled placeholders, an SMS's encoding and
    segments.

    Example: listclean message campaign.eml --policy can-spam
    """
    from listclean.message import check_message, message_options
    from listclean.report import message as message_report

    with user_errors():
        settings = build_settings(cwd=Path.cwd(), policy=policy, select=select, ignore=ignore, fail_on=fail_on,
                                  channel=channel)
        checked = check_message(path, settings.channel, message_options(settings, sender, final))
        if not quiet or output_format == "json":
            message_report.emit(checked, output_format, sys.stdout)
        raise typer.Exit(int(checked.exit_status(settings.fail_on)))


@app.command()
def init(
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write; - prints it.")] = Path("listclean.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
) -> None:
    """Write a listclean.toml with every project setting, what it does and its default.

    Example: listclean init   (listclean init -o - prints it)
    """
    from importlib.metadata import version

    from listclean.settings import project_template

    with user_errors():
        text = project_template(version("listclean"))
        if str(out) == "-":
            sys.stdout.write(text)
            return
        try:
            with out.open("w" if force else "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            raise ListcleanError("already exists; edit it, or overwrite it with --force", file=str(out)) from None
        except OSError as error:
            raise ListcleanError(f"cannot write: {error.strerror or error}", file=str(out)) from None
        typer.echo(f"wrote {out}: every setting at its default; change what this project needs")


@policy_app.command("list")
def policy_list() -> None:
    """List the bundled policies.

    Example: listclean policy list
    """
    with user_errors():
        for name in policy_names():
            policy = load_policy(name)
            typer.echo(f"{name:<12} {policy.description}")


@policy_app.command("show")
def policy_show(name: Annotated[str, typer.Argument(help="Policy name or path.")]) -> None:
    """Print a policy file as written, with its hash.

    Example: listclean policy show gdpr
    """
    from listclean.settings import policy_file

    with user_errors():
        source, raw = policy_file(name)
        policy = load_policy(name)
        typer.echo(f"# {source}  sha256 {policy.sha256}")
        typer.echo(raw.decode("utf-8"))


def _echo_table(values: dict) -> None:
    for key, value in values.items():
        typer.echo(f"{key}: {value}")


@cache_app.command("info")
def cache_info(cache: Cache = None) -> None:
    """Show the DNS cache: where it is, how many verdicts, how many expired.

    Example: listclean cache info
    """
    from listclean.dns import DnsCache

    with user_errors(), DnsCache(cache) as store:
        _echo_table(store.info())


@cache_app.command("clear")
def cache_clear(cache: Cache = None) -> None:
    """Remove every cached DNS verdict.

    Example: listclean cache clear
    """
    from listclean.dns import DnsCache

    with user_errors(), DnsCache(cache) as store:
        typer.echo(f"removed {store.clear()} cached verdicts from {store.info()['path']}")


# ----------------------------------------------------------------- suppression store
ChannelAll = Annotated[Optional[str], typer.Option("--channel", help="email, sms, whatsapp, call or all (default: email for addresses, sms for numbers).")]
Reason = Annotated[str, typer.Option("--reason", help="unsubscribe, hard-bounce, complaint, manual or legal-list.")]


def _open_store(store: Path | None):
    from listclean.suppression.imports import store_path
    from listclean.suppression import SuppressionStore

    return SuppressionStore(store_path(build_settings(cwd=Path.cwd(), store=store).store))


@suppress_app.command("import")
def suppress_import(
    path: Input, channel: ChannelAll = None, reason: Reason = "unsubscribe",
    source: Annotated[Optional[str], typer.Option("--source", help="Where the list came from (default: the file name).")] = None,
    hashed_only: Annotated[bool, typer.Option("--hashed-only", help="Store only SHA-256 of each value, no plaintext.")] = False,
    profile: Annotated[Optional[str], typer.Option("--profile", help="The file holds a partner's hashes under this profile (md5-lower, sha256-lower, sha256-gmail-nodots, robinson…).")] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help="email or phone: what the hashes of --profile are of.")] = None,
    store: Store = None, column_map: MapOpt = None, default_region: Region = None, encoding: Encoding = None,
    sheet: Sheet = None,
    all_rows: Annotated[bool, typer.Option("--all-rows", help="Import every row, even where the file's unsubscribe, consent or status columns do not say stop.")] = False,
) -> None:
    """Add an export of unsubscribes, bounces or complaints (any platform), a plain list, or a
    partner's hashed list to the suppression store. A whole export (one with unsubscribe, consent
    or status columns) adds only the rows that say stop, unless --all-rows. Importing the same
    file twice changes nothing.

    Example: listclean suppress import mailchimp_unsubscribed.csv --channel email --reason unsubscribe
    """
    from listclean.suppression.imports import import_file

    with user_errors():
        settings = build_settings(cwd=Path.cwd(), default_region=default_region, encoding=encoding, sheet=sheet,
                                  store=store,
                                  column_map=parse_map_options(column_map) if column_map else None)
        with _open_store(store) as opened:
            imported = import_file(opened, path, column_map=settings.column_map, region=settings.default_region,
                                   encoding=settings.encoding, sheet=settings.sheet,
                                   date_format=settings.date_format, channel=channel, reason=reason,
                                   source=source, hashed_only=hashed_only, profile=profile, kind=kind,
                                   all_rows=all_rows)
        typer.echo(f"{path}: {imported.describe()}")


@suppress_app.command("add")
def suppress_add(
    values: Annotated[list[str], typer.Argument(help="Email addresses or phone numbers (with +country code, or --default-region).")],
    channel: ChannelAll = None, reason: Reason = "manual", store: Store = None, default_region: Region = None,
    hashed_only: Annotated[bool, typer.Option("--hashed-only", help="Store only SHA-256 of each value.")] = False,
) -> None:
    """Add people by hand.

    Example: listclean suppress add ana@example.com +34612345678 --reason complaint
    """
    import polars as pl

    from listclean.suppression.imports import entries as entries_of
    from listclean.suppression.imports import split_values

    with user_errors():
        settings = build_settings(cwd=Path.cwd(), default_region=default_region, store=store)
        frame, cmap = split_values(pl.DataFrame({"value": values}).with_row_index("_row", offset=1), "value")
        entries = entries_of(frame, cmap, settings.default_region, channel)
        if entries.height < len(values):
            raise ListcleanError(f"{len(values) - entries.height} value(s) are not a valid address or number "
                                 "(phones need a +country code or --default-region)")
        with _open_store(store) as opened:
            added = opened.add_many(entries, hashed_only=hashed_only, reason=reason, source="cli")
        typer.echo(f"{added.added} added, {added.already_present} already present")


@suppress_app.command("export")
def suppress_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (.csv, .parquet, .jsonl).")],
    channel: ChannelAll = None, store: Store = None,
    no_plaintext: Annotated[bool, typer.Option("--no-plaintext", help="Leave the plaintext values out (hashes only).")] = False,
) -> None:
    """Write the store's entries to a file (hashes always, plaintext unless --no-plaintext).

    Example: listclean suppress export -o suppression.csv --no-plaintext
    """
    from listclean.write import OutputFile, check_output_path, output_format

    with user_errors():
        check_output_path(out, [], "--out")
        with _open_store(store) as opened:
            frame = opened.export(channel, include_plaintext=not no_plaintext)
        output = OutputFile(out, output_format(out, "csv"))
        try:
            output.append(frame)
            output.commit()
        finally:
            output.abort()
        typer.echo(f"wrote {frame.height} entries to {out}")


@suppress_app.command("stats")
def suppress_stats(store: Store = None) -> None:
    """Count the store's entries by channel, reason, kind and hash profile.

    Example: listclean suppress stats
    """
    with user_errors(), _open_store(store) as opened:
        _echo_table(opened.stats())


def _terminated(signum, frame) -> None:
    """SIGTERM/SIGHUP unwind like Ctrl-C, so temporary outputs are removed on the way out."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors too become one line and exit status 2. ``argv``: the arguments
    (default: the process's), for callers that run a command in-process (listclean.precommit)."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is signal.SIG_DFL:
            signal.signal(getattr(signal, name), _terminated)
    try:
        status = app(args=argv, prog_name="listclean", standalone_mode=False)
    except TyperException as error:  # bad option, missing argument…
        typer.echo(f"listclean: error: {' '.join(error.format_message().split())}", err=True)
        sys.exit(ExitStatus.ERROR)
    except typer.Abort:
        sys.exit(130)
    except Exception as error:   # noqa: BLE001 (a cron log gets one masked line, not a traceback)
        if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
            raise
        typer.echo(f"listclean: error: {internal_error_line(error)}", err=True)
        sys.exit(ExitStatus.INTERNAL)
    sys.exit(status or 0)
