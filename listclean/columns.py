"""Map export headers to canonical fields (email, phone, consent…), like a person would.

Headers are compared after folding case and accents and splitting camelCase, so
"Correo electrónico", "EMAIL_ADDRESS" and "emailAddress" all read the same.
Exports of Mailchimp, HubSpot, Salesforce, Klaviyo, Shopify and generic CRMs in
English and Spanish are covered; ``--map field=Header`` overrides any choice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from listclean.errors import ListcleanError

# Field → (header pattern, headers it must not match). Order matters: the more
# specific fields claim their columns first ("Unsubscribed from all email" is an
# unsubscribe column, not an email column).
_EMAIL = r"(e ?mail|correo|mail)"
_SMS = r"(sms|text|texto|movil|mobile|celular)"
_CONSENT = r"(consent\w*|opt ?in|optin|accepts?( \w+)? marketing|accepts? (email|sms|marketing)|acepta\w*|permiso\w*|permission|subscri\w*|suscri\w*|marketing (contact )?status|newsletter|rgpd|gdpr)"
_UNSUB = r"(unsub\w*|baja|de baja|opt ?out|optout|opted out|do not (email|contact|text|sms|market)|donot\w*|suppress\w*|bloquead\w*|no contactar|no molestar|stop|revoc\w*|unsubscribed)"
_DATE_WORDS = r"(time|date|fecha|timestamp|at|on|when|dia)"
_ACTIVITY = (r"((last|ultim[oa]|recent|most recent)\b.*\b(activ\w*|purchase\w*|compra\w*|order\w*|pedido\w*|open\w*|apertura\w*|abierto|click\w*|clic\w*|login\w*|acceso\w*|visit\w*|seen|engage\w*|interact\w*|changed|modif\w*|updat\w*|actualiz\w*|sale\w*|venta\w*|session\w*)"
             r"|(updated|modified|changed) (at|on|date)|last ?(changed|modified|modified date|updated|activity)|fecha (de )?(ultima )?(modificacion|actualizacion|ultima compra|ultima actividad)|lastmodifieddate|lastactivitydate)")

_WHATSAPP = r"(whatsapp|whats app|wa)"
_CALL = r"(call|calls|llamada\w*|telemarketing|telefonic\w*|phone)"

FIELD_PATTERNS: list[tuple[str, str, str | None]] = [
    ("robinson_checked", r"\brobinson\b", None),
    ("opt_out_offered", r"(opt ?out|unsubscribe|baja) (offered|ofrecida|option|opcion)|(oferta|opcion) (de )?baja", None),
    ("call_unsubscribed", rf"^(do not call|dnc|no llamar|donotcall)$|\b{_UNSUB}\b.*\b{_CALL}\b|\b{_CALL}\b.*\b{_UNSUB}\b", None),
    ("whatsapp_unsubscribed", rf"\b{_UNSUB}\b.*\b{_WHATSAPP}\b|\b{_WHATSAPP}\b.*\b{_UNSUB}\b", None),
    ("unsubscribed_at", rf"^(unsub\w* {_DATE_WORDS}|{_DATE_WORDS} (de )?(baja|unsub\w*)|fecha baja)$", None),
    ("email_unsubscribed", rf"\b{_UNSUB}\b.*\b{_EMAIL}\b|\b{_EMAIL}\b.*\b{_UNSUB}\b|^unsub time$|^clean time$", rf"\b{_SMS}\b"),
    ("sms_unsubscribed", rf"\b{_UNSUB}\b.*\b{_SMS}\b|\b{_SMS}\b.*\b{_UNSUB}\b", None),
    ("unsubscribed", rf"\b{_UNSUB}\b", r"\b(reason|motivo|campaign|campana|source|origen)\b"),
    ("consent_source", r"(consent\w*|opt ?in|optin|permission|subscription|suscripcion|signup|sign up) (source|origen|method|metodo|channel|canal|form|formulario|evidence|proof|prueba)|(source|origen|fuente) (of |del |de )?(consent\w*|opt ?in)", None),
    ("consent_type", r"(consent\w*) (type|tipo|basis|base|kind)|(tipo|base) (de |del )?consentimiento|^legal basis\b|^base legal", None),
    ("consent_date", rf"^(optin time|confirm time|opt in (time|date)|{_CONSENT} ({_DATE_WORDS}|fecha)|fecha (de )?{_CONSENT}|.*consent\w* timestamp)$", None),
    ("email_consent", rf"\b{_CONSENT}\b.*\b{_EMAIL}\b|\b{_EMAIL}\b.*\b{_CONSENT}\b|^accepts? (e ?mail|email) marketing$|^accepts marketing$|^newsletter$", rf"\b{_SMS}\b|\b(source|origen|ip|method|metodo)\b"),
    ("whatsapp_consent", rf"\b{_CONSENT}\b.*\b{_WHATSAPP}\b|\b{_WHATSAPP}\b.*\b{_CONSENT}\b", None),
    ("call_consent", rf"\b{_CONSENT}\b.*\b(call|calls|llamada\w*|telemarketing)\b|\b(call|calls|llamada\w*|telemarketing)\b.*\b{_CONSENT}\b", None),
    ("sms_consent", rf"^accepts? (sms|text) marketing$|\b{_CONSENT}\b.*\b{_SMS}\b|\b{_SMS}\b.*\b{_CONSENT}\b", r"\b(source|origen|ip|method|metodo)\b"),
    ("consent", rf"\b{_CONSENT}\b", r"\b(source|origen|ip|method|metodo|legal basis|base legal|rating)\b"),
    ("last_contacted", r"^(last|ultim[oa]|most recent) (contacted|contact|email sent|sent|send|campaign|message|mailing|envio|contacto)( at| on| date| fecha)?$|^fecha (de )?(ultimo|ultima) (contacto|envio)$|^last contacted\b", None),
    ("last_purchase", r"^(last|ultim[oa]|most recent|recent)\b.*\b(purchase\w*|compra\w*|order\w*|pedido\w*)\b|^fecha (de )?(la )?ultima compra$", None),
    ("last_inquiry", r"^((last|ultim[oa]) )?(inquiry|enquiry|consulta|solicitud)( date| fecha| at)?$|^fecha (de )?(la )?(ultima )?(consulta|solicitud)$", None),
    ("customer", r"^((is|es) )?(customer|cliente)$|^(existing|current) customer$|^customer (flag|status)$|^cliente (existente|actual)$", None),
    ("last_activity", _ACTIVITY, None),
    ("created_at", r"^(created?( \w+)?( at| on| date)?|creado|fecha (de )?(alta|creacion|registro)|alta|date added|added|signup( date)?|sign up date|registered( at| on)?|registro|customer since|cliente desde|profile created on|create date|createddate|first seen)$", None),
    ("email", rf"^((primary|personal|work|contact|customer|main|principal) )?({_EMAIL}|e mail address|email address|correo electronico|direccion (de )?(correo|e mail|email)( electronico)?|mail address|email 1|emailaddress)( principal| personal| 1)?$", None),
    ("phone", r"^((mobile|movil|celular|cell|cellphone)( phone)?( number)?|(telefono|tel|phone) (movil|celular|mobile)|mobilephone|sms (phone|number)|numero (de )?(movil|celular))$", None),
    ("phone_other", r"^((primary |contact |main |home |work )?(phone|telephone|telefono|tel|tlf|tfno|phone number|telephone number|numero de telefono|numero telefono|contact number|phone 1|telefono 1))$", None),
    ("country", r"^((mailing |billing |shipping |default address )?(country|pais|country code|country region|country or region|nation|cc|country iso|codigo pais|codigo (de )?pais)|country/region)$", None),
    ("first_name", r"^(first ?name|fname|given name|nombre|nombre de pila|first|forename|prenom)$", None),
    ("last_name", r"^(last ?name|lname|surname|family name|apellidos?|last|nom)$", None),
    ("full_name", r"^(name|full ?name|nombre completo|contact name|customer name|nombre y apellidos|display name)$", None),
    ("customer_id", r"^((customer|contact|record|client|member|profile|klaviyo|subscriber) ?id|id|id cliente|leid|euid|codigo (de )?cliente|n cliente|numero de cliente)$", None),
]
FIELDS = [name for name, _, _ in FIELD_PATTERNS]
MULTI_VALUED = {"last_activity"}
CHANNEL_FIELDS = {"email": "email", "sms": "phone", "whatsapp": "phone", "call": "phone"}
_COMPILED = [(name, re.compile(pattern), re.compile(exclude) if exclude else None)
             for name, pattern, exclude in FIELD_PATTERNS]


def fold(header: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a header; camelCase split."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header)
    ascii_text = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).strip()


@dataclass
class ColumnMap:
    """Canonical field → the input column(s) it was taken from, and why."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # input column → why

    def get(self, name: str) -> str | None:
        columns = self.fields.get(name)
        return columns[0] if columns else None

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def field_of(self, column: str) -> str | None:
        for name, columns in self.fields.items():
            if column in columns:
                return name
        return None

    def as_dict(self) -> dict[str, str | list[str]]:
        return {name: (cols if name in MULTI_VALUED else cols[0]) for name, cols in self.fields.items()}

    @property
    def phone(self) -> str | None:
        """The phone column to judge: a mobile column when the export has one."""
        return self.get("phone") or self.get("phone_other")


