"""MX/A lookups a cron job can trust: distinct domains, concurrent, cached, bounded by timeouts.

``check_domains`` asks the DNS once per distinct domain and returns one ``DomainVerdict`` per
input. Every lookup is bounded (per query, per retry and for the whole batch), so a dead resolver
costs at most the ``deadline``, and whatever could not be settled is ``"unknown"`` — never cached
and never a reason to drop an address: a timeout says nothing about the domain.

Verdicts (the rule codes are built on these names; keep them stable):

- ``mx``              MX records, at least one MX host has an address.
- ``implicit-mx``     no MX, but an A or AAAA record: mail goes there (RFC 5321 §5.1).
- ``null-mx``         the domain says it takes no mail (RFC 7505: ``MX 0 .``).
- ``nxdomain``        the domain does not exist.
- ``no-mail``         the domain exists but has no MX, A or AAAA record.
- ``mx-unresolvable`` MX records, but none of the MX hosts has an address.
- ``unknown``         timeout, SERVFAIL, REFUSED, no reachable nameserver, deadline reached.

Settled verdicts are kept in ``DnsCache`` (SQLite) for as long as the DNS said they hold (the
TTL, clamped), so a nightly run only asks about domains it has not seen lately.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.inet
import dns.message
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
import platformdirs

from listclean import sqlite
from listclean.errors import ListcleanError

VERDICTS = ("mx", "implicit-mx", "null-mx", "nxdomain", "no-mail", "mx-unresolvable", "unknown")
#: Mail can be delivered to the domain (as far as DNS can tell).
DELIVERABLE = frozenset({"mx", "implicit-mx"})
#: DNS says mail to the domain cannot be delivered.
UNDELIVERABLE = frozenset({"null-mx", "nxdomain", "no-mail", "mx-unresolvable"})
UNKNOWN = "unknown"


@dataclass(frozen=True)
class DomainVerdict:
    """What the DNS says about mail to one domain."""

    domain: str  # ASCII (IDNA) domain as asked
    verdict: str  # one of VERDICTS
    detail: str  # short human text: "MX mx1.example.com (10)", "SERVFAIL", ...
    expires_at: float | None  # epoch seconds; None for unknown (never cached)
    from_cache: bool


@dataclass(frozen=True)
class DnsOptions:
    """How to ask. The defaults suit a nightly run over a few hundred thousand addresses."""

    nameservers: tuple[str, ...] = ()  # "IP" or "IP:PORT" ("[::1]:5353"); empty = system config
    timeout: float = 2.0  # per query, enforced here (dnspython can overrun its own lifetime)
    retries: int = 2  # extra tries, on timeout only
    deadline: float = 120.0  # whole batch; whatever is not done then becomes unknown
    concurrency: int = 100  # DNS queries in flight at once
    cache_path: Path | None = None  # None: <user cache dir>/listclean/dns.sqlite
    use_cache: bool = True
    min_ttl: int = 3600  # clamp of the TTL a verdict is cached for (seconds)
    max_ttl: int = 7 * 86400
    negative_ttl: int = 86400  # for negative answers that carry no SOA


@dataclass
class DnsStats:
    """Counters of one check_domains run, for the summary line and the benchmark."""

    domains: int = 0  # distinct domains judged
    from_cache: int = 0
    asked: int = 0  # domains that needed the DNS
    queries: int = 0  # DNS questions sent, each retry counted
    timeouts: int = 0  # questions that got no answer in time
    unknown: int = 0


def default_cache_path() -> Path:
    return Path(platformdirs.user_cache_dir("listclean")) / "dns.sqlite"


def ascii_domain(text: str) -> str | None:
    """The lower-case ASCII (IDNA) form of a domain, or None when it cannot be one.

    >>> ascii_domain("Bücher.Example.")
    'xn--bcher-kva.example'
    """
    cleaned = text.strip().rstrip(".").lower()
    if not cleaned or any(character.isspace() for character in cleaned):
        return None
    try:
        name = dns.name.from_text(cleaned)
    except dns.exception.DNSException:  # empty label, too long, bad IDNA...
        return None
    return name.to_text(omit_final_dot=True).lower()


def check_domains(
    domains: Iterable[str],
    options: DnsOptions,
    progress: Callable[[int, int], None] | None = None,
    now: float | None = None,
    *,
    stats: DnsStats | None = None,
) -> dict[str, DomainVerdict]:
    """Judge every domain; returns {input text: verdict} for each distinct input.

    Inputs that spell one domain differently ("Example.COM", "example.com.") share one lookup
    and one verdict. ``progress(done, total)`` is called as domains complete, ``total`` being the
    number of distinct domains. ``now`` (epoch seconds) stands in for the clock in cache
    decisions, which lets tests move time forward. Call from synchronous code: this runs its own
    event loop.
    """
    started = time.monotonic()
    now = time.time() if now is None else now
    stats = DnsStats() if stats is None else stats
    asked_as = {text: ascii_domain(text) for text in dict.fromkeys(domains)}
    distinct = sorted({name for name in asked_as.values() if name is not None})
    stats.domains = len(distinct)
    report = _ProgressReport(progress, total=len(distinct))
    if not distinct:
        return {text: _not_a_domain(text) for text in asked_as}
    resolver = _make_resolver(options)  # a bad nameserver setting fails here, before any work

    cache = DnsCache(options.cache_path) if options.use_cache else None
    try:
        verdicts = cache.get_many(distinct, now) if cache else {}
        stats.from_cache = len(verdicts)
        report.advance(len(verdicts))
        to_ask = [name for name in distinct if name not in verdicts]
        stats.asked = len(to_ask)
        fresh: dict[str, _Judgement] = {}
        if to_ask and resolver is None:
            fresh = {name: _Judgement(UNKNOWN, "no nameservers configured") for name in to_ask}
            report.advance(len(to_ask))
        elif to_ask and resolver is not None:
            deadline_at = started + options.deadline
            fresh = asyncio.run(_ask_all(to_ask, resolver, options, deadline_at, report, stats))
        settled = {name: _verdict(name, judgement, options, now)
                   for name, judgement in fresh.items()}
        if cache:
            cache.put_many(settled.values(), now=now)
        verdicts.update(settled)
    finally:
        if cache:
            cache.close()
    stats.unknown = sum(verdict.verdict == UNKNOWN for verdict in verdicts.values())
    return {
        text: verdicts[name] if name is not None else _not_a_domain(text)
        for text, name in asked_as.items()
    }


def _not_a_domain(text: str) -> DomainVerdict:
    # Syntax is the email normaliser's job; here it is only "we could not ask".
    return DomainVerdict(text, UNKNOWN, "not a valid domain name", None, False)


class _ProgressReport:
    def __init__(self, progress: Callable[[int, int], None] | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.progress is not None and count:
            self.progress(self.done, self.total)


# --------------------------------------------------------------------------------------------
# Asking
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Outcome:
    """The answer to one DNS question, reduced to what the verdicts need."""

    status: str  # "answer" | "nodata" | "nxdomain" | "failed"
    records: tuple[Any, ...] = ()  # rdata of the answer RRset
    ttl: int | None = None  # answer TTL, or negative TTL from the SOA; None: no SOA given
    detail: str = ""  # why it failed

    @property
    def negative(self) -> bool:
        return self.status in ("nodata", "nxdomain")


@dataclass(frozen=True)
class _Judgement:
    verdict: str
    detail: str
    ttl: int | None = None  # what the DNS said this holds for; None: it said nothing


def _smallest_ttl(*ttls: int | None) -> int | None:
    known = [ttl for ttl in ttls if ttl is not None]
    return min(known) if known else None


def parse_nameserver(text: str) -> dns.nameserver.Do53Nameserver:
    """"IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address → a nameserver on that port."""
    address, port = text.strip(), 53
    if address.startswith("["):
        address, _, rest = address[1:].partition("]")
        if rest:
            port = _port(text, rest.removeprefix(":"))
    elif address.count(":") == 1:
        address, port_text = address.split(":")
        port = _port(text, port_text)
    if not dns.inet.is_address(address):
        raise ListcleanError(f"nameserver {text!r} is not an IP address (or IP:PORT)")
    return dns.nameserver.Do53Nameserver(address, port)


