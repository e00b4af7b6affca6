"""What the message rules look for in text: the wording of an unsubscribe link (in the major
languages), a postal address, an opt-out instruction for texts, the sender's name."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from listclean.message.model import Link

# ------------------------------------------------------------------ folding


def fold(text: str) -> str:
    """Lower case without accents (``Désinscrire`` → ``desinscrire``), for matching words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe"}))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def _has_sequence(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(tokens[i:i + size]) == phrase for i in range(len(tokens) - size + 1))


def _spaceless(text: str) -> bool:
    """Scripts written without spaces between words (Chinese, Japanese): matched as substrings."""
    return any(unicodedata.name(c, "").startswith(("CJK", "HIRAGANA", "KATAKANA")) for c in text)


# ------------------------------------------------------------------ unsubscribe wording

#: Word beginnings that mean "unsubscribe" (folded): a word that starts so says unsubscribe
#: (``unsubscribe``, ``unsubscribed``, ``UnsubscribeAll``, ``désinscription``…).
UNSUBSCRIBE_STEMS = (
    "unsub", "optout",                                   # English, and most URLs
    "desuscri", "desinscri",                             # Spanish: desuscribirse, desinscribirse
    "desabonn", "desinscri",                             # French: se désabonner, se désinscrire
    "abmeld", "abbestell", "austrag",                    # German: abmelden, abbestellen, austragen
    "disiscri",                                          # Italian: disiscriviti, disiscrizione
    "descadastr",                                        # Portuguese (Brazil): descadastrar
    "afmeld", "uitschrijv",                              # Dutch (afmelden, uitschrijven), Danish afmeld
    "wypis", "zrezygnuj",                                # Polish: wypisz się, zrezygnuj
    "avregistr", "avprenumer", "avanmal", "frameld", "avmeld",  # Swedish, Danish, Norwegian
    "odhlas", "dezabon", "leiratkoz",                    # Czech, Romanian, Hungarian
    "απεγγραφ", "διαγραφ", "отпис", "відпис",            # Greek, Russian, Ukrainian
)
#: Phrases (folded words in order) that mean "unsubscribe".
UNSUBSCRIBE_PHRASES = tuple(tuple(p.split()) for p in (
    "opt out", "remove me", "stop receiving",
    "de baja", "cancelar suscripcion", "cancelar la suscripcion", "cancelar tu suscripcion",
    "anular suscripcion", "anular la suscripcion", "no recibir mas",
    "cancella iscrizione", "annulla iscrizione", "annulla l iscrizione", "cancellati",
    "cancelar inscricao", "cancelar subscricao", "cancelar a subscricao", "anular subscricao",
    "sair da lista", "avsluta prenumeration", "meld deg av", "peruuta tilaus", "peru tilaus",
    "abonelikten cik", "aboneligi iptal", "отказаться от рассылки",
))
#: Chinese, Japanese and Korean wording, matched as written.
UNSUBSCRIBE_CJK = ("退订", "退訂", "取消订阅", "取消訂閱", "配信停止", "配信解除", "購読解除", "수신거부", "수신 거부",
                   "구독취소", "구독 취소")
#: Link texts that say unsubscribe on their own but are ordinary words in a sentence.
UNSUBSCRIBE_ALONE = {("baja",), ("dar", "de", "baja"), ("stop",), ("desvincular",)}
PREFERENCES_STEMS = ("preferenc", "preferenz", "voorkeur")
#: Link targets that go nowhere.
DEAD_TARGETS = re.compile(r"^(|#.*|javascript:.*|about:blank)$", re.IGNORECASE)


def says_unsubscribe(text: str) -> bool:
    """Whether a link's text, or the line around an address in plain text, says unsubscribe."""
    if any(phrase in text for phrase in UNSUBSCRIBE_CJK):
        return True
    tokens = words(text)
    if any(token.startswith(UNSUBSCRIBE_STEMS) for token in tokens):
        return True
    return any(_has_sequence(tokens, phrase) for phrase in UNSUBSCRIBE_PHRASES) or tuple(tokens) in UNSUBSCRIBE_ALONE


