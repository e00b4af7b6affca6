"""The suppression store, on real SQLite files in tmp_path. Expected hashes are computed in the
test with hashlib on literal strings, never with listclean.hashing."""

from __future__ import annotations

import hashlib
import multiprocessing
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from listclean.errors import ListcleanError
from listclean.suppression import (
    AddResult,
    SuppressionEntry,
    SuppressionError,
    SuppressionStore,
    default_store_path,
)

UTC = timezone.utc


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


@pytest.fixture
def store(tmp_path: Path):
    with SuppressionStore(tmp_path / "suppression.sqlite") as s:
        yield s


def entry(value: str, channel: str = "email", reason: str = "unsubscribe", **kw):
    kind = "phone" if value.startswith("+") else "email"
    return SuppressionEntry(kind, value, channel, reason, **kw)


# -- adding ----------------------------------------------------------------------------------------


def test_adding_the_same_entries_twice_changes_nothing(store):
    entries = [entry("ana@example.com"), entry("+34612345678", "sms"), entry("bob@example.com")]
    assert store.add_many(entries) == AddResult(added=3, already_present=0)
    before = store.export()
    assert store.add_many(entries) == AddResult(added=0, already_present=3)
    assert store.export().drop("imported_at").equals(before.drop("imported_at"))
    assert len(store) == 3
    assert store.stats()["imports"] == 1  # the second, empty import left no batch behind


def test_importing_the_same_frame_twice_is_idempotent(store):
    frame = pl.DataFrame(
        {
            "email": ["ana@example.com", "bob@example.com", None, "ana@example.com"],
            "phone": [None, "+34612345678", "+34699000111", None],
        }
    )
    first = store.add_many(frame, channel="all", reason="unsubscribe", source="shop.csv")
    assert first == AddResult(added=4, already_present=1)  # ana twice in the same file
    second = store.add_many(frame, channel="all", reason="unsubscribe", source="shop.csv")
    assert second == AddResult(added=0, already_present=5)
    assert len(store) == 4


def test_the_same_value_on_another_channel_is_another_entry(store):
    store.add_many([entry("+34612345678", "sms"), entry("+34612345678", "call")])
    assert sorted(store.export()["channel"]) == ["call", "sms"]


def test_the_first_record_is_kept_as_the_evidence(store):
    store.add(entry("ana@example.com", created_at=date(2021, 3, 4), source="first.csv"))
    store.add(entry("ana@example.com", reason="complaint", source="second.csv"))
    (row,) = store.export().iter_rows(named=True)
    assert (row["reason"], row["source"]) == ("unsubscribe", "first.csv")
    assert row["created_at"] == datetime(2021, 3, 4, tzinfo=UTC)


def test_blank_values_are_skipped(store):
    frame = pl.DataFrame({"kind": ["email", "email", "phone"], "value": ["a@x.com", "  ", None]})
    result = store.add_many(frame, channel="email", reason="manual", source="cli")
    assert result == AddResult(added=1, already_present=0, skipped=2)


def test_created_at_comes_from_the_file_else_now(store):
    frame = pl.DataFrame(
        {
            "email": ["old@x.com", "new@x.com"],
            "created_at": [date(2020, 1, 31), None],
        }
    )
    before = datetime.now(UTC).replace(microsecond=0)
    store.add_many(frame, channel="email", reason="unsubscribe", source="mailchimp.csv")
    got = dict(store.export().select("value", "created_at").iter_rows())
    assert got["old@x.com"] == datetime(2020, 1, 31, tzinfo=UTC)
    assert before <= got["new@x.com"] <= datetime.now(UTC)


def test_created_at_accepts_iso_strings_and_aware_datetimes(store):
    frame = pl.DataFrame(
        {"email": ["a@x.com", "b@x.com"], "created_at": ["2022-06-01T10:00:00+02:00", None]}
    )
    store.add_many(frame, channel="email", reason="unsubscribe", source="f.csv")
    store.add(entry("c@x.com", created_at=datetime(2022, 6, 1, 10, tzinfo=UTC)))
    got = dict(store.export().select("value", "created_at").iter_rows())
    assert got["a@x.com"] == datetime(2022, 6, 1, 8, tzinfo=UTC)
    assert got["c@x.com"] == datetime(2022, 6, 1, 10, tzinfo=UTC)
    with pytest.raises(SuppressionError, match="created_at"):
        store.add_many(
            pl.DataFrame({"email": ["d@x.com"], "created_at": ["last tuesday"]}),
            channel="email",
            reason="manual",
            source="cli",
        )


