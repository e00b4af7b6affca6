"""The files a marketer acts on (clean --repermission, --fixable) and data minimisation for sharing
(--columns, --pseudonymise): real command-line runs on the bundled sample and on small exports.

Expectations are computed from the other outputs (the rejects, the send file, the JSON report's
findings and severities), never from listclean.views itself."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from listclean.cli import app
from listclean.pseudonym import MIN_KEY_CHARS, Pseudonymiser
from tests.conftest import HEADER, write_rows
from tests.test_outputs import one_line_error

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "crm_export.csv"
AS_OF = "2026-11-01"
#: The stops (a person said no), written out here so the tests do not read them from the code.
STOPS = {"CN001", "CN002", "CN005", "CN010"}
KEY_A = "a" * 16 + "0123456789abcdef" * 3
KEY_B = "b" * 16 + "fedcba9876543210" * 3
HEX64 = r"^[0-9a-f]{64}$"


def read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def codes_of(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("codes").fill_null("").str.split(";").list.eval(
        pl.element().filter(pl.element() != "")).alias("code_list"))


def invoke(args: list, env: dict | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample cleaned once with every output, the JSON report on stdout."""
    folder = tmp_path_factory.mktemp("sample")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("XDG_DATA_HOME", str(folder / "data"))
        done = invoke(["clean", SAMPLE, "--as-of", AS_OF, "-o", "send.csv", "--rejects", "rejects.csv",
                       "--repermission", "repermission.csv", "--fixable", "fixable.csv", "--audit", "audit.jsonl",
                       "--format", "json", "--fail-on", "never", "--store", "none"])
    assert done.exit_code == 0, done.output
    return SimpleNamespace(report=json.loads(done.stdout), send=read(folder / "send.csv"),
                           rejects=codes_of(read(folder / "rejects.csv")),
                           repermission=codes_of(read(folder / "repermission.csv")),
                           fixable=codes_of(read(folder / "fixable.csv")), folder=folder)


def blocking_codes(report: dict) -> set[str]:
    return {code for code, row in report["summary"]["by_code"].items() if row["severity"] in ("warning", "error")}


def stale_only(frame: pl.DataFrame, blocking: set[str]) -> pl.Expr:
    """Rows not sent whose only findings at warning/error grade are ST001, with no stop at all."""
    block = pl.col("code_list").list.eval(pl.element().filter(pl.element().is_in(list(blocking))))
    return (pl.col("status").is_in(["review", "drop"]) & (block.list.len() > 0)
            & block.list.eval(pl.element() == "ST001").list.all()
            & ~pl.col("code_list").list.eval(pl.element().is_in(list(STOPS))).list.any())


# ----------------------------------------------------------------- re-permission on the sample

def test_repermission_is_exactly_the_stale_only_rows_of_the_sample(sample):
    expected = sample.rejects.filter(stale_only(sample.rejects, blocking_codes(sample.report)))
    assert expected.height > 100  # the sample has many stale people: the test is not vacuous
    assert sorted(sample.repermission["row"].cast(int)) == sorted(expected["row"].cast(int))
    # Each row is the rejects' row as written, without duplicate_of (always empty there).
    columns = [c for c in sample.repermission.columns if c != "code_list"]
    assert columns == [c for c in sample.rejects.columns if c not in ("duplicate_of", "code_list")]
    joined = sample.repermission.join(sample.rejects, on="row", suffix="_rej")
    for column in columns:
        if column != "row":
            assert (joined[column].fill_null("") == joined[f"{column}_rej"].fill_null("")).all(), column


def test_the_sample_files_hold_no_stop_and_keep_the_row_equation(sample):
    for view in (sample.repermission, sample.fixable):
        assert view.height > 0
        assert view.select(pl.col("code_list").list.eval(pl.element().is_in(list(STOPS))).list.any().any()).item() is False
        assert set(view["status"]) <= {"review", "drop"}
        assert set(view["row"]) <= set(sample.rejects["row"])  # an extra view: the rows are rejects still
    summary = sample.report["summary"]
    counts = summary["by_status"]
    assert sample.send.height == counts["send"]
    assert sample.rejects.height == counts["review"] + counts["drop"] + counts["duplicate"]
    assert sample.send.height + sample.rejects.height == summary["rows_in"] == 3000
    assert not set(sample.repermission["row"]) & set(sample.fixable["row"])
    assert sample.report["outputs"]["repermission"] == "repermission.csv"
    assert sample.report["outputs"]["fixable"] == "fixable.csv"


