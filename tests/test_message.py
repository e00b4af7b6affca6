"""The campaign message preflight: GSM-7 arithmetic, parsing, the MS rules in a run, the CLI.

The rules' behaviour case by case is in tests/cases/MS0xx.toml (run by test_rule_cases.py)."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from listclean.errors import ListcleanError
from listclean.message import check_message, message_options, read_message
from listclean.message.gsm import GSM7_BASIC, GSM7_EXTENSION, LOOKALIKES, cost, is_gsm7
from listclean.message.parse import html_body, kind_of, parse_message
from listclean.message.placeholders import find
from listclean.result import Severity
from listclean.settings import build_settings

MESSAGES = Path(__file__).parent / "cases" / "messages"
BASIC = sorted(GSM7_BASIC)
EXTENSION = sorted(GSM7_EXTENSION)


# ------------------------------------------------------------------ GSM-7 and UCS-2

def test_the_tables_are_those_of_ts_23_038():
    assert len(GSM7_BASIC) == 127 and len(GSM7_EXTENSION) == 10  # 128 positions less the escape
    assert set("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r ") <= GSM7_BASIC
    assert set("^{}\\[]~|€\f") == GSM7_EXTENSION
    assert not set("áíóúçÁÍÓÚ`’“”–…\t") & (GSM7_BASIC | GSM7_EXTENSION)


@given(st.text(alphabet=BASIC, min_size=1, max_size=700))
def test_basic_characters_are_one_septet_and_never_ucs2(text):
    price = cost(text)
    assert price.encoding == "GSM-7" and not price.forced_by
    assert price.units == len(text)
    assert price.segments == (1 if len(text) <= 160 else math.ceil(len(text) / 153))


@given(st.text(alphabet=BASIC + EXTENSION, min_size=1, max_size=700))
def test_extension_characters_are_two_septets(text):
    price = cost(text)
    assert price.encoding == "GSM-7"
    assert price.units == len(text) + sum(c in GSM7_EXTENSION for c in text)
    if price.units <= 160:
        assert price.segments == 1
    else:
        # An escape pair is never split, so a segment may carry one septet less.
        assert math.ceil(price.units / 153) <= price.segments <= math.ceil(price.units / 152)


@given(st.text(min_size=1, max_size=300), st.characters(blacklist_categories=["Cs"]))
def test_one_character_outside_gsm7_makes_the_whole_text_ucs2(text, outsider):
    if is_gsm7(outsider):
        return
    price = cost(text + outsider)
    assert price.encoding == "UCS-2" and outsider in price.forced_by
    assert price.units == len((text + outsider).encode("utf-16-le")) // 2
    if price.units <= 70:
        assert price.segments == 1
    else:
        assert math.ceil(price.units / 67) <= price.segments <= math.ceil(price.units / 66)


def test_segment_limits():
    assert (cost("a" * 160).segments, cost("a" * 161).segments) == (1, 2)
    assert (cost("á" * 70).segments, cost("á" * 71).segments, cost("á" * 134).segments) == (1, 2, 2)
    assert cost("€" * 80).units == 160 and cost("€" * 80).segments == 1
    assert cost("").segments == 0


def test_an_escape_pair_or_a_surrogate_pair_is_never_split():
    # 306 septets would fill two segments of 153, but the € straddles the first boundary.
    assert cost("a" * 152 + "€" + "a" * 152).segments == 3
    # 134 UTF-16 units, with the emoji's pair across the first boundary.
    assert cost("á" * 66 + "😀" + "á" * 66).segments == 3


def test_every_lookalike_replacement_is_gsm7():
    assert all(all(is_gsm7(c) for c in replacement) for replacement in LOOKALIKES.values())
    assert not any(is_gsm7(c) for c in LOOKALIKES if c not in "`\t")


# ------------------------------------------------------------------ parsing

def test_an_eml_is_decoded_part_by_part():
    message = read_message(MESSAGES / "mailchimp_sent_en.eml").message
    assert message.kind == "eml" and [b.content_type for b in message.bodies] == ["text/plain", "text/html"]
    html = message.bodies[1]
    assert "548 Market St" in html.text and "#bodyTable" not in html.text  # the <style> is not text
    assert "Coats, boots and more" in html.text  # a hidden preheader is still text of the message
    assert any(link.text == "unsubscribe from this list" and "/unsubscribe?" in link.href for link in html.links)
    assert message.header("list-unsubscribe-post") == ["List-Unsubscribe=One-Click"]


def test_html_reader_sees_what_a_reader_sees():
    body = html_body('<head><title>*|MC:SUBJECT|*</title><style>p{color:red}</style><script>var a=1;</script>'
                     '<body><!--[if mso]><p>outlook only</p><![endif]--><p>Hi&nbsp;there</p>'
                     '<a href="https://x.example/u"><img src="u.png" alt="Unsubscribe"></a>'
                     '<a href="https://x.example/a">one<a href="https://x.example/b">two</a></body>')
    assert body.text == "Hi there\nonetwo"
    assert [(link.href, link.text) for link in body.links] == [
        ("https://x.example/u", "Unsubscribe"), ("https://x.example/a", "one"), ("https://x.example/b", "two")]
    assert "u.png" in body.attributes


def test_an_unclosed_head_does_not_hide_the_body():
    assert html_body("<html><head><title>x<body><p>Hola</p>").text == "Hola"


def test_kind_from_the_extension_else_from_the_content():
    assert kind_of("a.EML", b"") == "eml" and kind_of("a.htm", b"") == "html"
    assert kind_of("campaign", b"From: a@b.example\nSubject: hi\n\nbody") == "eml"
    assert kind_of("campaign", b"<html><body><p>hi</p></body></html>") == "html"
    assert kind_of("campaign", b"Acme: 20% off. Reply STOP to opt out") == "text"


@pytest.mark.parametrize("raw,kind,says", [
    (b"", "text", "the message is empty"),
    (b"  \n", "html", "the message is empty"),
    (b"Hola \xe1 todos", "text", "not UTF-8 text (byte 0xe1 at offset 5)"),
    (b"PK\x03\x04\x00\x00binary", "text", "not a text file"),
    (b"just some words\nand more\n", "eml", "not an email message: no header lines"),
    (b"From: x\x00\n\nbody", "eml", "not an email message (binary data)"),
])
def test_bad_input_is_one_line_naming_the_file(raw, kind, says):
    with pytest.raises(ListcleanError) as raised:
        parse_message(raw, "campaign.x", kind)
    assert raised.value.one_line().startswith("campaign.x: ") and says in raised.value.one_line()
    assert "\n" not in raised.value.one_line()


def test_a_text_keeps_its_characters_but_not_the_final_newline():
    message = parse_message("\ufeffAcme: “hola” 😀\r\n".encode("utf-8"), "sms.txt", "text")
    assert message.raw_text == "Acme: “hola” 😀"
    assert parse_message("Acme: hola\n".encode("utf-16"), "sms.txt", "text").raw_text == "Acme: hola"


def test_placeholders_in_ordinary_text_are_not_placeholders():
    assert find("20% off, 30% more. Footnote [1]. Price {from 10 €}. #1 seller. US$5 and $6$ {color: red}") == []
    assert [p.text for p in find("Hi {{first_name}} {first_name}")] == ["{{first_name}}", "{first_name}"]


# ------------------------------------------------------------------ rules, policy and selection

def _report(path, channel=None, **settings):
    return check_message(path, channel, message_options(build_settings(**settings)))


def test_a_clean_sent_campaign_has_no_findings_even_under_can_spam():
    report = _report(MESSAGES / "mailchimp_sent_en.eml", policy="can-spam")
    assert report.findings == [] and report.rules_run == ["MS001", "MS002", "MS003", "MS004", "MS005", "MS006"]
    assert report.sha256 == hashlib.sha256((MESSAGES / "mailchimp_sent_en.eml").read_bytes()).hexdigest()


def test_selection_and_grading_are_the_runs():
    path = MESSAGES / "smtp_newsletter_en.eml"
    assert {f.code for f in _report(path).findings} == {"MS001", "MS003"}
    assert {f.code for f in _report(path, ignore="MS001").findings} == {"MS003"}
    assert {f.code for f in _report(path, select="MS003").findings} == {"MS003"}
    regraded = _report(path, severity={"MS001": Severity.INFO})
    assert {(f.code, f.severity) for f in regraded.findings} == {("MS001", Severity.INFO), ("MS003", Severity.WARNING)}
    assert regraded.exit_status("error") == 0 and regraded.exit_status("warning") == 1


def test_a_policy_regrades_and_requires(tmp_path):
    policy = tmp_path / "house.toml"
    policy.write_text('[policy]\nextends = "can-spam"\n[severity]\nMS001 = "warning"\n'
                      '[message]\nopt_out_keywords = ["PARA"]\n')
    report = _report(MESSAGES / "smtp_newsletter_en.eml", policy=str(policy))
    assert {(f.code, str(f.severity)) for f in report.findings} == {
        ("MS001", "warning"), ("MS003", "warning"), ("MS005", "error")}  # postal address: from can-spam
    sms = tmp_path / "sms.txt"
    sms.write_text("Acme: 2x1 hoy. Responde PARA para no recibir más.", encoding="utf-8")
    assert "MS007" not in {f.code for f in _report(sms, "sms", policy=str(policy)).findings}
    assert "MS007" in {f.code for f in _report(sms, "sms").findings}


@pytest.mark.parametrize("table,says", [
    ('[message]\npostal_adress = true\n', "unknown key 'message.postal_adress'"),
    ('[message]\npostal_address = "yes"\n', "message.postal_address must be a bool"),
    ('[message]\nopt_out_keywords = []\n', "must list at least one keyword"),
    ('[message]\nopt_out_keywords = "STOP"\n', "message.opt_out_keywords must be a list"),
    ('[message]\nopt_out_keywords = ["STOP", " "]\n', "none empty"),
    ('message = 3\n', "[message] must be a table"),
])
def test_the_message_table_is_validated_strictly(tmp_path, table, says):
    policy = tmp_path / "bad.toml"
    policy.write_text(table)
    with pytest.raises(ListcleanError) as raised:
        build_settings(policy=str(policy))
    assert says in raised.value.one_line() and "bad.toml" in raised.value.one_line()


def test_a_quoted_address_in_a_finding_is_masked(tmp_path):
    page = tmp_path / "promo.html"
    page.write_text('<p>Hi</p><p><a href="#">Unsubscribe ana.lopez@example.com</a></p>', encoding="utf-8")
    [finding] = _report(page).findings
    assert "ana.lopez@example.com" not in finding.message and "a***@example.com" in finding.message


def test_the_row_engine_never_runs_message_rules(tmp_path, monkeypatch):
    import dataclasses

    import listclean
    from listclean.checks.registry import RULES

    for code, rule in list(RULES.items()):
        if rule.target == "message":
            monkeypatch.setitem(RULES, code, dataclasses.replace(rule, check=_explode))
    export = tmp_path / "in.csv"
    export.write_text("Email\nana@gmail.com\n")
    result = listclean.check(str(export), listclean.build_settings(as_of="2026-11-01"))
    assert not any(code.startswith("MS") for code in result.rules_run)
    assert result.message is None and "message" not in result.to_dict()


def _explode(ctx):
    raise AssertionError("a message rule ran on rows")


def test_importing_either_side_first_works():
    for first in ("listclean.message", "listclean.checks", "listclean.checks.message", "listclean.settings"):
        code = f"import {first}; from listclean.checks.registry import RULES; assert 'MS009' in RULES or '{first}' == 'listclean.settings'"
        subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ with the list

CONTACTS = "Email,Email Consent\nana.lopez@gmail.com,yes\nbob@hotmail.com,yes\n"


@pytest.fixture
def contacts(tmp_path):
    (tmp_path / "contacts.csv").write_text(CONTACTS)
    return tmp_path / "contacts.csv"


def test_check_with_a_message_fails_the_run_and_names_it(cli, contacts):
    message = MESSAGES / "smtp_newsletter_en.eml"
    result = cli("check", contacts, "--message", message, "--as-of", "2026-11-01", "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["message"] == {"path": str(message), "sha256": hashlib.sha256(message.read_bytes()).hexdigest(),
                                   "kind": "eml", "channel": "email"}
    mine = [f for f in document["findings"] if f["code"].startswith("MS")]
    assert {f["code"] for f in mine} == {"MS001", "MS003"}
    assert all(f["row"] is None and f["message"].startswith("smtp_newsletter_en.eml: ") for f in mine)
    assert {"MS001", "MS006"} <= set(document["rules_run"])
    assert document["summary"]["by_code"]["MS001"] == {"name": "unsubscribe-link-missing", "severity": "error",
                                                       "rows": 0, "file_notes": 2}
    # The rows themselves are judged as without a message: a bad message is not a bad row.
    assert document["summary"]["by_status"]["send"] == 2


def test_a_good_message_does_not_fail_the_run(cli, contacts):
    result = cli("check", contacts, "--message", MESSAGES / "mailchimp_sent_en.eml", "--as-of", "2026-11-01",
                 "--format", "text")
    assert result.exit_code == 0, result.output
    assert "message " in result.stdout and "mailchimp_sent_en.eml (email eml, sha256" in result.stdout


def test_clean_writes_the_message_into_the_audit(cli, contacts, tmp_path):
    message = MESSAGES / "mailchimp_template_es.html"
    audit = tmp_path / "audit.jsonl"
    result = cli("clean", contacts, "-o", tmp_path / "send.csv", "--audit", audit, "--message", message,
                 "--as-of", "2026-11-01", "-q")
    assert result.exit_code == 0, result.output  # MS002 is only a note
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert len(lines) == 2 and all(line["message"] == {
        "path": str(message), "sha256": hashlib.sha256(message.read_bytes()).hexdigest()} for line in lines)


def test_sms_campaign_summary_in_the_report(cli, tmp_path):
    (tmp_path / "phones.csv").write_text("Phone,SMS Consent\n+34612345678,yes\n")
    (tmp_path / "sms.txt").write_text("Tienda Sol: ¡2x1 sólo hoy! Responde BAJA para no recibir más.\n", encoding="utf-8")
    result = cli("check", "phones.csv", "--channel", "sms", "--message", "sms.txt", "--format", "json")
    document = json.loads(result.stdout)
    assert document["message"]["sms"] == {"encoding": "UCS-2", "characters": 61, "units": 61, "segments": 1,
                                          "per_segment": 70, "forced_by": ["ó U+00F3", "á U+00E1"],
                                          "extension_characters": []}
    assert result.exit_code == 0


@pytest.mark.parametrize("args,says", [
    (("--message", "missing.eml"), "missing.eml: cannot read the message"),
    (("--message", str(MESSAGES / "mailchimp_sent_en.eml"), "--channel", "sms"), "is an email, not an SMS text"),
    (("--message", str(MESSAGES / "newsletter_de.txt"), "--channel", "call"), "not 'call'"),
])
def test_a_bad_message_stops_clean_before_anything_is_written(cli, tmp_path, args, says):
    (tmp_path / "in.csv").write_text("Email,Phone\nana@gmail.com,+34612345678\n")
    result = cli("clean", "in.csv", "-o", "send.csv", *args)
    assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


# ------------------------------------------------------------------ listclean message

def test_message_command_text(cli):
    result = cli("message", MESSAGES / "smtp_newsletter_en.eml", "--policy", "can-spam")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("listclean message ") and "email (eml), policy can-spam, sha256 " in lines[0]
    assert lines[1].split()[:3] == ["error", "MS001", "unsubscribe-link-missing"]
    assert lines[-1].startswith("4 findings: 3 errors, 1 warning (6 rules run")


def test_message_command_json_and_fail_on(cli):
    path = MESSAGES / "brevo_test_send_es.eml"
    result = cli("message", path, "--format", "json")
    assert result.exit_code == 0  # warnings and a note only
    document = json.loads(result.stdout)
    assert document["schema"] == "listclean.message/1" and document["message"]["kind"] == "eml"
    assert {f["code"] for f in document["findings"]} == {"MS002", "MS003", "MS006"}
    assert cli("message", path, "--fail-on", "warning", "-q").exit_code == 1
    assert cli("message", path, "--fail-on", "warning", "-q").stdout == ""


def test_message_command_sms_sender_and_final(cli, tmp_path):
    sms = tmp_path / "sms.txt"
    sms.write_text("¡Hola {first_name}! 2x1 en Pizzería Vesubio 🍕 este viernes. Envía BAJA al 217123.",
                   encoding="utf-8")

    def codes(*extra):
        document = json.loads(cli("message", sms, "--channel", "sms", "-f", "json", *extra).stdout)
        return {f["code"] for f in document["findings"]}

    assert codes() == {"MS008", "MS009"}
    assert codes("--sender", "Pizzería Vesubio") == {"MS009"}
    assert codes("--sender", "Pizzería Vesubio", "--final") == {"MS006", "MS009"}


def test_message_command_needs_a_channel_for_a_text(cli, tmp_path):
    (tmp_path / "sms.txt").write_text("Acme: hi. Reply STOP to opt out")
    result = cli("message", "sms.txt")
    assert result.exit_code == 2 and "give --channel email, sms or whatsapp" in result.output


def test_rule_explains_a_message_rule(cli):
    out = cli("rule", "MS007").stdout
    assert out.startswith("MS007 opt-out-instruction-missing\nfamily: message   default severity: error")
    assert "Why it matters" in out and "How to fix" in out


def test_library_callers_pass_the_message_too(tmp_path):
    import listclean

    export = tmp_path / "in.csv"
    export.write_text(CONTACTS)
    settings = listclean.build_settings(as_of="2026-11-01", policy="can-spam")
    result = listclean.check(str(export), settings, message=MESSAGES / "one_click_incomplete.eml")
    assert result.message["kind"] == "eml" and result.exit_status("error") == 0
    assert result.exit_status("warning") == 1
    assert result.findings.filter(result.findings["field"] == "message")["code"].unique().to_list() == ["MS004"]
    cleaned = listclean.clean(str(export), settings, out=tmp_path / "send.csv", message=MESSAGES / "dead_link_es.html")
    assert cleaned.exit_status("error") == 1 and (tmp_path / "send.csv").is_file()


def test_the_report_command_takes_a_message_like_check(cli, contacts, tmp_path):
    result = cli("report", contacts, "-o", tmp_path / "report.html", "--history", "none",
                 "--message", MESSAGES / "dead_link_es.html", "--as-of", "2026-11-01", "-q")
    assert result.exit_code == 1, result.output
