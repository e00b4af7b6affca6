"""Mask personal data for logs and summaries: j***@gmail.com, +34 6** *** *12."""

from __future__ import annotations

import re

import phonenumbers


def mask_email(address: str | None) -> str:
    if not address:
        return "(blank)"
    if "@" not in address:
        return address[:1] + "***"
    local, domain = address.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_phone(number: str | None) -> str:
    """Keep the country code, the first national digit and the last two digits."""
    if not number:
        return "(blank)"
    try:
        parsed = phonenumbers.parse(number, None)
        text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        prefix = f"+{parsed.country_code} "
        national = text[len(prefix):] if text.startswith(prefix) else text
    except phonenumbers.NumberParseException:
        prefix, national = "", number
    digits = [i for i, c in enumerate(national) if c.isdigit()]
    keep = set(digits[:1] + digits[-2:]) if len(digits) > 4 else set()
    return prefix + "".join(c if (i in keep or not c.isdigit()) else "*" for i, c in enumerate(national))


def mask_text(value: str | None) -> str:
    if not value:
        return "(blank)"
    return value[:1] + "*" * min(len(value) - 1, 6)


def mask_value(field: str | None, value: str | None) -> str:
    """Mask a value according to the kind of field it came from."""
    if field == "email":
        return mask_email(value)
    if field == "phone":
        if value and re.fullmatch(r"\+\d{6,15}", value.strip()):
            return mask_phone(value.strip())
        return mask_text(value)
    if field in ("consent", "unsubscribed", "last_activity", "country"):
        return value if value is not None else "(blank)"
    return mask_text(value)


#: Things in free text that look like an address or a phone number: anything with an @ between
#: non-space runs; a number written with + or 00 in front, or with nine digits or more (a date's
#: eight digits stay readable).
_EMAIL_IN_TEXT = re.compile(r"[^\s'\",;:<>()\[\]]+@[^\s'\",;:<>()\[\]]+")
_PHONE_IN_TEXT = re.compile(r"(?<![\w.])(?:\+|00)\d[\d \-().]{5,}\d|(?<![\w.])\d(?:[ \-().]?\d){8,}")


def mask_personal_data(text: str) -> str:
    """``text`` with every address and phone number in it masked: for error messages, which
    may quote a cell or a header (a file without a header has a person in its first line)."""
    text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group()), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)
