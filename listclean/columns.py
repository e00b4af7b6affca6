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

_EMAIL = r"(e ?mail|correo|mail)"
_SMS = r"(sms|text|texto|movil|mobile|celular)"
_CONSENT = r"(consent\w*|opt ?in|optin|accepts?( \w+)? marketing|accepts? (email|sms|marketing)|acepta\w*|permiso\w*|permission|subscri\w*|suscri\w*|marketing (contact )?status|newsletter|rgpd|gdpr)"
_DATE_WORDS = r"(time|date|fecha|timestamp|at|on|when|dia)"
_ACTIVITY = (r"((last|ultim[oa]|recent|most recent)\b.*\b(activ\w*|purchase\w*|compra\w*|order\w*|pedido\w*|open\w*|apertura\w*|abierto|click\w*|clic\w*|login\w*|acceso\w*|visit\w*|seen|engage\w*|interact\w*|changed|modif\w*|updat\w*|actualiz\w*|sale\w*|venta\w*|session\w*)"
             r"|(updated|modified|changed) (at|on|date)|last ?(changed|modified|modified date|updated|activity)|fecha (de )?(ultima )?(modificacion|actualizacion|ultima compra|ultima actividad)|lastmodifieddate|lastactivitydate)")

_WHATSAPP = r"(whatsapp|whats app|wa)"
_CALL = r"(call|calls|llamada\w*|telemarketing|telefonic\w*|phone)"

# ---- Stop headers: a person who said stop, in any of the ways exports say it.
# What a consent can be given to; a negation of one of these is a stop, never a consent.
_CONSENTED_TO = (r"(consent\w*|permission\w*|permiso\w*|opt ?in|optin|opted in|subscri\w*|suscri\w*|accepts?|acepta\w*"
                 r"|autoriza\w*|marketing|publicidad|comunicacion\w*|promo\w*|newsletter\w*)")
# Words that undo a consent next to them ("Consent withdrawn", "Marketing declined",
# "Rechaza publicidad"). "Cancelled" is not one: "Subscription cancelled" is usually a
# product subscription, so it is only reported (see _LOOKS_LIKE_STOP).
_UNDONE = r"(withdr\w*|revo[ck]\w*|retirad\w*|retiro|declin\w*|refus\w*|rechaz\w*|reject\w*|denied|deni[ae]\w*|denegad\w*)"
# "No consent", "Sin consentimiento", "Not subscribed", "No desea recibir publicidad";
# not "Yes/No consent" (a question) nor "No. of subscriptions" / "Nº de suscripciones" (a count).
_NO = r"(?<!yes )(?<!si )\b(no|not|non|sin|never|nunca|without|ningun\w*)\b(?! (of|de|del)\b)"
_NEGATED_CONSENT = (rf"{_CONSENTED_TO}\b.*\b{_UNDONE}|{_UNDONE}\b.*\b{_CONSENTED_TO}"
                    rf"|{_NO}( \w+){{0,2}} {_CONSENTED_TO}"
                    rf"|{_CONSENTED_TO}( \w+)? (not|no) (given|granted|dad[oa]|otorgad[oa]|obtained|obtenid[oa]|recorded|registrad[oa])")
# Things the person may not be sent ("Do not email", "No enviar", "No llamar").
_DO_NOT = r"(do ?not|dont|don t) (contact\w*|e ?mail\w*|mail\w*|text\w*|sms|call\w*|phone|market\w*|send|disturb|message\w*|solicit\w*|whatsapp)"
_NO_SEND = r"no (enviar|contactar|molestar|llamar|llamadas|contact|contacto|e ?mail|mail|correo|sms|whatsapp)"
# Headers that say stop on their own: unsubscribe, opt-out, do-not lists, complaints,
# blocks and objections (GDPR Art. 21, LOPDGDD "oposición").
_STOP = (rf"(unsub\w*|desuscri\w*|baja|opt ?outs?|optout\w*|opted ?out|{_DO_NOT}|donot\w*|{_NO_SEND}|dnc|stop(ped)?"
         r"|revo[ck]\w*|withdr\w*|suppress\w*|suprimid\w*|bloquead\w*|blocked|block ?list\w*|black ?list\w*|lista negra"
         rf"|spam|complain\w*|queja\w*|objected|objections?|objecion\w*|oposicion|{_NEGATED_CONSENT})")
# Columns that describe a stop rather than state it ("Unsubscribe reason", "Opt-out
# campaign", "Unsubscribe link"): not read, but reported in unread_stop_columns.
_STOP_DETAIL = (r"\b(reasons?|motivos?|causa|campaign\w*|campanas?|source|origen|fuente|method|metodo|channel|canal"
                r"|types?|tipo|category|categoria|count|number|numero|num|total|score|rate|tasa|link|url|id|ip|keyword"
                r"|comments?|notes?|notas?|details?|detalles?|description|descripcion|title|titulo|sell)\b")