def _port(text: str, port_text: str) -> int:
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ListcleanError(f"nameserver {text!r} has no valid port")
    return int(port_text)


def _make_resolver(options: DnsOptions) -> dns.asyncresolver.Resolver | None:
    """A resolver for the configured nameservers (or the system's); None if there are none."""
    try:
        resolver = dns.asyncresolver.Resolver(configure=not options.nameservers)
    except dns.resolver.NoResolverConfiguration:
        return None
    if options.nameservers:
        resolver.nameservers = [parse_nameserver(text) for text in options.nameservers]
    if not resolver.nameservers:
        return None
    # One try may visit every nameserver: give each its share, so a dead first one does not
    # eat the whole try. The try itself is bounded again by asyncio.timeout in _Asker.ask.
    resolver.timeout = options.timeout / len(resolver.nameservers)
    resolver.lifetime = options.timeout
    resolver.cache = None  # our own cache decides what is remembered
    return resolver


async def _ask_all(domains: Sequence[str], resolver: dns.asyncresolver.Resolver,
                   options: DnsOptions, deadline_at: float, report: _ProgressReport,
                   stats: DnsStats) -> dict[str, _Judgement]:
    """Judge every domain, all at once under the in-flight bound, until the deadline."""
    asker = _Asker(resolver, options, stats)
    judgements: dict[str, _Judgement] = {}

    async def judge_and_report(domain: str) -> None:
        judgements[domain] = await asker.judge(domain)
        report.advance()

    tasks = [asyncio.create_task(judge_and_report(domain)) for domain in domains]
    await asyncio.wait(tasks, timeout=max(0.0, deadline_at - time.monotonic()))
    await _cancel(tasks)
    await _cancel(asker.host_lookups.values())
    for task in tasks:
        if task.done() and not task.cancelled():
            task.result()  # anything but a DNS problem is a bug: let it show
    unfinished = [domain for domain in domains if domain not in judgements]
    for domain in unfinished:
        when = "while asking" if domain in asker.started else "before asked"
        judgements[domain] = _Judgement(UNKNOWN, f"deadline reached {when}")
    report.advance(len(unfinished))  # so a progress bar ends full
    return judgements


