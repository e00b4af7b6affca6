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


# ---------------------------------------------------------------- identity headers

# Whole exports with names, ids and addresses: every identity column lands on its field.
IDENTITY_EXPORTS = {
    "shopify customers": (
        ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
         "Default Address Address1", "Default Address Address2", "Default Address City",
         "Default Address Province Code", "Default Address Country Code", "Default Address Zip",
         "Default Address Phone", "Phone", "Accepts SMS Marketing", "Total Spent"],
        {"customer_id": "Customer ID", "first_name": "First Name", "last_name": "Last Name", "email": "Email",
         "street": "Default Address Address1", "city": "Default Address City", "postcode": "Default Address Zip",
         "country": "Default Address Country Code"}),
    "shopify orders": (
        ["Name", "Email", "Billing Name", "Billing Street", "Billing Address1", "Billing City", "Billing Zip",
         "Shipping Name", "Shipping Zip"],
        {"full_name": "Name", "email": "Email", "street": "Billing Street", "city": "Billing City",
         "postcode": "Billing Zip"}),
    "hubspot": (
        ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Street Address", "City", "State/Region",
         "Postal Code", "Country/Region", "Date of birth", "IP Address"],
        {"customer_id": "Record ID", "first_name": "First Name", "last_name": "Last Name", "street": "Street Address",
         "city": "City", "postcode": "Postal Code", "country": "Country/Region", "birth_date": "Date of birth"}),
    "hubspot zip": (["Email", "Address", "Zip", "City"], {"street": "Address", "postcode": "Zip", "city": "City"}),
    "salesforce api": (
        ["Id", "FirstName", "LastName", "Name", "Email", "Phone", "MailingStreet", "MailingCity", "MailingState",
         "MailingPostalCode", "MailingCountry", "Birthdate"],
        {"customer_id": "Id", "first_name": "FirstName", "last_name": "LastName", "full_name": "Name",
         "street": "MailingStreet", "city": "MailingCity", "postcode": "MailingPostalCode",
         "country": "MailingCountry", "birth_date": "Birthdate"}),
    "salesforce report": (
        ["Contact ID", "First Name", "Last Name", "Email", "Mailing Street", "Mailing City",
         "Mailing Zip/Postal Code", "Mailing Country"],
        {"customer_id": "Contact ID", "street": "Mailing Street", "city": "Mailing City",
         "postcode": "Mailing Zip/Postal Code"}),
    "mailchimp": (
        ["Email Address", "First Name", "Last Name", "Address", "Phone Number", "Birthday", "LEID", "IP Address"],
        {"email": "Email Address", "first_name": "First Name", "last_name": "Last Name", "street": "Address",
         "birth_date": "Birthday", "customer_id": "LEID"}),
    "mailchimp merge tags": (["EMAIL", "FNAME", "LNAME", "ADDRESS", "BIRTHDAY"],
                             {"email": "EMAIL", "first_name": "FNAME", "last_name": "LNAME", "street": "ADDRESS",
                              "birth_date": "BIRTHDAY"}),
    "klaviyo": (["Email", "First Name", "Last Name", "Address", "Address 2", "City", "Zip Code", "Klaviyo ID"],
                {"street": "Address", "city": "City", "postcode": "Zip Code", "customer_id": "Klaviyo ID"}),
    "spanish crm": (
        ["Nº cliente", "Nombre", "Primer apellido", "Segundo apellido", "Correo electrónico", "Teléfono móvil",
         "Dirección", "Código postal", "Población", "Provincia", "Fecha de nacimiento"],
        {"customer_id": "Nº cliente", "first_name": "Nombre", "last_name": "Primer apellido",
         "second_last_name": "Segundo apellido", "email": "Correo electrónico", "street": "Dirección",
         "postcode": "Código postal", "city": "Población", "birth_date": "Fecha de nacimiento"}),
    "spanish till": (
        ["Nº tarjeta de fidelización", "Nombre y apellidos", "Móvil", "Domicilio", "CP", "Localidad", "F. nacimiento"],
        {"customer_id": "Nº tarjeta de fidelización", "full_name": "Nombre y apellidos", "phone": "Móvil",
         "street": "Domicilio", "postcode": "CP", "city": "Localidad", "birth_date": "F. nacimiento"}),
    "spanish shop": (
        ["Código de cliente", "Nombres", "Apellido 1", "Apellido 2", "E-mail", "Calle", "C.P.", "Municipio",
         "Cumpleaños"],
        {"customer_id": "Código de cliente", "first_name": "Nombres", "last_name": "Apellido 1",
         "second_last_name": "Apellido 2", "street": "Calle", "postcode": "C.P.", "city": "Municipio",
         "birth_date": "Cumpleaños"}),
}


@pytest.mark.parametrize("platform", list(IDENTITY_EXPORTS))
def test_identity_columns_of_platform_exports(platform):
    headers, expected = IDENTITY_EXPORTS[platform]
    mapped = map_columns(headers).as_dict()
    for field, column in expected.items():
        assert mapped.get(field) == column, (field, mapped)


