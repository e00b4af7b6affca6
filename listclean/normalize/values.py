"""Yes/no answers, dates and countries as exports write them, read into real values.

Everything here works over the DISTINCT values of a column: exports repeat the
same few spellings ("Sí", "TRUE", "opted-in") millions of times.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
import polars as pl

_SEPARATOR_RUN = re.compile(r"[\s_\-./]+")
#: What folding drops: nonspacing and enclosing marks (accents, the emoji variation
#: selector in "✔️", Arabic harakat, Devanagari candrabindu) and invisible format
#: characters (byte-order marks, bidi marks copied along with Arabic or Hebrew text).
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
#: Latin letters that Unicode does not decompose, read as the letters people type for
#: them on an English keyboard ("hayır" and "hayir" are one answer).
_BASE_LETTERS = str.maketrans({"ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                               "þ": "th", "ħ": "h"})


def fold_value(text: str) -> str:
    """A cell as the vocabularies below are matched: 'Sí ' → 'si', 'NAÏVE' → 'naive',
    'да' → 'да', '✔️' → '✔', 'ＹＥＳ' → 'yes'; runs of spaces, '_', '-', '.', '/' → one space.

    Accents go, letters of every script and symbols stay: an ASCII-only fold turned
    "да", "是", "はい" and "✓" into "", which reads as blank, so a stop written in
    Russian or as a tick counted as no answer at all.
    """
    if text.isascii():  # most cells: nothing to decompose, casefold is lower
        return _SEPARATOR_RUN.sub(" ", text.lower()).strip()
    # Unicode's compatibility caseless match (casefold, NFKD, twice): "ＹＥＳ", "㎒" and
    # "ß" fold the same however they were typed, and folding again changes nothing.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text.casefold()).casefold())
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    composed = unicodedata.normalize("NFC", kept.translate(_BASE_LETTERS))  # Hangul jamo back into syllables
    return _SEPARATOR_RUN.sub(" ", composed).strip()


def _words(*spellings: str) -> frozenset[str]:
    """A vocabulary written as people write it ("kyllä", "όχι", "हाँ"), kept folded."""
    return frozenset(fold_value(spelling) for spelling in spellings)


#: Plain answers to the column's own question ("Unsubscribed? yes").
PLAIN_YES = _words(
    "y", "yes", "si", "sí", "sì", "s", "true", "t", "1", "x", "ok", "on", "checked", "oui", "ja", "jah", "sim",
    "verdadero", "v", "tak", "ano", "igen", "evet", "kyllä", "ya", "ναι", "да", "так", "نعم", "بله", "ہاں", "כן",
    "हाँ", "हां", "হ্যাঁ", "ใช่", "是", "是的", "对", "對", "はい", "네", "예",
    # Ticks and ticked boxes. "☒" and a plain "X" mark the box; "√" is the tick of
    # Chinese and Japanese spreadsheets. Crosses that may mean "no" (✗ ✘ × ❌) are left
    # out on purpose: unrecognised is the safe verdict for them.
    "✓", "✔", "☑", "✅", "🗹", "🗸", "☒", "√",
)
PLAIN_NO = _words(
    "n", "no", "false", "f", "0", "off", "unchecked", "non", "nein", "nao", "não", "falso", "never", "nunca",
    "nie", "ne", "nem", "hayır", "ei", "nej", "nei", "nee", "tidak", "όχι", "нет", "ні", "لا", "نه", "نہیں",
    "לא", "नहीं", "না", "ไม่", "ไม่ใช่", "否", "不是", "不", "いいえ", "아니요", "아니오", "아니",
    # An empty box is a box left unticked.
    "☐",
)
#: Status words that state where the person stands, whatever the column asks.
OPTED_IN = _words(
    "granted", "given", "accepted", "aceptado", "aceptada", "acepta", "opted in", "opt in",
    "optin", "subscribed", "suscrito", "suscrita", "consent", "consented", "confirmed",
    "confirmado", "confirmada", "marketing contact", "express", "implicit", "implied",
)
#: The person asked to stop, or must be treated as if they had: a spam complaint or a
#: block is a stop whatever the consent column says.
STOPPED = _words(
    "denied", "declined", "refused", "rejected", "rechazado", "rechazada", "opted out", "opt out",
    "optout", "unsubscribed", "desuscrito", "desuscrita", "baja", "dado de baja", "dada de baja",
    "revoked", "revocado", "revocada", "withdrawn", "retirado", "retirada",
    "désabonné", "désinscrit", "abgemeldet", "descadastrado", "disiscritto",
    "complaint", "complained", "spam", "spam complaint", "marked as spam", "reported spam", "abuse", "queja",
    "blocked", "blocklisted", "blacklisted", "bloqueado", "bloqueada", "suppressed", "do not email",
    "do not mail", "do not contact",
    # STOP-style replies to texts (TCPA revocation "by any reasonable means")
    "stop", "stop all", "stopall", "cancel", "end", "quit", "unsubscribe", "revoke",
)
#: The address takes no mail (Mailchimp's "cleaned" is a hard bounce). Not a consent
#: stop, so member-status columns keep it apart; in a plain yes/no stop column it still
#: reads as a stop, the safe reading.
BOUNCED = _words("cleaned", "bounced", "bounce", "hard bounce", "hard bounced", "hardbounce", "undeliverable",
                 "invalid", "invalid email", "rebotado", "rebote")
OPTED_OUT = STOPPED | BOUNCED
#: Never said yes, never said stop (double opt-in not confirmed, transactional only).
NOT_OPTED_IN = _words("pending", "never subscribed", "non subscribed", "not subscribed",
                      "nonsubscribed", "non marketing contact", "transactional")
#: Member statuses that are not a stop: Mailchimp "archived", HubSpot lifecycle stages,
#: and the statuses of listclean's own rejects file (decide.STATUSES: "drop" there is a
#: verdict on the row, not the person's wish).
MEMBER_STATES = _words(
    "active", "activo", "activa", "archived", "archivado", "archivada", "subscriber", "lead", "customer",
    "cliente", "prospect", "opportunity", "evangelist", "marketing qualified lead", "marketingqualifiedlead",
    "sales qualified lead", "salesqualifiedlead", "send", "review", "drop", "duplicate",
)
BLANK = _words("", "null", "none given", "n a", "na", "nan", "unknown", "desconocido", "-", "?")


# ---------------------------------------------------------------- dates

#: Month names read in dates, by their first three letters ("Sept.", "setiembre").
MONTH_NAMES = {
    1: ("january", "enero"), 2: ("february", "febrero"), 3: ("march", "marzo"), 4: ("april", "abril"),
    5: ("may", "mayo"), 6: ("june", "junio"), 7: ("july", "julio"), 8: ("august", "agosto"),
    9: ("september", "septiembre", "setiembre"), 10: ("october", "octubre"), 11: ("november", "noviembre"),
    12: ("december", "diciembre"),
}
_MONTHS = {name[:3]: month for month, names in MONTH_NAMES.items() for name in names}
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                 "lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
#: A leading weekday ("Mon, 05 Jan 2024", "lunes 5 de enero"), dropped before the day is
#: read. Spanish "mar" (martes) is left out: it is also March ("mar 5, 2024").
_WEEKDAY = (r"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo"
            r"|lun|mi[eé]|jue|vie|s[aá]b|dom)\.?,? ")
_ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[t ])"
_NUMERIC = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:$|[t ,])"
# Day, month name, year: "5 Jan 2024", "5th of January, 2024", "5 de enero de 2024", and
# RFC 2822 / email headers once the weekday is gone ("05 Jan 2024 10:00:00 +0000").
_DAY_MONTH = r"^(\d{1,2})(?:st|nd|rd|th)?[ -](?:de |of )?([a-z]{3})[a-z]*\.?,?[ -](?:del? )?(\d{4})"
_MONTH_DAY = r"^([a-z]{3})[a-z]*\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})"
# yyyymmdd (20240105): eight digits are a date only if the year is plausible (and the
# day real); five digits stay an Excel serial, ten or thirteen a Unix epoch.
_COMPACT = r"^(\d{4})(\d{2})(\d{2})(?:$|[t ])"
COMPACT_YEARS = (1900, 2100)
_SERIAL = r"^(\d{5})(?:\.\d+)?$"
_EPOCH = r"^(\d{10})(\d{3})?$"
EXCEL_EPOCH = pl.date(1899, 12, 30)
#: Words a date may carry besides its numbers. A date cell with any other word in it
#: ("2024-01-05 revoked") is not a bare date, whatever the lenient patterns above match.
_DATE_WORDS = _words(
    *(name for names in MONTH_NAMES.values() for name in names), *_MONTHS, "sept", *WEEKDAY_NAMES,
    *(name[:3] for name in WEEKDAY_NAMES), "tues", "thur", "thurs", "mier",
    "t", "z", "h", "am", "pm", "a", "p", "m", "st", "nd", "rd", "th", "de", "del", "of",
    "utc", "gmt", "ut", "est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt", "akst", "akdt", "hst",
    "wet", "west", "cet", "cest", "eet", "eest", "bst", "ist", "msk", "jst", "kst", "aest", "aedt", "nzst", "nzdt",
)


def _ymd(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    text = pl.format("{}-{}-{}", year.cast(pl.Int32), month.cast(pl.Int32).cast(pl.String).str.zfill(2),
                     day.cast(pl.Int32).cast(pl.String).str.zfill(2))
    return text.str.to_date("%Y-%m-%d", strict=False)


def numeric_date_order(values: pl.Series) -> tuple[str | None, bool]:
    """Settle dd/mm vs mm/dd from a column's values: (order, conflicting)."""
    parts = values.drop_nulls().str.strip_chars().str.extract_groups(_NUMERIC)
    first = parts.struct.field("1").cast(pl.Int32, strict=False)
    second = parts.struct.field("2").cast(pl.Int32, strict=False)
    day_first = bool((first > 12).any())
    month_first = bool((second > 12).any())
    if day_first and month_first:
        return "dmy", True
    if day_first:
        return "dmy", False
    if month_first:
        return "mdy", False
    return None, False