def test_fixable_rows_are_the_rows_with_a_named_fix(sample):
    blocking = blocking_codes(sample.report)
    fixes = {}
    for finding in sample.report["findings"]:
        if finding["row"] is not None and finding["suggestion"] and finding["code"] in blocking:
            fixes.setdefault(str(finding["row"]), []).append(finding)
    not_sent = sample.rejects.filter(pl.col("status").is_in(["review", "drop"])
                                     & ~pl.col("code_list").list.eval(pl.element().is_in(list(STOPS))).list.any())
    expected = sorted(int(row) for row in not_sent["row"] if row in fixes)
    assert expected and sorted(sample.fixable["row"].cast(int)) == expected
    assert set(sample.fixable["fix_code"]) <= {"EM003", "EM014"}
    for row, email, fix, suggestion, value in sample.fixable.select(
            "row", "email_normalized", "fix_code", "suggestion", "suggested_value").iter_rows():
        finding = fixes[row][0]
        assert fix == finding["code"] and suggestion == finding["suggestion"]
        domain = suggestion.removeprefix("did you mean @").removesuffix("?")
        assert value == f"{email.rsplit('@', 1)[0]}@{domain}"


def test_multi_input_repermission_is_one_row_per_person_none_already_sent(tmp_path, cli):
    lines = SAMPLE.read_text("utf-8").splitlines(keepends=True)
    (tmp_path / "web.csv").write_text("".join(lines[:1501]), "utf-8")
    (tmp_path / "shop.csv").write_text(lines[0] + "".join(lines[1501:]), "utf-8")
    done = cli("clean", "web.csv", "shop.csv", "--as-of", AS_OF, "-o", "send.csv", "--rejects", "rejects.csv",
               "--repermission", "rep.csv", "--fixable", "fix.csv", "--format", "json", "--fail-on", "never")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    send, rejects, rep = read(tmp_path / "send.csv"), codes_of(read(tmp_path / "rejects.csv")), read(tmp_path / "rep.csv")
    sent_people = set(send["person_id"])
    stopped_people = set(rejects.filter(pl.col("code_list").list.eval(
        pl.element().is_in(list(STOPS))).list.any())["person_id"])
    candidates = rejects.filter(stale_only(rejects, blocking_codes(report))
                                & ~pl.col("person_id").is_in(list(sent_people | stopped_people)))
    order = {"web.csv": 0, "shop.csv": 1}
    first = {}
    for source, row, person in candidates.select("source", "row", "person_id").iter_rows():
        key = (order[source], int(row))
        first[person] = min(first.get(person, key), key)
    expected = sorted(first.values())
    assert len(expected) > 100
    assert sorted((order[s], int(r)) for s, r in rep.select("source", "row").iter_rows()) == expected
    assert rep["person_id"].is_unique().all()
    assert rep.columns == [c for c in rejects.columns if c not in ("duplicate_of", "code_list")]
    fix = codes_of(read(tmp_path / "fix.csv"))
    assert fix.height > 0 and not set(fix["person_id"]) & (sent_people | stopped_people)


# ----------------------------------------------------------------- small exports

