"""Between exports and the suppression store: import lists, match rows, record unsubscribes.

Own entries are stored under listclean's matching key for emails (case, Gmail dots, +tags and
googlemail.com folded: a stop on any spelling of a mailbox stops them all) and E.164 for phones.
Partner lists arrive already hashed under their own profile and are matched against the
addresses as written (trimmed, lower-cased).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from listclean.columns import ColumnMap, map_columns
from listclean.errors import ListcleanError
from listclean.suppression.hashing import PROFILES
from listclean.load import load
from listclean.normalize.consent import add_consent_columns, date_columns, settle_date_orders
from listclean.normalize.email import add_email_columns, matching_key_expr
from listclean.normalize.phone import add_phone_columns, country_code_expr
from listclean.normalize.values import parse_dates
from listclean.suppression.store import AddResult, SuppressionStore, default_store_path

PHONE_LIKE = r"^\s*(\+|00)?[\d\s().\-]{6,}\s*$"


def store_path(store: Path | None) -> Path:
    """The store named (``--store``), else the user's default one."""
    return store or default_store_path()


def open_existing(store: Path | None, disabled: bool = False) -> SuppressionStore | None:
    """The store to consult: none when ``disabled`` (``--store none``), the one named (created if
    new), else the default one if it exists."""
    path = store_path(store)
    if disabled or (store is None and not path.exists()):
        return None  # a plain check never creates the default store
    return SuppressionStore(path)


def store_summary(store: Path | None, disabled: bool = False) -> dict:
    """Which store a run consults, for every report: its path, entry count and last change."""
    if disabled:
        return {"path": None, "consulted": False, "why": "--store none"}
    opened = open_existing(store)
    if opened is None:
        return {"path": str(store_path(store)), "consulted": False, "why": "no store there yet"}
    with opened:
        stats = opened.stats()
    changed = max((t for t in (stats["last_import"], stats["newest"]) if t is not None), default=None)
    return {"path": stats["path"], "consulted": True, "entries": stats["entries"],
            "last_change": changed.isoformat(timespec="seconds") if changed else None}


# ---------------------------------------------------------------- import

#: Fields whose columns say, row by row, whether a person stopped: a file with any of them is a
#: whole export (everyone, stopped or not), not a list of stops.
STOP_SIGNAL_FIELDS = ("unsubscribed", "email_unsubscribed", "sms_unsubscribed", "whatsapp_unsubscribed",
                      "call_unsubscribed", "unsubscribed_at", "consent", "email_consent", "sms_consent",
                      "whatsapp_consent", "call_consent", "member_status", "bounced", "bounced_at")


@dataclass
class Imported:
    """What an import did: the store's counts, and every value not imported, by why."""

    added: int = 0
    already_present: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        skipped = ", ".join(f"{count:,} {why}" for why, count in self.skipped.items() if count)
        return (f"{self.added:,} added, {self.already_present:,} already present, "
                f"{sum(self.skipped.values()):,} skipped" + (f" ({skipped})" if skipped else ""))


def import_file(store: SuppressionStore, path: str, *, column_map: dict[str, str] | None = None,
                region: str | None = None, encoding: str | None = None, sheet: str | None = None,
                date_format: str | None = None, channel: str | None, reason: str, source: str | None,
                hashed_only: bool, profile: str | None, kind: str | None, all_rows: bool = False) -> Imported:
    """Add an export of unsubscribes, bounces or complaints (or a plain list) to the store.

    ``column_map`` names columns as ``--map`` does (field → column); ``region`` reads national
    numbers (``--default-region``); ``encoding`` and ``sheet`` are for loading the file,
    ``date_format`` for reading the dates in its stop columns (``--date-format``).

    A file with unsubscribe, consent or status columns is a whole export: only its rows that
    say stop (on the entry's channel) are imported, unless ``all_rows``. Every value left out is
    counted by why: not a stop, blank, invalid, or a national number without a region.
    """
    with load(path, encoding=encoding, sheet=sheet) as loaded:
        frame = _with_headerless_values(loaded.frame, loaded.columns)
        source = source or Path(loaded.source).name
        if profile is not None:
            added = _import_hashed(store, frame, loaded.columns, profile, kind, channel, reason, source)
            return Imported(added.added, added.already_present, {"blank": added.skipped})
        cmap = map_columns(loaded.columns, column_map or {}, loaded.source)
        if len(loaded.columns) == 1 and not (cmap.get("email") or cmap.phone):
            frame, cmap = split_values(frame, loaded.columns[0])
        if not (cmap.get("email") or cmap.phone):
            raise ListcleanError("no email or phone column found; name one with --map email=COLUMN",
                                 file=loaded.source)
        only_stops = not all_rows and any(cmap.all(name) for name in STOP_SIGNAL_FIELDS)
        found, skipped = _entries_with_skips(frame, cmap, channel, region, date_format, only_stops)
    added = store.add_many(found, hashed_only=hashed_only, reason=reason, source=source)
    return Imported(added.added, added.already_present, skipped)