def parse_dates(values: pl.Series, order: str = "dmy", strftime: str | None = None) -> pl.Series:
    """Text → Date for ISO (with or without time), dd/mm/yyyy or mm/dd/yyyy (``order``),
    yyyymmdd, month names (English, Spanish; RFC 2822 email dates with their weekday),
    Excel serial numbers and Unix epochs; else null. Only the day is kept."""
    frame = pl.DataFrame({"raw": values}).with_columns(
        # NFC: "miércoles" typed with a combining accent is the same word
        text=pl.col("raw").str.strip_chars().str.normalize("NFC").str.to_lowercase()
    )
    text = pl.col("text")
    if strftime:
        parsed = pl.coalesce(text.str.to_datetime(strftime, strict=False).dt.date(),
                             text.str.to_date(strftime, strict=False))
        return frame.select(parsed.alias(values.name))[values.name]
    text = text.str.replace_all(r"\s+", " ").str.replace(_WEEKDAY, "")
    iso = text.str.extract_groups(_ISO)
    num = text.str.extract_groups(_NUMERIC)
    dm = text.str.extract_groups(_DAY_MONTH)
    md = text.str.extract_groups(_MONTH_DAY)
    compact = text.str.extract_groups(_COMPACT)
    year2 = num.struct.field("3").cast(pl.Int32, strict=False)
    year = pl.when(year2 < 100).then(pl.when(year2 < 70).then(year2 + 2000).otherwise(year2 + 1900)).otherwise(year2)
    a, b = num.struct.field("1"), num.struct.field("2")
    day, month = (a, b) if order == "dmy" else (b, a)
    compact_year = compact.struct.field("1").cast(pl.Int32, strict=False)
    serial = text.str.extract(_SERIAL, 1).cast(pl.Int64, strict=False)
    epoch = text.str.extract(_EPOCH, 1).cast(pl.Int64, strict=False)
    month_names = pl.Series(list(_MONTHS.keys())), pl.Series(list(_MONTHS.values()))
    parsed = pl.coalesce(
        _ymd(iso.struct.field("1"), iso.struct.field("2"), iso.struct.field("3")),
        _ymd(year, month, day),
        _ymd(dm.struct.field("3"), dm.struct.field("2").replace_strict(*month_names, default=None), dm.struct.field("1")),
        _ymd(md.struct.field("3"), md.struct.field("1").replace_strict(*month_names, default=None), md.struct.field("2")),
        pl.when(compact_year.is_between(*COMPACT_YEARS)).then(
            _ymd(compact_year, compact.struct.field("2"), compact.struct.field("3"))),
        pl.when(serial.is_between(1, 2958465)).then(EXCEL_EPOCH + pl.duration(days=serial)),
        pl.from_epoch(epoch, time_unit="s").dt.date(),
    )
    return frame.select(parsed.alias(values.name))[values.name]


