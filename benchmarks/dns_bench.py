"""DNS check throughput: check_domains cold (empty cache) and warm, against a naive baseline.

Starts NSD on 127.0.0.1 (the helpers of tests/dns_server.py) with a generated zone of distinct
domains (MX, A-only, null MX, absent), then, for each round-trip time asked for:
  naive  sequential dns.resolver, MX then A, no cache, over a sample (what a first script does)
  cold   check_domains with a fresh cache: every domain asked
  warm   check_domains again: every domain from the cache, no question sent

On bare loopback the round trip is ~0 and only CPU counts; a real resolver is 1-50 ms away,
which is what concurrency is for. So with --rtt-ms N > 0 the queries go through a small UDP hop
(its own process) that holds each query N ms before passing it to NSD.

Run: python benchmarks/dns_bench.py [--domains 20000] [--concurrency 100] [--rtt-ms 0 20]
Needs nsd (apt-get install -y nsd). Only loopback traffic.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# A script, not an installed package: make the library and the test helpers importable.
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import dns.name  # noqa: E402
import dns.resolver  # noqa: E402
import dns_server  # noqa: E402

from listclean.dns import DnsOptions, DnsStats, check_domains  # noqa: E402

ORIGIN = "bench.test."


class _DelayingHop(asyncio.DatagramProtocol):
    """Passes DNS over UDP to the server after a delay: a resolver some milliseconds away.

    One socket both ways; the DNS message id is rewritten to find the client of each answer.
    """

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream = upstream
        self.delay = delay
        self.clients: dict[int, tuple[tuple[str, int], bytes]] = {}
        self.next_id = 0

    def connection_made(self, transport: asyncio.DatagramTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, address: tuple[str, int]) -> None:
        if len(data) < 12:
            return
        if address == self.upstream:
            client = self.clients.pop(int.from_bytes(data[:2], "big"), None)
            if client is not None:
                self.transport.sendto(client[1] + data[2:], client[0])
            return
        self.next_id = (self.next_id + 1) % 65536
        self.clients[self.next_id] = (address, data[:2])
        query = self.next_id.to_bytes(2, "big") + data[2:]
        asyncio.get_running_loop().call_later(self.delay, self.transport.sendto, query,
                                              self.upstream)


def run_delaying_hop(upstream_port: int, delay: float, ports: multiprocessing.Queue) -> None:
    async def serve() -> None:
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _DelayingHop(("127.0.0.1", upstream_port), delay),
            local_addr=("127.0.0.1", 0))
        ports.put(transport.get_extra_info("sockname")[1])
        await asyncio.Event().wait()  # until terminated

    asyncio.run(serve())


def naive_rate(domains: list[str], port: int) -> float:
    """Domains/second of a plain sequential lookup: MX, then A when there is no MX."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.lifetime = 5.0
    started = time.perf_counter()
    for domain in domains:
        try:
            resolver.resolve(domain, "MX")
        except dns.resolver.NoAnswer:
            with contextlib.suppress(dns.exception.DNSException):
                resolver.resolve(domain, "A")
        except dns.exception.DNSException:
            pass
    return len(domains) / (time.perf_counter() - started)


def timed_run(domains: list[str], options: DnsOptions) -> tuple[dict, DnsStats, float]:
    stats = DnsStats()
    started = time.perf_counter()
    verdicts = check_domains(domains, options, stats=stats)
    return verdicts, stats, time.perf_counter() - started


def mismatches(verdicts: dict, expected: dict[str, str]) -> Counter:
    return Counter((expected[domain], verdict.verdict) for domain, verdict in verdicts.items()
                   if verdict.verdict != expected[domain])


def measure(domains: list[str], expected: dict[str, str], port: int, cache_path: Path,
            args: argparse.Namespace, sample: int) -> Counter:
    """Print the naive, cold and warm rows for one nameserver port; returns wrong verdicts."""
    options = DnsOptions(nameservers=(f"127.0.0.1:{port}",), concurrency=args.concurrency,
                         cache_path=cache_path, deadline=600.0)
    naive = naive_rate(domains[:sample], port)
    cold, cold_stats, cold_seconds = timed_run(domains, options)
    warm, warm_stats, warm_seconds = timed_run(domains, options)
    print(f"{'naive':<6} {sample:>8,} {sample / naive:>8.2f} {naive:>10,.0f}")
    for label, stats, seconds in (("cold", cold_stats, cold_seconds),
                                  ("warm", warm_stats, warm_seconds)):
        print(f"{label:<6} {stats.domains:>8,} {seconds:>8.2f} {stats.domains / seconds:>10,.0f} "
              f"{stats.queries:>8,} {stats.queries / seconds:>10,.0f} {stats.timeouts:>8,} "
              f"{stats.unknown:>8,}")
    return mismatches(cold, expected) + mismatches(warm, expected)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rtt-ms", type=float, nargs="+", default=[0.0, 20.0],
                        help="round-trip times to measure (0: bare loopback)")
    parser.add_argument("--sample", type=int, default=1_000,
                        help="domains for the naive run on bare loopback (a tenth when delayed)")
    args = parser.parse_args()
    if dns_server.nsd_binary() is None:
        print(dns_server.INSTALL_HINT, file=sys.stderr)
        return 2

    zone, expected = dns_server.generated_zone(ORIGIN, args.domains)
    domains = list(expected)
    wrong: Counter = Counter()
    with tempfile.TemporaryDirectory(prefix="listclean-dns-bench-") as workdir:
        started = time.perf_counter()
        server = dns_server.start_nsd(Path(workdir) / "nsd", {ORIGIN: zone})
        print(f"nsd up in {time.perf_counter() - started:.2f}s, zone of {len(domains):,} domains "
              f"({dict(Counter(expected.values()))}), concurrency {args.concurrency}")
        try:
            for rtt in args.rtt_ms:
                print(f"\n-- round trip {rtt:g} ms --")
                print(f"{'run':<6} {'domains':>8} {'seconds':>8} {'domains/s':>10} "
                      f"{'queries':>8} {'queries/s':>10} {'timeouts':>8} {'unknown':>8}")
                cache_path = Path(workdir) / f"dns-{rtt:g}.sqlite"
                if rtt == 0:
                    wrong += measure(domains, expected, server.port, cache_path, args,
                                     args.sample)
                    continue
                context = multiprocessing.get_context("spawn")
                ports = context.Queue()
                hop = context.Process(target=run_delaying_hop,
                                      args=(server.port, rtt / 1000, ports), daemon=True)
                hop.start()
                try:
                    wrong += measure(domains, expected, ports.get(timeout=10), cache_path, args,
                                     max(1, args.sample // 10))
                finally:
                    hop.terminate()
                    hop.join()
        finally:
            server.stop()
    print("\nverdicts: all as the zone says" if not wrong else f"WRONG verdicts: {dict(wrong)}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