def _says_stop(frame: pl.DataFrame, cmap: ColumnMap, channel: str, date_format: str | None) -> pl.Series:
    """Each row's stop on ``channel``, read as check/clean read it (any stop column, an explicit
    no, an unreadable stop cell, a bounce)."""
    orders = settle_date_orders(frame.lazy(), date_columns(cmap, channel), date_format)
    # The run's date plays no part in a stop (it only tells activity dates in the future).
    read = add_consent_columns(frame.select("_row"), frame, cmap, channel, dt.date.today(), orders, date_format)
    return read.select(pl.col("unsubscribed").fill_null(False) | (pl.col("consent") == False).fill_null(False)  # noqa: E712
                       | pl.col("unsub_unrecognised") | pl.col("bounced")).to_series()


def _entries_with_skips(frame: pl.DataFrame, cmap: ColumnMap, channel: str | None, region: str | None,
                        date_format: str | None, only_stops: bool) -> tuple[pl.DataFrame, dict[str, int]]:
    work = _judged(frame, cmap, region)
    kinds = {"email": ("email_status", pl.col("email_key").alias("value")),
             "phone": ("phone_status", pl.col("phone_e164").alias("value"))}
    found, skipped = [], {"not a stop": 0, "blank": 0, "invalid": 0, "national number without a region": 0}
    for kind, (status, value) in kinds.items():
        entry_channel = channel or ("email" if kind == "email" else "sms")
        if only_stops:
            stop = _says_stop(frame, cmap, "email" if entry_channel == "all" else entry_channel, date_format)
            if entry_channel == "all":
                stop = stop | _says_stop(frame, cmap, "sms", date_format)
            work = work.with_columns(stop.alias("_stop"))
        else:
            work = work.with_columns(pl.lit(True).alias("_stop"))
        present = pl.col(status) != "missing"
        skipped["not a stop"] += work.filter(present & ~pl.col("_stop")).height
        considered = work.filter(pl.col("_stop"))
        no_region = (pl.col(status) == "unparseable") & pl.col("phone_reason").str.starts_with("no country")
        if kind == "phone":
            skipped["national number without a region"] += considered.filter(no_region).height
        skipped["invalid"] += considered.filter(present & (pl.col(status) != "ok")
                                                & ~(no_region if kind == "phone" else pl.lit(False))).height
        found.append(considered.filter(pl.col(status) == "ok").select(
            pl.lit(kind).alias("kind"), value, "created_at", pl.lit(entry_channel).alias("channel")))
    skipped["blank"] = work.filter((pl.col("email_status") == "missing") & (pl.col("phone_status") == "missing")).height
    return pl.concat(found, how="vertical"), skipped


def split_values(frame: pl.DataFrame, column: str) -> tuple[pl.DataFrame, ColumnMap]:
    """A plain list mixing addresses and numbers → an email and a phone column."""
    value = pl.col(column)
    frame = frame.with_columns(
        pl.when(value.str.contains(PHONE_LIKE)).then(value).alias("_phone"),
        pl.when(~value.str.contains(PHONE_LIKE)).then(value).alias("_email"))
    return frame, ColumnMap({"email": ["_email"], "phone": ["_phone"]})


