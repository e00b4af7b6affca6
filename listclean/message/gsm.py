"""What an SMS costs: its encoding (GSM-7 or UCS-2), its length in that encoding and its segments.

The GSM 7-bit default alphabet and its extension table are those of 3GPP TS 23.038 §6.2.1 and
§6.2.1.1. An extension character is sent as the escape (0x1B) and its code: two septets. One
character outside both tables makes the whole message UCS-2 (UTF-16 on today's networks: a
character beyond the Basic Multilingual Plane, such as most emoji, takes two 16-bit units).

One SMS carries 140 octets: 160 septets or 70 UTF-16 units. A longer message is sent as
concatenated segments, each giving 6 octets to the header that joins them (3GPP TS 23.040
§9.2.3.24.1): 153 septets or 67 units per segment. Gateways never split an escape pair or a
surrogate pair across two segments, so a segment may carry one unit less.

National language shift tables (TS 23.038 Annex A: Spanish á í ó ú, Turkish, Portuguese…) are
left out: most gateways and handsets do not use them, and the cost they quote is the one here.
"""

from __future__ import annotations

from dataclasses import dataclass

#: TS 23.038 §6.2.1, positions 0x00–0x7F in order; 0x1B (the escape to the extension table) is
#: written as a placeholder and is not a character a text can hold.
_BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
ESCAPE = "\x1b"
GSM7_BASIC = frozenset(_BASIC_TABLE) - {ESCAPE}
#: TS 23.038 §6.2.1.1: form feed (page break), ^ { } \ [ ~ ] | and the euro sign.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
CONCATENATED = {"GSM-7": 153, "UCS-2": 67}

#: Characters that word processors and phones put in place of a GSM-7 one (typographic quotes,
#: dashes, the ellipsis, unusual spaces): replacing them keeps a text in GSM-7.
LOOKALIKES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\t": " ",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
}


def is_gsm7(char: str) -> bool:
    return char in GSM7_BASIC or char in GSM7_EXTENSION


def septets(char: str) -> int:
    """Septets of one GSM-7 character: 2 for an extension character, else 1."""
    return 2 if char in GSM7_EXTENSION else 1


def utf16_units(char: str) -> int:
    """16-bit units of one character in UTF-16: 2 beyond the Basic Multilingual Plane."""
    return 2 if ord(char) > 0xFFFF else 1


@dataclass(frozen=True)
class SmsCost:
    """What one text costs as an SMS."""

    encoding: str                   # GSM-7 | UCS-2
    characters: int                 # Unicode code points
    units: int                      # septets (GSM-7) or UTF-16 units (UCS-2)
    segments: int
    per_segment: int                # the most units a segment of this message carries
    forced_by: tuple[str, ...]      # the characters outside GSM-7, first seen first
    extension: tuple[str, ...]      # GSM-7 extension characters used (two septets each)

    def as_dict(self) -> dict:
        return {"encoding": self.encoding, "characters": self.characters, "units": self.units,
                "segments": self.segments, "per_segment": self.per_segment,
                "forced_by": [describe(c) for c in self.forced_by],
                "extension_characters": list(self.extension)}


def cost(text: str) -> SmsCost:
    """The encoding, length and segments of ``text`` as one SMS."""
    forced = _distinct(c for c in text if not is_gsm7(c))
    encoding = "UCS-2" if forced else "GSM-7"
    width = utf16_units if forced else septets
    widths = [width(c) for c in text]
    units = sum(widths)
    if units <= SINGLE[encoding]:
        segments, per_segment = (1 if text else 0), SINGLE[encoding]
    else:
        segments, per_segment = _packed(widths, CONCATENATED[encoding]), CONCATENATED[encoding]
    extension = () if forced else _distinct(c for c in text if c in GSM7_EXTENSION)
    return SmsCost(encoding, len(text), units, segments, per_segment, forced, extension)


def _packed(widths: list[int], capacity: int) -> int:
    """Segments needed when each character's units must stay in one segment (an escape pair or
    a surrogate pair is never split)."""
    segments, used = 1, 0
    for width in widths:
        if used + width > capacity:
            segments, used = segments + 1, 0
        used += width
    return segments


def with_lookalikes_replaced(text: str) -> str:
    return "".join(LOOKALIKES.get(c, c) for c in text)


def describe(char: str) -> str:
    """A character as a report names it: itself and its code point (``’ U+2019``)."""
    shown = {"\t": "tab", "\u00a0": "no-break space", "\u200b": "zero-width space", "\ufeff": "BOM"}.get(char, char)
    return f"{shown} U+{ord(char):04X}"


def _distinct(chars) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chars))