IDENTITY_HEADERS = {
    # postcode
    "Zip": "postcode", "ZIP": "postcode", "Zip Code": "postcode", "zip_code": "postcode", "Zipcode": "postcode",
    "Zip/Postal Code": "postcode", "Postal Code": "postcode", "PostalCode": "postcode", "Post code": "postcode",
    "Postcode": "postcode", "Código postal": "postcode", "CODIGO_POSTAL": "postcode", "CP": "postcode",
    "C.P.": "postcode", "Cod. postal": "postcode", "Default Address Zip": "postcode", "Billing Zip": "postcode",
    "Shipping Postal Code": "postcode", "Código postal de envío": "postcode",
    # city
    "City": "city", "Town": "city", "Town/City": "city", "Ciudad": "city", "Localidad": "city",
    "Población": "city", "Municipio": "city", "Suburb": "city", "Default Address City": "city",
    "Billing City": "city", "Ciudad de residencia": "city",
    # street
    "Address": "street", "Address 1": "street", "Address1": "street", "Address Line 1": "street",
    "Street": "street", "Street Address": "street", "Dirección": "street", "Domicilio": "street", "Calle": "street",
    "Default Address Address1": "street", "Dirección postal": "street", "Dirección de envío": "street",
    "Home address": "street",
    # birth_date
    "Date of birth": "birth_date", "DateOfBirth": "birth_date", "DOB": "birth_date", "D.O.B.": "birth_date",
    "Birthday": "birth_date", "Birth date": "birth_date", "Birthdate": "birth_date",
    "Fecha de nacimiento": "birth_date", "Fecha nacimiento": "birth_date", "F. nacimiento": "birth_date",
    "F. Nac.": "birth_date", "Nacimiento": "birth_date", "Cumpleaños": "birth_date",
    "Fecha de nacimiento (dd/mm/aaaa)": "birth_date", "Date of birth (DD/MM/YYYY)": "birth_date",
    # names
    "First Name": "first_name", "FirstName": "first_name", "FNAME": "first_name", "Given name": "first_name",
    "Nombre": "first_name", "Nombres": "first_name", "Nombre de pila": "first_name",
    "Last Name": "last_name", "LNAME": "last_name", "Surname": "last_name", "Apellidos": "last_name",
    "Apellido": "last_name", "Primer apellido": "last_name", "Apellido 1": "last_name", "1º apellido": "last_name",
    "Apellido paterno": "last_name",
    "Segundo apellido": "second_last_name", "Apellido 2": "second_last_name", "2º apellido": "second_last_name",
    "Apellido materno": "second_last_name",
    "Name": "full_name", "Full Name": "full_name", "Nombre completo": "full_name",
    "Nombre y apellidos": "full_name", "Nombre y apellido": "full_name", "Apellidos y nombre": "full_name",
    "Apellidos, Nombre": "full_name", "Nombre del cliente": "full_name", "Billing Name": "full_name",
    # customer ids
    "Customer ID": "customer_id", "Record ID": "customer_id", "Contact ID": "customer_id", "Id": "customer_id",
    "LEID": "customer_id", "Klaviyo ID": "customer_id", "Customer Number": "customer_id",
    "Member number": "customer_id", "Loyalty ID": "customer_id", "Loyalty card number": "customer_id",
    "ID cliente": "customer_id", "Nº cliente": "customer_id", "N.º de cliente": "customer_id",
    "Número de cliente": "customer_id", "Código cliente": "customer_id", "Cod. cliente": "customer_id",
    "Nº socio": "customer_id", "Número de tarjeta de fidelización": "customer_id",
}


@pytest.mark.parametrize(("header", "field"), IDENTITY_HEADERS.items())
def test_identity_header_maps_to_field(header, field):
    mapped = map_columns(["Email", header])
    assert mapped.field_of(header) == field, mapped.as_dict()


# Headers that look like an identity column but are not one (or not this one).
NOT_IDENTITY = {
    "Email Address": "email", "E-mail address": "email", "Dirección de correo electrónico": "email",
    "Dirección de email": "email", "IP address": None, "IP": None, "Dirección IP": None, "Web address": None,
    "MAC address": None, "Address 2": None, "Address Line 2": None, "Default Address Address2": None,
    "City of birth": None, "Ciudad de nacimiento": None, "Lugar de nacimiento": None, "Birth place": None,
    "Default Address Country Code": "country", "Country": "country", "Zip opt out": "unsubscribed",
    "Card number": None, "Account ID": None, "Order ID": None, "Company": None, "Default Address Company": None,
    "Default Address Province Code": None, "State/Region": None, "Provincia": None,
    "Created date": "created_at", "Last order date": "last_purchase", "Customer": "customer",
}


@pytest.mark.parametrize(("header", "field"), NOT_IDENTITY.items())
def test_identity_fields_steal_no_other_header(header, field):
    mapped = map_columns(["Phone", header])
    assert mapped.field_of(header) == field, mapped.as_dict()


def test_email_address_stays_email_beside_an_address():
    mapped = map_columns(["Address", "Email Address", "IP Address", "Zip"])
    assert mapped.get("email") == "Email Address" and mapped.get("street") == "Address"
    assert mapped.get("postcode") == "Zip" and mapped.field_of("IP Address") is None
    mapped = map_columns(["Email Address", "Address"])
    assert mapped.as_dict() == {"email": "Email Address", "street": "Address"}


def test_phone_headers_are_not_customer_ids():
    mapped = map_columns(["Email", "Phone", "Contact Number", "Contact ID"])
    assert mapped.get("customer_id") == "Contact ID" and mapped.field_of("Contact Number") is None


def test_identity_fields_take_map_overrides():
    mapped = map_columns(["Email", "Dirección", "Ref"], {"customer_id": "Ref", "street": ""})
    assert mapped.get("customer_id") == "Ref" and mapped.get("street") is None
