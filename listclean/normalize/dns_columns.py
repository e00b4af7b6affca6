"""DNS verdicts per distinct email domain, joined onto the work frame (only with --dns)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Callable

import polars as pl

from listclean.dns import DnsOptions, DnsStats, check_domains
from listclean.settings import Settings


def dns_options(settings: Settings) -> DnsOptions:
    return DnsOptions(nameservers=tuple(settings.nameservers), timeout=settings.dns_timeout,
                      deadline=settings.dns_deadline, concurrency=settings.dns_concurrency,
                      cache_path=settings.dns_cache)


def add_dns_columns(work: pl.DataFrame, settings: Settings,
                    progress: Callable[[int, int], None] | None = None) -> tuple[pl.DataFrame, dict]:
    """Add ``email_dns`` (a dns.VERDICTS name) and ``email_dns_detail``; return the run's counters.

    Only valid addresses' domains are asked, each once. Without --dns the columns stay null:
    a domain that was not asked is unknown, never invalid.
    """
    domains = work.filter(pl.col("email_status") == "ok")["email_domain"].drop_nulls().unique()
    stats = DnsStats()
    verdicts = check_domains(domains.to_list(), dns_options(settings), progress, stats=stats)
    table = pl.DataFrame(
        {"email_domain": list(verdicts), "email_dns": [v.verdict for v in verdicts.values()],
         "email_dns_detail": [v.detail for v in verdicts.values()]},
        schema={"email_domain": pl.String, "email_dns": pl.String, "email_dns_detail": pl.String},
    )
    work = work.join(table, on="email_domain", how="left", maintain_order="left")
    return work, asdict(stats)
