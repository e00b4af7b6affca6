"""What --dns costs a nightly run once the cache is warm: `check --dns` vs `check`, 1M rows.

    python benchmarks/bench_dns_check.py [--rows 1000000]

Generates the export with sample_data/generate.py, starts NSD on loopback serving an MX record
for every distinct email domain in it (one zone per top-level domain, so the real-looking
domains resolve without the internet), runs `listclean check --dns` once to fill a fresh cache
(cold), then times, each in a fresh process, `check` without DNS and `check --dns` with the warm
cache. The goal: the warm `--dns` run costs at most 10% more than the run without it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import polars as pl  # noqa: E402

import dns_server  # noqa: E402
from generated import generate  # noqa: E402
from listclean.dns import ascii_domain  # noqa: E402


def zones_for(domains: list[str]) -> dict[str, str]:
    """One zone per TLD, holding an MX (and the MX host's A record) for each domain."""
    by_tld: dict[str, list[str]] = defaultdict(list)
    for domain in domains:
        by_tld[domain.rsplit(".", 1)[-1]].append(domain)
    zones = {}
    for tld, names in by_tld.items():
        lines = [f"$ORIGIN {tld}.", "$TTL 86400", f"@ IN SOA ns.{tld}. hostmaster.{tld}. 1 3600 600 86400 3600",
                 f"@ IN NS ns.{tld}.", f"ns.{tld}. IN A 127.0.0.1"]
        for name in names:
            lines += [f"{name}. IN MX 10 mx.{name}.", f"mx.{name}. IN A 192.0.2.1"]
        zones[f"{tld}."] = "\n".join(lines) + "\n"
    return zones


def spread_domains(path: Path, count: int) -> None:
    """Move every other well-formed address to one of ``count`` company domains, deterministically."""
    email = pl.col("Email Address")
    well_formed = email.str.contains(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    company = pl.format("empresa{}.es", (pl.int_range(pl.len()) * 2654435761 % count).cast(pl.String))
    moved = pl.when(well_formed & (pl.int_range(pl.len()) % 2 == 0)).then(
        pl.concat_str(email.str.extract(r"^([^@]+)@", 1), pl.lit("@"), company)).otherwise(email)
    pl.read_csv(path, infer_schema=False).with_columns(moved.alias("Email Address")).write_csv(path)


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (the best is kept)")
    parser.add_argument("--domains", type=int, default=30_000,
                        help="spread the well-formed addresses over this many company domains (the "
                             "generator alone uses about 150; real CRM dumps have tens of thousands)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = generate(args.rows, folder, "crm.csv")
        if args.domains:
            spread_domains(path, args.domains)
        emails = pl.scan_csv(path, infer_schema=False).select(
            pl.col("Email Address").str.strip_chars().str.to_lowercase().str.extract(r"@([^@\s]+)$", 1)
        ).unique().collect()["Email Address"].drop_nulls().to_list()
        domains = sorted({d for d in (ascii_domain(e) for e in emails) if d and "." in d})
        server = dns_server.start_nsd(folder / "nsd", zones_for(domains))
        try:
            listclean = [sys.executable, "-m", "listclean", "check", str(path), "--as-of", "2026-11-01", "-q"]
            dns = ["--dns", "--nameserver", server.nameserver, "--cache", str(folder / "dns.sqlite")]
            cold = timed(listclean + dns)
            plain = min(timed(listclean) for _ in range(args.repeat))
            warm = min(timed(listclean + dns) for _ in range(args.repeat))
        finally:
            server.stop()
    print(f"rows {args.rows:,}, distinct domains served {len(domains):,}")
    print(f"check without --dns        {plain:7.2f} s")
    print(f"check --dns, cold cache    {cold:7.2f} s")
    print(f"check --dns, warm cache    {warm:7.2f} s   overhead {100 * (warm - plain) / plain:+.1f}% (goal ≤ +10%)")


if __name__ == "__main__":
    main()
