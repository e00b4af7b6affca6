"""The campaign message as the MS rules see it: parsed once, read-only, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

#: What kind of file a message came from: an email (.eml, headers and MIME body), an HTML
#: template, or plain text (a plain-text email template, or an SMS / WhatsApp text).
KINDS = ("eml", "html", "text")
MESSAGE_CHANNELS = ("email", "sms", "whatsapp")


@dataclass(frozen=True)
class Link:
    """A link of a body: its target and what the reader sees of it. In a plain-text body the
    reader's text is the line that holds the address and the line before it."""

    href: str
    text: str


@dataclass(frozen=True)
class Body:
    """One version of the message a reader may see: the HTML part, the plain-text part."""

    content_type: str                 # text/html | text/plain
    text: str                         # what the reader sees, one line per block
    links: tuple[Link, ...]
    attributes: tuple[str, ...] = ()  # link targets, image sources and alt texts (HTML)

    @property
    def label(self) -> str:
        return "HTML part" if self.content_type == "text/html" else "plain-text part"


@dataclass(frozen=True)
class Message:
    path: str
    kind: str                                   # one of KINDS
    headers: tuple[tuple[str, str], ...]        # (name, value) in order; an .eml only
    bodies: tuple[Body, ...]
    raw_text: str = ""                          # the text as written (SMS/WhatsApp, plain templates)

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def final(self) -> bool:
        """A message as it will be sent (an .eml), not a template the platform still fills."""
        return self.kind == "eml"


@dataclass(frozen=True)
class Note:
    """What a message rule returns: one finding about the message."""

    message: str
    suggestion: str | None = None


class MessageTerms(Protocol):
    """What the message rules read of a policy (``settings.MessagePolicy`` is one): read-only."""

    @property
    def postal_address(self) -> bool: ...            # the sender's postal address must be in every email
    @property
    def opt_out_keywords(self) -> tuple[str, ...]: ...  # replies that stop texts (STOP, BAJA…)


@dataclass(frozen=True)
class MessageContext:
    """What a message rule may look at."""

    message: Message
    channel: str                     # email | sms | whatsapp
    terms: MessageTerms
    sender: str | None = None        # the sender's name as it should appear in a text (--sender)
    final: bool | None = None        # None: as the file says (an .eml is final, a template is not)

    @property
    def is_final(self) -> bool:
        return self.message.final if self.final is None else self.final