_LETTERS = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=4096)
def _is_date_word(word: str) -> bool:
    return all(part in _DATE_WORDS for part in _LETTERS.findall(fold_value(word)))


def _only_date_words(text: str) -> bool:
    """No word in ``text`` but month, weekday and zone names ("2024-01-05 revoked" fails)."""
    # Fold first when accents may be written apart ("mie\u0301rcoles" is one word).
    return all(_is_date_word(word) for word in _LETTERS.findall(text if text.isascii() else fold_value(text)))


# ---------------------------------------------------------------- yes/no

#: Punctuation around an answer that does not change it: "Yes!", "(stop)", "«sí»", "no."
#: ("?" is not here: "yes?" is a question, not an answer).
_AROUND = re.compile(r"^[\s,;:!()\[\]{}\"'«»“”‘’]+|[\s,;:!()\[\]{}\"'«»“”‘’]+$")


def _key(text: str) -> str:
    return _AROUND.sub("", fold_value(text))


def _answer_word(text: str, question: str) -> tuple[bool | None, bool] | None:
    """(answer, recognised) for a cell that is one vocabulary word, else None."""
    key = _key(text)
    if key in BLANK:
        return None, True
    if key in PLAIN_YES:
        return True, True
    if key in PLAIN_NO:
        return False, True
    if key in OPTED_IN:
        return question == "consent", True
    if key in OPTED_OUT:
        return question != "consent", True
    if key in NOT_OPTED_IN:
        return False, True
    return None