# Channels listclean does not send on: a fax or postal opt-out is no email or text stop.
_OTHER_CHANNEL = r"\b(fax|postal|direct mail)\b"
# Which channel a stop header names. A header naming several channels ("Email and SMS
# opt-out") goes to the channel-less `unsubscribed`, which stops every channel.
# "Mobile"/"phone" name a device, not a channel: "Mobile opt-out" is a text stop,
# "Phone opt-out" and "Mobile DNC" are call stops.
_STOP_EMAIL = r"\b(e ?mails?|correos?|mails?)\b"
_STOP_SMS = r"\b(sms|texts?|texting|textos?|mensajes?)\b"
_STOP_MOBILE = r"\b(mobile|movil|celular|cell)\b"
_STOP_WHATSAPP = rf"\b{_WHATSAPP}\b"
_STOP_CALL = r"\b(call|calls|called|calling|llamadas?|llamar|telemarketing|dnc)\b"
_STOP_PHONE = r"\b(phone|telefono|telefonic\w*)\b"
_IS_STOP = rf"^(?=.*\b{_STOP}\b)"
_STOP_EXCLUDE = rf"{_STOP_DETAIL}|{_OTHER_CHANNEL}"
# A bounce: the address cannot be delivered to (email only; "Cleaned" is Mailchimp's word).
# Soft bounces are temporary, so they are only reported.
_BOUNCE = (r"(bounced?|hard ?bounced?|cleaned|rebotad[oa]s?|rebote|undeliverable|no entregable"
           r"|invalid (e ?mail|email address|correo)|(e ?mail|correo)( \w+)? (invalid[oa]?|no valid[oa]))")
_BOUNCE_EXCLUDE = rf"\b(soft|status|estado)\b|{_STOP_DETAIL}|\b({_SMS}|{_WHATSAPP}|{_CALL})\b"
# Anything a person would read as a stop. A column like this that no field took is
# listed in ColumnMap.unread_stop_columns: never silently dropped.
_LOOKS_LIKE_STOP = re.compile(
    rf"\b({_STOP}|stop\w*|opt ?out\w*|baja\w*|bounce\w*|rebot\w*|cleaned|undeliver\w*|spam\w*|block\w*|bloque\w*"
    r"|suprim\w*|retirad\w*|do ?not|dont|don t|no (enviar|contactar|molestar|llamar)|cancel\w*|objec(ted|tions?|ion\w*)"
    r"|rechaz\w*|declin\w*|refus\w*|reject\w*|denied|denegad\w*)\b")
# A status column (subscribed/unsubscribed/cleaned/pending…), read as such elsewhere.
# HubSpot's "Marketing contact status" stays a consent column (values "Marketing
# contact"/"Non-marketing contact"); "Customer status" stays `customer`.
_MEMBER_STATUS = (r"^((e ?mail|newsletter|list|audience|mailchimp|member|subscriber|subscription|contact) ){0,2}status$"
                  r"|^estado( (de |del )?(la )?(suscripcion|suscriptor|miembro|contacto|e ?mail|correo|newsletter|boletin|lista))*$")
# Consent columns never take a header that negates consent or says stop.
_NOT_CONSENT = rf"\b{_STOP}\b"

# ---- Identity: who the person is and where they live, as shops, CRMs and tills write it.
# An address part may name the address it belongs to ("Billing Zip", "Default Address City",
# "MailingPostalCode", "Código postal de envío"); never an email, IP or web address.
_ADDRESS_OF = r"((mailing|billing|shipping|delivery|home|postal|primary|main|contact|customer|default address|default|address) )?"
_ADDRESS_OF_ES = r"( (de )?(la )?(facturacion|envio|entrega|residencia|domicilio|cliente|principal|postal))?"
_TOWN = r"(city|town|suburb|ciudad|localidad|poblacion|municipio)"
# "Nº cliente" folds to "no cliente" (º is a small o): read as a number, as exports mean it.
_NUMBER_ES = r"(id|cod|codigo|ref|referencia|n|no|n o|nro|num|numero)"

