"""Header mapping on the exports of the common platforms, in English and Spanish."""

from __future__ import annotations

import pytest

from listclean.columns import MULTI_VALUED, fold, map_columns
from listclean.errors import ListcleanError

EXPORTS = {
    "mailchimp": (["Email Address", "First Name", "Last Name", "Address", "Phone Number", "MEMBER_RATING",
                   "OPTIN_TIME", "CONFIRM_TIME", "LAST_CHANGED", "CC", "LEID", "TAGS"],
                  {"email": "Email Address", "phone_other": "Phone Number", "consent_date": "OPTIN_TIME",
                   "last_activity": ["LAST_CHANGED"], "country": "CC"}),
    "mailchimp unsubscribes": (["Email Address", "UNSUB_TIME", "UNSUB_CAMPAIGN_TITLE", "UNSUB_REASON"],
                               {"email": "Email Address", "unsubscribed_at": ["UNSUB_TIME"]}),
    "hubspot": (["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
                 "Country/Region", "Unsubscribed from all email", "Last Activity Date",
                 "Last marketing email open date", "Create Date"],
                {"email": "Email", "phone": "Mobile Phone Number", "phone_other": "Phone Number",
                 "country": "Country/Region", "email_unsubscribed": ["Unsubscribed from all email"],
                 "last_activity": ["Last Activity Date", "Last marketing email open date"],
                 "created_at": "Create Date"}),
    "salesforce": (["Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "MailingCountry",
                    "HasOptedOutOfEmail", "DoNotCall", "LastActivityDate", "CreatedDate"],
                   {"email": "Email", "phone": "MobilePhone", "country": "MailingCountry",
                    "email_unsubscribed": ["HasOptedOutOfEmail"], "call_unsubscribed": ["DoNotCall"],
                    "last_activity": ["LastActivityDate"]}),
    "klaviyo": (["Email", "Phone Number", "First Name", "Country", "Email Marketing Consent",
                 "Email Marketing Consent Timestamp", "SMS Consent", "Last Active", "Last Open"],
                {"email": "Email", "email_consent": ["Email Marketing Consent"], "sms_consent": ["SMS Consent"],
                 "consent_date": "Email Marketing Consent Timestamp", "last_activity": ["Last Active", "Last Open"]}),
    "shopify": (["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
                 "Default Address Country Code", "Phone", "Accepts SMS Marketing", "Total Spent"],
                {"email": "Email", "email_consent": ["Accepts Email Marketing"], "sms_consent": ["Accepts SMS Marketing"],
                 "country": "Default Address Country Code", "phone_other": "Phone"}),
    "spanish crm": (["Nombre", "Apellidos", "Correo electrónico", "Teléfono móvil", "País", "Consentimiento",
                     "Baja", "Fecha de baja", "Última compra", "Última actividad", "Fecha de alta"],
                    {"email": "Correo electrónico", "phone": "Teléfono móvil", "country": "País",
                     "consent": ["Consentimiento"], "unsubscribed": ["Baja"], "unsubscribed_at": ["Fecha de baja"],
                     "last_purchase": "Última compra", "last_activity": ["Última actividad"]}),
    "spanish shop": (["E-mail", "Tel. móvil", "Acepta publicidad", "Dado de baja", "CONSULTA ROBINSON"],
                     {"email": "E-mail", "phone": "Tel. móvil", "consent": ["Acepta publicidad"],
                      "unsubscribed": ["Dado de baja"], "robinson_checked": "CONSULTA ROBINSON"}),
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


# ---------------------------------------------------------------- stop headers

CONSENT_FIELDS = {"consent", "email_consent", "sms_consent", "whatsapp_consent", "call_consent",
                  "consent_date", "consent_source", "consent_type"}

# A negated consent, an opt-out or a do-not list: always a stop, on the channel it names.
NEGATED = {
    "Consent Withdrawn": "unsubscribed", "Consent Revoked": "unsubscribed", "Withdrew consent": "unsubscribed",
    "Consentimiento retirado": "unsubscribed", "Consentimiento revocado": "unsubscribed",
    "Sin consentimiento": "unsubscribed", "No consent": "unsubscribed", "Not subscribed": "unsubscribed",
    "No desea recibir publicidad": "unsubscribed", "Rechaza publicidad": "unsubscribed",
    "Opt Out": "unsubscribed", "Opted out": "unsubscribed", "Opted-Out": "unsubscribed",
    "Do Not Contact": "unsubscribed", "No enviar": "unsubscribed", "No enviar publicidad": "unsubscribed",
    "No contactar": "unsubscribed", "No molestar": "unsubscribed", "Baja": "unsubscribed",
    "Dado de baja": "unsubscribed", "Marketing declined": "unsubscribed", "Objected": "unsubscribed",
    "Oposición": "unsubscribed", "Stop": "unsubscribed", "Revocado": "unsubscribed",
    "Do not email": "email_unsubscribed", "Do Not Mail": "email_unsubscribed", "No email": "email_unsubscribed",
    "HasOptedOutOfEmail": "email_unsubscribed", "Email consent withdrawn": "email_unsubscribed",
    "Baja correo": "email_unsubscribed", "Unsubscribed from all email": "email_unsubscribed",
    "Do not text": "sms_unsubscribed", "SMS Opt Out": "sms_unsubscribed", "Mobile opt-out": "sms_unsubscribed",
    "No enviar SMS": "sms_unsubscribed", "Consentimiento móvil revocado": "sms_unsubscribed",
    "Do Not Call": "call_unsubscribed", "DoNotCall": "call_unsubscribed", "DNC": "call_unsubscribed",
    "No llamar": "call_unsubscribed", "Phone opt-out": "call_unsubscribed", "Mobile DNC": "call_unsubscribed",
    "WhatsApp opt-out": "whatsapp_unsubscribed", "Consentimiento WhatsApp retirado": "whatsapp_unsubscribed",
    # Several channels named: the channel-less stop, which stops every channel.
    "Email and SMS opt out": "unsubscribed",
}
PLAIN_STOP = {
    "Spam Complaint": "unsubscribed", "Complained": "unsubscribed", "Marked as spam": "unsubscribed",
    "Blacklisted": "unsubscribed", "Blocklisted": "unsubscribed", "Blocked": "unsubscribed",
    "Suppressed": "unsubscribed", "Lista negra": "unsubscribed", "Queja": "unsubscribed",
    "Email blacklisted": "email_unsubscribed", "SMS Blocked": "sms_unsubscribed",
}
STOP_DATES = {
    "UNSUB_TIME": "unsubscribed_at", "Fecha de baja": "unsubscribed_at", "Opt out date": "unsubscribed_at",
    "Date unsubscribed": "unsubscribed_at", "Consent withdrawn date": "unsubscribed_at",
    "Fecha de retirada del consentimiento": "unsubscribed_at",
    # A channel's stop column reads a date as "stopped that day".
    "Email opt out date": "email_unsubscribed",
}
BOUNCES = {
    "Bounced": "bounced", "Hard Bounce": "bounced", "Hard bounced": "bounced", "Email Bounced": "bounced",
    "Bounce": "bounced", "Cleaned": "bounced", "Rebotado": "bounced", "Rebote": "bounced",
    "Undeliverable": "bounced", "Invalid email": "bounced", "Correo electrónico no válido": "bounced",
    "Bounce date": "bounced_at", "Bounced at": "bounced_at", "CLEAN_TIME": "bounced_at",
    "Fecha de rebote": "bounced_at", "EmailBouncedDate": "bounced_at",
}
STATUSES = {
    "Status": "member_status", "STATUS": "member_status", "MEMBER_STATUS": "member_status",
    "Member Status": "member_status", "Email Status": "member_status", "Subscriber Status": "member_status",
    "Subscription Status": "member_status", "Contact Status": "member_status", "Estado": "member_status",
    "Estado suscripción": "member_status", "Estado de suscripción": "member_status",
    # Specific columns keep their field.
    "Marketing contact status": "consent", "Customer Status": "customer", "Email opt-in status": "email_consent",
}
STILL_CONSENT = {
    "Consent": "consent", "Consentimiento": "consent", "Acepta publicidad": "consent", "Subscribed": "consent",
    "Opt-in": "consent", "Yes/No consent": "consent", "Consent (Sí/No)": "consent",
    "Consent (do not edit)": "consent", "Email Consent": "email_consent", "Newsletter": "email_consent",
    "Opt-out Offered": "opt_out_offered", "CONSULTA ROBINSON": "robinson_checked",
}


@pytest.mark.parametrize(("header", "field"), [*NEGATED.items(), *PLAIN_STOP.items(), *STOP_DATES.items(),
                                               *BOUNCES.items(), *STATUSES.items(), *STILL_CONSENT.items()])
def test_header_maps_to_field(header, field):
    mapped = map_columns(["Email", header])
    assert mapped.field_of(header) == field, mapped.as_dict()


@pytest.mark.parametrize("header", [h for h, f in {**NEGATED, **STOP_DATES}.items() if "onsent" in h])
def test_negated_consent_never_maps_to_consent(header):
    mapped = map_columns(["Email", "Consent", "Email Consent", header, "SMS Consent"])
    assert mapped.field_of(header) not in CONSENT_FIELDS
    assert header not in [c for name in CONSENT_FIELDS for c in mapped.all(name)]


def test_consent_withdrawn_is_a_stop_not_consent():
    mapped = map_columns(["Email", "Consent Withdrawn"])
    assert mapped.all("unsubscribed") == ["Consent Withdrawn"] and not mapped.all("consent")


def test_every_stop_column_counts():
    mapped = map_columns(["Email", "Unsubscribed", "Opt Out", "Do Not Contact", "Baja"])
    assert mapped.all("unsubscribed") == ["Unsubscribed", "Opt Out", "Do Not Contact", "Baja"]
    assert mapped.get("unsubscribed") == "Unsubscribed"
    assert mapped.as_dict()["unsubscribed"] == ["Unsubscribed", "Opt Out", "Do Not Contact", "Baja"]


def test_every_consent_and_channel_column_counts_in_input_order():
    mapped = map_columns(["Email Opt Out", "Email", "Email Consent", "Newsletter", "Do not email",
                          "Bounced", "Hard Bounce", "Status", "Email Status"])
    assert mapped.all("email_unsubscribed") == ["Email Opt Out", "Do not email"]
    assert mapped.all("email_consent") == ["Email Consent", "Newsletter"]
    assert mapped.all("bounced") == ["Bounced", "Hard Bounce"]
    assert mapped.all("member_status") == ["Status", "Email Status"]


def test_as_dict_lists_every_multi_valued_field():
    mapped = map_columns(["Email", "Unsubscribed", "Consent", "Last Activity", "Country"]).as_dict()
    assert mapped == {"email": "Email", "unsubscribed": ["Unsubscribed"], "consent": ["Consent"],
                      "last_activity": ["Last Activity"], "country": "Country"}
    assert {"unsubscribed", "email_unsubscribed", "sms_unsubscribed", "whatsapp_unsubscribed", "call_unsubscribed",
            "unsubscribed_at", "consent", "email_consent", "sms_consent", "whatsapp_consent", "call_consent",
            "bounced", "bounced_at", "member_status", "last_activity"} == MULTI_VALUED


def test_map_override_adds_to_stop_columns_but_an_empty_one_removes_them():
    mapped = map_columns(["Email", "Opt Out", "Flag"], {"unsubscribed": "Flag"})
    assert mapped.all("unsubscribed") == ["Flag", "Opt Out"] and mapped.reasons["Flag"] == "--map"
    mapped = map_columns(["Email", "Consent", "Unsubscribed"], {"consent": "", "unsubscribed": ""})
    assert not mapped.all("consent") and not mapped.all("unsubscribed")
    assert mapped.unread_stop_columns == ["Unsubscribed"], "a stop column left out by --map is still reported"


# Stop-looking columns no field reads: listed, never silently dropped.
UNREAD = ["Unsubscribe Reason", "UNSUB_REASON", "UNSUB_CAMPAIGN_TITLE", "Opt-out campaign", "Unsubscribe link",
          "Bounce reason", "Bounce type", "EmailBouncedReason", "Soft bounce", "Spam score", "Cancelled",
          "Payment declined", "Retirado", "Do not sell", "HasOptedOutOfFax", "Direct mail opt out",
          "Consent withdrawal source"]


@pytest.mark.parametrize("header", UNREAD)
def test_unread_stop_columns_are_listed(header):
    mapped = map_columns(["Email", header, "City"])
    assert mapped.field_of(header) is None and mapped.unread_stop_columns == [header]


def test_mapped_and_plain_columns_are_not_listed_as_unread():
    columns = ["Email", "Unsubscribed", "Opt-out Offered", "Bounced", "Consent", "City", "Status", "Reason"]
    assert map_columns(columns).unread_stop_columns == []
    mapped = map_columns(["Email", "Unsubscribed", "Unsubscribe Reason", "Bounce reason", "Cancelled"])
    assert mapped.unread_stop_columns == ["Unsubscribe Reason", "Bounce reason", "Cancelled"]


def test_listclean_rejects_file_maps_its_status_column():
    mapped = map_columns(["Email", "Phone", "status", "codes", "reasons", "duplicate_of"])
    assert mapped.all("member_status") == ["status"] and mapped.unread_stop_columns == []