def parse_answer(text: str | None, question: str, is_date: bool = False) -> tuple[bool | None, bool]:
    """Read one cell of a consent or unsubscribe column: (answer, recognised).

    ``question`` is "consent" or "unsubscribed"; ``is_date`` says the cell parsed
    as a date (parse the column's dates in one vectorised pass first). Blank is
    (None, True); a date means yes, on that day; status words ("opted-out",
    "subscribed") answer either question. A status word with a date in the same
    cell ("unsubscribed 2024-01-05") is read by ``read_answers``; here it is
    unrecognised, never a bare date.
    """
    if text is None:
        return None, True
    word = _answer_word(text, question)
    if word is not None:
        return word
    if is_date and _only_date_words(text):
        return True, True
    return None, False


# ---------------------------------------------------------------- word + date

#: Brackets and semicolons only separate a status word from its date: "yes (2024-01-05)".
_SEPARATORS = re.compile(r"[()\[\]{};]")
#: "opted out:2024-01-05", "sí,05/01/2024": a comma or colon right after a word ends it.
_AFTER_WORD = re.compile(r"(?<=[^\W\d_])([,:])")
_DIGIT = re.compile(r"\d")
#: Words that join a status to its date: "unsubscribed on", "baja desde el", "abgemeldet am".
_CONNECTORS = sorted(_words("on", "at", "since", "from", "as of", "dated", "date", "el", "en", "desde", "fecha",
                            "el dia", "a partir de", "de", "del", "le", "du", "depuis", "am", "seit", "em", "il"),
                     key=len, reverse=True)
_CONNECTOR_ENDS = re.compile(rf"^(?:(?:{'|'.join(map(re.escape, _CONNECTORS))})(?: |$))+"
                             rf"|(?:(?:^| )(?:{'|'.join(map(re.escape, _CONNECTORS))}))+$")
_DATE_ENDS = " ,;:.-–—"
#: Free text longer than this is not "a status and a date"; it stays unrecognised.
MAX_SPLIT_WORDS = 16


def _tokens(cell: str) -> list[str]:
    return _AFTER_WORD.sub(r"\1 ", _SEPARATORS.sub(" ", cell)).split()


def _date_splits(tokens: list[str]) -> list[tuple[str, str]]:
    """(word, date text) for every way to cut a cell into a status and a date, either way
    round. The date side has a digit; the word side has none (no status word has, but "1", "0")."""
    if len(tokens) > MAX_SPLIT_WORDS:
        return []
    wordy = [not _DIGIT.search(token) for token in tokens]
    splits = []
    for cut in range(1, len(tokens)):
        head, tail = tokens[:cut], tokens[cut:]
        if all(wordy[:cut]) or (cut == 1 and head[0].isdigit()):
            splits.append((" ".join(head), " ".join(tail).strip(_DATE_ENDS)))
        if all(wordy[cut:]) or (cut == len(tokens) - 1 and tail[0].isdigit()):
            splits.append((" ".join(tail), " ".join(head).strip(_DATE_ENDS)))
    return [(word, date_text) for word, date_text in splits if _DIGIT.search(date_text)]


def _dates(texts: list[str], order: str, strftime: str | None) -> list:
    """Each text's day, if it is a date and nothing else (time and zone aside), else None."""
    days = parse_dates(pl.Series("d", texts, dtype=pl.String), order, strftime).to_list()
    return [day if day is not None and _only_date_words(text) else None for text, day in zip(texts, days)]


