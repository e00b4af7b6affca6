"""listclean.dns against a real authoritative server (NSD) on 127.0.0.1; no mocks, no internet.

What these tests promise a cron job: every case of the DNS maps to its verdict, a dead or
refusing nameserver gives "unknown" within the time bounds (never an invalid verdict), and the
cache remembers exactly the settled verdicts for as long as the DNS said, even with two writers.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest

import dns_server
from dns_server import CASES, HOST_TTL, MX_TTL, SOA_MINIMUM, LossyForwarder, SilentServer
from listclean.dns import (
    UNDELIVERABLE,
    DnsCache,
    DnsOptions,
    DnsStats,
    DomainVerdict,
    ascii_domain,
    check_domains,
    parse_nameserver,
)
from listclean.errors import ListcleanError

NOW = 1_800_000_000.0  # a fixed "now", so expiry times are exact


@pytest.fixture(scope="session")
def nsd(tmp_path_factory):
    """NSD serving the test zone (and a broken zone, for SERVFAIL) for the whole session."""
    dns_server.require_nsd()
    server = dns_server.start_nsd(
        tmp_path_factory.mktemp("nsd"),
        {dns_server.TEST_ORIGIN: dns_server.cases_zone()},
        broken=(dns_server.BROKEN_ORIGIN,),
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def silent():
    with SilentServer() as server:
        yield server


def options(server, tmp_path: Path, **overrides) -> DnsOptions:
    settings = {"nameservers": (server.nameserver,), "cache_path": tmp_path / "dns.sqlite",
                "timeout": 1.0, "retries": 1, "deadline": 20.0}
    settings.update(overrides)
    return DnsOptions(**settings)


# --- one verdict per DNS case -------------------------------------------------------------

@pytest.fixture(scope="module")
def case_verdicts(nsd, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("cases")
    return check_domains(list(CASES), options(nsd, tmp_path, use_cache=False), now=NOW)


@pytest.mark.parametrize("domain", list(CASES))
def test_each_dns_case_gets_its_verdict(case_verdicts, domain):
    verdict = case_verdicts[domain]
    assert (verdict.domain, verdict.verdict) == (domain, CASES[domain]), verdict.detail
    assert verdict.from_cache is False


def test_details_say_what_was_found(case_verdicts):
    assert case_verdicts["mx.test"].detail == "MX mail.mx.test (10)"
    assert case_verdicts["backup-mx.test"].detail.startswith("MX mail.mx.test (20)")
    assert case_verdicts["a-only.test"].detail == "no MX; A 192.0.2.20"
    assert case_verdicts["aaaa-only.test"].detail == "no MX; AAAA 2001:db8::20"
    assert case_verdicts["missing.test"].detail == "NXDOMAIN"
    assert "nowhere.dangling-mx.test" in case_verdicts["dangling-mx.test"].detail
    assert case_verdicts["lame-mx.test"].detail == "MX host mail.broken.example: SERVFAIL"


def test_spellings_of_one_domain_share_one_lookup(nsd, tmp_path):
    stats = DnsStats()
    inputs = ["BÜCHER.test", "bücher.test", "xn--bcher-kva.test", "MX.Test.", "mx.test"]
    verdicts = check_domains(inputs, options(nsd, tmp_path, use_cache=False), stats=stats)
    assert list(verdicts) == inputs  # keyed by what the caller passed
    assert {verdicts[text].domain for text in inputs} == {"xn--bcher-kva.test", "mx.test"}
    assert {verdicts[text].verdict for text in inputs} == {"mx"}
    assert stats.domains == stats.asked == 2
    assert stats.queries == 3  # two MX questions, one shared MX host


def test_servfail_and_refused_are_unknown(nsd, tmp_path):
    verdicts = check_domains(["www.broken.example", dns_server.REFUSED_DOMAIN],
                             options(nsd, tmp_path), now=NOW)
    assert verdicts["www.broken.example"].detail == "SERVFAIL"
    assert verdicts[dns_server.REFUSED_DOMAIN].detail == "REFUSED"
    assert {v.verdict for v in verdicts.values()} == {"unknown"}
    assert {v.expires_at for v in verdicts.values()} == {None}
    with DnsCache(tmp_path / "dns.sqlite") as cache:
        assert cache.info()["entries"] == 0


def test_text_that_is_no_domain_is_unknown_without_asking(silent, tmp_path):
    stats = DnsStats()
    verdicts = check_domains(["", "two words.test", "a..b"], options(silent, tmp_path),
                             stats=stats)
    assert {v.verdict for v in verdicts.values()} == {"unknown"}
    assert stats.queries == 0


# --- time bounds: a dead nameserver costs bounded time and settles nothing ------------------

def test_silent_nameserver_gives_unknown_within_the_retry_budget(silent, tmp_path):
    stats = DnsStats()
    settings = options(silent, tmp_path, timeout=0.3, retries=2)
    started = time.monotonic()
    verdicts = check_domains(["mx.test", "missing.test"], settings, stats=stats)
    elapsed = time.monotonic() - started
    assert elapsed < 0.3 * 3 + 0.5
    for verdict in verdicts.values():
        assert verdict.verdict == "unknown"
        assert verdict.detail == "timeout after 0.3s (3 tries)"
    assert stats.queries == stats.timeouts == 6  # retried on timeout, and only that often
    with DnsCache(tmp_path / "dns.sqlite") as cache:
        assert cache.info()["entries"] == 0  # unknown is never cached


def test_deadline_bounds_the_whole_batch(silent, tmp_path):
    domains = [f"d{index}.test" for index in range(500)]
    settings = options(silent, tmp_path, timeout=1.0, retries=5, deadline=1.0, concurrency=25)
    calls = []
    started = time.monotonic()
    verdicts = check_domains(domains, settings, progress=lambda *call: calls.append(call))
    assert time.monotonic() - started < 1.0 + 1.0
    assert {v.verdict for v in verdicts.values()} == {"unknown"}
    details = {v.detail for v in verdicts.values()}
    assert details == {"deadline reached while asking", "deadline reached before asked"}
    assert calls[-1] == (500, 500)  # the progress bar still ends full


def test_mx_host_that_times_out_makes_the_domain_unknown_not_unresolvable(nsd, tmp_path):
    def lose_mail_host_addresses(name: str, rdtype: str) -> bool:
        return name == "mail.mx.test" and rdtype in ("A", "AAAA")

    with LossyForwarder(nsd.port, lose_mail_host_addresses) as lossy:
        settings = options(lossy, tmp_path, timeout=0.3, retries=1)
        verdicts = check_domains(["mx.test", "backup-mx.test", "dangling-mx.test"], settings)
    assert verdicts["mx.test"].verdict == "unknown"
    assert verdicts["mx.test"].detail == "MX host mail.mx.test: timeout after 0.3s (2 tries)"
    # one host does not exist, the other could not be asked: that is no proof of anything
    assert verdicts["backup-mx.test"].verdict == "unknown"
    assert verdicts["dangling-mx.test"].verdict == "mx-unresolvable"


# --- cache: TTLs, what is kept, and that a second run asks nothing -------------------------

def test_expiry_follows_the_ttls_the_dns_gave(case_verdicts):
    assert case_verdicts["mx.test"].expires_at == NOW + min(MX_TTL, HOST_TTL)
    assert case_verdicts["a-only.test"].expires_at == NOW + HOST_TTL
    assert case_verdicts["null-mx.test"].expires_at == NOW + MX_TTL
    # negative answers: RFC 2308, min(SOA TTL, SOA minimum)
    assert case_verdicts["missing.test"].expires_at == NOW + SOA_MINIMUM
    assert case_verdicts["txt-only.test"].expires_at == NOW + SOA_MINIMUM
    assert case_verdicts["lame-mx.test"].expires_at is None


def test_ttls_are_clamped(nsd, tmp_path):
    settings = options(nsd, tmp_path, use_cache=False, min_ttl=6000, max_ttl=9000)
    verdicts = check_domains(["mx.test", "missing.test"], settings, now=NOW)
    assert verdicts["mx.test"].expires_at == NOW + 9000  # 10800 clamped down
    assert verdicts["missing.test"].expires_at == NOW + 6000  # 5400 clamped up


def test_second_run_is_answered_from_the_cache_without_asking(nsd, silent, tmp_path):
    first = check_domains(list(CASES), options(nsd, tmp_path), now=NOW)
    settled = [domain for domain, verdict in first.items() if verdict.verdict != "unknown"]
    assert len(settled) == len(CASES) - 1  # lame-mx.test is unknown
    stats = DnsStats()
    # The dead nameserver proves it: any question would time out and come back unknown.
    second = check_domains(settled, options(silent, tmp_path), now=NOW + 60, stats=stats)
    assert (stats.from_cache, stats.asked, stats.queries) == (len(settled), 0, 0)
    for domain in settled:
        assert second[domain].from_cache is True
        assert (second[domain].verdict, second[domain].detail, second[domain].expires_at) == (
            first[domain].verdict, first[domain].detail, first[domain].expires_at)
    # ...while the unknown one was not remembered: asking it again meets the dead server.
    again = check_domains(["lame-mx.test"], options(silent, tmp_path, timeout=0.2, retries=0),
                          now=NOW + 60)
    assert again["lame-mx.test"].detail == "timeout after 0.2s (1 try)"


def test_expired_entries_are_asked_again(nsd, tmp_path):
    settings = options(nsd, tmp_path)
    check_domains(["mx.test", "missing.test"], settings, now=NOW)
    stats = DnsStats()
    later = check_domains(["mx.test", "missing.test"], settings, now=NOW + SOA_MINIMUM + 1,
                          stats=stats)
    assert later["mx.test"].from_cache is True  # lives 10800 s
    assert later["missing.test"].from_cache is False  # lived 5400 s
    assert later["missing.test"].expires_at == NOW + SOA_MINIMUM + 1 + SOA_MINIMUM
    assert stats.asked == 1


def test_negative_verdicts_are_cached(nsd, tmp_path):
    negative = [domain for domain, verdict in CASES.items() if verdict in UNDELIVERABLE]
    check_domains(negative, options(nsd, tmp_path), now=NOW)
    with DnsCache(tmp_path / "dns.sqlite") as cache:
        cached = cache.get_many(negative, now=NOW)
    assert {domain: verdict.verdict for domain, verdict in cached.items()} == {
        domain: CASES[domain] for domain in negative}


def test_progress_reports_every_domain(nsd, tmp_path):
    calls = []
    check_domains(["mx.test"], options(nsd, tmp_path), now=NOW)
    check_domains(list(CASES), options(nsd, tmp_path),
                  progress=lambda done, total: calls.append((done, total)), now=NOW)
    assert calls[0] == (1, len(CASES))  # the cached one, at once
    assert calls[-1] == (len(CASES), len(CASES))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_cache_info_and_clear(tmp_path):
    verdicts = [DomainVerdict("a.test", "mx", "MX m.test (10)", NOW + 10, False),
                DomainVerdict("b.test", "nxdomain", "NXDOMAIN", NOW + 1000, False),
                DomainVerdict("c.test", "unknown", "SERVFAIL", None, False)]
    with DnsCache(tmp_path / "dns.sqlite") as cache:
        assert cache.put_many(verdicts, now=NOW) == 2
        info = cache.info(now=NOW + 100)
        assert info["path"] == str(tmp_path / "dns.sqlite")
        assert (info["entries"], info["expired"]) == (2, 1)
        assert info["by_verdict"] == {"mx": 1, "nxdomain": 1}
        assert info["size_bytes"] > 0
        assert set(cache.get_many(["a.test", "b.test", "c.test"], now=NOW + 100)) == {"b.test"}
        assert cache.clear() == 2
        assert cache.info()["entries"] == 0
        with sqlite3.connect(tmp_path / "dns.sqlite") as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "dns.sqlite")
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    writers = [context.Process(target=dns_server.write_verdicts,
                               args=(path, prefix, 5000, 100, start)) for prefix in ("p", "q")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
        assert writer.exitcode == 0
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("SELECT count(*) FROM domain_verdicts").fetchone() == (10_000,)


def test_a_file_that_is_no_database_is_a_user_error(tmp_path):
    path = tmp_path / "dns.sqlite"
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(ListcleanError, match="the DNS cache is not a readable SQLite database"):
        DnsCache(path)


# --- small parts ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1", ("127.0.0.1", 53)),
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("[::1]:5353", ("::1", 5353)),
    ("::1", ("::1", 53)),
])
def test_nameserver_forms(text, expected):
    nameserver = parse_nameserver(text)
    assert (nameserver.address, nameserver.port) == expected


@pytest.mark.parametrize("text", ["dns.example", "127.0.0.1:", "127.0.0.1:99999", "[::1]:x"])
def test_bad_nameservers_are_user_errors(text):
    with pytest.raises(ListcleanError):
        parse_nameserver(text)


def test_a_bad_nameserver_setting_fails_before_any_work(tmp_path):
    settings = DnsOptions(nameservers=("dns.example",), cache_path=tmp_path / "dns.sqlite")
    with pytest.raises(ListcleanError, match="dns.example"):
        check_domains(["mx.test"], settings)
    assert not (tmp_path / "dns.sqlite").exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("Example.COM.", "example.com"),
    ("  bücher.example ", "xn--bcher-kva.example"),
    ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
    ("", None),
    ("a..b", None),
    ("x" * 64 + ".example", None),
])
def test_ascii_domain(text, expected):
    assert ascii_domain(text) == expected