STALE, FRESH = "2020-01-01", "2026-10-01"
ROWS = [
    {"email": "ana@gmail.com", "email_consent": "yes", "last_activity": STALE},                       # 1 stale only
    {"email": "bea@gmail.com", "email_consent": "yes", "unsubscribed": "yes", "last_activity": STALE},  # 2 stale + stop
    {"email": "info@acme.es", "email_consent": "yes", "last_activity": STALE},                         # 3 stale + role
    {"email": "carla@gmial.com", "email_consent": "yes", "last_activity": FRESH},                      # 4 typo
    {"email": "dora@gmial.com", "email_consent": "yes", "unsubscribed": "yes", "last_activity": FRESH},  # 5 typo + stop
    {"email": "eva@gmail.com", "email_consent": "yes", "last_activity": STALE},                        # 6 stale copy…
    {"email": "Eva@gmail.com", "email_consent": "yes", "last_activity": FRESH},                        # 7 …of a sent one
    {"email": "fran@gmail.com", "email_consent": "yes", "last_activity": "2019-01-01"},               # 8 two stale
    {"email": "fran@gmail.com", "email_consent": "yes", "last_activity": STALE},                       # 9 copies
    {"email": "gil@gmial.com", "phone": "+34 612 34 56 78", "email_consent": "yes", "last_activity": FRESH},  # 10 typo…
    {"email": "other@gmail.com", "phone": "+34612345678", "unsubscribed": "yes", "last_activity": FRESH},  # 11 …whose phone said stop
    {"email": "hugo@gmail.com", "email_consent": "yes", "last_activity": STALE},                      # 12 stale only
]


def test_small_export_views(export, cli, tmp_path):
    export(ROWS)
    done = cli("clean", "export.csv", "--as-of", AS_OF, "-o", "send.csv", "--rejects", "rejects.csv",
               "--repermission", "rep.csv", "--fixable", "fix.csv", "--fail-on", "never", "-q")
    assert done.exit_code == 0, done.output
    rep, fix = read(tmp_path / "rep.csv"), read(tmp_path / "fix.csv")
    send, rejects = read(tmp_path / "send.csv"), read(tmp_path / "rejects.csv")
    assert sorted(rep["row"].cast(int)) == [1, 9, 12]  # of fran's two stale copies, the kept one
    assert sorted(fix["row"].cast(int)) == [4]
    assert fix.select("fix_code", "suggestion", "suggested_value").row(0) == (
        "EM003", "did you mean @gmail.com?", "carla@gmail.com")
    assert "7" not in set(rejects["row"]) and "eva@gmail.com" in set(send["Email"].str.to_lowercase())
    assert send.height + rejects.height == len(ROWS)
    assert rejects.filter(pl.col("row") == "10")["codes"].item().startswith("CN001")


@pytest.mark.parametrize("grade, status, rows", [("error", "drop", [1, 9, 12]), ("info", None, [])])
def test_the_policy_regrading_decides(export, cli, tmp_path, grade, status, rows):
    (tmp_path / "listclean.toml").write_text(f'[severity]\nST001 = "{grade}"\n', "utf-8")
    export(ROWS)
    done = cli("clean", "export.csv", "--as-of", AS_OF, "-o", "send.csv", "--rejects", "rejects.csv",
               "--repermission", "rep.csv", "--fail-on", "never", "-q")
    assert done.exit_code == 0, done.output
    rep = read(tmp_path / "rep.csv")
    assert sorted(rep["row"].cast(int)) == rows
    if status:
        assert set(rep["status"]) == {status}
    else:  # ST001 is a note only: the stale rows are sent, and the file is there with its header alone
        assert "ana@gmail.com" in set(read(tmp_path / "send.csv")["Email"])
        assert rep.columns[-4:] == ["row", "status", "codes", "reasons"]