@pytest.mark.parametrize(
    ("field", "bad"), [("channel", "fax"), ("reason", "bored"), ("kind", "postal")]
)
def test_unknown_channel_reason_or_kind_is_refused(store, field, bad):
    values = {"kind": "email", "value": "a@x.com", "channel": "email", "reason": "manual"}
    values[field] = bad
    with pytest.raises(SuppressionError, match=bad):
        store.add_many(pl.DataFrame({k: [v] for k, v in values.items()}), source="cli")
    assert len(store) == 0


def test_a_frame_needs_a_channel_reason_and_source(store):
    with pytest.raises(SuppressionError, match="channel"):
        store.add_many(pl.DataFrame({"email": ["a@x.com"]}), reason="manual", source="cli")


# -- hashed only -----------------------------------------------------------------------------------


def test_hashed_only_stores_no_plaintext_anywhere(tmp_path):
    path = tmp_path / "suppression.sqlite"
    secrets = ["zebra.quokka.4711@canary-domain.example", "+34699123456"]
    with SuppressionStore(path) as store:
        frame = pl.DataFrame({"kind": ["email", "phone"], "value": secrets})
        assert store.add_many(frame, hashed_only=True, channel="all", reason="complaint",
                              source="crm").added == 2
        exported = store.export()
        assert exported["value"].null_count() == 2
        assert sorted(exported["value_sha256"]) == sorted(sha256(s) for s in secrets)
        stats = store.stats()
        assert (stats["hashed_only"], stats["plaintext"]) == (2, 0)
        # ... and it still matches, by SHA-256
        hits = store.match(pl.Series([secrets[0]]), pl.Series([secrets[1]]), "sms")
        assert hits["matched_by"].to_list() == ["sha256"]
        # the database files, WAL included, while the store is open
        blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
        assert sha256(secrets[0]).encode() in blob
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in secrets:
        assert secret.encode() not in blob
        assert secret.encode("utf-16-le") not in blob
    assert b"canary-domain" not in blob and b"zebra" not in blob


def test_drop_plaintext_removes_it_from_the_files_and_keeps_matching(tmp_path):
    secret = "walrus.narwhal.1234@canary-domain.example"
    with SuppressionStore(tmp_path / "s.sqlite") as store:
        store.add_many([entry(secret), entry("+34612345678", "sms")])
        assert store.drop_plaintext(channel="email") == 1
        assert store.stats()["plaintext"] == 1  # the sms entry keeps its plaintext
        blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
        assert secret.encode() not in blob
        assert b"+34612345678" in blob
        hits = store.match(pl.Series([secret]), None, "email")
        assert hits["matched_by"].to_list() == ["sha256"]


# -- partner hashed lists --------------------------------------------------------------------------


def test_add_hashed_validates_and_normalises_digests(store):
    digests = [md5("ana@example.com").upper(), "  " + md5("bob@example.com") + " ", ""]
    result = store.add_hashed("md5-lower", "email", digests, "email", "legal-list", "partner.csv")
    assert result == AddResult(added=2, already_present=0, skipped=1)
    expected = sorted([md5("ana@example.com"), md5("bob@example.com")])
    assert sorted(store.export()["hash"]) == expected
    with pytest.raises(SuppressionError, match="sha256-lower"):
        store.add_hashed("sha256-lower", "email", [md5("x@y.com")], "email", "manual", "p")
    with pytest.raises(SuppressionError, match="not"):
        store.add_hashed("md5-lower", "email", ["z" * 32], "email", "manual", "p")
    with pytest.raises(ListcleanError, match="unknown hash profile"):
        store.add_hashed("sha1", "email", ["0" * 40], "email", "manual", "p")


