"""MS: the campaign message itself (``listclean message``, ``--message``): a way out in every
message, the sender named, and what an SMS costs.

These rules judge one parsed message, not rows: each is a pure function of a
``MessageContext`` returning notes (``model.Note``) or None. The row engine skips them
(``Rule.target``); ``listclean.message`` runs them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from listclean.checks.registry import rule
from listclean.message import gsm, placeholders, signals
from listclean.message.model import Body, Link, MessageContext, Note

PHONE = ("sms", "whatsapp")
#: Unfilled placeholders reported at most (one note each).
MAX_PLACEHOLDERS = 20
#: How MS006 names a placeholder by what it fills (a personalisation field needs no adjective).
PURPOSES = {"tracking": "tracking ", "address": "postal-address ", "preferences": "preferences-link "}
#: What a WhatsApp message template's body may hold (Meta's template guidelines).
WHATSAPP_TEMPLATE_BODY = 1024


# ------------------------------------------------------------------ helpers


def unsubscribe_placeholders(body: Body) -> list[placeholders.Placeholder]:
    sources = [body.text, *_targets(body)]
    found = [p for source in sources for p in placeholders.find(source)]
    return [p for p in _distinct(found) if p.purpose == "unsubscribe"]


def _targets(body: Body) -> list[str]:
    """Link targets and attributes as written and, when they differ, URL-decoded: an editor may
    have written ``{{first_name}}`` as ``%7B%7Bfirst_name%7D%7D``."""
    written = [*body.attributes, *(link.href for link in body.links)]
    return written + [decoded for decoded in map(unquote, written) if decoded not in written]


def unsubscribe_links(body: Body) -> list[Link]:
    """Links that say unsubscribe, by their text or their address, and lead somewhere."""
    return [link for link in body.links if not signals.is_dead(link.href)
            and (signals.says_unsubscribe(link.text) or signals.target_says_unsubscribe(link.href))]


def _distinct(found: list[placeholders.Placeholder]) -> list[placeholders.Placeholder]:
    return list({p.text: p for p in found}.values())


def _plain(replacement: str) -> str:
    return {" ": "a space", "": "nothing"}.get(replacement, replacement)


def _quoted(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= width else text[:width - 1] + '…'}”"


# ------------------------------------------------------------------ email


@rule("MS001", "unsubscribe-link-missing", "error", channels=["email"])
def unsubscribe_link_missing(ctx: MessageContext):
    """Flags an email body (the HTML part, the plain-text part, or the template) with no
    unsubscribe link: no link whose text or address says unsubscribe (darse de baja,
    désinscrire, abmelden, disiscriviti, descadastrar, afmelden, wypisz…) and no unsubscribe
    placeholder of the sending platform (``*|UNSUB|*``, ``{% unsubscribe %}``…). A link that says
    unsubscribe but goes nowhere (``#``, ``javascript:``) does not count.

    Why it matters: CAN-SPAM requires a clear and conspicuous way to opt out in every commercial
    email (15 U.S.C. §7704(a)(3), (a)(5)(A)(ii)); GDPR art. 21(2)-(4) and LSSI art. 21.2 (Spain)
    an easy, free way to object in every commercial communication; PECR reg. 22(3) and CASL
    s.6(2)(c) likewise. Each version a reader may see (HTML or plain text) needs it.

    How to fix: put a visible link whose text says Unsubscribe (in the message's language) in the
    footer of every version, or the platform's unsubscribe tag (Mailchimp ``*|UNSUB|*``, Klaviyo
    ``{% unsubscribe %}``, HubSpot ``{{ unsubscribe_link }}``, Brevo ``{{ unsubscribe }}``).
    """
    bodies = ctx.message.bodies
    if not bodies:
        return [Note("the message has no text or HTML body to carry an unsubscribe link")]
    notes = []
    for body in bodies:
        if unsubscribe_links(body) or unsubscribe_placeholders(body):
            continue
        found = f"the {body.label} has no unsubscribe link"
        dead = [link for link in body.links if signals.says_unsubscribe(link.text) and signals.is_dead(link.href)]
        if dead:
            found += f"; the link {_quoted(dead[0].text)} goes nowhere (href {dead[0].href or 'empty'!r})"
        elif any(signals.says_preferences(link) for link in body.links):
            found += "; a preferences link was found, which counts only if it stops all marketing in one step"
        notes.append(Note(found, "add a visible Unsubscribe link (or the platform's unsubscribe tag) to the footer"))
    return notes or None


@rule("MS002", "unsubscribe-placeholder", "info", channels=["email"])
def unsubscribe_placeholder(ctx: MessageContext):
    """Flags an unsubscribe link that is a placeholder the sending platform fills
    (``*|UNSUB|*``, ``{{unsubscribe_url}}``, ``{% unsubscribe %}``, ``%unsubscribe_link%``,
    ``[unsubscribe]``, ``$unsubscribe$``…), and names the platform whose syntax it is. The link
    counts as present (MS001 does not fire); this note says who must fill it.

    Why it matters: the link works only if the message is sent through that platform, which
    replaces the tag with the reader's own unsubscribe address. Sent by another tool, or as a
    finished .eml, the reader sees the raw tag and cannot opt out (CAN-SPAM §7704(a)(3); GDPR
    art. 21; LSSI art. 21.2).

    How to fix: nothing, if the platform named sends the message. Otherwise replace the tag with
    that tool's own unsubscribe tag, or a working unsubscribe URL.
    """
    found = _distinct([p for body in ctx.message.bodies for p in unsubscribe_placeholders(body)])
    notes = []
    for placeholder in found:
        note = f"the unsubscribe link is the {placeholder.platform} {placeholder.text}, filled at send time"
        if ctx.is_final:
            note += "; this message still holds it, so sent as it is the link would not work"
        notes.append(Note(note))
    return notes or None


@rule("MS003", "list-unsubscribe-missing", "warning", channels=["email"])
def list_unsubscribe_missing(ctx: MessageContext):
    """Flags an .eml without a ``List-Unsubscribe`` header (RFC 2369). Templates (.html, .txt)
    are not judged: the sending platform adds the headers.

    Why it matters: since 2024 Gmail and Yahoo require bulk senders (5,000+ messages a day) to
    offer one-click unsubscribe through this header, shown as an Unsubscribe button next to the
    sender; without it more readers press "Report spam" instead, and mail is filtered or refused.

    How to fix: send through a platform that adds it, or add
    ``List-Unsubscribe: <https://…/unsubscribe?id=…>, <mailto:unsubscribe@…>`` together with
    ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
    """
    message = ctx.message
    if message.kind != "eml" or message.header("List-Unsubscribe"):
        return None
    return [Note("no List-Unsubscribe header: Gmail and Yahoo expect one-click unsubscribe from bulk senders",
                 "add List-Unsubscribe with an https URL and List-Unsubscribe-Post: List-Unsubscribe=One-Click")]


@rule("MS004", "one-click-missing", "warning", channels=["email"])
def one_click_unsubscribe_missing(ctx: MessageContext):
    """Flags an .eml whose ``List-Unsubscribe`` does not give one-click unsubscribe as RFC 8058
    defines it: an https URL in ``List-Unsubscribe``, the header
    ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``, and, when the message is signed, both
    headers covered by the DKIM signature (its ``h=`` tag).

    Why it matters: Gmail's and Yahoo's bulk-sender rules (2024) ask for one-click unsubscribe
    (RFC 8058), not a mailto: address or a page that asks the reader to log in; a header that is
    not signed can be forged, so RFC 8058 §4 requires the DKIM signature to cover it.

    How to fix: add ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``, put an https URL that
    unsubscribes on a POST in ``List-Unsubscribe``, and sign both headers with DKIM.
    """
    message = ctx.message
    values = message.header("List-Unsubscribe")
    if message.kind != "eml" or not values:
        return None
    targets = [t.strip() for value in values for t in re.findall(r"<([^>]*)>", value)]
    notes = []
    if not any(t.lower().startswith("https://") or placeholders.find(t) for t in targets):
        schemes = sorted({t.split(":", 1)[0].lower() + ":" for t in targets if ":" in t}) or ["no URL"]
        notes.append(Note(f"List-Unsubscribe has no https URL ({', '.join(schemes)} only): one-click needs https",
                          "add an https URL that unsubscribes on a POST"))
    posts = message.header("List-Unsubscribe-Post")
    if not posts:
        notes.append(Note("no List-Unsubscribe-Post header: List-Unsubscribe alone is not one-click (RFC 8058)",
                          "add List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
    elif not any(p.strip() == "List-Unsubscribe=One-Click" for p in posts):
        notes.append(Note(f"List-Unsubscribe-Post says {posts[0].strip()!r}, not 'List-Unsubscribe=One-Click'",
                          "set List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
    for signature in message.header("DKIM-Signature"):
        tag = re.search(r"(?:^|;)\s*h\s*=\s*([^;]*)", signature)
        signed = {name.strip().lower() for name in (tag.group(1) if tag else "").split(":")}
        unsigned = [name for name in ("List-Unsubscribe", "List-Unsubscribe-Post")
                    if message.header(name) and name.lower() not in signed]
        if unsigned:
            notes.append(Note(f"the DKIM signature does not cover {' and '.join(unsigned)} (RFC 8058 §4)",
                              "add them to the signed headers (h=) of the DKIM signature"))
            break
    return notes or None


@rule("MS005", "postal-address-missing", "error", channels=["email"])
def postal_address_missing(ctx: MessageContext):
    """Flags an email with no postal address of the sender, where the policy requires one
    (``[message] postal_address = true``: can-spam, tcpa, casl). Found: a street and number (US,
    Spanish, French, German, Italian, Portuguese, Dutch forms), a PO box or private mailbox, a
    US state and ZIP code, a UK or Canadian postcode, or the platform's address tag
    (``*|LIST:ADDRESS|*``, ``{{ organization.full_address }}``…).

    Why it matters: CAN-SPAM requires the sender's valid physical postal address in every
    commercial email (15 U.S.C. §7704(a)(5)(A)(iii); a registered PO box or private mailbox
    will do, 16 CFR §316.2); CASL requires the sender's mailing address (s.6(2)(b); CRTC
    Regulations 2012-36 s.2).

    How to fix: put the sender's postal address in the footer, or the platform's address tag.
    """
    if not ctx.terms.postal_address or not ctx.message.bodies:
        return None
    for body in ctx.message.bodies:
        if signals.has_postal_address(body.text):
            return None
        sources = [body.text, *body.attributes]
        if any(p.purpose == "address" for source in sources for p in placeholders.find(source)):
            return None
    return [Note("no postal address of the sender found (street and number, PO box, or postcode)",
                 "add the sender's postal address to the footer (or the platform's address tag)")]


# ------------------------------------------------------------------ any channel


@rule("MS006", "placeholder-unfilled", "warning", channels=["email", "sms", "whatsapp"])
def placeholder_unfilled(ctx: MessageContext):
    """Flags personalisation or tracking placeholders left unfilled in a finished message: an
    .eml (or any file given with ``listclean message --final``) that still holds
    ``{{first_name}}``, ``*|FNAME|*``, ``%FIRSTNAME%``, ``{first_name}``, ``[First Name]``,
    ``?uid=*|UNIQID|*``… in its subject, text or links. Templates (.html, .txt, SMS texts) are
    expected to hold them and are not judged. Unsubscribe placeholders are MS002's.

    Why it matters: a finished message is sent as it is: every reader sees "Hi {{first_name}}",
    and links carry no tracking, or break.

    How to fix: send the message through the platform that fills those placeholders, or fill
    them (or remove them) before sending it as it is.
    """
    if not ctx.is_final:
        return None
    message = ctx.message
    places = [(f"the {name} header", value) for name, value in message.headers
              if name.lower() in ("subject", "from", "to", "reply-to", "list-unsubscribe")]
    for body in message.bodies:
        # Links first: an address in a plain-text body is in its text too, and is named as a link.
        places += [(f"a link of the {body.label}", target) for target in _targets(body)]
        places += [(f"the text of the {body.label}", body.text)]
    if not message.bodies and message.raw_text:
        places.append(("the text", message.raw_text))
    notes, seen = [], set()
    for where, text in places:
        for found in placeholders.find(text):
            if found.purpose == "unsubscribe" or found.text in seen:
                continue
            seen.add(found.text)
            purpose = PURPOSES.get(found.purpose, "")
            notes.append(Note(f"unfilled {purpose}placeholder {found.text} ({found.platform}) in {where}",
                              "send through the platform that fills it, or fill it in"))
    return notes[:MAX_PLACEHOLDERS] or None


# ------------------------------------------------------------------ SMS and WhatsApp


@rule("MS007", "opt-out-instruction-missing", "error", channels=PHONE)
def opt_out_instruction_missing(ctx: MessageContext):
    """Flags a text (SMS or WhatsApp) without an opt-out instruction: none of the policy's
    keywords (``[message] opt_out_keywords``: STOP, BAJA, ARRET…) written in capitals, or after a
    reply verb ("Reply STOP", "Responde BAJA", "Envoyez STOP").

    Why it matters: the CTIA Messaging Principles and the US carriers ask every recurring
    marketing program to say how to stop ("Reply STOP to opt out"), and the TCPA makes the
    sender honour a STOP (47 CFR §64.1200(a)(10)); GDPR art. 21 and LSSI art. 21.2 require an
    easy, free way to object in every commercial communication, texts included; CASL s.6(2)(c)
    an unsubscribe mechanism in each message.

    How to fix: end the text with the instruction in the recipient's language, with a keyword
    of the policy: "Reply STOP to opt out", "Responde BAJA para no recibir más".
    """
    keywords = ctx.terms.opt_out_keywords
    if signals.opt_out_instruction(ctx.message.raw_text, keywords):
        return None
    listed = ", ".join(keywords[:6]) + ("…" if len(keywords) > 6 else "")
    return [Note(f"no opt-out instruction: none of the keywords {listed} appears as a reply instruction",
                 f"end the text with \"Reply {keywords[0]} to opt out\" (in the recipient's language)")]


@rule("MS008", "sender-unidentified", "warning", channels=["sms"])
def sender_unidentified(ctx: MessageContext):
    """Flags a text that does not say who sends it: with ``--sender NAME`` (listclean message),
    a text without that name; otherwise a text without a brand tag at the start ("Acme: …",
    "[Acme] …") or a signature at the end of a sentence ("… - Acme."). WhatsApp is not judged:
    it shows the business's verified name.

    Why it matters: a text arrives from a number or a short code, not a name. The CTIA
    Messaging Principles and the carriers' short-code and 10DLC rules ask for the brand in the
    message; LSSI art. 20.1 (Spain), ePrivacy art. 13(4) and CASL s.6(2)(a) forbid hiding who
    sends a commercial message.

    How to fix: start the text with the brand and a colon ("Acme: 20% off until Sunday…"), or
    declare the brand with ``--sender`` when the name is elsewhere in the text.
    """
    if signals.sender_named(ctx.message.raw_text, ctx.sender):
        return None
    if ctx.sender:
        return [Note(f"the text does not name the sender {ctx.sender!r}", f"start the text with \"{ctx.sender}: \"")]
    return [Note("the text does not say who sends it: no brand tag at the start (\"Acme: …\") or signature",
                 "start the text with the brand and a colon, or name it with --sender")]


@rule("MS009", "sms-segments", "info", channels=["sms"])
def sms_segments(ctx: MessageContext):
    """Flags what an SMS costs: its encoding (GSM-7 or UCS-2), its length in septets or UTF-16
    units, the segments it is split into, and the characters that forced UCS-2. One character
    outside GSM-7 (an emoji, á, í, ó, ú, a typographic quote) turns the whole text into UCS-2:
    70 characters per SMS instead of 160, 67 instead of 153 per segment of a longer text. The
    GSM-7 extension characters (€ [ ] { } ^ ~ | \\ and the form feed) count two septets each.

    Why it matters: carriers bill every segment: a text one character over a limit costs double
    for each recipient, and a long text may arrive split on older phones. Placeholders are
    counted as written: the filled text may be longer, and a name with an accent outside GSM-7
    makes it UCS-2.

    How to fix: nothing to fix; it is the bill. To pay less, shorten the text or replace the
    characters named (MS010 names the ones with a plain look-alike).
    """
    text = ctx.message.raw_text
    price = gsm.cost(text)
    unit = "septets" if price.encoding == "GSM-7" else "UTF-16 units"
    plural = "s" if price.segments != 1 else ""
    note = (f"{price.encoding}: {price.characters} characters, {price.units} {unit}, "
            f"{price.segments} segment{plural} (up to {price.per_segment} each)")
    if price.forced_by:
        shown = ", ".join(gsm.describe(c) for c in price.forced_by[:8]) + (", …" if len(price.forced_by) > 8 else "")
        note += f"; UCS-2 forced by {shown}"
    if price.extension:
        note += f"; {' '.join(price.extension)} count two septets each"
    filled_later = placeholders.find(text)
    if filled_later:
        note += (f"; {len(filled_later)} placeholder{'s' if len(filled_later) > 1 else ''} ({filled_later[0].text}) "
                 "counted as written")
    return [Note(note)]


@rule("MS010", "sms-avoidable-unicode", "warning", channels=["sms"])
def sms_avoidable_unicode(ctx: MessageContext):
    """Flags an SMS made UCS-2 only by typographic look-alikes of GSM-7 characters (curly quotes
    ’ “ ”, dashes – —, the ellipsis …, no-break or zero-width spaces, tabs), when replacing them
    would send fewer segments.

    Why it matters: word processors and phones put these in silently; each recipient then costs
    two or three segments instead of one, for a text that reads the same in GSM-7.

    How to fix: replace them as the suggestion says (’ → ', “ ” → ", – → -, … → ...), or let the
    SMS platform's "smart encoding" do it.
    """
    text = ctx.message.raw_text
    price = gsm.cost(text)
    if price.encoding != "UCS-2":
        return None
    plain = gsm.with_lookalikes_replaced(text)
    replaced = gsm.cost(plain)
    if replaced.encoding != "GSM-7" or replaced.segments >= price.segments:
        return None
    chars = [c for c in price.forced_by if c in gsm.LOOKALIKES]
    swaps = ", ".join(f"{gsm.describe(c)} with {_plain(gsm.LOOKALIKES[c])}" for c in chars)
    return [Note(f"only look-alike characters ({', '.join(gsm.describe(c) for c in chars)}) make this text UCS-2: "
                 f"{price.segments} segments instead of {replaced.segments}", f"replace {swaps}")]


@rule("MS011", "whatsapp-body-too-long", "warning", channels=["whatsapp"])
def whatsapp_body_too_long(ctx: MessageContext):
    """Flags a WhatsApp text longer than 1,024 characters, the most a message template's body may
    hold.

    Why it matters: marketing messages on WhatsApp go out as templates that Meta approves; a
    body over the limit is refused when the template is created, and the campaign cannot start.

    How to fix: shorten the text, or move the details to a link.
    """
    length = len(ctx.message.raw_text)
    if length <= WHATSAPP_TEMPLATE_BODY:
        return None
    return [Note(f"{length} characters: a WhatsApp template body holds at most {WHATSAPP_TEMPLATE_BODY}",
                 f"shorten it by {length - WHATSAPP_TEMPLATE_BODY} characters")]