def test_sms_national_numbers_without_a_country_are_fixable(export, cli, tmp_path):
    rows = [
        {"phone": "612 34 56 78", "sms_consent": "yes", "last_activity": FRESH},                         # 1 fixable
        {"phone": "+34 611 22 33 44", "country": "ES", "sms_consent": "yes", "last_activity": FRESH},     # 2 sent
        {"phone": "+34 622 22 33 44", "sms_consent": "yes", "last_activity": FRESH},                      # 3 sent
        {"phone": "612 00 00 01", "sms_consent": "yes", "unsubscribed": "yes", "last_activity": FRESH},   # 4 stop
        {"phone": "n/a", "country": "ES", "sms_consent": "yes", "last_activity": FRESH},                  # 5 no fix
    ]
    export(rows)
    done = cli("clean", "export.csv", "--channel", "sms", "--as-of", AS_OF, "-o", "send.csv", "--rejects",
               "rejects.csv", "--fixable", "fix.csv", "--fail-on", "never", "-q")
    assert done.exit_code == 0, done.output
    rejects, fix = read(tmp_path / "rejects.csv"), read(tmp_path / "fix.csv")
    assert {"1", "4", "5"} <= set(rejects.filter(pl.col("codes").str.contains("PH002"))["row"])
    assert fix["row"].to_list() == ["1"]
    assert fix.select("fix_code", "suggested_value").row(0) == ("PH002", "+34612345678")  # not '+34…: as written
    assert "country" in fix["suggestion"].item()


def test_view_cells_that_a_spreadsheet_would_run_are_neutralised(export, cli, tmp_path):
    export([{**ROWS[0], "First Name": "=HYPERLINK(\"http://x\")"}, {**ROWS[3], "First Name": "@SUM(1)"}],
           header=HEADER + ["First Name"])
    done = cli("clean", "export.csv", "--as-of", AS_OF, "-o", "send.csv", "--repermission", "rep.csv",
               "--fixable", "fix.xlsx", "--fail-on", "never", "-q")
    assert done.exit_code == 0, done.output
    assert read(tmp_path / "rep.csv")["First Name"].to_list() == ["'=HYPERLINK(\"http://x\")"]
    assert pl.read_excel(tmp_path / "fix.xlsx")["First Name"].to_list() == ["'@SUM(1)"]


def test_view_formats_follow_the_extension(export, cli, tmp_path):
    export(ROWS)
    done = cli("clean", "export.csv", "--as-of", AS_OF, "-o", "send.csv", "--repermission", "rep.parquet",
               "--fixable", "fix.jsonl", "--fail-on", "never", "-q")
    assert done.exit_code == 0, done.output
    assert sorted(pl.read_parquet(tmp_path / "rep.parquet")["row"].to_list()) == [1, 9, 12]
    assert pl.read_ndjson(tmp_path / "fix.jsonl")["suggested_value"].to_list() == ["carla@gmail.com"]


def test_view_paths_are_checked_before_any_work(export, cli, tmp_path):
    export(ROWS)
    line = one_line_error(cli("clean", "export.csv", "-o", "send.csv", "--fixable", "missing/fix.csv"))
    assert "--fixable" in line and "does not exist" in line
    line = one_line_error(cli("clean", "export.csv", "-o", "send.csv", "--repermission", "send.csv"))
    assert "different files" in line
    assert not (tmp_path / "send.csv").exists()


def test_nothing_personal_is_printed_and_the_help_says_the_equation_holds(export, cli):
    export(ROWS)
    done = cli("clean", "export.csv", "--as-of", AS_OF, "-o", "send.csv", "--repermission", "rep.csv",
               "--fixable", "fix.csv", "--format", "text", "--fail-on", "never")
    assert done.exit_code == 0
    for row in ROWS:
        assert row["email"] not in done.output and row["email"].lower() not in done.output
    assert "wrote repermission: rep.csv" in done.output and "wrote fixable: fix.csv" in done.output
    helped = " ".join(cli("clean", "--help").output.split())
    assert "each row keeps its one status in send/rejects" in helped
    assert "--columns" in helped and "--pseudonymise" in helped and "--pseudonym-key-file" in helped


# ----------------------------------------------------------------- --columns

