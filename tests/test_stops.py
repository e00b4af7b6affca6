"""Nobody who said stop is ever sent: stops read from every column and spelling, carried to every
copy and every linked row, never cancelled by a blank, and traced to their source.

Each test is a user's file; wherever a send file is written, it is read back and checked for the
stopped people.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from listclean.checks.registry import RULES
from listclean.columns import map_columns
from listclean.pipeline import check, clean
from listclean.settings import build_settings
from conftest import HEADER, countries_in_turn, write_rows

AS_OF = "2026-11-01"
WITH_SOURCE = HEADER + ["Consent Source"]
STOPS = [code for code, rule in RULES.items() if rule.carried == "person"]


def write_exact(path: Path, rows: list[dict], header: list[str]) -> Path:
    """Rows keyed by the header names exactly as given (no canonical-field translation)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(path: Path, tmp_path: Path, **options):
    return check(path, build_settings(cwd=tmp_path, as_of=AS_OF, **options))


def statuses(result) -> list[str]:
    return result.statuses.sort("_row")["status"].cast(str).to_list()


def codes_of(result, row: int) -> set[str]:
    return set(result.findings.filter(pl.col("_row") == row)["code"].to_list())


def sent_emails(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row.get("email") or row.get("Email") for row in csv.DictReader(handle)]


# ------------------------------------------------------------ 1. listclean's own column names

def test_an_input_status_column_never_decides_the_outcome(tmp_path, cli):
    path = write_exact(tmp_path / "in.csv", [
        {"email": "ana@gmail.com", "unsubscribed": "yes", "status": "send"},
        {"email": "bob@gmail.com", "unsubscribed": "no", "status": "drop"},
    ], header=["email", "unsubscribed", "status"])
    out, rejects, audit = tmp_path / "send.csv", tmp_path / "rejects.csv", tmp_path / "audit.jsonl"
    result = cli("clean", path, "-o", out, "--rejects", rejects, "--audit", audit, "--as-of", AS_OF)
    assert result.exit_code == 1, result.output
    assert sent_emails(out) == ["bob@gmail.com"]
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(line["row"], line["status"]) for line in lines] == [(1, "drop"), (2, "send")]
    with rejects.open(newline="") as handle:
        rejected = list(csv.DictReader(handle))
    # The input's status column comes back as it was; listclean's own is renamed, never merged.
    assert [(r["status"], r["listclean_status"]) for r in rejected] == [("send", "drop")]


def test_recleaning_listclean_own_rejects_file_works(tmp_path, cli):
    path = write_exact(tmp_path / "in.csv", [
        {"email": "ana@gmail.com", "unsubscribed": "yes"},
        {"email": "ANA@gmail.com", "unsubscribed": ""},
        {"email": "not an address", "unsubscribed": ""},
    ], header=["email", "unsubscribed"])
    first = cli("clean", path, "-o", tmp_path / "s1.csv", "--rejects", tmp_path / "r1.csv", "--as-of", AS_OF)
    assert first.exit_code == 1, first.output
    again = cli("clean", tmp_path / "r1.csv", "-o", tmp_path / "s2.csv", "--rejects", tmp_path / "r2.csv",
                "--as-of", AS_OF)
    assert again.exit_code == 1, again.output
    assert sent_emails(tmp_path / "s2.csv") == []
    header = (tmp_path / "r2.csv").read_text().splitlines()[0].split(",")
    assert header[:9] == ["email", "unsubscribed", "email_normalized", "phone_e164", "row", "status", "codes",
                          "reasons", "duplicate_of"]
    assert header[9:] == ["listclean_email_normalized", "listclean_phone_e164", "listclean_row",
                          "listclean_status", "listclean_codes", "listclean_reasons", "listclean_duplicate_of"]


