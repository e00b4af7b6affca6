"""Placeholders the sending platform fills: merge tags, template variables, substitution tags.

Each ESP has its own syntax (Mailchimp ``*|FNAME|*``, Klaviyo ``{% unsubscribe %}``, HubSpot
``{{ unsubscribe_link }}``, Brevo ``{{ contact.FIRSTNAME }}``, Mailgun ``%unsubscribe_url%``,
SendGrid ``<%asm_group_unsubscribe_raw_url%>``…). Syntaxes that cannot mean anything else are
taken whatever they hold; the ones that also occur in ordinary text (``[…]``, ``{…}``, ``%…%``,
``$…$``, ``#…#``) only when they hold a field name (``{first_name}``, ``[unsubscribe]``).
These are regular expressions over text (visible text, link targets, headers), never over
HTML structure, which ``parse`` reads with an HTML parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: (syntax, pattern whose group 1 is the placeholder's content, needs a field name)
_SYNTAXES: list[tuple[str, re.Pattern, bool]] = [
    ("*|…|*", re.compile(r"\*\|\s*([A-Za-z0-9_:\-]+(?:\s[^|]*?)?)\s*\|\*"), False),
    ("{% … %}", re.compile(r"\{%-?\s*([^%{}]+?)\s*-?%\}"), False),
    ("{{ … }}", re.compile(r"\{\{\{?\s*([^{}]+?)\s*\}?\}\}"), False),
    ("<% … %>", re.compile(r"<%\s*([^%<>]+?)\s*%>"), False),
    ("%%…%%", re.compile(r"%%=?\s*([A-Za-z_][^%]*?)\s*=?%%"), False),
    ("[[…]]", re.compile(r"\[\[\s*([A-Za-z_][^\[\]]*?)\s*\]\]"), False),
    ("{$…}", re.compile(r"\{\$\s*([A-Za-z_][\w.]*)\s*\}"), False),
    ("${…}", re.compile(r"\$\{\s*([A-Za-z_][^{}]*?)\s*\}"), False),
    ("%…%", re.compile(r"(?<![\w%])%([A-Za-z_][\w.\-]{2,})%(?![\w%])"), True),
    ("[…]", re.compile(r"\[\s*([A-Za-z_][\w .:\-]{0,40}?)\s*\]"), True),
    ("$…$", re.compile(r"(?<!\w)\$([A-Za-z_][\w.]*)\$(?!\w)"), True),
    ("#…#", re.compile(r"(?<![\w#])#([A-Za-z_]\w*)#(?![\w#])"), True),
    ("{…}", re.compile(r"\{\s*([A-Za-z_][\w.]*)\s*\}"), True),
]

#: Field names (lower case, letters and digits only) that make an ambiguous syntax a placeholder.
FIELD_NAMES = frozenset({"firstname", "fname", "first", "name", "nombre", "nome", "prenom", "vorname",
    "lastname", "lname", "surname", "apellido", "apellidos", "cognome", "nom", "nachname", "fullname",
    "email", "emailaddress", "correo", "phone", "mobile", "telefono", "company", "empresa", "city", "ciudad",
    "country", "pais", "zip", "zipcode", "postcode", "postalcode", "address", "direccion", "coupon",
    "couponcode", "discountcode", "promocode", "codigo", "code", "orderid", "ordernumber", "pedido",
    "salutation", "anrede", "username", "customerid", "uid", "uniqid", "link", "url", "trackingurl",
    "shopurl", "store", "tienda", "points", "puntos", "balance", "saldo"})

#: Words in a placeholder's name that say what it fills.
_UNSUBSCRIBE = ("unsub", "optout", "baja", "desuscri", "desinscri", "desabonn", "abmeld", "disiscri")
_ADDRESS = ("address", "direccion", "adresse", "indirizzo")
_PREFERENCES = ("preferenc", "updateprofile", "manageprofile", "subscriptioncenter", "unsubcenter")
_TRACKING = ("utm", "track", "uniqid", "campaign", "click", "pixel", "openrate", "messageid", "uid")


@dataclass(frozen=True)
class Placeholder:
    text: str        # as written: {{ first_name }}
    name: str        # its content: first_name
    syntax: str      # {{ … }}
    platform: str    # who uses this syntax: Mailchimp, Klaviyo…

    @property
    def key(self) -> str:
        return re.sub(r"[^a-z0-9]", "", self.name.lower())

    @property
    def purpose(self) -> str:
        """unsubscribe | address | preferences | tracking | personalisation."""
        key = self.key
        if any(word in key for word in _PREFERENCES) and "unsubscribe" not in key.replace("unsubcenter", ""):
            return "preferences"
        if any(word in key for word in _UNSUBSCRIBE):
            return "unsubscribe"
        if any(word in key for word in _ADDRESS) and "mail" not in key:
            return "address"
        if any(word in key for word in _TRACKING):
            return "tracking"
        return "personalisation"

    def describe(self) -> str:
        return f"{self.text} ({self.platform})"


def find(text: str) -> list[Placeholder]:
    """Every placeholder in ``text``, in order; a span taken by one syntax is not read again
    by a looser one (``{first_name}`` inside ``{{first_name}}``)."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, Placeholder]] = []
    for syntax, pattern, needs_field_name in _SYNTAXES:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < right and left < end for left, right in taken):
                continue
            name = " ".join(match.group(1).split())
            if needs_field_name and not _is_field_name(name):
                continue
            taken.append((start, end))
            found.append((start, Placeholder(match.group(0), name, syntax, platform(syntax, name))))
    return [placeholder for _, placeholder in sorted(found, key=lambda pair: pair[0])]