def test_robinson_phone_hashes_follow_the_channel(store):
    call_hash = sha256("04" + "0034612345678")  # Adigital: '04' = calls
    sms_hash = sha256("03" + "0034699000111")  # '03' = SMS
    store.add_hashed("robinson", "phone", [call_hash], "call", "legal-list", "robinson")
    store.add_hashed("robinson", "phone", [sms_hash], "sms", "legal-list", "robinson")
    assert dict(store.export().select("channel", "profile").iter_rows()) == {
        "call": "robinson-call",
        "sms": "robinson",
    }
    with pytest.raises(SuppressionError, match="one channel"):
        store.add_hashed("robinson", "phone", [sms_hash], "all", "legal-list", "robinson")


def test_add_hashed_keeps_the_given_date(store):
    store.add_hashed(
        "sha256-lower", "email", [sha256("a@x.com")], "all", "legal-list", "p",
        created_at=date(2019, 5, 6),
    )
    assert store.export()["created_at"].to_list() == [datetime(2019, 5, 6, tzinfo=UTC)]


# -- matching --------------------------------------------------------------------------------------

STRATEGIES = ["load", "lookup", "auto"]


@pytest.fixture
def filled(store):
    store.add_many(
        [
            entry("plain@example.com", created_at=date(2020, 1, 1)),
            entry("+34600000001", "sms", created_at=date(2020, 1, 2)),
            entry("everywhere@example.com", "all", "complaint", created_at=date(2020, 1, 3)),
        ]
    )
    store.add(entry("hidden@example.com", "email", "hard-bounce"), hashed_only=True)
    store.add_hashed("md5-lower", "email", [md5("md5@example.com")], "email", "legal-list", "xchg")
    store.add_hashed(
        "sha256-lower", "phone", [sha256("+34600000002")], "all", "unsubscribe", "google"
    )
    store.add_hashed(
        "sha256-gmail-nodots", "email", [sha256("anagarcia@gmail.com")], "email", "manual", "g"
    )
    store.add_hashed(
        "robinson", "email", [sha256("02" + "robinson@example.es")], "email", "legal-list", "LR"
    )
    store.add_hashed(
        "robinson", "phone", [sha256("03" + "0034600000003")], "sms", "legal-list", "LR"
    )
    return store