async def _cancel(tasks: Iterable[asyncio.Task]) -> None:
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def _verdict(domain: str, judgement: _Judgement, options: DnsOptions, now: float) -> DomainVerdict:
    """Settled verdicts expire after the DNS's TTL (negative_ttl if none), clamped."""
    expires_at = None
    if judgement.verdict != UNKNOWN:
        ttl = options.negative_ttl if judgement.ttl is None else judgement.ttl
        expires_at = now + min(max(ttl, options.min_ttl), options.max_ttl)
    return DomainVerdict(domain, judgement.verdict, judgement.detail, expires_at, False)


class _Asker:
    """Asks the questions of one batch: bounded, retried on timeout, MX hosts shared."""

    def __init__(self, resolver: dns.asyncresolver.Resolver, options: DnsOptions,
                 stats: DnsStats) -> None:
        self.resolver = resolver
        self.options = options
        self.stats = stats
        self.in_flight = asyncio.Semaphore(max(1, options.concurrency))
        # Thousands of domains point at the same few MX hosts: ask about each host once.
        self.host_lookups: dict[dns.name.Name, asyncio.Task[_Outcome]] = {}
        self.started: set[str] = set()  # domains whose first question went out

    async def judge(self, domain: str) -> _Judgement:
        name = dns.name.from_text(domain)
        mx = await self.ask(name, dns.rdatatype.MX, for_domain=domain)
        if mx.status == "failed":
            return _Judgement(UNKNOWN, mx.detail)
        if mx.status == "nxdomain":
            return _Judgement("nxdomain", "NXDOMAIN", mx.ttl)
        if mx.status == "nodata":
            return await self._judge_without_mx(name, mx)
        hosts = _mail_hosts(mx.records)
        if not hosts:
            # RFC 7505: "MX 0 ." is the owner saying no mail. The MX TTL is how long they mean it.
            return _Judgement("null-mx", "null MX (RFC 7505)", mx.ttl)
        return await self._judge_mx_hosts(hosts, mx)

    async def _judge_without_mx(self, name: dns.name.Name, mx: _Outcome) -> _Judgement:
        address = await self.address_of(name)
        if address.status == "answer":
            kind = "A" if address.records[0].rdtype == dns.rdatatype.A else "AAAA"
            return _Judgement("implicit-mx", f"no MX; {kind} {address.records[0]}", address.ttl)
        if address.status == "failed":
            return _Judgement(UNKNOWN, address.detail)
        if address.status == "nxdomain":  # removed between our questions
            return _Judgement("nxdomain", "NXDOMAIN", address.ttl)
        return _Judgement("no-mail", "no MX, A or AAAA record", _smallest_ttl(mx.ttl, address.ttl))

    async def _judge_mx_hosts(self, hosts: list[tuple[int, dns.name.Name]],
                              mx: _Outcome) -> _Judgement:
        addresses = await asyncio.gather(*(self.address_of(host) for _, host in hosts))
        resolving = [(host, outcome) for host, outcome in zip(hosts, addresses, strict=True)
                     if outcome.status == "answer"]
        if resolving:
            (preference, host), outcome = resolving[0]
            detail = f"MX {_text(host)} ({preference})"
            if len(resolving) < len(hosts):
                detail += f", {len(hosts) - len(resolving)} of {len(hosts)} hosts without address"
            return _Judgement("mx", detail, _smallest_ttl(mx.ttl, outcome.ttl))
        for (_, host), outcome in zip(hosts, addresses, strict=True):
            if outcome.status == "failed":
                # We could not tell whether the host has an address: that is no verdict.
                return _Judgement(UNKNOWN, f"MX host {_text(host)}: {outcome.detail}")
        named = ", ".join(f"{_text(host)} ({preference})" for preference, host in hosts[:3])
        more = f" and {len(hosts) - 3} more" if len(hosts) > 3 else ""
        return _Judgement("mx-unresolvable", f"MX hosts without address: {named}{more}",
                          _smallest_ttl(mx.ttl, *(outcome.ttl for outcome in addresses)))

    async def address_of(self, host: dns.name.Name) -> _Outcome:
        """A records, else AAAA records of a host; asked once per batch."""
        lookup = self.host_lookups.get(host)
        if lookup is None:
            lookup = asyncio.create_task(self._ask_address(host))
            self.host_lookups[host] = lookup
        # Shielded: a domain given up on at the deadline must not cancel a lookup others await.
        return await asyncio.shield(lookup)

    async def _ask_address(self, host: dns.name.Name) -> _Outcome:
        ipv4 = await self.ask(host, dns.rdatatype.A)
        if ipv4.status != "nodata":  # an answer, a failure, or a name that does not exist
            return ipv4
        ipv6 = await self.ask(host, dns.rdatatype.AAAA)
        if ipv6.negative:
            return _Outcome(ipv6.status, ttl=_smallest_ttl(ipv4.ttl, ipv6.ttl))
        return ipv6

    async def ask(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType,
                  for_domain: str | None = None) -> _Outcome:
        """One question, each try hard-bounded by the timeout, retried only on timeout."""
        tries = self.options.retries + 1
        for _ in range(tries):
            async with self.in_flight:
                if for_domain is not None:
                    self.started.add(for_domain)
                self.stats.queries += 1
                try:
                    # Our own hard bound: dnspython's lifetime is checked between its steps and
                    # can be overrun. (asyncio.timeout is wait_for without an extra task.)
                    async with asyncio.timeout(self.options.timeout):
                        return await self._resolve(name, rdtype)
                except (TimeoutError, dns.exception.Timeout):
                    self.stats.timeouts += 1
        plural = "try" if tries == 1 else "tries"
        detail = f"timeout after {self.options.timeout:g}s ({tries} {plural})"
        return _Outcome("failed", detail=detail)

    async def _resolve(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> _Outcome:
        try:
            answer = await self.resolver.resolve(
                name, rdtype, raise_on_no_answer=False, search=False,
                lifetime=self.options.timeout,
            )
        except dns.resolver.NXDOMAIN as error:
            ttls = [_negative_ttl(response) for response in error.responses().values()]
            return _Outcome("nxdomain", ttl=_smallest_ttl(*ttls))
        except dns.resolver.NoNameservers as error:
            return _Outcome("failed", detail=_nameserver_errors(error.kwargs.get("errors", [])))
        except dns.exception.Timeout:
            raise
        except dns.exception.DNSException as error:  # YXDOMAIN, chain too long, bad answer...
            return _Outcome("failed", detail=type(error).__name__)
        if answer.rrset is None:
            return _Outcome("nodata", ttl=_negative_ttl(answer.response))
        # minimum_ttl also covers the CNAMEs followed on the way.
        return _Outcome("answer", tuple(answer.rrset), answer.chaining_result.minimum_ttl)


def _mail_hosts(records: Iterable[Any]) -> list[tuple[int, dns.name.Name]]:
    """(preference, host) by preference; the root exchange ("MX 0 .") is no host."""
    hosts = {(record.preference, record.exchange) for record in records
             if record.exchange != dns.name.root}
    return sorted(hosts, key=lambda pair: (pair[0], pair[1].to_text()))


def _negative_ttl(response: dns.message.Message) -> int | None:
    """RFC 2308: a negative answer lives min(SOA TTL, SOA minimum); None when no SOA came."""
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return min(rrset.ttl, rrset[0].minimum)
    return None


def _nameserver_errors(errors: Sequence[tuple]) -> str:
    """"SERVFAIL", "REFUSED", "no nameservers reachable (ConnectionRefusedError)"..."""
    rcodes = []
    problems = []
    for error in errors:
        problem = error[3]
        if isinstance(problem, str):  # dnspython reports a bad rcode as its text
            rcodes.append(problem)
        else:
            problems.append(type(problem).__name__)
    if rcodes:
        return ", ".join(dict.fromkeys(rcodes))
    if problems:
        return f"no nameservers reachable ({', '.join(dict.fromkeys(problems))})"
    return "no nameservers reachable"


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True)