def _read_cells(cells: list[str], read_word, on_date, unknown: tuple, order: str,
                strftime: str | None) -> list[tuple[tuple, object]]:
    """(reading, date) per cell: a vocabulary word alone; else a bare date (``on_date``,
    or ``unknown`` if None); else a word and a date (the word's reading, that date); else
    ``unknown``. Python runs once per cell and each step parses the dates of all its
    cells in one ``parse_dates`` call, so callers pass distinct values."""
    results: list[tuple[tuple, object] | None] = [None] * len(cells)
    pending = []
    for index, cell in enumerate(cells):
        word = read_word(cell)
        if word is not None:
            results[index] = (word, None)
        elif _DIGIT.search(cell):
            pending.append(index)
    # A bare date ("2024-01-05 10:00 UTC", "(2024-01-05)"). Month, weekday and zone names
    # are no status word, except "t" (true), which says yes just as a bare date does.
    whole = _dates([_SEPARATORS.sub(" ", cells[index]).strip(_DATE_ENDS) for index in pending], order, strftime)
    for index, day in zip(pending, whole):
        if day is not None:
            results[index] = (unknown, None) if on_date is None else (on_date, day)
    # A status word and a date, either way round ("unsubscribed on 05/01/2024"). The
    # word side is checked first (once per distinct word), so only real candidates are parsed.
    words: dict[str, tuple | None] = {}  # an empty word ("since 2024-01-05") is a bare date after all
    candidates = []
    for index in pending:
        if results[index] is not None:
            continue
        for word, date_text in _date_splits(_tokens(cells[index])):
            if word not in words:
                key = _CONNECTOR_ENDS.sub("", _key(word)).strip()
                words[word] = on_date if not key else None if key in BLANK else read_word(key)
            if words[word] is not None:
                candidates.append((index, words[word], date_text))
    days = _dates([date_text for _, _, date_text in candidates], order, strftime)
    found: dict[int, list[tuple[tuple, object]]] = {}
    for (index, reading, _), day in zip(candidates, days):
        if day is not None:
            found.setdefault(index, []).append((reading, day))
    for index, readings in found.items():
        # Words that disagree ("no 2024-01-05 yes") say nothing clear.
        results[index] = readings[0] if len({reading for reading, _ in readings}) == 1 else (unknown, None)
    return [result or (unknown, None) for result in results]


def _by_row(values: pl.Series, distinct: pl.Series, columns: dict[str, tuple[list, pl.DataType, object]]) -> pl.DataFrame:
    """Spread per-distinct results back over every row, in order; a null cell gets the default."""
    # Each row's distinct value found once (one hash look-up a row), then every column gathered.
    at = values.cast(pl.String).replace_strict(distinct, pl.int_range(len(distinct), dtype=pl.UInt32, eager=True),
                                               default=None, return_dtype=pl.UInt32)
    found = at.is_not_null()
    return pl.DataFrame([
        pl.Series(name, column, dtype=dtype).gather(at).zip_with(found, pl.repeat(default, len(at), dtype=dtype,
                                                                                  eager=True))
        for name, (column, dtype, default) in columns.items()
    ])


def read_answers(values: pl.Series, question: str, order: str = "dmy", strftime: str | None = None) -> pl.DataFrame:
    """Read a consent or unsubscribe column, one row per value in order: ``answer``
    (Boolean; null = blank or no answer), ``recognised`` (Boolean; blank counts as
    recognised) and ``date`` (Date written in the cell, or null).

    ``question`` is "consent" or "unsubscribed". Words read as ``parse_answer`` does; a
    bare date answers yes to the column's own question, on that day; a status word with
    a date ("unsubscribed on 05/01/2024", "sí, 05/01/2024", "baja 20240105") answers as
    the word and dates it. Dates are read by ``parse_dates`` (``order``, ``strftime``).
    """
    distinct = values.cast(pl.String).drop_nulls().unique(maintain_order=True)
    read = _read_cells(distinct.to_list(), lambda text: _answer_word(text, question), (True, True),
                       (None, False), order, strftime)
    return _by_row(values, distinct, {
        "answer": ([reading[0] for reading, _ in read], pl.Boolean, None),
        "recognised": ([reading[1] for reading, _ in read], pl.Boolean, True),
        "date": ([day for _, day in read], pl.Date, None),
    })


#: Member statuses that are neither a stop nor a bounce.
NOT_STOPPED = OPTED_IN | NOT_OPTED_IN | MEMBER_STATES