# Field → (header pattern, headers it must not match). Order matters: the more
# specific fields claim their columns first ("Unsubscribed from all email" is an
# unsubscribe column, not an email column; "Subscriber status" is a status column,
# not a consent one; "Opt-out offered" is not a stop).
FIELD_PATTERNS: list[tuple[str, str, str | None]] = [
    ("robinson_checked", r"\brobinson\b", None),
    ("opt_out_offered", r"(opt ?out|unsubscribe|baja) (offered|ofrecida|option|opcion)|(oferta|opcion) (de )?baja", None),
    ("bounced_at", rf"\b{_BOUNCE}\b.*\b{_DATE_WORDS}$|^{_DATE_WORDS}\b.*\b{_BOUNCE}\b|^clean {_DATE_WORDS}$", _BOUNCE_EXCLUDE),
    ("bounced", rf"\b{_BOUNCE}\b", _BOUNCE_EXCLUDE),
    ("call_unsubscribed", rf"{_IS_STOP}(?=.*{_STOP_CALL}|(?!.*{_STOP_MOBILE}).*{_STOP_PHONE})",
     rf"{_STOP_EXCLUDE}|{_STOP_EMAIL}|{_STOP_SMS}|{_STOP_WHATSAPP}"),
    ("whatsapp_unsubscribed", rf"{_IS_STOP}.*{_STOP_WHATSAPP}",
     rf"{_STOP_EXCLUDE}|{_STOP_EMAIL}|{_STOP_SMS}|{_STOP_CALL}"),
    ("unsubscribed_at", rf"\b{_STOP}\b.*\b{_DATE_WORDS}$|^{_DATE_WORDS}\b.*\b{_STOP}\b",
     rf"{_STOP_EXCLUDE}|{_STOP_EMAIL}|{_STOP_SMS}|{_STOP_MOBILE}|{_STOP_WHATSAPP}|{_STOP_CALL}|{_STOP_PHONE}"),
    ("email_unsubscribed", rf"{_IS_STOP}.*{_STOP_EMAIL}",
     rf"{_STOP_EXCLUDE}|{_STOP_SMS}|{_STOP_MOBILE}|{_STOP_WHATSAPP}|{_STOP_CALL}|{_STOP_PHONE}"),
    ("sms_unsubscribed", rf"{_IS_STOP}.*({_STOP_SMS}|{_STOP_MOBILE})",
     rf"{_STOP_EXCLUDE}|{_STOP_EMAIL}|{_STOP_WHATSAPP}|{_STOP_CALL}"),
    ("unsubscribed", rf"\b{_STOP}\b", _STOP_EXCLUDE),
    ("member_status", _MEMBER_STATUS, None),
    ("consent_source", r"(consent\w*|opt ?in|optin|permission|subscription|suscripcion|signup|sign up) (source|origen|method|metodo|channel|canal|form|formulario|evidence|proof|prueba)|(source|origen|fuente) (of |del |de )?(consent\w*|opt ?in)", _NOT_CONSENT),
    ("consent_type", r"(consent\w*) (type|tipo|basis|base|kind)|(tipo|base) (de |del )?consentimiento|^legal basis\b|^base legal", _NOT_CONSENT),
    ("consent_date", rf"^(optin time|confirm time|opt in (time|date)|{_CONSENT} ({_DATE_WORDS}|fecha)|fecha (de )?{_CONSENT}|.*consent\w* timestamp)$", _NOT_CONSENT),
    ("email_consent", rf"\b{_CONSENT}\b.*\b{_EMAIL}\b|\b{_EMAIL}\b.*\b{_CONSENT}\b|^accepts? (e ?mail|email) marketing$|^accepts marketing$|^newsletter$", rf"\b{_SMS}\b|\b(source|origen|ip|method|metodo)\b|{_NOT_CONSENT}"),
    ("whatsapp_consent", rf"\b{_CONSENT}\b.*\b{_WHATSAPP}\b|\b{_WHATSAPP}\b.*\b{_CONSENT}\b", _NOT_CONSENT),
    ("call_consent", rf"\b{_CONSENT}\b.*\b(call|calls|llamada\w*|telemarketing)\b|\b(call|calls|llamada\w*|telemarketing)\b.*\b{_CONSENT}\b", _NOT_CONSENT),
    ("sms_consent", rf"^accepts? (sms|text) marketing$|\b{_CONSENT}\b.*\b{_SMS}\b|\b{_SMS}\b.*\b{_CONSENT}\b", rf"\b(source|origen|ip|method|metodo)\b|{_NOT_CONSENT}"),
    ("consent", rf"\b{_CONSENT}\b", rf"\b(source|origen|ip|method|metodo|legal basis|base legal|rating)\b|{_NOT_CONSENT}"),
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
    ("first_name", r"^(first ?name|fname|given ?names?|nombres?|nombre de pila|primer nombre|first|forename|prenom)$", None),
    # Spanish surnames come in two columns; the second is its own field (a field reads one column).
    ("second_last_name", r"^((segundo|2o|2do|2) apellido|apellido (2|materno)|second (last ?name|surname)|maternal surname)$", None),
    ("last_name", r"^(last ?names?|lname|surnames?|family name|apellidos?|last|nom|(primer|1er|1o|1) apellido|apellido (1|paterno))$", None),
    ("full_name", (r"^(name|full ?name|nombre completo|contact name|customer name|client name|display name|(billing|shipping) name"
                   r"|nombre (y )?apellidos?|apellidos (y )?nombre|nombre (del? )?(cliente|contacto))$"), None),
    ("customer_id", (r"^((customer|contact|record|client|member|profile|klaviyo|subscriber|user|shopper|loyalty( card| member)?) ?id"
                     r"|(customer|client|member|loyalty( card| member)?) (number|no|num|nr|code|ref)|id|leid|euid"
                     rf"|{_NUMBER_ES} (de |del )?(cliente|socio)|{_NUMBER_ES} (de )?tarjeta (de )?(fidelizacion|socio|cliente))$"), None),
    ("postcode", rf"^{_ADDRESS_OF}(zip|zip ?code|zip postal code|postal ?code|post ?code|codigo postal|cod postal|cp|c p){_ADDRESS_OF_ES}$", None),
    ("city", rf"^{_ADDRESS_OF}{_TOWN}( (or |o |y )?{_TOWN})?{_ADDRESS_OF_ES}$", None),
    ("street", (rf"^{_ADDRESS_OF}(address|address ?1|address line ?1|street|street address|street address ?1|street ?1|street line ?1"
                rf"|direccion|direccion ?1|direccion linea ?1|direccion completa|domicilio|calle|calle y numero){_ADDRESS_OF_ES}$"), None),
    ("birth_date", (r"^(date of birth|birth ?date|birth ?day|dob|d o b|fecha (de )?nacimiento|f (de )?nacimiento|fecha nac|fec nac|f nac"
                    r"|nacimiento|cumpleanos|fecha (de )?cumpleanos)( (dd|mm|yyyy|yy|aaaa|aa))*$"), None),
]
FIELDS = [name for name, _, _ in FIELD_PATTERNS]
# Fields that keep every matching column, in input order: any column that says stop
# must count, and the consent reader sees every consent column, not the first.
MULTI_VALUED = {
    "last_activity", "unsubscribed", "email_unsubscribed", "sms_unsubscribed", "whatsapp_unsubscribed",
    "call_unsubscribed", "unsubscribed_at", "bounced", "bounced_at", "member_status",
    "consent", "email_consent", "sms_consent", "whatsapp_consent", "call_consent",
}
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
    # Input columns no field took whose header reads like a stop ("Unsubscribe reason",
    # "Soft bounce", "Cancelled"): not read, but a person should know they are there.
    unread_stop_columns: list[str] = field(default_factory=list)

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
        """Field → column; a list of columns for every MULTI_VALUED field."""
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
        # --map FIELD= (no column) is final; a --map column of a multi-valued field is
        # read with the others ("--map unsubscribed=X" must not silence "Opt Out").
        if name in mapping.fields and (name not in MULTI_VALUED or not mapping.fields[name]):
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
    mapping.unread_stop_columns = [c for c in columns if c not in taken and _LOOKS_LIKE_STOP.search(folded[c])]
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
        where, _, name = name.strip().rpartition(":")
        result[f"{where}:{name.lower()}" if where else name.lower()] = column.strip()
    return result