def _with_headerless_values(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """A one-column list whose first line is already an address has no header: keep that line."""
    if len(columns) == 1 and ("@" in columns[0] or pl.Series([columns[0]]).str.contains(PHONE_LIKE)[0]):
        first = pl.DataFrame({columns[0]: [columns[0]], "_row": [0]}, schema=frame.schema)
        return pl.concat([first, frame])
    return frame


def entries(frame: pl.DataFrame, cmap: ColumnMap, region: str | None, channel: str | None) -> pl.DataFrame:
    """Store entries for every valid address and number of ``frame``; national numbers are read
    in ``region`` (``--default-region``)."""
    return _entries_with_skips(frame, cmap, channel, region, None, only_stops=False)[0]


def _judged(frame: pl.DataFrame, cmap: ColumnMap, region: str | None) -> pl.DataFrame:
    """The email and phone columns of every row, as check/clean judge them."""
    work = frame.select(
        "_row",
        (pl.col(cmap.get("email")) if cmap.get("email") else pl.lit(None, pl.String)).alias("raw_email"),
        (pl.col(cmap.phone) if cmap.phone else pl.lit(None, pl.String)).alias("raw_phone"),
        country_code_expr(frame, cmap.get("country")).alias("country_code"),
        _created_at(frame, cmap).alias("created_at"),
    )
    work = add_email_columns(work, "raw_email" if cmap.get("email") else None)
    work = add_phone_columns(work, "raw_phone" if cmap.phone else None, "country_code", region)
    return work.with_columns(pl.coalesce("email_key", "email").alias("email_key"))


def _created_at(frame: pl.DataFrame, cmap) -> pl.Expr:
    """When the person opted out, if the export says (UNSUB_TIME, "Fecha de baja"…)."""
    column = cmap.get("unsubscribed_at") or cmap.get("email_unsubscribed") or cmap.get("unsubscribed")
    if column is None:
        return pl.lit(None, pl.Datetime("us"))
    distinct = frame[column].drop_nulls().unique()
    parsed = parse_dates(distinct).cast(pl.Datetime("us"))
    return pl.col(column).replace_strict(distinct, parsed, default=None, return_dtype=pl.Datetime("us"))


def _import_hashed(store, frame, columns, profile: str, kind: str | None, channel: str | None, reason: str,
                   source: str) -> AddResult:
    if profile not in PROFILES:
        raise ListcleanError(f"unknown hash profile {profile!r} (known: {', '.join(sorted(PROFILES))})")
    if kind not in ("email", "phone"):
        raise ListcleanError("--profile needs --kind email or --kind phone")
    hashes = frame[columns[0]].drop_nulls()
    return store.add_hashed(profile, kind, hashes, channel or ("email" if kind == "email" else "sms"),
                            reason, source)


# ---------------------------------------------------------------- record

def record_unsubscribes(store: SuppressionStore, work: pl.DataFrame, channel: str, source: str) -> AddResult:
    """Add the rows the export itself marks as unsubscribed, so a later export that forgot them
    still cannot reach them.

    The store keeps its mode: the store has no mode flag of its own, so a store whose own
    entries are all hashed-only (``suppress import --hashed-only``) is taken to be hashed-only,
    and these rows are added as SHA-256 only, no plaintext. A store with any plaintext entry,
    or none at all yet, gets plaintext as ``suppress import`` would."""
    counts = store.stats()
    hashed_only = counts["hashed_only"] > 0 and counts["plaintext"] == 0
    stopped = work.filter(pl.col("unsubscribed").fill_null(False))
    created = pl.col("unsubscribed_at").cast(pl.Datetime("us"))
    emails = stopped.filter(pl.col("email_status") == "ok").select(
        pl.lit("email").alias("kind"), matching_key_expr().alias("value"), created.alias("created_at"))
    phones = stopped.filter(pl.col("phone_status") == "ok").select(
        pl.lit("phone").alias("kind"), pl.col("phone_e164").alias("value"), created.alias("created_at"))
    return store.add_many(emails if channel == "email" else phones, hashed_only, channel=channel,
                          reason="unsubscribe", source=source)
