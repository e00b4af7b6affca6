"""Between exports and the suppression store: import lists, match rows, record unsubscribes.

Own entries are stored under listclean's matching key for emails (case, Gmail dots, +tags and
googlemail.com folded: a stop on any spelling of a mailbox stops them all) and E.164 for phones.
Partner lists arrive already hashed under their own profile and are matched against the
addresses as written (trimmed, lower-cased).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from listclean.columns import ColumnMap, map_columns
from listclean.errors import ListcleanError
from listclean.hashing import PROFILES
from listclean.load import load
from listclean.normalize.email import add_email_columns, matching_key_expr
from listclean.normalize.phone import add_phone_columns, country_code_expr
from listclean.normalize.values import parse_dates
from listclean.settings import Settings
from listclean.suppression import AddResult, SuppressionStore, default_store_path

PHONE_LIKE = r"^\s*(\+|00)?[\d\s().\-]{6,}\s*$"


def store_path(settings: Settings) -> Path:
    return settings.store or default_store_path()


def open_existing(settings: Settings) -> SuppressionStore | None:
    """The store to consult: none with ``--store none``, the one named (created if new), else the
    default one if it exists."""
    path = store_path(settings)
    if settings.store_disabled or (settings.store is None and not path.exists()):
        return None  # a plain check never creates the default store
    return SuppressionStore(path)


def store_summary(settings: Settings) -> dict:
    """Which store a run consults, for every report: its path, entry count and last change."""
    if settings.store_disabled:
        return {"path": None, "consulted": False, "why": "--store none"}
    store = open_existing(settings)
    if store is None:
        return {"path": str(store_path(settings)), "consulted": False, "why": "no store there yet"}
    with store:
        stats = store.stats()
    changed = max((t for t in (stats["last_import"], stats["newest"]) if t is not None), default=None)
    return {"path": stats["path"], "consulted": True, "entries": stats["entries"],
            "last_change": changed.isoformat(timespec="seconds") if changed else None}


# ---------------------------------------------------------------- import

def import_file(store: SuppressionStore, path: str, settings: Settings, *, channel: str | None,
                reason: str, source: str | None, hashed_only: bool, profile: str | None,
                kind: str | None) -> AddResult:
    """Add an export of unsubscribes, bounces or complaints (or a plain list) to the store."""
    with load(path, encoding=settings.encoding, sheet=settings.sheet) as loaded:
        frame = _with_headerless_values(loaded.frame, loaded.columns)
        source = source or Path(loaded.source).name
        if profile is not None:
            return _import_hashed(store, frame, loaded.columns, profile, kind, channel, reason, source)
        cmap = map_columns(loaded.columns, settings.column_map, loaded.source)
        if len(loaded.columns) == 1 and not (cmap.get("email") or cmap.phone):
            frame, cmap = split_values(frame, loaded.columns[0])
        if not (cmap.get("email") or cmap.phone):
            raise ListcleanError("no email or phone column found; name one with --map email=COLUMN",
                                 file=loaded.source)
        found = entries(frame, cmap, settings, channel)
    return store.add_many(found, hashed_only=hashed_only, reason=reason, source=source)


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


def entries(frame: pl.DataFrame, cmap, settings: Settings, channel: str | None) -> pl.DataFrame:
    work = frame.select(
        "_row",
        (pl.col(cmap.get("email")) if cmap.get("email") else pl.lit(None, pl.String)).alias("raw_email"),
        (pl.col(cmap.phone) if cmap.phone else pl.lit(None, pl.String)).alias("raw_phone"),
        country_code_expr(frame, cmap.get("country")).alias("country_code"),
        _created_at(frame, cmap).alias("created_at"),
    )
    work = add_email_columns(work, "raw_email" if cmap.get("email") else None)
    work = add_phone_columns(work, "raw_phone" if cmap.phone else None, "country_code", settings.default_region)
    emails = work.filter(pl.col("email_status") == "ok").select(
        pl.lit("email").alias("kind"), pl.col("email_key").alias("value"), "created_at",
        pl.lit(channel or "email").alias("channel"))
    phones = work.filter(pl.col("phone_status") == "ok").select(
        pl.lit("phone").alias("kind"), pl.col("phone_e164").alias("value"), "created_at",
        pl.lit(channel or "sms").alias("channel"))
    return pl.concat([emails, phones], how="vertical")


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


# ---------------------------------------------------------------- match

def match_rows(store: SuppressionStore, work: pl.DataFrame, channel: str) -> pl.DataFrame:
    """_row, message for every row the store suppresses for ``channel`` (oldest entry wins)."""
    keys = pl.when(pl.col("email_status") == "ok").then(matching_key_expr())
    written = pl.when(pl.col("email_status") == "ok").then(pl.col("email").str.strip_chars().str.to_lowercase())
    phones = pl.when(pl.col("phone_status") == "ok").then(pl.col("phone_e164"))
    inputs = work.select(keys.alias("key"), written.alias("written"), phones.alias("phone"))
    hits = pl.concat([
        store.match(inputs["key"], inputs["phone"], channel),
        store.match(inputs["written"], None, channel),
    ], how="vertical").sort("_idx", "created_at").unique("_idx", keep="first", maintain_order=True)
    message = pl.format("in the suppression store for {}: {} since {} (source {}, matched by {})",
                        pl.col("channel"), pl.col("reason"), pl.col("created_at").dt.date(), pl.col("source"),
                        pl.col("matched_by"))
    return hits.with_columns(_row=work["_row"].gather(hits["_idx"])).select(
        "_row", pl.col("kind").alias("field"), message.alias("message"))


# ---------------------------------------------------------------- record

def record_unsubscribes(store: SuppressionStore, work: pl.DataFrame, channel: str, source: str) -> AddResult:
    """Add the rows the export itself marks as unsubscribed, so a later export that forgot them
    still cannot reach them."""
    stopped = work.filter(pl.col("unsubscribed").fill_null(False))
    created = pl.col("unsubscribed_at").cast(pl.Datetime("us"))
    emails = stopped.filter(pl.col("email_status") == "ok").select(
        pl.lit("email").alias("kind"), matching_key_expr().alias("value"), created.alias("created_at"))
    phones = stopped.filter(pl.col("phone_status") == "ok").select(
        pl.lit("phone").alias("kind"), pl.col("phone_e164").alias("value"), created.alias("created_at"))
    return store.add_many(emails if channel == "email" else phones, channel=channel, reason="unsubscribe",
                          source=source)