def _is_field_name(name: str) -> bool:
    last = name.replace(":", ".").split(".")[-1]
    key = re.sub(r"[^a-z0-9]", "", last.lower())
    return key in FIELD_NAMES or any(word in key for word in _UNSUBSCRIBE)


def platform(syntax: str, name: str) -> str:
    """Which sending platform writes placeholders this way (as precisely as the syntax tells)."""
    ident = re.match(r"[\w.:]*", name).group(0)   # the variable, without filters or arguments
    key = ident.lower()
    if syntax == "*|…|*":
        return "Mailchimp merge tag"
    if syntax == "{% … %}":
        return "Klaviyo template tag"
    if syntax == "{{ … }}":
        return _double_brace_platform(ident, key)
    if syntax == "<% … %>":
        return "SendGrid substitution tag"
    if syntax == "%%…%%":
        return "Salesforce Marketing Cloud personalisation string"
    if syntax == "[[…]]":
        return "Mailjet variable"
    if syntax == "{$…}":
        return "MailerLite variable"
    if syntax == "${…}":
        return "Braze/Liquid variable"
    if syntax == "%…%":
        if key.startswith("recipient.") or key.endswith("unsubscribe_url"):
            return "Mailgun variable"
        return "ActiveCampaign personalisation tag" if ident.isupper() else "%…% variable of Mailgun or ActiveCampaign"
    if syntax == "[…]":
        return "substitution tag of legacy SendGrid, Campaign Monitor or Sendy"
    if syntax == "#…#":
        return "Moosend personalisation tag"
    if syntax == "$…$":
        return "$…$ template variable"
    return "{…} field of SMS platforms and mail merges"


def _double_brace_platform(ident: str, key: str) -> str:
    if key.startswith(("site_settings.", "unsubscribe_link", "unsubscribe_section", "subscription_preferences")):
        return "HubSpot HubL variable"
    if key.startswith(("contact.", "params.", "mirror", "update_profile")) or key == "unsubscribe":
        return "Brevo template variable" if not key.startswith("contact.") or ident.split(".", 1)[1].isupper() \
            else "HubSpot HubL variable"
    if key.startswith("pm:"):
        return "Postmark template variable"
    if key.startswith(("person.", "organization.", "event.")):
        return "Klaviyo template variable"
    return "{{ }} template variable of HubSpot, Brevo, Klaviyo, Iterable…"
