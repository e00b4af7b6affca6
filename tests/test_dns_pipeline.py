"""`check --dns` end to end against a real NSD on loopback: each DNS case → its rule code."""

from __future__ import annotations

import json

import pytest

import dns_server
from dns_server import SilentServer

ORIGIN = "listclean-mail.com."
ZONE = f"""\
$ORIGIN {ORIGIN}
$TTL 3600
@             IN SOA ns hostmaster 1 3600 600 86400 300
@             IN NS ns
ns            IN A 127.0.0.1
mx            IN MX 10 mail.mx
mail.mx       IN A 192.0.2.10
a-only        IN A 192.0.2.20
null-mx       IN MX 0 .
txt-only      IN TXT "v=spf1 -all"
dangling-mx   IN MX 10 nowhere.dangling-mx
"""
ROWS = {  # local part → (domain, expected code or None)
    "ok": ("mx.listclean-mail.com", None),
    "implicit": ("a-only.listclean-mail.com", "EM006"),
    "nullmx": ("null-mx.listclean-mail.com", "EM007"),
    "gone": ("missing.listclean-mail.com", "EM008"),
    "nomail": ("txt-only.listclean-mail.com", "EM009"),
    "dangling": ("dangling-mx.listclean-mail.com", "EM010"),
}
DNS_CODES = {"EM006", "EM007", "EM008", "EM009", "EM010", "EM011"}


@pytest.fixture(scope="module")
def nsd(tmp_path_factory):
    dns_server.require_nsd()
    server = dns_server.start_nsd(tmp_path_factory.mktemp("nsd-pipeline"), {ORIGIN: ZONE})
    yield server
    server.stop()


@pytest.fixture
def contacts(export):
    return export([{"email": f"{local}@{domain}", "email_consent": "yes", "last_activity": "2026-10-01"}
                   for local, (domain, _) in ROWS.items()])


def codes_by_row(report):
    found = {}
    for finding in report["findings"]:
        if finding["code"] in DNS_CODES:
            found.setdefault(finding["row"], set()).add(finding["code"])
    return found


def test_each_dns_case_gets_its_code_and_status(cli, contacts, nsd, tmp_path):
    result = cli("check", contacts, "--dns", "--nameserver", nsd.nameserver, "--cache", tmp_path / "c.sqlite",
                 "--as-of", "2026-11-01", "--format", "json")
    report = json.loads(result.stdout)
    expected = {row: {code} for row, (_, code) in enumerate(ROWS.values(), start=1) if code}
    assert codes_by_row(report) == expected
    assert report["summary"]["by_status"] == {"send": 2, "review": 1, "drop": 3, "duplicate": 0}
    assert report["dns"]["domains"] == 6 and report["dns"]["asked"] == 6
    again = json.loads(cli("check", contacts, "--dns", "--nameserver", nsd.nameserver, "--cache",
                           tmp_path / "c.sqlite", "--as-of", "2026-11-01", "--format", "json").stdout)
    assert again["dns"]["from_cache"] == 6 and again["dns"]["queries"] == 0
    assert again["summary"] == report["summary"]


def test_a_silent_resolver_sends_rows_to_review_never_to_drop(cli, contacts, tmp_path):
    with SilentServer() as silent:
        result = cli("check", contacts, "--dns", "--nameserver", silent.nameserver, "--dns-timeout", "0.2",
                     "--dns-deadline", "5", "--cache", tmp_path / "c.sqlite", "--as-of", "2026-11-01",
                     "--format", "json")
    report = json.loads(result.stdout)
    assert all(codes == {"EM011"} for codes in codes_by_row(report).values())
    assert len(codes_by_row(report)) == len(ROWS)
    assert report["summary"]["by_status"]["review"] == len(ROWS)
    assert report["summary"]["by_status"]["drop"] == 0


def test_without_dns_nothing_is_asked_or_guessed(cli, contacts):
    report = json.loads(cli("check", contacts, "--as-of", "2026-11-01", "--format", "json").stdout)
    assert codes_by_row(report) == {} and "dns" not in report
    assert report["summary"]["by_status"]["send"] == len(ROWS)