def test_columns_chooses_and_orders_the_columns(export, cli, tmp_path):
    export([{**ROWS[0], "First Name": "Ana", "email": " Ana@Gmail.com "}, {**ROWS[3], "First Name": "Carla"},
            {**ROWS[1], "First Name": "Bea"}], header=HEADER + ["First Name"])
    done = cli("clean", "export.csv", "--as-of", AS_OF, "-o", "send.csv", "--rejects", "rejects.csv",
               "--repermission", "rep.csv", "--fixable", "fix.csv", "--columns", "first_name,email",
               "--columns", "Email", "--fail-on", "never", "-q")
    assert done.exit_code == 0, done.output
    send = read(tmp_path / "send.csv")
    assert send.columns == ["first_name", "email", "Email"]
    assert read(tmp_path / "rejects.csv").columns == ["first_name", "email", "Email", "row", "status", "codes",
                                                      "reasons", "duplicate_of"]
    rep = read(tmp_path / "rep.csv")
    assert rep.columns == ["first_name", "email", "Email", "row", "status", "codes", "reasons"]
    # email (a field) is listclean's normalised address; Email (the input's column) is as typed.
    assert rep.select("first_name", "email", "Email").row(0) == ("Ana", "Ana@gmail.com", " Ana@Gmail.com ")
    assert read(tmp_path / "fix.csv").columns[-3:] == ["fix_code", "suggestion", "suggested_value"]


def test_unknown_columns_are_one_line_naming_them(export, cli, tmp_path):
    export(ROWS)
    line = one_line_error(cli("clean", "export.csv", "-o", "send.csv", "--columns", "email,nickname,Shoe size"))
    assert "'nickname'" in line and "'Shoe size'" in line and "'email'" not in line
    assert not (tmp_path / "send.csv").exists()
    line = one_line_error(cli("clean", "export.csv", "-o", "send.csv", "--columns", "email,email"))
    assert "more than once" in line
    line = one_line_error(cli("clean", "export.csv", "-o", "send.csv", "--columns", " , "))
    assert "at least one" in line


def test_a_chosen_input_column_named_like_listclean_s_own_keeps_its_name(export, cli, tmp_path):
    export([{**ROWS[1], "status": "vip"}], header=HEADER + ["status"])
    done = cli("clean", "export.csv", "-o", "send.csv", "--rejects", "rejects.csv", "--columns", "email,status",
               "--fail-on", "never", "-q")
    assert done.exit_code == 0, done.output
    rejects = read(tmp_path / "rejects.csv")
    assert rejects.columns[:2] == ["email", "status"] and "listclean_status" in rejects.columns
    assert rejects.select("status", "listclean_status").row(0) == ("vip", "drop")


# ----------------------------------------------------------------- --pseudonymise