def test_an_input_phone_e164_column_is_guarded_like_any_other(tmp_path, cli):
    path = write_exact(tmp_path / "in.csv", [{"email": "ana@gmail.com", "phone_e164": "=HYPERLINK(\"x\",\"y\")"}],
                       header=["email", "phone_e164"])
    result = cli("clean", path, "-o", tmp_path / "send.csv", "--as-of", AS_OF, "--fail-on", "never")
    assert result.exit_code == 0, result.output
    with (tmp_path / "send.csv").open(newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["phone_e164"].startswith("'=")


# ------------------------------------------------------------ 2-4. every stop column, any header

@pytest.mark.parametrize("header,value", [
    ("Opt Out", "yes"), ("Do Not Contact", "TRUE"), ("Baja", "Sí"), ("Unsubscribed from all email", "true"),
    ("Consent Withdrawn", "yes"), ("Consent Revoked", "Y"), ("Consentimiento retirado", "sí"), ("Do Not Mail", "1"),
    ("Do Not Email", "x"), ("Spam Complaint", "yes"), ("Blacklisted", "true"), ("No enviar", "sí"),
    ("Status", "unsubscribed"), ("Member Status", "Unsubscribed"), ("Estado", "baja"),
])
def test_any_stop_column_stops_even_when_the_first_says_no(tmp_path, header, value):
    rows = [{"Email": "ana@gmail.com", "Unsubscribed": "no", header: value},
            {"Email": "bob@gmail.com", "Unsubscribed": "no", header: ""}]
    result = run(write_exact(tmp_path / "in.csv", rows, ["Email", "Unsubscribed", header]), tmp_path)
    assert statuses(result) == ["drop", "send"]
    assert codes_of(result, 1) & {"CN001", "CN002"}


@pytest.mark.parametrize("header,value", [("Bounced", "yes"), ("Hard Bounce", "TRUE"), ("Rebotado", "sí"),
                                          ("Status", "cleaned"), ("Cleaned", "x")])
def test_bounced_and_cleaned_addresses_are_dropped_with_their_own_code(tmp_path, header, value):
    rows = [{"Email": "ana@gmail.com", header: value}, {"Email": "bob@gmail.com", header: ""}]
    result = run(write_exact(tmp_path / "in.csv", rows, ["Email", header]), tmp_path)
    assert statuses(result) == ["drop", "send"]
    assert "EM012" in codes_of(result, 1)


def test_a_consent_column_and_a_withdrawal_column_together(tmp_path):
    rows = [{"Email": "ana@gmail.com", "Email Consent": "yes", "Consent Withdrawn": "yes"},
            {"Email": "bob@gmail.com", "Email Consent": "yes", "Consent Withdrawn": "no"}]
    result = run(write_exact(tmp_path / "in.csv", rows, ["Email", "Email Consent", "Consent Withdrawn"]), tmp_path,
                 policy="gdpr", consent_evidence="web forms archive")
    assert statuses(result) == ["drop", "send"]


def test_listclean_columns_shows_every_stop_column(tmp_path, cli):
    path = write_exact(tmp_path / "in.csv", [{"Email": "a@gmail.com"}],
                       ["Email", "Unsubscribed", "Opt Out", "Do Not Contact", "Unsubscribe Reason"])
    document = json.loads(cli("columns", path, "--format", "json").stdout)
    assert document["fields"]["unsubscribed"] == ["Unsubscribed", "Opt Out", "Do Not Contact"]
    assert document["unread_stop_columns"] == ["Unsubscribe Reason"]
    text = cli("columns", path).stdout
    assert "Unsubscribe Reason" in text and "not read" in text


def test_stop_columns_in_an_excel_export(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Correo electrónico", "Teléfono", "Baja", "No contactar", "Fecha de baja"])
    sheet.append(["ana@gmail.com", "+34612345678", False, True, None])
    sheet.append(["bob@gmail.com", "+34612345679", None, None, "Mon, 05 Jan 2024 10:00:00 +0000"])
    sheet.append(["cara@gmail.com", "+34612345670", "✓", None, None])
    sheet.append(["dan@gmail.com", "+34612345671", False, False, None])
    book.save(tmp_path / "tienda.xlsx")
    result = run(tmp_path / "tienda.xlsx", tmp_path)
    assert statuses(result) == ["drop", "drop", "drop", "send"]


# ------------------------------------------------------------ 5. stop values, however written

@pytest.mark.parametrize("value", ["✓", "✔", "☑", "x", "X", "да", "是", "はい", "unsubscribed 2024-01-05",
                                   "20240105", "Mon, 05 Jan 2024 10:00:00 +0000", "Baja 05/01/2024", "TRUE"])
def test_stop_values_in_any_spelling_stop(tmp_path, value):
    rows = [{"Email": "ana@gmail.com", "Unsubscribed": value}, {"Email": "bob@gmail.com", "Unsubscribed": ""}]
    result = run(write_exact(tmp_path / "in.csv", rows, ["Email", "Unsubscribed"]), tmp_path)
    assert statuses(result) == ["drop", "send"]


@pytest.mark.parametrize("policy", ["default", "gdpr", "can-spam", "tcpa", "casl", "lssi-es", "pecr-uk"])
def test_an_unreadable_stop_is_a_stop_under_every_policy(tmp_path, policy):
    rows = [{"Email": "ana@gmail.com", "Unsubscribed": "ask Ana", "Unsubscribed At": ""},
            {"Email": "bob@gmail.com", "Unsubscribed": "", "Unsubscribed At": "sometime last year"}]
    result = run(write_exact(tmp_path / "in.csv", rows, ["Email", "Unsubscribed", "Unsubscribed At"]), tmp_path,
                 policy=policy)
    assert statuses(result) == ["drop", "drop"]
    for row in (1, 2):
        assert "CN005" in codes_of(result, row)
    assert result.counts_by_code()["CN005"]["severity"] == "error"


# ------------------------------------------------------------ 6. stops on badly written copies

@pytest.mark.parametrize("spelling", ["Ana <ana@correo.es>", "ana@correo.es.", "ana＠correo.es",
                                      "mailto:ANA@correo.es;", '"Ana" <ana@correo.es>'])
def test_a_stop_on_a_badly_written_copy_reaches_the_good_copy(tmp_path, spelling):
    path = write_rows(tmp_path / "in.csv", [
        {"email": "ana@correo.es", "unsubscribed": "", "last_activity": "2026-06-01"},
        {"email": spelling, "unsubscribed": "yes", "last_activity": "2020-01-01"},
    ])
    result = run(path, tmp_path)
    assert statuses(result)[0] != "send"
    message = result.findings.filter((pl.col("_row") == 1) & (pl.col("code") == "CN001"))["message"].item()
    assert message.startswith("row 2 (same email)")


def test_a_stop_on_a_national_number_without_country_reaches_the_international_copy(tmp_path):
    path = write_rows(tmp_path / "in.csv", [
        {"phone": "+34 699 111 222", "country": "ES", "sms_consent": "yes"},
        {"phone": "+34 612 345 678", "country": "ES", "sms_consent": "yes"},
        {"phone": "699 111 222", "unsubscribed": "sí"},
    ])
    result = run(path, tmp_path, channel="sms")
    assert statuses(result) == ["drop", "send", "duplicate"]
    assert "CN001" in codes_of(result, 1)


@pytest.mark.parametrize("batch_rows", [7, 101, 500_000])
def test_a_stop_without_country_is_read_in_the_region_of_the_whole_input_wherever_its_batch_ends(
        tmp_path, monkeypatch, batch_rows):
    """The number is read in the region most of the input's valid numbers belong to (ES), not in
    that of the rows judged with it: with batches of 101 rows its batch is all US numbers, and the
    stop never reached the full copy, which was sent."""
    monkeypatch.setattr("listclean.load.BATCH_ROWS", batch_rows)
    result = run(write_rows(tmp_path / "in.csv", countries_in_turn()), tmp_path, channel="sms")
    assert statuses(result)[100] == "duplicate" and statuses(result)[-1] == "drop"
    assert "CN001" in codes_of(result, 401)


def test_a_stop_in_an_export_of_national_numbers_reaches_the_other_export(tmp_path):
    """The store's export has no country and no number in full, so no usual region of its own: its
    numbers are read in that of all the inputs together."""
    store = write_exact(tmp_path / "store.csv", [{"Teléfono": "699 111 222", "Baja": "sí"},
                                                 {"Teléfono": "612 345 678", "Baja": ""}],
                        header=["Teléfono", "Baja"])
    web = write_rows(tmp_path / "web.csv", [{"phone": "+34 699 111 222", "country": "ES", "sms_consent": "yes"},
                                            {"phone": "+34 612 000 111", "country": "ES", "sms_consent": "yes"}])
    result = check([store, web], build_settings(cwd=tmp_path, as_of=AS_OF, channel="sms"))
    by_source = result.statuses.sort("_source", "_row").select(pl.col("_source").cast(pl.String), "status")
    assert by_source.filter(pl.col("_source").str.ends_with("web.csv"))["status"].cast(pl.String).to_list() == [
        "drop", "send"]


# ------------------------------------------------------------ 7. stops across the other identifier

def test_a_store_stop_without_email_reaches_the_web_row_with_the_same_phone(tmp_path):
    path = write_exact(tmp_path / "merged.csv", [
        {"Email": "", "Teléfono": "699 111 222", "País": "España", "Baja": "Sí"},
        {"Email": "lucia@gmail.com", "Teléfono": "+34699111222", "País": "ES", "Baja": ""},
        {"Email": "pedro@gmail.com", "Teléfono": "+34612345678", "País": "ES", "Baja": ""},
    ], header=["Email", "Teléfono", "País", "Baja"])
    result = run(path, tmp_path, channel="email")
    assert statuses(result) == ["drop", "drop", "send"]
    carried = result.findings.filter((pl.col("_row") == 2) & (pl.col("code") == "CN001"))["message"].item()
    assert carried.startswith("row 1 (linked by phone)")


def test_a_placeholder_phone_shared_by_many_links_nobody(tmp_path):
    rows = [{"email": f"person{i}@gmail.com", "phone": "+34 600 000 000"} for i in range(40)]
    rows[0]["unsubscribed"] = "yes"
    result = run(write_rows(tmp_path / "in.csv", rows), tmp_path)
    assert statuses(result)[0] == "drop"
    assert statuses(result)[1:].count("drop") == 0
    notes = result.file_notes().filter(pl.col("code") == "DU003")
    assert notes.height == 1 and "+34 600 000 000" not in notes["message"].item()


# ------------------------------------------------------------ 8. blank is unknown, not no

def test_a_blank_on_an_older_copy_does_not_cancel_a_dated_yes(tmp_path):
    path = write_rows(tmp_path / "in.csv", [
        {"email": "ana@gmail.com", "email_consent": "", "last_activity": "2026-09-01"},
        {"email": "Ana@gmail.com", "email_consent": "2026-02-01", "Consent Source": "web", "last_activity": "2024-01-01"},
    ], header=WITH_SOURCE)
    result = run(path, tmp_path, policy="gdpr")
    assert statuses(result) == ["send", "duplicate"]
    assert "CN015" in codes_of(result, 1) and "CN003" not in codes_of(result, 1)


def test_a_newer_dated_consent_on_a_copy_supersedes_an_older_stop_where_allowed(tmp_path):
    rows = [{"email": "ana@gmail.com", "unsubscribed": "2025-01-10", "last_activity": "2026-09-01"},
            {"email": "Ana@gmail.com", "email_consent": "2026-02-01", "Consent Source": "web"}]
    gdpr = run(write_rows(tmp_path / "in.csv", rows, header=WITH_SOURCE), tmp_path, policy="gdpr")
    assert statuses(gdpr) == ["send", "duplicate"]
    assert "CN009" in codes_of(gdpr, 1)
    default = run(write_rows(tmp_path / "in.csv", rows, header=WITH_SOURCE), tmp_path, policy="default")
    assert statuses(default) == ["drop", "duplicate"]


def test_an_undated_stop_is_never_superseded(tmp_path):
    rows = [{"email": "ana@gmail.com", "unsubscribed": "yes", "last_activity": "2026-09-01"},
            {"email": "Ana@gmail.com", "email_consent": "2026-02-01", "Consent Source": "web"}]
    result = run(write_rows(tmp_path / "in.csv", rows, header=WITH_SOURCE), tmp_path, policy="gdpr")
    assert statuses(result) == ["drop", "duplicate"]


# ------------------------------------------------------------ 10. the input is read once

def test_a_file_renamed_over_the_input_during_the_run_changes_nothing(tmp_path):
    path = write_rows(tmp_path / "nightly.csv", [{"email": f"p{i}@gmail.com", "unsubscribed": "yes"}
                                                 for i in range(50)])
    replacement = write_rows(tmp_path / "next.csv", [{"email": f"p{i}@gmail.com", "unsubscribed": "no"}
                                                     for i in range(50)])
    original_sha = __import__("hashlib").sha256(path.read_bytes()).hexdigest()

    def on_stage(name, *_):
        if name == "write":  # the next night's export lands by rename between judging and writing
            os.replace(replacement, path)

    out, audit = tmp_path / "send.csv", tmp_path / "audit.jsonl"
    result = clean(path, build_settings(cwd=tmp_path, as_of=AS_OF), out, on_stage=on_stage, audit=audit)
    assert result.counts_by_status()["send"] == 0
    assert sent_emails(out) == []
    assert {json.loads(line)["input"]["sha256"] for line in audit.read_text().splitlines()} == {original_sha}


def test_a_file_rewritten_in_place_during_the_run_writes_nothing(tmp_path, cli):
    path = write_rows(tmp_path / "nightly.csv", [{"email": "ana@gmail.com"}])

    def on_stage(name, *_):
        if name == "write":
            with path.open("a") as handle:
                handle.write("bob@gmail.com,,,,,,\n")

    from listclean.errors import ListcleanError
    with pytest.raises(ListcleanError, match="changed while it was being read"):
        clean(path, build_settings(cwd=tmp_path, as_of=AS_OF), tmp_path / "send.csv", on_stage=on_stage)
    assert not (tmp_path / "send.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".send")] == []


# ------------------------------------------------------------ 11, 12, 14. overrides and the store, traced

def test_an_empty_selection_is_refused_everywhere(tmp_path, cli):
    path = write_rows(tmp_path / "in.csv", [{"email": "ana@gmail.com", "unsubscribed": "yes"}])
    result = cli("clean", path, "-o", tmp_path / "send.csv", "--select", "")
    assert result.exit_code == 2 and "empty" in result.output
    (tmp_path / "listclean.toml").write_text("select = []\n")
    result = cli("check", path)
    assert result.exit_code == 2 and "listclean.toml" in result.output
    assert not (tmp_path / "send.csv").exists()


def test_every_override_is_written_into_the_report_and_the_audit(tmp_path, cli):
    path = write_rows(tmp_path / "in.csv", [{"email": "ana@gmail.com", "email_consent": "yes", "unsubscribed": "yes"}])
    audit = tmp_path / "audit.jsonl"
    result = cli("clean", path, "-o", tmp_path / "send.csv", "--audit", audit, "--policy", "lssi-es",
                 "--ignore", "CN001", "--consent-evidence", "Shopify admin", "--similar-products",
                 "--default-region", "ES", "--store", "none", "--format", "json", "--as-of", AS_OF)
    document = json.loads(result.stdout)
    expected = {"ignore": ["CN001"], "consent_evidence": "Shopify admin", "similar_products": True,
                "default_region": "ES", "store": "none"}
    assert document["run"]["overrides"] == expected
    assert document["run"]["store"] == {"path": None, "consulted": False, "why": "--store none"}
    line = json.loads(audit.read_text().splitlines()[0])
    assert line["overrides"] == expected and line["suppression_store"] is None


def test_the_report_names_the_store_it_consulted(tmp_path, cli):
    store = tmp_path / "project.db"
    assert cli("suppress", "add", "ana@gmail.com", "--store", store).exit_code == 0
    (tmp_path / "listclean.toml").write_text('store = "project.db"\n')
    path = write_rows(tmp_path / "in.csv", [{"email": "ana@gmail.com"}, {"email": "bob@gmail.com"}])
    document = json.loads(cli("check", path, "--format", "json", "--as-of", AS_OF).stdout)
    assert document["run"]["store"]["path"] == str(store)
    assert document["run"]["store"]["entries"] == 1 and document["run"]["store"]["last_change"]
    assert document["summary"]["by_code"]["CN010"]["rows"] == 1
    text = cli("check", path, "--format", "text", "--as-of", AS_OF).stdout
    assert f"suppression store {store}" in " ".join(text.split())


# ------------------------------------------------------------ properties

EMAIL_POOL = ["ana@gmail.com", "bob@correo.es", "cara@acme.es", "dan@gmail.com", ""]
PHONE_POOL = ["+34612345678", "+34699111222", "+34655000111", ""]
PERSON_ROW = st.fixed_dictionaries({
    "email": st.sampled_from(EMAIL_POOL), "phone": st.sampled_from(PHONE_POOL),
    "email_consent": st.sampled_from(["", "yes", "2026-01-01", "no"]),
    "unsubscribed": st.sampled_from(["", "", "", "no", "yes", "2025-05-05"]),
    "last_activity": st.sampled_from(["", "2026-01-01", "2025-06-01"]),
})


def _components(rows: list[dict]) -> list[int]:
    """Union-find over rows sharing an email or a phone: the test's own idea of a person."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for field in ("email", "phone"):
        first: dict[str, int] = {}
        for i, row in enumerate(rows):
            if row[field]:
                parent[find(i)] = find(first.setdefault(row[field], i))
    return [find(i) for i in range(len(rows))]


@given(st.lists(PERSON_ROW, min_size=1, max_size=12), st.sampled_from(["default", "gdpr", "can-spam"]),
       st.integers(min_value=1, max_value=13))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_stop_on_any_copy_of_a_person_means_no_send(tmp_path, monkeypatch, rows, policy, batch_rows):
    monkeypatch.setattr("listclean.load.BATCH_ROWS", batch_rows)  # wherever the batches begin and end
    path = write_rows(tmp_path / "people.csv", rows)
    result = run(path, tmp_path, policy=policy, channel="email")
    stopped = set(result.findings.filter(pl.col("code").is_in(STOPS))["_row"].drop_nulls().to_list())
    sent = set(result.statuses.filter(pl.col("status") == "send")["_row"].to_list())
    people = _components(rows)
    # Stops the export wrote that no newer consent supersedes reach the whole person.
    superseded = set(result.findings.filter(pl.col("code") == "CN009")["_row"].to_list())
    for i, row in enumerate(rows):
        said_stop = row["unsubscribed"] == "yes" or row["email_consent"] == "no"
        if said_stop:
            assert not {j + 1 for j, p in enumerate(people) if p == people[i]} & sent
        if row["unsubscribed"] and row["unsubscribed"] != "no":
            assert i + 1 in stopped | superseded
    assert not stopped & sent


RESERVED_NAMES = ["status", "row", "codes", "reasons", "duplicate_of", "email_normalized", "phone_e164", "_row",
                  "_source", "_completeness", "raw_email", "email_key", "phone_key", "_cluster", "listclean_status"]

PLAIN_STATUSES: list[str] = []


@given(st.one_of(st.sampled_from(RESERVED_NAMES), st.text(min_size=1, max_size=12)),
       st.lists(st.sampled_from(["send", "drop", "x", "", "=1+1", "ana@gmail.com"]), min_size=6, max_size=6))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_an_extra_column_whatever_its_name_never_changes_a_status(tmp_path, name, values):
    header = ["email", "phone", "unsubscribed", "email_consent"]
    assume(name.strip() and name not in header and name.isprintable() and '"' not in name)
    cmap = map_columns(header + [name])
    assume(cmap.field_of(name) is None and name not in cmap.unread_stop_columns)
    rows = [{"email": "ana@gmail.com", "unsubscribed": "yes"}, {"email": "Ana@gmail.com"},
            {"email": "bob@gmail.com", "phone": "+34612345678"}, {"email": "cara@gmail.com", "phone": "+34612345678"},
            {"email": "dan@gmail.com", "email_consent": "no"}, {"email": "eva@gmail.com"}]
    if not PLAIN_STATUSES:  # the same for every example: judged once
        PLAIN_STATUSES.extend(statuses(run(write_exact(tmp_path / "plain.csv", rows, header=header), tmp_path)))
    extra = run(write_exact(tmp_path / "extra.csv", [{**r, name: v} for r, v in zip(rows, values)],
                            header=header + [name]), tmp_path)
    assert statuses(extra) == PLAIN_STATUSES


# ------------------------------------------------------------ 13. suppress import takes stops only

def test_importing_a_whole_export_adds_only_the_rows_that_say_stop(tmp_path, cli):
    rows = [{"Email": f"cliente{i}@gmail.com", "Móvil": f"+3461200{i:04d}", "Baja": "Sí" if i % 10 == 0 else "No"}
            for i in range(100)]
    rows.append({"Email": "", "Móvil": "699 111 222", "Baja": "Sí"})
    rows.append({"Email": "", "Móvil": "", "Baja": "Sí"})
    rows.append({"Email": "not-an-address", "Móvil": "", "Baja": "Sí"})
    pos = write_exact(tmp_path / "tpv.csv", rows, ["Email", "Móvil", "Baja"])
    store = tmp_path / "store.db"
    result = cli("suppress", "import", pos, "--store", store)
    assert result.exit_code == 0, result.output
    # 10 stopped customers, each with an email and a phone (email and sms entries).
    assert "20 added" in result.stdout
    assert "1 national number without a region" in result.stdout
    assert "1 blank" in result.stdout and "1 invalid" in result.stdout and "180 not a stop" in result.stdout
    everything = cli("suppress", "import", pos, "--store", tmp_path / "all.db", "--all-rows")
    assert "200 added" in everything.stdout
    regional = cli("suppress", "import", pos, "--store", store, "--default-region", "ES")
    assert "1 added, 20 already present" in regional.stdout


def test_a_plain_list_is_still_imported_whole(tmp_path, cli):
    listing = tmp_path / "unsubscribes.txt"
    listing.write_text("ana@gmail.com\nbob@gmail.com\n+34612345678\n")
    result = cli("suppress", "import", listing, "--store", tmp_path / "store.db")
    assert "3 added" in result.stdout


# ------------------------------------------------------------ personal data never in a message

def test_errors_never_print_an_address_or_a_number(tmp_path, cli):
    headerless = tmp_path / "headerless.csv"
    headerless.write_text("P1,ana.secreta@gmail.com,+34 612 345 678,ES\nP2,bob@gmail.com,+34 699 111 222,ES\n")
    for args, status in ((("check", headerless), 2), (("check", headerless, "--map", "phone=+34 612 345 679"), 2),
                         (("check", headerless, "--map", "email=ana.secreta@gmail.com", "--format", "text"), 0)):
        result = cli(*args)
        assert result.exit_code == status, result.output
        assert "ana.secreta" not in result.output and "612 345 678" not in result.output
        assert "345 679" not in result.output
