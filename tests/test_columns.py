"""Header mapping on the exports of the common platforms, in English and Spanish."""

from __future__ import annotations

import pytest

from listclean.columns import fold, map_columns
from listclean.errors import ListcleanError

EXPORTS = {
    "mailchimp": (["Email Address", "First Name", "Last Name", "Address", "Phone Number", "MEMBER_RATING",
                   "OPTIN_TIME", "CONFIRM_TIME", "LAST_CHANGED", "CC", "LEID", "TAGS"],
                  {"email": "Email Address", "phone_other": "Phone Number", "consent_date": "OPTIN_TIME",
                   "last_activity": ["LAST_CHANGED"], "country": "CC"}),
    "mailchimp unsubscribes": (["Email Address", "UNSUB_TIME", "UNSUB_CAMPAIGN_TITLE", "UNSUB_REASON"],
                               {"email": "Email Address", "unsubscribed_at": "UNSUB_TIME"}),
    "hubspot": (["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
                 "Country/Region", "Unsubscribed from all email", "Last Activity Date",
                 "Last marketing email open date", "Create Date"],
                {"email": "Email", "phone": "Mobile Phone Number", "phone_other": "Phone Number",
                 "country": "Country/Region", "email_unsubscribed": "Unsubscribed from all email",
                 "last_activity": ["Last Activity Date", "Last marketing email open date"],
                 "created_at": "Create Date"}),
    "salesforce": (["Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "MailingCountry",
                    "HasOptedOutOfEmail", "DoNotCall", "LastActivityDate", "CreatedDate"],
                   {"email": "Email", "phone": "MobilePhone", "country": "MailingCountry",
                    "email_unsubscribed": "HasOptedOutOfEmail", "call_unsubscribed": "DoNotCall",
                    "last_activity": ["LastActivityDate"]}),
    "klaviyo": (["Email", "Phone Number", "First Name", "Country", "Email Marketing Consent",
                 "Email Marketing Consent Timestamp", "SMS Consent", "Last Active", "Last Open"],
                {"email": "Email", "email_consent": "Email Marketing Consent", "sms_consent": "SMS Consent",
                 "consent_date": "Email Marketing Consent Timestamp", "last_activity": ["Last Active", "Last Open"]}),
    "shopify": (["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
                 "Default Address Country Code", "Phone", "Accepts SMS Marketing", "Total Spent"],
                {"email": "Email", "email_consent": "Accepts Email Marketing", "sms_consent": "Accepts SMS Marketing",
                 "country": "Default Address Country Code", "phone_other": "Phone"}),
    "spanish crm": (["Nombre", "Apellidos", "Correo electrónico", "Teléfono móvil", "País", "Consentimiento",
                     "Baja", "Fecha de baja", "Última compra", "Última actividad", "Fecha de alta"],
                    {"email": "Correo electrónico", "phone": "Teléfono móvil", "country": "País",
                     "consent": "Consentimiento", "unsubscribed": "Baja", "unsubscribed_at": "Fecha de baja",
                     "last_purchase": "Última compra", "last_activity": ["Última actividad"]}),
    "spanish shop": (["E-mail", "Tel. móvil", "Acepta publicidad", "Dado de baja", "CONSULTA ROBINSON"],
                     {"email": "E-mail", "phone": "Tel. móvil", "consent": "Acepta publicidad",
                      "unsubscribed": "Dado de baja", "robinson_checked": "CONSULTA ROBINSON"}),
}


@pytest.mark.parametrize("platform", list(EXPORTS))
def test_platform_exports_map(platform):
    headers, expected = EXPORTS[platform]
    mapped = map_columns(headers).as_dict()
    for field, column in expected.items():
        assert mapped.get(field) == column, (field, mapped)


def test_folding_ignores_case_accents_punctuation_and_camel_case():
    assert fold("Correo Electrónico") == fold("CORREO_ELECTRONICO") == "correo electronico"
    assert fold("HasOptedOutOfEmail") == "has opted out of email"


def test_map_overrides_and_errors():
    mapped = map_columns(["Mail", "Tel. fijo", "Móvil"], {"phone": "tel. FIJO", "country": ""})
    assert mapped.phone == "Tel. fijo" and mapped.reasons["Tel. fijo"] == "--map"
    with pytest.raises(ListcleanError, match="no such column"):
        map_columns(["Email"], {"phone": "Teléfono"})
    with pytest.raises(ListcleanError, match="unknown field"):
        map_columns(["Email"], {"movil": "Email"})
