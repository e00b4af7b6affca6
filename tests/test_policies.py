"""Each bundled policy on hand-checked rows: what is sent, what is not, and why."""

from __future__ import annotations

import pytest

from conftest import HEADER, write_rows
from listclean.errors import ListcleanError
from listclean.pipeline import check
from listclean.settings import build_settings, load_policy, policy_names

EXTRA = ["Consent Source", "Consent Type", "Last Purchase", "Last Inquiry", "Customer", "Opt-out Offered",
         "Robinson", "Last Contacted"]


def judge(tmp_path, rows, **options):
    path = write_rows(tmp_path / "policy.csv", rows, header=HEADER + EXTRA)
    options.setdefault("as_of", "2026-11-01")
    result = check(path, build_settings(cwd=tmp_path, **options))
    codes = {row: set() for row in result.statuses["_row"]}
    codes.update({row: set(found) for row, found in result.codes_by_row().iter_rows()})
    statuses = dict(zip(result.statuses["_row"], result.statuses["status"]))
    return statuses, codes


PROVEN = {"email_consent": "2026-03-01", "Consent Source": "web form", "last_activity": "2026-10-01"}


def test_all_policies_load_and_cite_sources():
    assert set(policy_names()) >= {"default", "gdpr", "can-spam", "tcpa", "casl", "lssi-es", "pecr-uk"}
    for name in policy_names():
        policy = load_policy(name)
        assert policy.description and len(policy.sha256) == 64
        text = (load_policy.__globals__["resources"].files("listclean") / "policies" / f"{name}.toml").read_text()
        assert text.lstrip().startswith("#"), f"{name}.toml must open with a comment citing its source"


def test_gdpr(tmp_path):
    statuses, codes = judge(tmp_path, [
        {"email": "a@gmail.com", **PROVEN},                                              # 1 proven consent
        {"email": "b@gmail.com", "email_consent": "yes", "last_activity": "2026-10-01"},  # 2 yes, no date/source
        {"email": "c@gmail.com", "last_activity": "2026-10-01"},                          # 3 silence
        {"email": "d@gmail.com", "email_consent": "2023-01-01", "Consent Source": "fair"},  # 4 old consent
    ], policy="gdpr")
    assert statuses == {1: "send", 2: "drop", 3: "drop", 4: "review"}
    assert {"CN006", "CN007"} <= codes[2] and "CN003" in codes[3] and "CN008" in codes[4]


def test_can_spam_sends_without_consent_but_never_after_an_unsubscribe(tmp_path):
    statuses, codes = judge(tmp_path, [
        {"email": "a@gmail.com", "last_activity": "2026-10-01"},
        {"email": "b@gmail.com", "unsubscribed": "2026-10-20", "last_activity": "2026-10-01"},
        {"email": "c@gmail.com", "unsubscribed": "2025-01-01", "email_consent": "2026-02-01",
         "last_activity": "2026-10-01"},
    ], policy="can-spam")
    assert statuses == {1: "send", 2: "drop", 3: "send"}
    assert codes[3] == {"CN009"}  # re-subscribed by a later affirmative consent


def test_tcpa_needs_written_consent_and_local_hours_for_texts(tmp_path):
    rows = [
        {"phone": "+1 212 555 0142", "sms_consent": "2026-01-05", "Consent Source": "keyword JOIN"},
        {"phone": "+1 212 555 0143", "sms_consent": "yes"},
        {"phone": "+1 212 555 0144", "sms_consent": "2026-01-05", "Consent Source": "web", "unsubscribed": "STOP"},
    ]
    statuses, codes = judge(tmp_path, rows, policy="tcpa", channel="sms", send_at="2026-12-01T15:00:00+00:00")
    assert statuses == {1: "review", 2: "drop", 3: "drop"}  # 1: PH005, US numbers may be landlines
    assert codes[1] == {"PH005", "ST002"} and {"CN006", "CN007"} <= codes[2] and "CN001" in codes[3]
    statuses, codes = judge(tmp_path, rows[:1], policy="tcpa", channel="sms", send_at="2026-12-01T12:00:00+00:00")
    assert "CT001" in codes[1] and statuses[1] == "drop"  # 07:00 in New York


def test_casl_implied_consent_lifetimes(tmp_path):
    statuses, codes = judge(tmp_path, [
        {"email": "a@gmail.com", "email_consent": "2012-01-01", "Consent Type": "express", "last_activity": "2026-10-01"},
        {"email": "b@gmail.com", "email_consent": "yes", "Consent Type": "implied", "Last Purchase": "2025-06-01"},
        {"email": "c@gmail.com", "email_consent": "yes", "Consent Type": "implied", "Last Purchase": "2024-06-01"},
        {"email": "d@gmail.com", "email_consent": "yes", "Consent Type": "implied", "Last Inquiry": "2026-02-01",
         "last_activity": "2026-10-01"},
    ], policy="casl")
    assert statuses == {1: "send", 2: "send", 3: "drop", 4: "drop"}
    assert "CN011" in codes[3] and "CN011" in codes[4]


def test_lssi_es_customer_exception_and_robinson(tmp_path):
    rows = [
        {"email": "a@gmail.com", "Last Purchase": "2026-09-01", "Opt-out Offered": "sí", "Robinson": "2026-10-30"},
        {"email": "b@gmail.com", "Last Purchase": "2026-09-01", "Opt-out Offered": "sí"},
        {"email": "c@gmail.com", "Robinson": "2026-10-30", "last_activity": "2026-10-01"},
        {"email": "d@gmail.com", "email_consent": "2026-05-01", "last_activity": "2026-10-01"},
    ]
    statuses, codes = judge(tmp_path, rows, policy="lssi-es", similar_products=True)
    assert statuses == {1: "send", 2: "drop", 3: "drop", 4: "send"}
    assert codes[1] == {"CN012"} and "CN013" in codes[2] and "CN003" in codes[3]
    statuses, _ = judge(tmp_path, rows[:1], policy="lssi-es", similar_products=False)
    assert statuses == {1: "drop"}  # without the declaration the exception does not apply


def test_pecr_soft_opt_in_only_when_all_conditions_hold(tmp_path):
    statuses, codes = judge(tmp_path, [
        {"email": "a@gmail.com", "Customer": "yes", "Opt-out Offered": "yes"},
        {"email": "b@gmail.com", "Customer": "yes", "Opt-out Offered": "no"},
        {"email": "c@gmail.com", "Customer": "no", "Opt-out Offered": "yes"},
    ], policy="pecr-uk", similar_products=True)
    assert statuses == {1: "send", 2: "drop", 3: "drop"}
    assert "CN012" in codes[1] and "CN003" not in codes[1]
    assert "CN003" in codes[2] and "CN003" in codes[3]


def test_a_policy_that_extends_itself_or_has_unknown_keys_is_refused(tmp_path):
    loop = tmp_path / "loop.toml"
    loop.write_text(f'[policy]\nextends = "{loop}"\n')
    with pytest.raises(ListcleanError, match="loop"):
        load_policy(str(loop))
    typo = tmp_path / "typo.toml"
    typo.write_text('[consent]\nemail = { modle = "opt-in" }\n')
    with pytest.raises(ListcleanError, match="consent.email.modle"):
        load_policy(str(typo))
