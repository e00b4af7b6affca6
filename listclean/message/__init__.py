"""The campaign message's preflight: read the file once, parse it, run the MS rules over it.

``listclean message FILE`` reports on the message alone; ``check``/``clean --message FILE`` add
its findings to the list's Result as findings on no row (field ``message``), so a message that
fails fails the run under the same ``--fail-on``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from listclean import checks  # noqa: F401  (registers every rule, the MS family included)
from listclean.checks.registry import RULES
from listclean.checks.select import Selection
from listclean.errors import ExitStatus, ListcleanError
from listclean.mask import mask_personal_data
from listclean.message import gsm
from listclean.message.model import (
    MESSAGE_CHANNELS,
    Message,
    MessageContext,
    MessageTerms,
)
from listclean.message.parse import kind_of, parse_message
from listclean.result import FAIL_ON, FINDING_SCHEMA, Severity

if TYPE_CHECKING:
    from listclean.settings import Settings

SCHEMA_VERSION = "listclean.message/1"
#: The finding field of every message finding.
FIELD = "message"


@dataclass(frozen=True)
class MessageOptions:
    """What the message rules read of a run: which rules, the policy's terms, the sender."""

    selection: Selection
    terms: MessageTerms
    policy_name: str = "default"
    sender: str | None = None     # the sender's name as a text should show it (--sender)
    final: bool | None = None     # None: an .eml is final, a template is not (--final)


@dataclass(frozen=True)
class LoadedMessage:
    """A message file read once: where, its SHA-256 (for the report and the audit), parsed."""

    path: str
    sha256: str
    message: Message


@dataclass(frozen=True)
class MessageFinding:
    code: str
    severity: Severity
    message: str
    suggestion: str | None = None

    @property
    def name(self) -> str:
        return RULES[self.code].name


@dataclass
class MessageReport:
    path: str
    sha256: str
    kind: str
    channel: str
    policy_name: str
    findings: list[MessageFinding] = field(default_factory=list)
    rules_run: list[str] = field(default_factory=list)
    sms: gsm.SmsCost | None = None

    def summary(self) -> dict:
        """What a run's report and audit say of the message (``Result.message``)."""
        summary = {"path": self.path, "sha256": self.sha256, "kind": self.kind, "channel": self.channel}
        if self.sms is not None:
            summary["sms"] = self.sms.as_dict()
        return summary

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def exit_status(self, fail_on: str) -> ExitStatus:
        worst = self.worst()
        if fail_on == "never" or worst is None:
            return ExitStatus.CLEAN
        return ExitStatus.FINDINGS if worst >= FAIL_ON[fail_on] else ExitStatus.CLEAN

    def to_dict(self) -> dict:
        return {"schema": SCHEMA_VERSION, "message": self.summary(), "policy": self.policy_name,
                "rules_run": self.rules_run,
                "findings": [{"code": f.code, "name": f.name, "severity": str(f.severity), "message": f.message,
                              "suggestion": f.suggestion} for f in self.findings]}

    def findings_frame(self) -> pl.DataFrame:
        """The findings as rows of the finding schema, on no row, plus their severity."""
        return pl.DataFrame(
            {"_row": [None] * len(self.findings), "code": [f.code for f in self.findings],
             "field": [FIELD] * len(self.findings), "message": [f.message for f in self.findings],
             "suggestion": [f.suggestion for f in self.findings],
             "severity": [str(f.severity) for f in self.findings]},
            schema={**FINDING_SCHEMA, "severity": pl.String})


def read_message(path: str | Path) -> LoadedMessage:
    """Read and parse a message file; a file that cannot be read or is not a message is a
    ListcleanError naming it."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ListcleanError(f"cannot read the message: {error.strerror or error}", file=name) from None
    return LoadedMessage(name, hashlib.sha256(raw).hexdigest(), parse_message(raw, name, kind_of(name, raw)))


def message_channel(loaded: LoadedMessage, channel: str | None) -> str:
    """The channel the message is judged for: as given, else email for an .eml or HTML file."""
    kind = loaded.message.kind
    if channel is None:
        if kind == "text":
            raise ListcleanError("a text file may be an email template or a text message: "
                                 "give --channel email, sms or whatsapp", file=loaded.path)
        return "email"
    if channel not in MESSAGE_CHANNELS:
        raise ListcleanError(f"messages are checked for email, sms or whatsapp, not {channel!r}", file=loaded.path)
    if channel != "email" and kind != "text":
        texts = {"sms": "an SMS", "whatsapp": "a WhatsApp"}
        raise ListcleanError(f"an {'.eml' if kind == 'eml' else 'HTML'} file is an email, not {texts[channel]} text; "
                             "use --channel email, or give the text as a .txt file", file=loaded.path)
    return channel


def check_loaded(loaded: LoadedMessage, channel: str | None, options: MessageOptions) -> MessageReport:
    """Run every selected MS rule of the channel over the message."""
    channel = message_channel(loaded, channel)
    ctx = MessageContext(loaded.message, channel, options.terms, options.sender, options.final)
    report = MessageReport(loaded.path, loaded.sha256, loaded.message.kind, channel, options.policy_name,
                           sms=gsm.cost(loaded.message.raw_text) if channel == "sms" else None)
    for code, rule in RULES.items():
        if rule.target != "message" or channel not in rule.channels or not options.selection.active(code):
            continue
        report.rules_run.append(code)
        for note in rule.check(ctx) or ():
            # A note may quote the message (a link's text), and a message may hold an address.
            report.findings.append(MessageFinding(
                code, options.selection.severity(code), mask_personal_data(note.message),
                mask_personal_data(note.suggestion) if note.suggestion else None))
    return report


def check_message(path: str | Path, channel: str | None = None, options: MessageOptions | None = None) -> MessageReport:
    """Check one message file: ``channel`` email, sms or whatsapp (None: email for .eml and HTML);
    ``options`` None means the default policy with every rule."""
    if options is None:
        from listclean.settings import build_settings

        options = message_options(build_settings())
    return check_loaded(read_message(path), channel, options)


def message_options(settings: Settings, sender: str | None = None, final: bool | None = None) -> MessageOptions:
    """The message rules' options from a run's settings: the same selection and grading as the
    list's rules (policy, project settings, --select/--ignore), and the policy's [message] terms."""
    selection = Selection(select=settings.select if settings.select is not None else settings.policy.select,
                          ignore=settings.policy.ignore + settings.ignore,
                          severity={**settings.policy.severity, **settings.severity})
    return MessageOptions(selection, settings.policy.message, settings.policy.name, sender, final)