def target_says_unsubscribe(href: str) -> bool:
    """Whether a link's address says unsubscribe: in a word of its path or query
    (``/unsubscribe?u=…``, ``/newsletter/baja``), not inside another word (``/rebajas``)."""
    target = unquote(href)
    if any(phrase in target for phrase in UNSUBSCRIBE_CJK):
        return True
    segments = [s for s in re.split(r"[/?&=#.;]", fold(target)) if s]
    for segment in segments:
        tokens = re.findall(r"[^\W_]+", segment)
        if any(token.startswith(UNSUBSCRIBE_STEMS) for token in tokens) or segment == "baja":
            return True
        if any(_has_sequence(tokens, phrase) for phrase in UNSUBSCRIBE_PHRASES):
            return True
    return False


def says_preferences(link: Link) -> bool:
    return any(token.startswith(PREFERENCES_STEMS) for token in words(f"{link.text} {unquote(link.href)}"))


def is_dead(href: str) -> bool:
    return bool(DEAD_TARGETS.match(href.strip()))


# ------------------------------------------------------------------ postal address

_US_STREET = (r"\b\d{1,6}[A-Z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Za-z0-9.'-]+\s+){0,4}?"
              r"(?:Street|St|Avenue|Ave|Boulevard|Blvd|Road|Rd|Drive|Dr|Lane|Ln|Way|Court|Ct|Place|Pl|Parkway|"
              r"Pkwy|Highway|Hwy|Square|Sq|Terrace|Ter|Circle|Cir|Trail|Trl|Plaza|Broadway|Loop|Pike|Row)\b\.?")
_US_STATE_ZIP = (r"\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|"
                 r"NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR)\s+\d{5}(?:-\d{4})?\b")
_PO_BOX = (r"\b(?:P\.?\s?O\.?\s*Box|Post\s+Office\s+Box|PMB|Apartado(?:\s+de\s+correos)?|Apdo\.?|Postfach|"
           r"Casella\s+postale|Bo[iî]te\s+postale|B\.?P\.?|Caixa\s+postal|Casilla)\s*#?\s*\d+")
_CANADIAN_POSTCODE = r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b"
_UK_POSTCODE = r"\b(?:GIR\s?0AA|[A-Z]{1,2}\d[A-Z\d]?\s\d[ABD-HJLNP-UW-Z]{2})\b"
#: Spanish, Italian and Portuguese: the kind of way first, then its name and number (C/ Mayor 12).
_LATIN_STREET = (r"(?:^|[\s,(])(?:C/|Calle|Avda\.?|Avenida|Av\.|Plaza|Pza\.?|Paseo|P[º°]|Ronda|Camino|Carrer|"
                 r"R[úu]a|Travesía|Carretera|Ctra\.?|Via|Viale|Piazza|Corso|Largo|Praça|Travessa|Alameda|Estrada)"
                 r"\s*[^\n\d]{2,40}?,?\s*(?:n[º°o.]\s*)?\d+")
_FRENCH_STREET = (r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|bd|place|allée|chemin|quai|impasse|"
                  r"route|cours)\s+\w")
#: German and Dutch: the kind of way ends the name, the number follows (Bergstraße 12, Keizersgracht 8).
_GERMANIC_STREET = r"\b[\wäöüß.-]*(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|straat|laan|plein|gracht)\s+\d+"
_BRAZILIAN_CEP = r"\b\d{5}-\d{3}\b"
#: Address patterns over the visible text: each is a strong sign of a postal address.
POSTAL_PATTERNS = [re.compile(pattern, flags) for pattern, flags in (
    (_US_STREET, re.IGNORECASE), (_US_STATE_ZIP, 0), (_PO_BOX, re.IGNORECASE), (_CANADIAN_POSTCODE, 0),
    (_UK_POSTCODE, 0), (_LATIN_STREET, re.IGNORECASE), (_FRENCH_STREET, re.IGNORECASE),
    (_GERMANIC_STREET, re.IGNORECASE), (_BRAZILIAN_CEP, 0),
)]


