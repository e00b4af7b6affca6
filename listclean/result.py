"""The result of a run: one status per row, the findings, and what judged them."""

from __future__ import annotations

import datetime as dt
import enum
import importlib.metadata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl

from listclean.errors import ExitStatus

class Severity(enum.IntEnum):
    """How much a finding weighs: error → drop, warning → review, info → note."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


STATUSES = ("send", "review", "drop", "duplicate")
STATUS = pl.Enum(list(STATUSES))
#: Findings' severity column: ordered, so the worst of a row is its maximum.
SEVERITY_NAMES = [str(s) for s in sorted(Severity)]
SEVERITY = pl.Enum(SEVERITY_NAMES)

SCHEMA_VERSION = "listclean.report/1"
#: One finding: a row (null: the whole file), a rule code, the canonical field, what was found.
FINDING_SCHEMA = {"_row": pl.Int64, "code": pl.String, "field": pl.String,
                  "message": pl.String, "suggestion": pl.String}
FAIL_ON = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}

#: Inside a run, the rows of input ``k`` are keyed ``k * ROW_SPAN + line``: one integer key through
#: every stage, and with one input the key is the line itself. Result frames carry ``_source`` and
#: the line as ``_row``.
ROW_SPAN = 1 << 40


def input_index(row: pl.Expr) -> pl.Expr:
    return row // ROW_SPAN


def row_ref(row: pl.Expr, sources: list[str]) -> pl.Expr:
    """How a message names a row: ``row 12``, or ``tienda.xlsx row 12`` when the run has several
    inputs."""
    if len(sources) <= 1:
        return pl.format("row {}", row)
    names = dict(enumerate(short_names(sources)))
    return pl.format("{} row {}", input_index(row).replace_strict(names, return_dtype=pl.String), row % ROW_SPAN)


def short_names(sources: list[str]) -> list[str]:
    """Inputs as messages name them: the file name, or the path as given where two share a name."""
    names = [source.replace("\\", "/").rsplit("/", 1)[-1] or source for source in sources]
    return [name if names.count(name) == 1 else source for name, source in zip(names, sources)]


def data_versions() -> dict[str, str]:
    """Versions of everything that can change a verdict, so a run can be reproduced."""
    import email_validator
    import phonenumbers

    from listclean.normalize.email import data_versions as email_data_versions

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"

    return {
        "listclean": version("listclean"),
        "phonenumbers_metadata": phonenumbers.__version__,
        "email_validator": email_validator.__version__,
        "disposable_email_domains": version("disposable-email-domains"),
        "polars": pl.__version__,
        **email_data_versions(),
    }


@dataclass(frozen=True)
class RowTotals:
    """What the reports read of every row, counted where the rows are instead of held (the Spark
    engine's executors): a run whose ``Result`` carries these holds no per-row frames, only the
    findings on the whole input (and the message's)."""

    rows: int
    by_status: dict[str, int]                 # every status, 0 included
    by_code: dict[str, tuple[int, str]]       # code → (rows with it, severity)
    people_by_size: dict[int, int]            # rows of a person (5: five or more) → people


@dataclass
class Result:
    command: str
    source: str
    input_sha256: str
    input_format: str
    channel: str
    as_of: dt.date
    policy_name: str
    policy_source: str
    policy_sha256: str
    columns: dict
    statuses: pl.DataFrame      # _row, _source, status, person_id, duplicate_of (+ duplicate_of_source: several inputs)
    findings: pl.DataFrame      # _row (null = the file), code, severity, field, column, message, suggestion
                                # (code, field, column and message Categorical, severity an Enum)
    rules_run: list[str] = field(default_factory=list)
    dns: dict | None = None     # DNS counters of the run (None without --dns)
    store: dict | None = None   # the suppression store consulted (suppress.store_summary)
    overrides: dict = field(default_factory=dict)  # Settings.overrides(): what changed the policy's verdicts
    recorded_unsubscribes: int | None = None  # entries clean --record-unsubscribes added
    examples: dict[str, list[dict]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=data_versions)
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    inputs: list[dict] = field(default_factory=list)  # path, format, rows, sha256 of each input
    people: dict = field(default_factory=dict)         # the people stage's counts (people, merges, matching)
    message: dict | None = None  # the campaign message checked with the list (--message): path, sha256, channel…
    profile: object | None = None   # profile.Profile: the aggregates the HTML report draws (asked for)
    history: list[dict] | None = None  # the list's earlier runs (history.record_and_read), for the trend
    sharing: dict = field(default_factory=dict)  # clean --columns/--pseudonymise: method, key id, columns (never the key)
    #: Set when the rows' statuses and findings were counted, not collected: ``statuses`` is then
    #: empty and ``findings`` holds only the findings on the whole input.
    totals: RowTotals | None = None
    #: With ``totals``, where they are kept: a function streaming the rows' findings (graded,
    #: ``findings``' columns) in row order, part by part (the Spark engine's, from its executors).
    streamed: Callable[[], Iterator[pl.DataFrame]] | None = field(default=None, repr=False, compare=False)
    #: With ``totals``: a function giving, for ``first_findings``, the first rows of each rule code
    #: with their findings (``_row, code, severity, message``: per row and code its first
    #: finding, at most N rows a code), worked out where the rows are (the Spark engine's).
    first_by_code: Callable[[int], pl.DataFrame] | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        # The stream reads from where the run keeps its rows (the driver's Spark session): it does
        # not travel with a Result pickled to the executors.
        return {**self.__dict__, "streamed": None, "first_by_code": None}

    @property
    def rows_in(self) -> int:
        return self.totals.rows if self.totals is not None else self.statuses.height

    @property
    def per_row(self) -> bool:
        """Whether every row's status and findings are here (not only their totals)."""
        return self.totals is None

    def codes_by_row(self) -> pl.DataFrame:
        """_row, codes (sorted, distinct) for every row with a finding."""
        return (self.findings.filter(pl.col("_row").is_not_null()).group_by("_row")
                .agg(pl.col("code").unique().cast(pl.String).sort().alias("codes")).sort("_row"))

    def counts_by_status(self) -> dict[str, int]:
        if self.totals is not None:
            return {status: self.totals.by_status.get(status, 0) for status in STATUSES}
        counts = dict(self.statuses["status"].value_counts().iter_rows())
        return {status: int(counts.get(status, 0)) for status in STATUSES}

    def counts_by_code(self) -> dict[str, dict]:
        from listclean.checks.registry import RULES  # the registry's rules are graded by this module's Severity

        grouped = (self.findings.group_by("code")
                   .agg(pl.col("_row").drop_nulls().n_unique().alias("rows"),
                        pl.col("_row").is_null().sum().alias("file"),
                        pl.col("severity").first().cast(pl.String))
                   .sort("code"))
        counts = {code: (rows, notes, severity)
                  for code, rows, notes, severity in grouped.select("code", "rows", "file", "severity").iter_rows()}
        for code, (rows, severity) in (self.totals.by_code.items() if self.totals is not None else ()):
            counts[code] = (rows, counts.get(code, (0, 0, severity))[1], severity)
        return {code: {"name": RULES[code].name, "severity": severity, "rows": rows, "file_notes": notes}
                for code, (rows, notes, severity) in sorted(counts.items())}

    def people_by_size(self) -> dict[int, int]:
        """People by their number of rows (5: five or more)."""
        if self.totals is not None:
            return dict(self.totals.people_by_size)
        sizes = (self.statuses.group_by("person_id").len()
                 .select(pl.col("len").clip(upper_bound=5).alias("size")).group_by("size").len())
        return dict(sizes.iter_rows())

    def counts_by_source(self) -> dict[str, dict[str, int]]:
        """Rows of each input by status: row conservation holds per input too."""
        if self.totals is not None:  # one input
            return {each["path"]: {"rows": each["rows"], **self.counts_by_status()} for each in self.inputs}
        counts = self.statuses.group_by("_source", "status").len()
        by_source = {}
        for each in self.inputs:
            mine = dict(counts.filter(pl.col("_source").cast(pl.String) == each["path"])
                        .select(pl.col("status").cast(pl.String), "len").iter_rows())
            by_source[each["path"]] = {"rows": each["rows"], **{s: int(mine.get(s, 0)) for s in STATUSES}}
        return by_source

    def equation(self) -> str:
        c = self.counts_by_status()
        return (f"rows_in {self.rows_in} = send {c['send']} + review {c['review']} + "
                f"drop {c['drop']} + duplicate {c['duplicate']}")

    def worst(self) -> Severity | None:
        found = {*self.findings["severity"].cast(pl.String).unique().to_list(),
                 *(severity for _, severity in (self.totals.by_code.values() if self.totals is not None else ()))}
        return max(map(Severity.parse, found), default=None)

    def exit_status(self, fail_on: str) -> ExitStatus:
        worst = self.worst()
        if fail_on == "never" or worst is None:
            return ExitStatus.CLEAN
        return ExitStatus.FINDINGS if worst >= FAIL_ON[fail_on] else ExitStatus.CLEAN

    def finding_parts(self) -> Iterator[pl.DataFrame]:
        """Every finding, in parts, in the order the reports list them (notes on the file first,
        then by row): ``findings`` itself; for a run that kept totals, its notes and then its
        rows' findings as ``streamed`` reads them, one part in memory at a time."""
        if self.per_row:
            yield self.findings
            return
        if self.streamed is None:
            raise RuntimeError("this run counted its rows' findings and did not keep them (Result.totals)")
        yield self.file_notes()
        yield from self.streamed()

    def listed_parts(self, with_source: bool = False) -> Iterator[pl.DataFrame]:
        """``finding_parts`` as the JSON document lists them (``listed_findings``)."""
        for part in self.finding_parts():
            yield listed_findings(part, with_source)

    def first_findings(self, rows: int, by_file: bool = True) -> dict[tuple[str, str], dict]:
        """Per rule code and input (one input: ``source``; ``by_file=False``: every input as
        one): its ``severity``, the ``rows`` it flagged, the first of them (``first_rows``, at
        most ``rows``, in row order), its ``notes`` on the file, and the ``message`` of its first
        finding (by row, notes first, then by message). Read part by part (``finding_parts``),
        or, for a run that kept totals, from its notes and its ``first_by_code`` with the totals'
        row counts: memory and time bounded by the codes, not the rows."""
        several = by_file and len(self.inputs) > 1
        file_of = (pl.col("_source").cast(pl.String).fill_null(self.source) if several
                   else pl.lit(self.source)).alias("file")
        found: dict[tuple[str, str], dict] = {}

        def add(part: pl.DataFrame) -> None:
            flagged = pl.col("_row").drop_nulls()
            grouped = (part.sort("_row", "code", "message", nulls_last=False, maintain_order=True)
                       .with_columns(file_of).group_by("code", "file", maintain_order=True).agg(
                           pl.col("severity").first().cast(pl.String), flagged.n_unique().alias("rows"),
                           flagged.unique(maintain_order=True).head(rows).alias("first_rows"),
                           pl.col("_row").is_null().sum().alias("notes"), pl.col("message").first()))
            for entry in grouped.iter_rows(named=True):
                known = found.setdefault((entry["code"], entry["file"]), entry)
                if known is not entry:  # a later part: later rows
                    known["first_rows"] = (known["first_rows"] + entry["first_rows"])[:rows]
                    known["rows"] += entry["rows"]
                    known["notes"] += entry["notes"]

        if self.first_by_code is None:
            for part in self.finding_parts():
                add(part)
            return found
        add(self.file_notes())
        add(self.first_by_code(rows))
        for (code, _), entry in found.items():  # the rows counted, not only the first ones
            entry["rows"] = self.totals.by_code.get(code, (0,))[0]
        return found

    def file_notes(self) -> pl.DataFrame:
        return self.findings.filter(pl.col("_row").is_null())

    def to_dict(self, include_findings: bool = True) -> dict:
        """The stable JSON document (schema ``listclean.report/1``, see README)."""
        document = {
            "schema": SCHEMA_VERSION,
            "command": self.command,
            "input": {"path": self.source, "format": self.input_format, "rows": self.rows_in,
                      "sha256": self.input_sha256},
            "run": {"channel": self.channel, "as_of": self.as_of.isoformat(),
                    "policy": {"name": self.policy_name, "source": self.policy_source,
                               "sha256": self.policy_sha256},
                    "overrides": self.overrides, "store": self.store},
            "data_versions": self.versions,
            "columns": self.columns,
            "rules_run": self.rules_run,
            "summary": {"rows_in": self.rows_in, "by_status": self.counts_by_status(),
                        "by_code": self.counts_by_code(), "equation": self.equation()},
            "outputs": self.outputs,
        }
        if len(self.inputs) > 1:
            document["inputs"] = self.inputs
            document["summary"]["by_source"] = self.counts_by_source()
        if self.sharing:
            document["sharing"] = self.sharing
        if self.people:
            document["people"] = self.people
        if self.message is not None:
            document["message"] = self.message
        if self.dns is not None:
            document["dns"] = self.dns
        if self.recorded_unsubscribes is not None:
            document["recorded_unsubscribes"] = self.recorded_unsubscribes
        if include_findings:
            document["findings"] = self.findings_frame().to_dicts()
        return document

    def findings_frame(self, with_source: bool = False) -> pl.DataFrame:
        """The findings as the JSON document lists them (``listed_findings``), in one frame."""
        return pl.concat(list(self.listed_parts(with_source)), how="vertical")


def listed_findings(findings: pl.DataFrame, with_source: bool = False) -> pl.DataFrame:
    """Graded findings as the JSON document lists them: row, code, name, severity, column,
    message, suggestion (``source`` first, the input's path, if asked); file notes first, then
    by row and code (then message: ties in a stable order, whatever order the engine found them in)."""
    from listclean.checks.registry import RULES

    names = {code: RULES[code].name for code in findings["code"].unique().to_list()}
    source = [pl.col("_source").cast(pl.String).alias("source")] if with_source else []
    return findings.sort("_row", "code", "_source", "message", nulls_last=False, maintain_order=True).select(
        *source, pl.col("_row").alias("row"), "code",
        pl.col("code").replace_strict(names, return_dtype=pl.String).alias("name"),
        pl.col("severity").cast(pl.String), "column", "message", "suggestion")
