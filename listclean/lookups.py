"""Lookups: what the outside world says about each row, added as columns before the rules run.

The only stage besides load and write that does I/O: DNS verdicts for the email domains (with
``--dns``) and matches in the suppression store. Rules then read plain columns:
``email_dns`` / ``email_dns_detail`` (a ``dns.VERDICTS`` name and its detail; null when DNS was
not asked: unknown, never invalid) and ``suppression`` (the store's entry that matched, said in
words; null when none did).

A file is judged in batches; DNS is asked once per distinct domain over the whole run (verdicts
are kept between batches) and the whole run shares one ``--dns-deadline``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import polars as pl

from listclean.dns import DnsOptions, DnsStats, DomainVerdict, check_domains
from listclean.normalize.email import matching_key_expr
from listclean.suppression import SuppressionStore

DNS_SCHEMA = {"email_domain": pl.String, "email_dns": pl.String, "email_dns_detail": pl.String}


@dataclass
class Lookups:
    """The run's lookups: DNS (``dns`` options, or None without --dns) and the store (or None)."""

    channel: str
    dns: DnsOptions | None = None
    store: SuppressionStore | None = None
    progress: Callable[[int, int], None] | None = None
    stats: DnsStats = field(default_factory=DnsStats)
    _verdicts: dict[str, DomainVerdict] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)

    def add_columns(self, work: pl.DataFrame) -> pl.DataFrame:
        """``work`` with the DNS and suppression columns of its rows."""
        if self.dns is not None:
            work = work.join(self._dns_table(work), on="email_domain", how="left", maintain_order="left")
        return work.with_columns(self._suppression(work))

    def dns_report(self) -> dict | None:
        """The run's DNS counters (None without --dns)."""
        if self.dns is None:
            return None
        return {**asdict(self.stats), "domains": len(self._verdicts),
                "unknown": sum(v.verdict == "unknown" for v in self._verdicts.values())}

    def _dns_table(self, work: pl.DataFrame) -> pl.DataFrame:
        domains = work.filter(pl.col("email_status") == "ok")["email_domain"].drop_nulls().unique().to_list()
        new = [d for d in domains if d not in self._verdicts]
        if new:
            remaining = max(self.dns.deadline - (time.monotonic() - self._started), 0.001)
            batch = DnsStats()
            self._verdicts.update(check_domains(new, dataclasses.replace(self.dns, deadline=remaining),
                                                self.progress, stats=batch))
            for name in ("from_cache", "asked", "queries", "timeouts"):
                setattr(self.stats, name, getattr(self.stats, name) + getattr(batch, name))
        return pl.DataFrame({"email_domain": domains, "email_dns": [self._verdicts[d].verdict for d in domains],
                             "email_dns_detail": [self._verdicts[d].detail for d in domains]}, schema=DNS_SCHEMA)

    def _suppression(self, work: pl.DataFrame) -> pl.Series:
        """Each row's match in the store for the channel, in words (oldest entry wins)."""
        if self.store is None:
            return pl.Series("suppression", [None] * work.height, dtype=pl.String)
        keys = pl.when(pl.col("email_status") == "ok").then(matching_key_expr())
        written = pl.when(pl.col("email_status") == "ok").then(pl.col("email").str.strip_chars().str.to_lowercase())
        phones = pl.when(pl.col("phone_status") == "ok").then(pl.col("phone_e164"))
        inputs = work.select(keys.alias("key"), written.alias("written"), phones.alias("phone"))
        hits = pl.concat([
            self.store.match(inputs["key"], inputs["phone"], self.channel),
            self.store.match(inputs["written"], None, self.channel),
        ], how="vertical").sort("_idx", "created_at").unique("_idx", keep="first", maintain_order=True)
        message = pl.format("in the suppression store for {}: {} since {} (source {}, matched by {})",
                            pl.col("channel"), pl.col("reason"), pl.col("created_at").dt.date(), pl.col("source"),
                            pl.col("matched_by"))
        at = hits.select(pl.col("_idx").cast(pl.UInt32), message.alias("suppression"))
        return pl.Series("suppression", [None] * work.height, dtype=pl.String).scatter(at["_idx"], at["suppression"])