# --------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS domain_verdicts (
    domain     TEXT PRIMARY KEY,
    verdict    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    expires_at REAL NOT NULL,
    checked_at REAL NOT NULL
) WITHOUT ROWID
"""
_UPSERT = """
INSERT INTO domain_verdicts (domain, verdict, detail, expires_at, checked_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (domain) DO UPDATE SET
    verdict = excluded.verdict, detail = excluded.detail,
    expires_at = excluded.expires_at, checked_at = excluded.checked_at
"""
#: Well under SQLite's limit on parameters in one statement.
_CHUNK = 500


class DnsCache:
    """Settled verdicts by domain, in SQLite, safe for several processes at once.

    WAL lets readers go on while one process writes; every write batch is one ``BEGIN
    IMMEDIATE`` transaction (it takes the write lock up front, so two writers queue on the busy
    timeout instead of failing mid-transaction), retried when SQLite still says "locked".
    """

    def __init__(self, path: Path | str | None = None, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self._db = sqlite.connect(self.path, "the DNS cache", busy_timeout=busy_timeout)
        self._db.execute("PRAGMA synchronous = NORMAL")  # durable enough for a cache, and fast
        sqlite.retry(lambda: self._db.execute(_SCHEMA))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> DnsCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_many(self, domains: Iterable[str],
                 now: float | None = None) -> dict[str, DomainVerdict]:
        """The cached verdicts of these domains that have not expired at ``now``."""
        now = time.time() if now is None else now
        found = {}
        for chunk in _chunks(list(dict.fromkeys(domains)), _CHUNK):
            for domain, verdict, detail, expires_at in self._unexpired(chunk, now):
                found[domain] = DomainVerdict(domain, verdict, detail, expires_at, True)
        return found

    def _unexpired(self, domains: list[str], now: float) -> list[tuple]:
        marks = ",".join("?" * len(domains))
        statement = ("SELECT domain, verdict, detail, expires_at FROM domain_verdicts"
                     f" WHERE expires_at > ? AND domain IN ({marks})")
        return sqlite.retry(lambda: self._db.execute(statement, (now, *domains)).fetchall())

    def put_many(self, verdicts: Iterable[DomainVerdict], now: float | None = None) -> int:
        """Store settled verdicts in one transaction (unknown ones skipped); returns the count."""
        checked_at = time.time() if now is None else now
        rows = [(v.domain, v.verdict, v.detail, v.expires_at, checked_at) for v in verdicts
                if v.verdict != UNKNOWN and v.expires_at is not None]
        if rows:
            self._write(_UPSERT, rows)
        return len(rows)

    def clear(self) -> int:
        """Forget everything; returns how many entries there were."""
        return self._write("DELETE FROM domain_verdicts")

    def info(self, now: float | None = None) -> dict[str, Any]:
        """path, entries, expired, by_verdict, size_bytes (database and its WAL)."""
        now = time.time() if now is None else now
        by_verdict = dict(self._db.execute(
            "SELECT verdict, count(*) FROM domain_verdicts GROUP BY verdict ORDER BY verdict"))
        (expired,) = self._db.execute(
            "SELECT count(*) FROM domain_verdicts WHERE expires_at <= ?", (now,)).fetchone()
        files = [self.path, self.path.with_name(self.path.name + "-wal")]
        return {
            "path": str(self.path),
            "entries": sum(by_verdict.values()),
            "expired": expired,
            "by_verdict": by_verdict,
            "size_bytes": sum(file.stat().st_size for file in files if file.exists()),
        }

    def _write(self, statement: str, rows: list[tuple] | None = None) -> int:
        return sqlite.write(self._db, lambda db: (db.executemany(statement, rows) if rows is not None
                                                  else db.execute(statement)).rowcount)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


__all__ = [
    "DELIVERABLE", "UNDELIVERABLE", "UNKNOWN", "VERDICTS", "DnsCache", "DnsOptions", "DnsStats",
    "DomainVerdict", "ascii_domain", "check_domains", "default_cache_path", "parse_nameserver",
]