EMAILS = [
    "nobody@example.com",  # 0
    "plain@example.com",  # 1 plain
    None,  # 2
    "hidden@example.com",  # 3 sha256 (hashed only)
    "md5@example.com",  # 4 md5-lower
    "a.na.garcia@googlemail.com",  # 5 sha256-gmail-nodots
    "robinson@example.es",  # 6 robinson
    "everywhere@example.com",  # 7 channel all
    None,  # 8
    None,  # 9
    "plain@example.com",  # 10 duplicate input value
]
PHONES = [
    None,
    None,
    "+34600000001",  # 2 sms plain
    None,
    None,
    None,
    None,
    None,
    "+34600000002",  # 8 sha256-lower, channel all
    "+34600000003",  # 9 robinson sms
    None,
]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_match_email_channel(filled, strategy):
    hits = filled.match(pl.Series(EMAILS), pl.Series(PHONES), "email", strategy=strategy)
    assert list(hits.columns) == [
        "_idx", "kind", "channel", "reason", "source", "created_at", "matched_by"
    ]
    got = {row["_idx"]: (row["matched_by"], row["channel"]) for row in hits.iter_rows(named=True)}
    assert got == {
        1: ("plain", "email"),
        3: ("sha256", "email"),
        4: ("md5-lower", "email"),
        5: ("sha256-gmail-nodots", "email"),
        6: ("robinson", "email"),
        7: ("plain", "all"),
        8: ("sha256-lower", "all"),
        10: ("plain", "email"),
    }
    row = hits.filter(pl.col("_idx") == 7).row(0, named=True)
    assert (row["kind"], row["reason"], row["source"]) == ("email", "complaint", "cli")
    assert row["created_at"] == datetime(2020, 1, 3, tzinfo=UTC)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_match_sms_channel(filled, strategy):
    hits = filled.match(pl.Series(EMAILS), pl.Series(PHONES), "sms", strategy=strategy)
    got = dict(hits.select("_idx", "matched_by").iter_rows())
    assert got == {2: "plain", 7: "plain", 8: "sha256-lower", 9: "robinson"}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_channel_all_entries_match_every_channel(filled, strategy):
    for channel in ("email", "sms", "whatsapp", "call", "all"):
        hits = filled.match(
            pl.Series(["everywhere@example.com"]), pl.Series(["+34600000002"]), channel,
            strategy=strategy,
        )
        assert hits["channel"].to_list() == ["all"], channel
    # a call-channel query sees neither the sms nor the email entries
    call = filled.match(pl.Series(EMAILS), pl.Series(PHONES), "call", strategy=strategy)
    assert set(call["_idx"]) == {7, 8}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_match_channel_all_asks_about_every_channel(filled, strategy):
    hits = filled.match(pl.Series(EMAILS), pl.Series(PHONES), "all", strategy=strategy)
    assert set(hits["_idx"]) == {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_oldest_matching_entry_wins_unless_all_are_asked_for(store, strategy):
    store.add(entry("ana@example.com", "all", "complaint", created_at=date(2022, 1, 1)))
    store.add(entry("ana@example.com", "email", "unsubscribe", created_at=date(2021, 1, 1)))
    store.add(entry("+34611111111", "email", "manual", created_at=date(2023, 1, 1)))
    emails, phones = pl.Series(["ana@example.com"]), pl.Series(["+34611111111"])
    (row,) = store.match(emails, phones, "email", strategy=strategy).iter_rows(named=True)
    assert (row["channel"], row["reason"], row["kind"]) == ("email", "unsubscribe", "email")
    every = store.match(emails, phones, "email", all_matches=True, strategy=strategy)
    assert every.select("kind", "channel").rows() == [
        ("email", "email"), ("email", "all"), ("phone", "email")
    ]


def test_robinson_call_list_matches_calls_not_sms(store):
    store.add_hashed(
        "robinson", "phone", [sha256("04" + "0034612345678")], "call", "legal-list", "LR"
    )
    phones = pl.Series(["+34612345678", "612345678"])  # E.164 and national form
    assert store.match(None, phones, "call")["_idx"].to_list() == [0, 1]
    assert store.match(None, phones, "sms").height == 0


def test_match_handles_missing_columns_and_empty_stores(store):
    empty = store.match(pl.Series(["a@x.com"]), None, "email")
    assert empty.height == 0 and "_idx" in empty.columns
    store.add(entry("a@x.com"))
    assert store.match(pl.Series(["a@x.com"]), None, "email")["_idx"].to_list() == [0]
    assert store.match(None, None, "email").height == 0
    assert store.match(pl.Series([None, None], dtype=pl.String), None, "email").height == 0
    with pytest.raises(ValueError, match="same length"):
        store.match(pl.Series(["a@x.com"]), pl.Series([None, None], dtype=pl.String), "email")
    with pytest.raises(SuppressionError):
        store.match(pl.Series(["a@x.com"]), None, "fax")


def test_match_a_larger_input_the_same_way_with_both_strategies(store):
    emails = [f"user{i}@example.com" for i in range(3_000)]
    store.add_many(pl.DataFrame({"email": emails[::3]}), channel="email", reason="manual",
                   source="a")
    store.add_many(pl.DataFrame({"email": emails[1::3]}), hashed_only=True, channel="all",
                   reason="manual", source="b")
    store.add_hashed("md5-lower", "email", [md5(e) for e in emails[2::9]], "email", "manual", "c")
    series = pl.Series(emails + [None] * 10 + emails[:50])
    load = store.match(series, None, "email", strategy="load")
    lookup = store.match(series, None, "email", strategy="lookup")
    assert load.equals(lookup)
    # emails[:50] again: 17 plain, 17 hashed only, 6 md5 (indices 2, 11, 20, 29, 38, 47)
    assert load.height == 1_000 + 1_000 + 334 + 40
    assert load["matched_by"].value_counts().sort("matched_by").rows() == [
        ("md5-lower", 340), ("plain", 1_017), ("sha256", 1_017)
    ]


# -- export, stats ---------------------------------------------------------------------------------


def test_export_round_trips_into_another_store(filled, tmp_path):
    exported = filled.export()
    assert exported.columns == [
        "channel", "kind", "value", "value_sha256", "profile", "hash", "reason", "source",
        "created_at", "imported_at",
    ]
    with SuppressionStore(tmp_path / "copy.sqlite") as copy:
        result = copy.add_many(exported)
        assert result == AddResult(added=exported.height, already_present=0)
        assert copy.export().drop("imported_at").equals(exported.drop("imported_at"))
        assert copy.add_many(exported).added == 0


def test_export_without_plaintext_still_matches_after_reimport(filled, tmp_path):
    hashed = filled.export(include_plaintext=False)
    assert hashed["value"].null_count() == hashed.height
    with SuppressionStore(tmp_path / "hashed.sqlite") as copy:
        copy.add_many(hashed)
        assert copy.stats()["plaintext"] == 0
        hits = copy.match(pl.Series(EMAILS), pl.Series(PHONES), "email")
        assert set(hits["_idx"]) == {1, 3, 4, 5, 6, 7, 8, 10}
        assert set(hits.filter(pl.col("_idx") == 1)["matched_by"]) == {"sha256"}


def test_export_of_one_channel(filled):
    sms = filled.export(channel="sms")
    assert set(sms["channel"]) == {"sms"}
    assert sms.height == 2
    row = sms.filter(pl.col("profile") == "store").row(0, named=True)
    assert row["value"] == "+34600000001"
    assert row["value_sha256"] == row["hash"] == sha256("+34600000001")


def test_stats(filled):
    stats = filled.stats()
    assert stats["entries"] == 9
    assert stats["by_channel"] == {"all": 2, "email": 5, "sms": 2}
    assert stats["by_kind"] == {"email": 6, "phone": 3}
    assert stats["by_reason"] == {
        "complaint": 1, "hard-bounce": 1, "legal-list": 3, "manual": 1, "unsubscribe": 3
    }
    assert stats["by_profile"] == {
        "md5-lower": 1, "robinson": 2, "sha256-gmail-nodots": 1, "sha256-lower": 1, "store": 4
    }
    assert (stats["plaintext"], stats["hashed_only"], stats["partner"]) == (3, 1, 5)
    assert stats["oldest"] == datetime(2020, 1, 1, tzinfo=UTC)
    assert stats["newest"] >= stats["oldest"]
    assert stats["last_import"] is not None
    assert stats["path"].endswith("suppression.sqlite")
    assert stats["size_bytes"] > 0


def test_stats_of_an_empty_store(store):
    stats = store.stats()
    assert stats["entries"] == 0 and stats["by_channel"] == {}
    assert stats["oldest"] is None and stats["last_import"] is None


def test_reopening_keeps_everything(tmp_path):
    path = tmp_path / "deep" / "folder" / "s.sqlite"
    with SuppressionStore(path) as store:
        store.add(entry("a@x.com"))
    assert (path.stat().st_mode & 0o777) == 0o600
    with SuppressionStore(path) as store:
        assert len(store) == 1
        assert store.integrity_check() == ["ok"]


def test_default_store_path():
    path = default_store_path()
    assert path.name == "suppression.sqlite"
    assert "listclean" in path.parent.as_posix()


# -- two processes at once -------------------------------------------------------------------------


def _import_range(path: str, start: int, stop: int, barrier, results) -> None:
    # runs in a child process (spawned): opens its own store, waits for the other one, imports
    store = SuppressionStore(path, chunk_size=1_000)
    frame = pl.DataFrame({"email": [f"person{i}@example.com" for i in range(start, stop)]})
    barrier.wait(timeout=60)
    result = store.add_many(frame, channel="email", reason="unsubscribe", source=f"p{start}")
    store.close()
    results.put((result.added, result.already_present))


def test_two_processes_importing_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    # 2 x 20,000 distinct entries, 5,000 of them in both
    procs = [
        ctx.Process(target=_import_range, args=(path, start, start + 20_000, barrier, results))
        for start in (0, 15_000)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(added for added, _ in outcomes) == 35_000
    assert sum(present for _, present in outcomes) == 5_000
    with SuppressionStore(path) as store:
        assert len(store) == 35_000
        assert store.integrity_check() == ["ok"]
        assert store.export()["value"].n_unique() == 35_000
