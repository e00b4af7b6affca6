"""The suppression store from the command line and inside check/clean (a real SQLite file)."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_rows
from listclean.normalize.email import matching_key
from listclean.pipeline import clean
from listclean.settings import build_settings
from listclean.suppression import SuppressionStore


def codes_of(report, code):
    return {f["row"]: f["message"] for f in report["findings"] if f["code"] == code}


def test_import_is_idempotent_and_check_consults_the_store(cli, tmp_path):
    store = tmp_path / "store.sqlite"
    unsubscribes = tmp_path / "unsubscribed.csv"
    unsubscribes.write_text("Email Address,UNSUB_TIME,UNSUB_REASON\nAna.Lopez@gmail.com,2025-03-01 10:00:00,no\n")
    first = cli("suppress", "import", unsubscribes, "--store", store)
    again = cli("suppress", "import", unsubscribes, "--store", store)
    assert "1 added" in first.stdout and "0 added, 1 already present" in again.stdout
    export = write_rows(tmp_path / "list.csv", [
        {"email": "analopez+news@googlemail.com", "email_consent": "yes", "last_activity": "2026-10-01"},
        {"email": "bob@gmail.com", "email_consent": "yes", "last_activity": "2026-10-01"},
    ])
    report = json.loads(cli("check", export, "--store", store, "--as-of", "2026-11-01", "--format", "json").stdout)
    suppressed = codes_of(report, "CN010")
    assert list(suppressed) == [1]
    assert "unsubscribe since 2025-03-01" in suppressed[1] and "unsubscribed.csv" in suppressed[1]
    assert report["summary"]["by_status"] == {"send": 1, "review": 0, "drop": 1, "duplicate": 0}


def test_a_stop_on_a_duplicate_reaches_the_survivor(cli, tmp_path):
    store = tmp_path / "store.sqlite"
    cli("suppress", "add", "ana@acme.es", "--channel", "email", "--reason", "complaint", "--store", store)
    export = write_rows(tmp_path / "list.csv", [
        {"email": "ANA@acme.es", "email_consent": "yes", "last_activity": "2020-01-01"},
        {"email": "ana@ACME.ES ", "email_consent": "yes", "last_activity": "2026-10-01"},
    ])
    out = tmp_path / "send.csv"
    result = cli("clean", export, "-o", out, "--store", store, "--as-of", "2026-11-01", "--format", "json")
    report = json.loads(result.stdout)
    assert report["summary"]["by_status"] == {"send": 0, "review": 0, "drop": 1, "duplicate": 1}
    assert out.read_text().count("\n") == 1  # the header only


def test_hashed_only_keeps_no_plaintext_and_still_matches(cli, tmp_path):
    store = tmp_path / "store.sqlite"
    listing = tmp_path / "bounces.txt"
    listing.write_text("secret.person@example.org\n+34 699 111 222\n")
    result = cli("suppress", "import", listing, "--store", store, "--hashed-only", "--reason", "hard-bounce",
                 "--channel", "all")
    assert "2 added" in result.stdout
    for path in store.parent.glob("store.sqlite*"):
        data = path.read_bytes()
        assert b"secret.person" not in data and b"34699111222" not in data
    export = write_rows(tmp_path / "list.csv", [{"email": "Secret.Person@example.org", "phone": "+34699111222"}])
    report = json.loads(cli("check", export, "--store", store, "--format", "json").stdout)
    assert "matched by sha256" in codes_of(report, "CN010")[1]


def test_partner_lists_match_under_their_profile(cli, tmp_path):
    store = tmp_path / "store.sqlite"
    md5 = tmp_path / "partner_md5.csv"
    md5.write_text("hash\n" + hashlib.md5(b"maria.garcia@gmail.com").hexdigest() + "\n")
    assert "1 added" in cli("suppress", "import", md5, "--profile", "md5-lower", "--kind", "email",
                             "--store", store).stdout
    robinson = tmp_path / "robinson_sms.csv"
    # Adigital's client: SHA-256 of the channel id ("03" = SMS) and the number with 0034.
    robinson.write_text("hash\n" + hashlib.sha256(b"030034612345678").hexdigest() + "\n")
    assert "1 added" in cli("suppress", "import", robinson, "--profile", "robinson", "--kind", "phone",
                            "--channel", "sms", "--reason", "legal-list", "--store", store).stdout
    export = write_rows(tmp_path / "list.csv", [
        {"email": " Maria.Garcia@Gmail.com", "phone": "+34 612 345 678", "sms_consent": "yes"},
        {"email": "other@gmail.com", "phone": "+34 612 345 679", "sms_consent": "yes"}])
    email_report = json.loads(cli("check", export, "--store", store, "--format", "json").stdout)
    assert list(codes_of(email_report, "CN010")) == [1] and "md5-lower" in codes_of(email_report, "CN010")[1]
    sms_report = json.loads(cli("check", export, "--store", store, "--channel", "sms", "--format", "json").stdout)
    assert list(codes_of(sms_report, "CN010")) == [1] and "robinson" in codes_of(sms_report, "CN010")[1]


def test_record_unsubscribes_remembers_a_stop_the_next_export_forgets(cli, tmp_path):
    store = tmp_path / "store.sqlite"
    monday = write_rows(tmp_path / "monday.csv", [{"email": "ana@gmail.com", "unsubscribed": "2026-10-30"},
                                                  {"email": "bob@gmail.com"}])
    cli("clean", monday, "-o", tmp_path / "send1.csv", "--store", store, "--record-unsubscribes")
    tuesday = write_rows(tmp_path / "tuesday.csv", [{"email": "ana@gmail.com"}, {"email": "bob@gmail.com"}])
    report = json.loads(cli("clean", tuesday, "-o", tmp_path / "send2.csv", "--store", store,
                            "--format", "json").stdout)
    assert list(codes_of(report, "CN010")) == [1]
    assert "2026-10-30" in codes_of(report, "CN010")[1]
    exported = tmp_path / "entries.csv"
    cli("suppress", "export", "-o", exported, "--store", store)
    rows = list(csv.DictReader(exported.open()))
    assert [(r["value"], r["reason"], r["source"]) for r in rows] == [("ana@gmail.com", "unsubscribe", "monday.csv")]


def test_two_imports_at_once_lose_nothing(tmp_path):
    store = tmp_path / "store.sqlite"
    files = []
    for part in range(2):
        path = tmp_path / f"part{part}.csv"
        path.write_text("email\n" + "".join(f"person{part}_{i}@gmail.com\n" for i in range(3000)))
        files.append(path)
    processes = [subprocess.Popen([sys.executable, "-m", "listclean", "suppress", "import", str(f),
                                   "--store", str(store)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for f in files]
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read()
    with SuppressionStore(store) as opened:
        assert len(opened) == 6000 and opened.integrity_check() == ["ok"]


EMAILS = st.sampled_from(["ana@gmail.com", "a.na@gmail.com", "ANA+x@googlemail.com", "bob@acme.es",
                          "BOB@acme.es", "carla@hotmail.es", "dan@yahoo.es"])
ANSWERS = st.sampled_from(["", "yes", "no", "2026-01-01", "opted-out", "sí", "maybe"])


@given(rows=st.lists(st.fixed_dictionaries({"email": EMAILS, "email_consent": ANSWERS, "unsubscribed": ANSWERS,
                                             "last_activity": st.sampled_from(["", "2026-10-01", "2020-01-01"])}),
                     min_size=1, max_size=12),
       suppressed=st.lists(EMAILS, max_size=3), policy=st.sampled_from(["default", "gdpr", "can-spam"]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_stopped_person_ever_reaches_the_send_file(tmp_path_factory, rows, suppressed, policy):
    folder = tmp_path_factory.mktemp("property")
    store = folder / "store.sqlite"
    keys = [matching_key(e.lower(), e.lower().split("@")[1]) for e in suppressed]
    with SuppressionStore(store) as opened:
        opened.add_many(pl.DataFrame({"kind": ["email"] * len(keys), "value": keys}, schema={"kind": pl.String,
                                                                                         "value": pl.String}),
                        channel="email", reason="manual", source="test")
    export = write_rows(folder / "list.csv", rows)
    out = folder / "send.csv"
    result = clean(export, build_settings(cwd=folder, policy=policy, store=store, as_of="2026-11-01"), out)
    sent = list(csv.DictReader(out.open(encoding="utf-8")))
    stopped_people = set()
    for row in rows:
        key = matching_key(row["email"].lower(), row["email"].lower().split("@")[1])
        said_stop = row["unsubscribed"] in ("yes", "2026-01-01", "opted-out", "sí") or row["email_consent"] in (
            "no", "opted-out")
        no_consent = policy == "gdpr" and row["email_consent"] not in ("2026-01-01",)
        if said_stop or no_consent or key in keys:
            stopped_people.add(key)
    for row in sent:
        key = matching_key(row["email_normalized"].lower(), row["email_normalized"].lower().split("@")[1])
        assert key not in stopped_people, (row, rows, suppressed)
    assert len(sent) + sum(result.counts_by_status()[s] for s in ("review", "drop", "duplicate")) == len(rows)


def test_a_store_that_is_no_database_is_one_line_and_exit_2(cli, tmp_path):
    store = tmp_path / "store.sqlite"
    store.write_bytes(b"this is not a database" * 50)
    export = write_rows(tmp_path / "list.csv", [{"email": "ana@gmail.com"}])
    for args in (("suppress", "stats", "--store", store), ("check", export, "--store", store)):
        result = cli(*args)
        assert result.exit_code == 2, result.output
        assert "the suppression store is not a readable SQLite database" in result.output
        assert "Traceback" not in result.output