def map_columns(columns: list[str], overrides: dict[str, str] | None = None,
                source: str | None = None) -> ColumnMap:
    """Choose a column for each canonical field; ``overrides`` (from --map) win."""
    mapping = ColumnMap()
    taken: set[str] = set()
    for name, column in (overrides or {}).items():
        if name == "mobile":
            name = "phone"
        if name not in FIELDS:
            raise ListcleanError(f"unknown field {name!r} in --map (fields: {', '.join(FIELDS)})",
                                 file=source)
        if not column:  # --map country= : use no column for this field
            mapping.fields[name] = []
            continue
        actual = _find_column(column, columns)
        if actual is None:
            raise ListcleanError(f"--map {name}={column!r}: no such column "
                                 f"(columns: {', '.join(columns)})", file=source, column=column)
        mapping.fields.setdefault(name, []).append(actual)
        mapping.reasons[actual] = "--map"
        taken.add(actual)
    folded = {column: fold(column) for column in columns}
    for name, pattern, exclude in _COMPILED:
        if name in mapping.fields and name not in MULTI_VALUED:
            continue
        for column in columns:
            text = folded[column]
            if column in taken or not pattern.search(text) or (exclude and exclude.search(text)):
                continue
            mapping.fields.setdefault(name, []).append(column)
            mapping.reasons[column] = "header"
            taken.add(column)
            if name not in MULTI_VALUED:
                break
    mapping.fields = {k: v for k, v in mapping.fields.items() if v}
    return mapping


def _find_column(wanted: str, columns: list[str]) -> str | None:
    if wanted in columns:
        return wanted
    matches = [c for c in columns if fold(c) == fold(wanted)]
    return matches[0] if len(matches) == 1 else None


def parse_map_options(items: list[str]) -> dict[str, str]:
    """``["phone=Tel. móvil", ...]`` → ``{"phone": "Tel. móvil"}``."""
    result = {}
    for item in items:
        if "=" not in item:
            raise ListcleanError(f"--map expects FIELD=COLUMN, got {item!r}")
        name, column = item.split("=", 1)
        result[name.strip().lower()] = column.strip()
    return result