def hmac_hex(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def test_pseudonyms_are_keyed_hashes_of_normalised_values(export, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("LISTCLEAN_PSEUDONYM_KEY", f"  {KEY_A}\n")
    export([{"email": "Ana@Gmail.com", "phone": "+34 612 34 56 78", "email_consent": "yes", "last_activity": FRESH,
             "Customer ID": " 0042 ", "First Name": "Ana"},
            {"email": " mailto:ana@gmail.COM", "phone": "612345678", "country": "ES", "email_consent": "yes",
             "last_activity": FRESH, "Customer ID": "0042", "First Name": "Ana"},
            {"email": "bob@@x", "phone": "(555) 01", "email_consent": "yes", "last_activity": FRESH, "Customer ID": ""}],
           header=HEADER + ["Customer ID", "First Name"])
    done = cli("clean", "export.csv", "-o", "send.csv", "--rejects", "rejects.csv", "--pseudonymise",
               "--fail-on", "never", "-q")
    assert done.exit_code == 0, done.output
    rows = pl.concat([read(tmp_path / "send.csv"), read(tmp_path / "rejects.csv")], how="diagonal")
    ana = hmac_hex(KEY_A, "ana@gmail.com")
    assert set(rows["Email"][:2]) == set(rows["email_normalized"][:2]) == {ana}
    assert set(rows["Phone"][:2]) == set(rows["phone_e164"][:2]) == {hmac_hex(KEY_A, "+34612345678")}
    assert set(rows["Customer ID"][:2]) == {hmac_hex(KEY_A, "0042")}
    assert rows["First Name"][:2].to_list() == ["Ana", "Ana"]  # names are not identifiers
    # An address or number listclean cannot read is hashed as typed (trimmed, lower case; digits).
    assert rows.select("Email", "Phone", "email_normalized", "Customer ID").row(2) == (
        hmac_hex(KEY_A, "bob@@x"), hmac_hex(KEY_A, "55501"), None, None)


@pytest.fixture(scope="module")
def pseudonymised(tmp_path_factory):
    """The sample cleaned with --pseudonymise: twice with key A (one from a key file), once with
    key B, and once in plain text to compare."""
    runs = {}
    for name, key, how in (("a1", KEY_A, "env"), ("a2", KEY_A, "file"), ("b", KEY_B, "env"), ("plain", None, "")):
        folder = tmp_path_factory.mktemp(name)
        (folder / "key").write_text(KEY_A + "\n", "utf-8")
        args = ["clean", SAMPLE, "--as-of", AS_OF, "-o", "send.csv", "--rejects", "rejects.csv", "--repermission",
                "rep.csv", "--fixable", "fix.csv", "--audit", "audit.jsonl", "--format", "json", "--fail-on",
                "never", "--store", "none"]
        env = {"LISTCLEAN_PSEUDONYM_KEY": KEY_B if how != "env" else key}  # the key file wins over the env
        if key is not None:
            args += ["--pseudonymise"] + (["--pseudonym-key-file", folder / "key"] if how == "file" else [])
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            done = invoke(args, env=env)
        assert done.exit_code == 0, done.output
        runs[name] = SimpleNamespace(folder=folder, stdout=done.stdout, report=json.loads(done.stdout),
                                     **{f: read(folder / f"{f}.csv") for f in ("send", "rejects", "rep", "fix")})
    return runs


def test_the_same_key_gives_the_same_pseudonyms_another_key_others(pseudonymised):
    a1, a2, b = pseudonymised["a1"], pseudonymised["a2"], pseudonymised["b"]
    for name in ("send", "rejects", "rep", "fix"):
        assert getattr(a1, name).equals(getattr(a2, name)), name
    column = "email_normalized"
    assert a1.send[column].str.contains(HEX64).all()
    assert not set(a1.send[column]) & set(b.send[column])
    assert (a1.send["First Name"] == b.send["First Name"]).all()
    assert a1.report["sharing"]["pseudonymised"]["key_id"] == a2.report["sharing"]["pseudonymised"]["key_id"]
    assert a1.report["sharing"]["pseudonymised"]["key_id"] != b.report["sharing"]["pseudonymised"]["key_id"]


def test_no_plaintext_identifier_is_left(pseudonymised):
    plain, hashed = pseudonymised["plain"], pseudonymised["a1"]
    every = pl.concat([plain.send, plain.rejects], how="diagonal")
    secrets = set()
    for column in ("Email Address", "Phone Number", "Customer ID", "email_normalized", "phone_e164"):
        secrets |= set(every[column].drop_nulls())
    secrets |= set(plain.fix["suggested_value"].drop_nulls())
    # What identifies someone: an address, or a number of six digits or more (not "N/A").
    secrets = {v for v in secrets if "@" in v or sum(c.isdigit() for c in v) >= 6}
    assert len(secrets) > 5000
    for name in ("send", "rejects", "rep", "fix"):
        frame = getattr(hashed, name)
        cells = {v for column in frame.columns for v in frame[column].drop_nulls().to_list()}
        assert not cells & secrets, name
        for column in ("Email Address", "Phone Number", "Customer ID", "email_normalized", "phone_e164"):
            assert frame[column].drop_nulls().str.contains(HEX64).all(), (name, column)
    assert hashed.fix["suggested_value"].drop_nulls().str.contains(HEX64).all()
    assert hashed.fix.height == plain.fix.height and hashed.rep.height == plain.rep.height


def test_the_audit_and_report_say_pseudonymised_never_the_key(pseudonymised):
    run = pseudonymised["a1"]
    audit = [json.loads(line) for line in (run.folder / "audit.jsonl").read_text("utf-8").splitlines()]
    assert len(audit) == 3000
    said = audit[0]["pseudonymised"]
    assert said["method"] == "HMAC-SHA256" and len(said["key_id"]) == 16
    assert said["columns"] == ["Email Address", "Phone Number", "Customer ID", "email_normalized", "phone_e164",
                               "suggested_value"]
    assert run.report["sharing"]["pseudonymised"] == said
    for path in run.folder.iterdir():
        if path.is_file() and path.name != "key":
            assert KEY_A not in path.read_text("utf-8", errors="replace"), path.name
    assert KEY_A not in run.stdout
    assert "pseudonymised" not in json.loads((pseudonymised["plain"].folder / "audit.jsonl")
                                             .read_text("utf-8").splitlines()[0])


def test_pseudonymise_needs_a_key_from_a_safe_place(export, cli, tmp_path, monkeypatch):
    export(ROWS)
    monkeypatch.delenv("LISTCLEAN_PSEUDONYM_KEY", raising=False)
    line = one_line_error(cli("clean", "export.csv", "-o", "send.csv", "--pseudonymise"))
    assert "LISTCLEAN_PSEUDONYM_KEY" in line and "--pseudonym-key-file" in line and "token_hex" in line
    monkeypatch.setenv("LISTCLEAN_PSEUDONYM_KEY", "short")
    line = one_line_error(cli("clean", "export.csv", "-o", "send.csv", "--pseudonymise"))
    assert "too short" in line and "short" not in line.replace("too short", "")
    line = one_line_error(cli("clean", "export.csv", "-o", "send.csv", "--pseudonymise", "--pseudonym-key-file",
                              "nowhere.key"))
    assert "cannot read" in line
    line = one_line_error(cli("clean", "export.csv", "-o", "send.csv", "--pseudonym-key-file", "nowhere.key"))
    assert "goes with --pseudonymise" in line
    done = cli("clean", "export.csv", "-o", "send.csv", f"--pseudonymise={KEY_A}")
    assert done.exit_code == 2 and "does not take a value" in done.stderr  # no key argument: shell history
    assert not (tmp_path / "send.csv").exists()


def test_several_inputs_pseudonymise_person_ids_and_kept_identifier_columns(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("LISTCLEAN_PSEUDONYM_KEY", KEY_A)
    header = ["Email", "Email Consent", "Last Activity", "Customer ID", "Mobile"]
    write_rows(tmp_path / "web.csv", [{**ROWS[0], "Customer ID": "7", "Mobile": "+34 612 34 56 78"}], header)
    write_rows(tmp_path / "shop.csv", [ROWS[3], ROWS[6]], header)
    done = cli("clean", "web.csv", "shop.csv", "--as-of", AS_OF, "-o", "send.csv", "--rejects", "rejects.csv",
               "--fixable", "fix.csv", "--audit", "audit.jsonl", "--pseudonymise",
               "--columns", "email,person_id,customer_id,Mobile", "--fail-on", "never", "-q")
    assert done.exit_code == 0, done.output
    send, rejects = read(tmp_path / "send.csv"), read(tmp_path / "rejects.csv")
    assert send.columns == ["email", "person_id", "customer_id", "Mobile"]
    assert rejects.columns == ["email", "person_id", "customer_id", "Mobile", "source", "row", "status", "codes",
                               "reasons", "duplicate_of"]
    assert hmac_hex(KEY_A, "eva@gmail.com") in set(send["email"])
    every = pl.concat([send, rejects], how="diagonal")
    assert every["person_id"].str.contains(HEX64).all()
    assert hmac_hex(KEY_A, "+34612345678") in set(every["Mobile"])  # an input column carried: hashed too
    assert hmac_hex(KEY_A, "7") in set(every["customer_id"])
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text("utf-8").splitlines()]
    assert {line["person_id"] for line in audit} == set(every["person_id"])
    assert audit[0]["pseudonymised"]["columns"] == ["email", "person_id", "customer_id", "Mobile", "suggested_value"]


# ----------------------------------------------------------------- the pseudonymiser itself

@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=30),
       st.text(alphabet=st.characters(blacklist_categories=("Cs", "Z", "Cc")), min_size=MIN_KEY_CHARS, max_size=150))