def has_postal_address(text: str) -> bool:
    return any(pattern.search(text) for pattern in POSTAL_PATTERNS)


# ------------------------------------------------------------------ opt-out instruction (texts)

#: Verbs that introduce a reply keyword ("Reply STOP", "Responde BAJA", "Envoyez STOP").
REPLY_VERBS = (
    "reply", "text", "txt", "send", "sms", "respond", "answer",
    "responde", "responda", "responder", "contesta", "envia", "envie", "manda", "escribe",
    "repondez", "reponds", "envoyez", "envoie", "tapez", "antworte", "antworten", "sende", "senden",
    "rispondi", "invia", "scrivi", "stuur", "antwoord", "odpowiedz", "wyslij",
)


def opt_out_instruction(text: str, keywords: tuple[str, ...]) -> str | None:
    """The first opt-out instruction in ``text``: a keyword written in capitals as the policy
    lists it ("STOP"), or in any case right after a reply verb ("reply stop"). A lower-case
    word in a sentence ("don't stop now") is not an instruction."""
    folded = fold(text)
    for keyword in keywords:
        written = r"\s+".join(re.escape(part) for part in keyword.split())
        capitals = re.search(rf"(?<!\w){written}(?!\w)", text)
        if capitals:
            return capitals.group(0)
        plain = r"\s+".join(re.escape(part) for part in fold(keyword).split())
        verbs = "|".join(REPLY_VERBS)
        after_verb = re.search(rf"\b(?:{verbs})\b\W{{1,3}}(?:(?:with|con|avec|mit|the|el|la|le|word|palabra|"
                               rf"mot)\W+){{0,2}}[\"'«“]?({plain})(?!\w)", folded)
        if after_verb:
            return text[after_verb.start(1):after_verb.end(1)] if len(folded) == len(text) else after_verb.group(1)
    return None


# ------------------------------------------------------------------ sender identification (texts)

#: First words that open a greeting rather than name a sender ("Hi Ana:", "Hola María -").
GREETINGS = {"hi", "hello", "hey", "dear", "hola", "buenas", "buenos", "estimado", "estimada", "querido",
             "querida", "bonjour", "salut", "hallo", "liebe", "lieber", "ciao", "ola", "oi", "caro", "cara",
             "hej", "hoi", "alert", "urgent", "urgente", "reminder", "recordatorio", "aviso", "info", "promo",
             "oferta", "offer", "sale", "rebajas", "new", "nuevo", "nueva"}
#: "Brand:" "[Brand]" "Brand -" at the start, the form carriers and the CTIA ask for.
_PREFIX = re.compile(r"^\s*(?:\[([^\]\n]{2,30})\]|([^\s:\-–—|\[][^:\n\-–—|]{0,29}?)\s*(?::|\s[-–—|]\s))")
#: "- Brand" or "— Brand" closing a sentence.
_SIGNATURE = re.compile(r"(?:^|\s)[-–—~]\s*([A-Z0-9][\w&'.]*(?:\s+[A-Z0-9&][\w&'.]*){0,3})\s*(?:[.!]|$)",
                        re.MULTILINE)


def sender_named(text: str, sender: str | None) -> str | None:
    """The sender's name as the text gives it: ``sender`` (when declared) anywhere in it, else a
    brand tag at the start ("Acme: …", "[Acme] …") or a signature ("… - Acme")."""
    if sender:
        if _spaceless(sender):
            return sender if sender in text else None
        return sender if _has_sequence(words(text), tuple(words(sender))) else None
    prefix = _PREFIX.match(text)
    if prefix:
        name = (prefix.group(1) or prefix.group(2)).strip()
        first = (words(name) or [""])[0]
        if first not in GREETINGS and not name.lower().startswith(("{", "*|", "%", "[")):
            return name
    signature = _SIGNATURE.search(text)
    return signature.group(1) if signature else None
