"""The rule record, the registry of every rule, and rule selection.

Rules are a linter's rules: a stable code (family prefix + number, never
reused), a kebab-case name, a default severity, the channels it concerns and a
docstring in three parts (what it flags / why it matters / how to fix) that
``listclean rule CODE`` prints as written.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

import polars as pl

from listclean.result import Severity


FAMILIES = {
    "IN": "input",
    "EM": "email",
    "PH": "phone",
    "CN": "consent",
    "ST": "stale",
    "DU": "duplicates",
    "CT": "contact",
    "MS": "message",
}

ALL_CHANNELS = frozenset({"email", "sms", "whatsapp", "call"})
PHONE_CHANNELS = frozenset({"sms", "whatsapp", "call"})


@dataclass(frozen=True)
class Flag:
    """What most rules return: which rows, on which canonical field, saying what.

    ``mask`` is a boolean expression over the work frame; null counts as false.
    ``message`` and ``suggestion`` are string expressions (or literals) and must
    never contain a full address or phone number.
    """

    mask: pl.Expr
    field: str
    message: pl.Expr | str
    suggestion: pl.Expr | str | None = None


@dataclass(frozen=True)
class FileNote:
    """A finding about the whole file rather than a row (e.g. no consent column)."""

    field: str | None
    message: str


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    channels: frozenset[str]
    doc: str
    check: Callable | None = field(default=None, compare=False, repr=False)
    status: str = "stable"
    #: How a finding of this rule follows the person (see listclean.people): "person" (a stop:
    #: it reaches every row linked to the row it was found on), "address" (it reaches the other
    #: copies of the same address), "evidence" (a shortfall of consent evidence, lifted when a copy
    #: of the same address carries a clean, explicit yes), or None (it stays on its row).
    carried: str | None = None

    @property
    def family(self) -> str:
        return FAMILIES[self.code[:2]]

    @property
    def target(self) -> str:
        """What the rule judges: "message" for the MS family (the campaign message, run by
        ``listclean.message``), "rows" for every other family (the export, run by the engine)."""
        return "message" if self.family == "message" else "rows"

    @property
    def summary(self) -> str:
        """The first sentence of the docstring, on one line, at most ``SUMMARY_WIDTH`` characters.

        A sentence ends at ". ", "! " or "? " followed by a capital letter (so "reg. 22" or
        "ext. 12" do not end it), or at the paragraph's end; a sentence too long is cut at a
        word boundary and ends with "…"."""
        first_paragraph = " ".join(self.doc.strip().split("\n\n")[0].split())
        match = re.search(r"[.!?](?=\s+[A-Z])", first_paragraph)
        sentence = first_paragraph[:match.start()] if match else first_paragraph.rstrip(".")
        if len(sentence) <= SUMMARY_WIDTH:
            return sentence
        cut = sentence[:SUMMARY_WIDTH].rsplit(" ", 1)[0] if " " in sentence[:SUMMARY_WIDTH] else sentence[:SUMMARY_WIDTH]
        return cut.rstrip(" ,;:(-–—") + "…"


#: The longest one-line rule summary (``listclean rule`` prints one rule per line).
SUMMARY_WIDTH = 100


RULES: dict[str, Rule] = {}


CARRIED = (None, "person", "address", "evidence")


def rule(code: str, name: str, severity: str, channels: Iterable[str] = ALL_CHANNELS,
         carried: str | None = None):
    """Register a check function as rule ``code``; its docstring is the rule's documentation."""

    def register(check: Callable) -> Callable:
        if code in RULES:
            raise RuntimeError(f"rule code {code} registered twice")
        if code[:2] not in FAMILIES:
            raise RuntimeError(f"rule code {code} has an unknown family prefix")
        if carried not in CARRIED:
            raise RuntimeError(f"rule code {code}: carried must be one of {CARRIED}")
        RULES[code] = Rule(
            code=code,
            name=name,
            severity=Severity.parse(severity),
            channels=frozenset(channels),
            doc=inspect.cleandoc(check.__doc__ or ""),
            check=check,
            carried=carried,
        )
        return check

    return register


def describe(code: str, doc_only: bool = False) -> str:
    """A rule as ``listclean rule CODE`` prints it."""
    r = RULES[code]
    head = (f"{r.code} {r.name}\n"
            f"family: {r.family}   default severity: {r.severity}   "
            f"channels: {', '.join(sorted(r.channels))}   status: {r.status}\n\n")
    return r.doc if doc_only else head + r.doc


def matches(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector that selects ``code`` (0 if none): the most specific wins."""
    best = 0
    for selector in selectors:
        s = selector.strip().upper()
        if s == "ALL":
            best = max(best, 1)
        elif code.startswith(s):
            best = max(best, len(s) + 1)
    return best


def unknown_selectors(selectors: Iterable[str]) -> list[str]:
    """Selectors that select no registered rule (typos in --select/--ignore)."""
    return [s for s in selectors
            if s.strip().upper() != "ALL" and not any(c.startswith(s.strip().upper()) for c in RULES)]