@settings(max_examples=150, deadline=None)
def test_pseudonymiser_is_hmac_sha256_once_per_value(values, key):
    pseudonymiser = Pseudonymiser(key)
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    out = pseudonymiser.replace(frame, {"v": pl.col("v")})["v"].to_list()
    assert out == [hmac_hex(key, v) if v else None for v in values]
    assert len({o for o in out if o}) == len({v for v in values if v})  # equal in, equal out; distinct stay distinct
    assert key not in repr(pseudonymiser)


# ----------------------------------------------------------------- the views' rules, row by row

def test_views_rules_on_a_hand_built_result():
    """Cases the command line rarely builds: two rows of one person not marked duplicate, a
    person with a sent or stopped row beside a stale one, re-graded findings."""
    from listclean.views import marketer_views

    rows = [  # row, status, person
        (1, "review", "P"), (2, "review", "P"),   # one person, two stale rows: the first only
        (3, "review", "Q"), (4, "send", "Q"),     # stale, but the person is sent
        (5, "review", "R"), (6, "drop", "R"),     # stale, but the person said stop on another row
        (7, "review", "S"), (8, "send", "S"),     # a typo, but the person is sent
        (9, "send", "T"),                         # a typo re-graded to info: sent, nothing to fix
        (10, "review", "U"),                      # a typo at info beside a warning: no fix for the warning
        (11, "review", "V"),                      # ST001 and ST002 re-graded to warning: not only stale
        (12, "review", "W"),                      # stale, with a note (info): stale only
        (13, "drop", "X"),                        # a typo on a row refused (CN002 graded info): a stop is a stop
    ]
    findings = [  # row, code, severity, suggestion
        (1, "ST001", "warning", None), (2, "ST001", "warning", None), (3, "ST001", "warning", None),
        (5, "ST001", "warning", None), (6, "CN001", "error", None), (7, "EM003", "warning", "did you mean @gmail.com?"),
        (9, "EM003", "info", "did you mean @gmail.com?"), (10, "EM003", "info", "did you mean @gmail.com?"),
        (10, "EM004", "warning", None), (11, "ST001", "warning", None), (11, "ST002", "warning", None),
        (12, "ST001", "error", None), (12, "CN012", "info", None), (13, "EM003", "error", "did you mean @gmail.com?"),
        (13, "CN002", "info", None), (None, "CN004", "warning", None),
    ]
    statuses = pl.DataFrame({"_source": ["x.csv"] * len(rows), "_row": [r for r, _, _ in rows],
                             "status": [s for _, s, _ in rows], "person_id": [p for _, _, p in rows]})
    found = pl.DataFrame({"_source": ["x.csv"] * len(findings), "_row": [f[0] for f in findings],
                          "code": [f[1] for f in findings], "severity": [f[2] for f in findings],
                          "message": ["m"] * len(findings), "suggestion": [f[3] for f in findings]},
                         schema_overrides={"_row": pl.Int64, "suggestion": pl.String})
    kept = pl.DataFrame({"email": [f"p{r}@gmial.com" for r, _, _ in rows], "email_typo_fix": ["gmail.com"] * len(rows),
                         "phone_key": [None] * len(rows)}, schema_overrides={"phone_key": pl.String})
    views = pl.concat([statuses.select("_row"), marketer_views(statuses, found, kept)], how="horizontal")
    assert views.filter("repermission")["_row"].to_list() == [1, 12]
    assert views.filter("fixable")["_row"].to_list() == []
    statuses = statuses.with_columns(pl.when(pl.col("_row") == 8).then(pl.lit("review")).otherwise("status")
                                     .alias("status"))
    views = pl.concat([statuses.select("_row"), marketer_views(statuses, found, kept)], how="horizontal")
    assert views.filter("fixable").select("_row", "fix_code", "suggested_value").rows() == [
        (7, "EM003", "p7@gmail.com")]


def test_the_stops_listed_here_are_the_rules_that_stop_a_person():
    from listclean.views import stop_codes

    assert set(stop_codes()) == STOPS
