"""Bytes of a message file → ``Message``: the standard library's ``email`` package for an .eml
(headers and MIME parts, any transfer encoding and charset) and ``html.parser`` for HTML (the
visible text, and each link with the text the reader sees). No I/O here: the caller reads."""

from __future__ import annotations

import email
import email.errors
import email.policy
import re
from html.parser import HTMLParser
from pathlib import PurePath

from listclean.errors import ListcleanError
from listclean.message.model import Body, Link, Message

SUFFIX_KINDS = {".eml": "eml", ".html": "html", ".htm": "html", ".txt": "text", ".text": "text", ".sms": "text"}
#: Header names that say a text is an email message (RFC 5322 / RFC 2045).
EMAIL_HEADERS = {"from", "to", "subject", "date", "mime-version", "content-type", "message-id", "reply-to",
                 "list-unsubscribe", "return-path", "received", "sender"}
#: An address in plain text; the trailing punctuation of a sentence is not part of it.
PLAIN_URL = re.compile(r"(?:https?://|mailto:|www\.)[^\s<>\"'`]+", re.IGNORECASE)
#: Messages larger than this are not campaign messages (and would be read whole into memory).
MAX_BYTES = 30 * 1024 * 1024


def kind_of(path: str, raw: bytes) -> str:
    """eml, html or text: from the file's extension, else from what it starts with."""
    known = SUFFIX_KINDS.get(PurePath(path).suffix.lower())
    if known:
        return known
    head = raw[:4096].decode("utf-8", "replace")
    if _header_names(head) & EMAIL_HEADERS:
        return "eml"
    return "html" if re.search(r"<\s*(html|body|table|div|p|a)\b", head, re.IGNORECASE) else "text"


def parse_message(raw: bytes, path: str, kind: str) -> Message:
    if len(raw) > MAX_BYTES:
        raise ListcleanError(f"the message is {len(raw) // (1024 * 1024)} MB; a campaign message is far smaller",
                             file=path)
    if not raw.strip():
        raise ListcleanError("the message is empty", file=path)
    if kind == "eml":
        return _parse_eml(raw, path)
    text = _decode(raw, path)
    if kind == "html":
        return Message(path, "html", (), (html_body(text),), raw_text=text)
    return Message(path, "text", (), (text_body(text),), raw_text=_without_final_newline(text))


# ------------------------------------------------------------------ .eml

def _parse_eml(raw: bytes, path: str) -> Message:
    if b"\x00" in raw:
        raise ListcleanError("not an email message (binary data)", file=path)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        headers = tuple((name, " ".join(str(value).split())) for name, value in parsed.items())
    except (email.errors.MessageError, ValueError, IndexError, LookupError) as error:
        raise ListcleanError(f"not a readable email message: a header cannot be parsed ({error})", file=path) from None
    if not {name.lower() for name, _ in headers} & EMAIL_HEADERS:
        raise ListcleanError("not an email message: no header lines (From:, Subject:, MIME-Version:…) "
                             "before the body", file=path)
    bodies = []
    for part in parsed.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        content_type = part.get_content_type()
        if content_type == "text/html":
            bodies.append(html_body(_part_text(part)))
        elif content_type == "text/plain":
            bodies.append(text_body(_part_text(part)))
    return Message(path, "eml", headers, tuple(bodies))


def _part_text(part) -> str:
    """A text part decoded (transfer encoding and charset); an unknown charset is read as UTF-8
    with replacement characters rather than refusing the whole message."""
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def _header_names(head: str) -> set[str]:
    names = set()
    for line in head.splitlines():
        if not line.strip():
            break
        match = re.match(r"([A-Za-z][A-Za-z0-9-]*):", line)
        if match:
            names.add(match.group(1).lower())
    return names


# ------------------------------------------------------------------ text files

def _decode(raw: bytes, path: str) -> str:
    """UTF-8 (with or without a BOM) or UTF-16 with a BOM. Nothing is guessed: a wrong guess
    changes which characters an SMS holds, and so its encoding and its price."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw:
        raise ListcleanError("not a text file (binary data)", file=path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ListcleanError(f"not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
                             "save the message as UTF-8", file=path) from None


def _without_final_newline(text: str) -> str:
    """The text as a platform would send it: editors end a file with a newline, SMS do not."""
    return text.rstrip("\r\n")


def text_body(text: str) -> Body:
    """A plain-text body: each address in it is a link, read with its line, and with the line
    before when the address stands alone on its own (``Unsubscribe:`` on one line, the address
    on the next)."""
    lines = text.splitlines()
    links = []
    for index, line in enumerate(lines):
        alone = not re.sub(r"[\s()<>\[\].,;:]", "", PLAIN_URL.sub("", line))
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "") if alone else ""
        for match in PLAIN_URL.finditer(line):
            href = match.group(0).rstrip(".,;:!?)]")
            links.append(Link(href, " ".join(f"{before} {line}".split())))
    return Body("text/plain", text, tuple(links))


# ------------------------------------------------------------------ HTML

def html_body(html: str) -> Body:
    reader = _HtmlReader()
    reader.feed(html)
    reader.close()
    return Body("text/html", reader.visible_text(), tuple(reader.links), tuple(reader.attributes))


class _HtmlReader(HTMLParser):
    """The visible text of an HTML message and its links, as a mail client shows them."""

    #: Elements whose content the reader does not see.
    HIDDEN = frozenset({"head", "title", "style", "script", "template", "noscript", "xml"})
    #: Elements that start a new line of text.
    BLOCKS = frozenset({"address", "article", "blockquote", "br", "center", "dd", "div", "dl", "dt", "footer", "h1",
                        "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table",
                        "td", "th", "tr", "ul"})
    #: Attributes that may hold a link target, an image or the text of an image.
    READ_ATTRIBUTES = ("href", "src", "alt", "title")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._pieces: list[str] = []
        self._hidden: list[str] = []
        self._link: tuple[str, list[str]] | None = None
        self.links: list[Link] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "body":
            self._hidden.clear()   # a <head> left open must not hide the whole message
        if tag in self.HIDDEN:
            self._hidden.append(tag)
            return
        if self._hidden:
            return
        self.attributes += [values[name] for name in self.READ_ATTRIBUTES if values.get(name)]
        if tag in self.BLOCKS:
            self._pieces.append("\n")
        if tag == "a":
            self._close_link()
            self._link = (values.get("href", "").strip(), [])
        elif tag == "img" and self._link is not None and values.get("alt"):
            self._link[1].append(values["alt"])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self._close_link()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            if tag in self._hidden:
                del self._hidden[self._hidden.index(tag):]
            return
        if self._hidden:
            return
        if tag == "a":
            self._close_link()
        if tag in self.BLOCKS:
            self._pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self._pieces.append(data)
        if self._link is not None:
            self._link[1].append(data)

    def close(self) -> None:
        super().close()
        self._close_link()

    def _close_link(self) -> None:
        if self._link is not None:
            href, text = self._link
            self.links.append(Link(href, " ".join(" ".join(text).split())))
            self._link = None

    def visible_text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self._pieces).splitlines())
        return "\n".join(line for line in lines if line)
