"""A hashed, read-only snapshot of a suppression store, small enough to ship to other processes.

The Spark engine matches rows inside its executors, which cannot open the driver's SQLite
file. ``HashedSnapshot.of(store, channel)`` reads the entries that concern a channel (its own
and ``all``) as digests only — no plaintext leaves the store: every entry has its digest
under its profile, and a plaintext entry is marked ``plain`` — plus the import batches'
source and reason. Its ``match`` answers as ``SuppressionStore.match`` does (the same columns,
the same oldest-entry-wins order, the same ``matched_by``), by hashing the distinct input values
with the store's own profiles (``hashing.hash_distinct``) and joining on the digests, as the
store's ``lookup`` strategy does in SQL. The parity tests compare the two on a real store.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from listclean.suppression.hashing import STORE_PROFILE, hash_distinct
from listclean.suppression.store import (
    _MATCH_SCHEMA,
    _RANK_PARTNER,
    _RANK_PLAIN,
    _RANK_SHA256,
    CHANNELS,
)

_ENTRY_SCHEMA = {"kind": pl.String, "profile": pl.String, "hash": pl.String, "plain": pl.Boolean,
                 "channel": pl.String, "created_at": pl.Int64, "import_id": pl.Int64}
_IMPORT_SCHEMA = {"import_id": pl.Int64, "source": pl.String, "reason": pl.String}


@dataclass(frozen=True)
class HashedSnapshot:
    """The entries of some channels as digests (picklable: two polars frames)."""

    entries: pl.DataFrame       # kind, profile, hash, plain, channel, created_at, import_id
    imports: pl.DataFrame       # import_id, source, reason
    channels: tuple[str, ...]   # the entry channels it holds

    @classmethod
    def of(cls, store, channel: str) -> HashedSnapshot:
        """The entries of ``store`` that count for ``channel`` (its own and ``all``)."""
        channels = CHANNELS if channel == "all" else (channel, "all")
        marks = ", ".join("?" * len(channels))
        entries = store._frame(
            f"SELECT kind, profile, hash, value IS NOT NULL, channel, created_at, import_id FROM entries"
            f" WHERE channel IN ({marks})", channels, _ENTRY_SCHEMA)
        imports = store._frame("SELECT id, source, reason FROM imports", (), _IMPORT_SCHEMA)
        return cls(entries, imports, channels)

    def match(self, emails: pl.Series | None, phones: pl.Series | None, channel: str) -> pl.DataFrame:
        """As ``SuppressionStore.match(emails, phones, channel)`` (oldest entry per row)."""
        wanted = CHANNELS if channel == "all" else (channel, "all")
        if not set(wanted) <= set(self.channels):
            raise ValueError(f"this snapshot holds channels {self.channels}, not {wanted}")
        found = []
        for kind, series in (("email", emails), ("phone", phones)):
            if series is None:
                continue
            values = (pl.DataFrame({"v": series.cast(pl.String)}).with_row_index("_idx")
                      .filter(pl.col("v").is_not_null()))
            entries = self.entries.filter((pl.col("kind") == kind) & pl.col("channel").is_in(list(wanted)))
            if values.height == 0 or entries.height == 0:
                continue
            for profile in sorted(entries["profile"].unique().to_list()):
                digests = hash_distinct(values["v"], kind, profile).rename({"value": "v", "hash": "hash"})
                matched = digests.join(entries.filter(pl.col("profile") == profile), on="hash")
                if matched.height == 0:
                    continue
                is_store = profile == STORE_PROFILE
                by = (pl.when(pl.col("plain")).then(pl.lit("plain")).otherwise(pl.lit("sha256")) if is_store
                      else pl.lit(profile))
                rank = (pl.when(pl.col("plain")).then(pl.lit(_RANK_PLAIN)).otherwise(pl.lit(_RANK_SHA256)) if is_store
                        else pl.lit(_RANK_PARTNER))
                found.append(values.join(matched, on="v").select(
                    "_idx", pl.lit(kind).alias("kind"), "channel", "created_at", "import_id",
                    by.alias("matched_by"), rank.cast(pl.Int8).alias("rank")))
        if not found:
            return pl.DataFrame(schema=_MATCH_SCHEMA)
        hits = (pl.concat(found, how="vertical_relaxed").sort("_idx", "created_at", "rank")
                .unique("_idx", keep="first", maintain_order=True))
        return (hits.join(self.imports, on="import_id", how="left", maintain_order="left")
                .with_columns(pl.from_epoch("created_at", "s").dt.replace_time_zone("UTC"))
                .select(list(_MATCH_SCHEMA)).cast(_MATCH_SCHEMA))