def file_overrides(overrides: dict[str, str] | None, source: str, columns: list[str],
                   several: bool) -> dict[str, str]:
    """The --map entries for one input: ``FILE:FIELD=COLUMN`` where FILE is the input's path as
    given or its file name, then plain ``FIELD=COLUMN``. With several inputs a plain entry applies
    to the inputs that have that column (the others map the field by their headers)."""
    mine, plain = {}, {}
    names = {source, source.replace("\\", "/").rsplit("/", 1)[-1]}
    for key, column in (overrides or {}).items():
        where, _, name = key.rpartition(":")
        if not where:
            if not several or not column or _find_column(column, columns) is not None:
                plain[name] = column
        elif where in names:
            mine[name] = column
    return {**plain, **mine}


def unused_overrides(overrides: dict[str, str] | None, sources: list[str], inputs: list[list[str]]) -> None:
    """Refuse a --map entry that applies to nothing: ``FILE:`` naming no input, or (with several
    inputs) a plain entry whose column no input has. A typo would otherwise be silent."""
    names = {name for source in sources for name in (source, source.replace("\\", "/").rsplit("/", 1)[-1])}
    for key, column in (overrides or {}).items():
        where, _, _ = key.rpartition(":")
        if where and where not in names:
            raise ListcleanError(f"--map {key}={column!r}: no input is named {where!r} "
                                 f"(inputs: {', '.join(sources)})")
        if not where and len(inputs) > 1 and column and all(_find_column(column, c) is None for c in inputs):
            raise ListcleanError(f"--map {key}={column!r}: no input has such a column", column=column)