def _status_word(text: str) -> tuple[bool | None, bool | None, bool] | None:
    """(stop, bounced, recognised) for a cell that is one status word, else None."""
    key = _key(text)
    if key in BLANK:
        return None, None, True
    if key in STOPPED:
        return True, False, True
    if key in BOUNCED:
        return False, True, True
    if key in NOT_STOPPED:
        return False, False, True
    return None


def read_member_status(values: pl.Series) -> pl.DataFrame:
    """Read a member-status column (Mailchimp "Status", HubSpot, listclean's own rejects
    file), one row per value in order: ``stop`` (Boolean: unsubscribed, opted out,
    complained, spam, blocked, suppressed…), ``bounced`` (Boolean: cleaned, bounced,
    undeliverable, invalid) and ``recognised`` (Boolean). Blank is (null, null, True);
    an unknown status is (null, null, False), and so is a bare date or yes/no: a status
    column that says "yes" does not say to what. "unsubscribed 2024-01-05" reads as its word.
    """
    distinct = values.cast(pl.String).drop_nulls().unique(maintain_order=True)
    read = _read_cells(distinct.to_list(), _status_word, None, (None, None, False), "dmy", None)
    return _by_row(values, distinct, {
        "stop": ([reading[0] for reading, _ in read], pl.Boolean, None),
        "bounced": ([reading[1] for reading, _ in read], pl.Boolean, None),
        "recognised": ([reading[2] for reading, _ in read], pl.Boolean, True),
    })


# ---------------------------------------------------------------- countries

_COUNTRY_ALIASES = {
    "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "great britain": "GB", "inglaterra": "GB", "reino unido": "GB", "usa": "US", "u s a": "US",
    "u s": "US", "eeuu": "US", "ee uu": "US", "estados unidos": "US", "america": "US",
    "holland": "NL", "holanda": "NL",
    # English names ISO 3166 no longer gives, or never gave, and Russia in Russian.
    "turkey": "TR", "uae": "AE", "u a e": "AE", "ivory coast": "CI", "cape verde": "CV", "macedonia": "MK",
    "korea": "KR", "kosovo": "XK", "россия": "RU",
}


#: Languages whose country names are read (pycountry's ISO 3166 translations).
COUNTRY_NAME_LANGUAGES = ("es", "fr", "de", "pt", "it", "ca", "nl", "gl", "eu")
#: More languages, read only for a name the first ones do not know: a customer writes their own
#: country's name ("Polska", "Sverige", "Éire", "Danmark", "Suomi").
MORE_COUNTRY_NAME_LANGUAGES = ("pl", "sv", "da", "nb", "fi", "ga", "cs", "sk", "hu", "ro", "hr", "sl", "bg",
                               "el", "tr", "lt", "lv", "et", "uk", "ru")


@lru_cache(maxsize=2)
def _country_names(languages: tuple[str, ...] = COUNTRY_NAME_LANGUAGES) -> dict[str, str]:
    """Folded country name (English, the official name, alpha-3, and the names in
    ``languages``) → region code."""
    import gettext

    import pycountry

    names: dict[str, str] = {}
    translations = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)
                    for language in languages]
    for country in pycountry.countries:
        names[fold_value(country.alpha_3)] = country.alpha_2
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names.setdefault(fold_value(value), country.alpha_2)
                for translation in translations:
                    names.setdefault(fold_value(translation.gettext(value)), country.alpha_2)
    names.update(_COUNTRY_ALIASES)
    return names


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """'España', 'ES', 'esp', 'Spain', '+34' → 'ES' ('Polska' → 'PL', 'EE.UU.' → 'US'); None if unknown."""
    if not text:
        return None
    folded = fold_value(text)
    if not folded:
        return None
    named = _country_names().get(folded)
    if named is not None:   # before the subdivision shape: "EE.UU." is the US, not Estonia's "EE-UU"
        return named
    if re.fullmatch(r"[a-z]{2} [a-z0-9]{1,3}", folded):  # ISO 3166-2 subdivision: ES-MD → ES
        folded = folded[:2]
    if len(folded) == 2:
        upper = folded.upper()
        if upper == "UK":
            return "GB"
        return upper if upper in phonenumbers.SUPPORTED_REGIONS else None
    if folded.lstrip("+").isdigit() and text.strip().startswith("+"):
        region = phonenumbers.region_code_for_country_code(int(folded.lstrip("+")))
        return None if region == "ZZ" else region
    return _country_names(COUNTRY_NAME_LANGUAGES + MORE_COUNTRY_NAME_LANGUAGES).get(folded)
