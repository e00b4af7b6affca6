"""Email normalisation: vectorised clean-up, a vectorised fast path over the whole column for
the plain ASCII addresses email-validator accepts and the everyday mistakes it rejects
(``fast_email``), then email-validator once per remaining distinct value; on top of the
library's syntax verdict, listclean's own (``_judge`` per value, ``_enrich`` and
``_reject_reasons`` over columns, kept identical by tests/test_fast_email.py):

* a domain reserved by RFC 2606 / 6761 / 6762 / 7686 / 8375 / 9476 / 3172 (``example.com``,
  ``.test``, ``.local``, ``.onion``, ``home.arpa``…) is named with its RFC in ``email_reserved``
  (the status stays email-validator's: ``example.com`` is valid syntax, ``.test`` is not);
* a local part over RFC 5321's 64 octets is invalid (email-validator checks it only in strict
  mode);
* stray punctuation around an address (``jane@x.com>``, ``<jane@x.com``, a trailing ``;``)
  is named in the reason; only a bare, balanced ``<addr>`` is read as the address;
* per distinct domain: disposable, typo of a big provider (never for a known provider domain,
  country variants included), a top-level domain that is not in the root zone;
* per address: a look-alike character before the @ (Unicode confusables, compatibility
  forms, Cyrillic or Greek among Latin letters), a quote or bracket at an end of the local part.

Adds to the work frame:
``email`` (normalised address), ``email_status`` (ok | invalid | missing),
``email_reason`` (why it is invalid: email-validator's explanation or listclean's),
``email_domain`` (ASCII/IDNA domain, what DNS is asked), ``email_key`` (the
duplicate-matching key), ``email_role``, ``email_disposable``, ``email_typo_fix`` (the
suggested domain), ``email_reserved`` (why the domain never receives mail, with the RFC),
``email_unknown_tld`` (a top-level domain missing from the root zone), ``email_lookalike``
(the character, named) and ``email_stray`` (what the local part starts or ends with).

The top-level domains come from the Public Suffix List bundled with ``publicsuffixlist``, the
confusables from ``listclean/data/confusables-ascii.txt``; ``data_versions()`` names both.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import re
import unicodedata
from functools import lru_cache

import email_validator
import polars as pl
from email_validator.rfc_constants import LOCAL_PART_MAX_LENGTH

from listclean.normalize import fast_email
from listclean.normalize.distinct import judge_rows, rows_at

#: Decide plain ASCII addresses with polars (``fast_email``) before calling email-validator.
#: Tests switch it off to compare; the results are the same either way.
FAST_PATH = True
#: Fewer values than this go to email-validator alone: below it the fast path's fixed cost
#: (about 30 ms) exceeds email-validator's time (measured on the sample export: even at 1,000).
FAST_PATH_MIN_VALUES = 1_000


def _remember_domains() -> None:
    """email-validator checks an address's domain (IDNA/UTS #46: the costly part of a non-ASCII
    address) once per address; exports hold thousands of addresses at a dozen such domains. Its
    domain check, keyed by the domain, its options and the special-use names (which a program
    may change), is kept (a fresh copy of its answer each time; a refused domain is not kept).
    On a generated 1M-row export, the 3,840 addresses left to the library took 1.2 s, now 0.17 s,
    with the same verdicts; like ``phonenumbers.enable_pattern_cache``, it changes no result."""
    import sys

    module = sys.modules[email_validator.validate_email.__module__]
    check = module.validate_email_domain_name
    if getattr(check, "remembered", False):
        return

    @lru_cache(maxsize=1 << 16)
    def remembered(domain: str, options: tuple, special_use: tuple) -> dict:
        return check(domain, **dict(options))

    def validate_email_domain_name(domain, **options):
        return dict(remembered(domain, tuple(sorted(options.items())),
                               tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)))

    validate_email_domain_name.remembered = True
    module.validate_email_domain_name = validate_email_domain_name


_remember_domains()

#: Local parts that reach a team or a machine, not a person (English and Spanish).
ROLE_LOCAL_PARTS = frozenset("""
abuse admin administracion administrador administrator atencion atencionalcliente billing bookings
clientes comercial compras contact contacto contabilidad customerservice direccion do-not-reply
donotreply empleo equipo facturacion hello help hola hostmaster hr info informacion jobs legal mail
mailer-daemon marketing newsletter no-reply noreply no_reply office oficina orders pedidos postmaster
privacy recepcion reservas root rrhh sales security soporte support team ventas webmaster
""".split())

#: Mailbox providers whose near-misses are almost always typing mistakes: the targets of the
#: typo check (one slip away from exactly one of them).
POPULAR_DOMAINS = (
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.es", "hotmail.co.uk", "hotmail.fr",
    "outlook.com", "outlook.es", "live.com", "live.com.mx", "msn.com", "yahoo.com", "yahoo.es",
    "yahoo.co.uk", "yahoo.fr", "yahoo.com.mx", "yahoo.com.ar", "icloud.com", "me.com", "mac.com",
    "aol.com", "protonmail.com", "proton.me", "gmx.com", "gmx.de", "gmx.net", "gmx.es", "web.de",
    "orange.fr", "wanadoo.fr", "free.fr", "telefonica.net", "movistar.es", "ono.com",
    "comcast.net", "verizon.net", "att.net", "btinternet.com", "sky.com", "libero.it",
    "yandex.ru", "mail.ru", "terra.com.br", "uol.com.br", "bol.com.br", "prodigy.net.mx",
    "hotmail.it", "hotmail.de", "outlook.fr", "outlook.de", "yahoo.it", "yahoo.de",
)

#: Real mailbox domains of the big providers, country variants included: never called a typo,
#: whatever they are one slip away from (yahoo.com.au is not a typo of yahoo.com.ar).
KNOWN_PROVIDER_DOMAINS = frozenset(POPULAR_DOMAINS) | frozenset("""
gmail.com googlemail.com
hotmail.com hotmail.co.uk hotmail.fr hotmail.es hotmail.it hotmail.de hotmail.be hotmail.nl hotmail.ca
hotmail.com.ar hotmail.com.br hotmail.com.au hotmail.co.jp hotmail.co.za hotmail.co.th hotmail.co.nz
hotmail.co.in hotmail.co.id hotmail.com.tr hotmail.com.hk hotmail.com.tw hotmail.com.sg hotmail.com.my
hotmail.com.ph hotmail.com.vn hotmail.se hotmail.dk hotmail.no hotmail.fi hotmail.gr hotmail.ch
hotmail.at hotmail.cl hotmail.cz hotmail.hu hotmail.sk hotmail.rs hotmail.my hotmail.sg hotmail.ph
outlook.com outlook.es outlook.fr outlook.de outlook.it outlook.jp outlook.be outlook.cl outlook.at
outlook.com.br outlook.com.ar outlook.com.au outlook.com.gr outlook.com.tr outlook.com.vn
outlook.co.id outlook.co.il outlook.co.nz outlook.co.th outlook.cz outlook.dk outlook.hu outlook.ie
outlook.in outlook.kr outlook.lv outlook.my outlook.ph outlook.pt outlook.sa outlook.sg outlook.sk
live.com live.co.uk live.fr live.nl live.be live.ca live.de live.it live.se live.no live.dk live.ie
live.at live.cl live.ru live.jp live.in live.cn live.hk live.co.za live.com.au live.com.ar
live.com.mx live.com.pt live.com.sg live.com.my msn.com passport.com windowslive.com
yahoo.com ymail.com rocketmail.com yahoo.co.uk yahoo.fr yahoo.es yahoo.it yahoo.de yahoo.ca yahoo.ie
yahoo.gr yahoo.se yahoo.dk yahoo.no yahoo.fi yahoo.pl yahoo.ro yahoo.at yahoo.be yahoo.ch yahoo.nl
yahoo.pt yahoo.cl yahoo.cn yahoo.in yahoo.co.jp yahoo.co.in yahoo.co.id yahoo.co.nz yahoo.co.za
yahoo.co.th yahoo.co.kr yahoo.com.au yahoo.com.br yahoo.com.ar yahoo.com.mx yahoo.com.sg
yahoo.com.ph yahoo.com.tw yahoo.com.hk yahoo.com.vn yahoo.com.my yahoo.com.co yahoo.com.pe
yahoo.com.ve yahoo.com.tr
icloud.com me.com mac.com aol.com aol.co.uk aol.fr aol.de aim.com
protonmail.com protonmail.ch proton.me pm.me tutanota.com tutanota.de tuta.io tuta.com
fastmail.com fastmail.fm zoho.com hushmail.com mail.com email.com
gmx.com gmx.net gmx.de gmx.at gmx.ch gmx.es gmx.fr gmx.co.uk gmx.us
web.de t-online.de freenet.de arcor.de online.de posteo.de mailbox.org
yandex.ru yandex.com yandex.ua yandex.by yandex.kz ya.ru mail.ru bk.ru inbox.ru list.ru rambler.ru
libero.it virgilio.it alice.it tin.it tiscali.it email.it fastwebnet.it
orange.fr wanadoo.fr free.fr laposte.net sfr.fr neuf.fr bbox.fr club-internet.fr numericable.fr
telefonica.net movistar.es ono.com terra.es
btinternet.com sky.com virginmedia.com ntlworld.com talktalk.net blueyonder.co.uk tiscali.co.uk
comcast.net verizon.net att.net sbcglobal.net bellsouth.net cox.net charter.net earthlink.net
optonline.net juno.com
terra.com.br uol.com.br bol.com.br ig.com.br globo.com prodigy.net.mx
qq.com 163.com 126.com sina.com sohu.com naver.com daum.net hanmail.net rediffmail.com
docomo.ne.jp ezweb.ne.jp softbank.ne.jp
wp.pl o2.pl onet.pl interia.pl seznam.cz centrum.cz azet.sk abv.bg
ziggo.nl kpnmail.nl planet.nl home.nl telenet.be skynet.be
bigpond.com bigpond.net.au optusnet.com.au shaw.ca rogers.com sympatico.ca videotron.ca xtra.co.nz
""".split())
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

#: Top-level domains whose one-slip typos get a suggestion (``.con`` → ``.com``), most used first.
POPULAR_TLDS = (
    "com", "net", "org", "edu", "gov", "info", "biz", "es", "mx", "ar", "cl", "pe", "br", "pt",
    "uk", "ie", "fr", "be", "de", "at", "ch", "it", "nl", "se", "no", "dk", "fi", "pl", "ru",
    "ca", "us", "au", "nz", "jp", "in",
)

#: Reserved and special-use names (a name or any name under it): what it is, and the RFC.
#: Most specific first (home.arpa before arpa).
RESERVED_DOMAINS = {
    "example.com": ("reserved for documentation and examples", "RFC 2606 / RFC 6761"),
    "example.net": ("reserved for documentation and examples", "RFC 2606 / RFC 6761"),
    "example.org": ("reserved for documentation and examples", "RFC 2606 / RFC 6761"),
    "example": ("reserved for documentation and examples", "RFC 2606 / RFC 6761"),
    "test": ("reserved for testing", "RFC 2606 / RFC 6761"),
    "invalid": ("reserved as a name that is always invalid", "RFC 2606 / RFC 6761"),
    "localhost": ("reserved for the local computer", "RFC 2606 / RFC 6761"),
    "local": ("reserved for multicast DNS on a local network", "RFC 6762"),
    "onion": ("a Tor onion service, outside the DNS", "RFC 7686"),
    "home.arpa": ("reserved for home networks", "RFC 8375"),
    "alt": ("reserved for names outside the DNS", "RFC 9476"),
    "arpa": ("the Internet's infrastructure domain, which has no mailboxes", "RFC 3172"),
}
#: email-validator's reason for its own special-use names (a subset of RESERVED_DOMAINS).
SPECIAL_USE_REASON = ("The part after the @-sign is a special-use or reserved name that cannot be "
                      "used with email.")
TOO_LONG_LOCAL = ("The part before the @-sign is {} octets long; RFC 5321 (section 4.5.3.1.1) allows "
                  f"at most {LOCAL_PART_MAX_LENGTH}.")


def clean_expr(column: str) -> pl.Expr:
    """Whitespace and ``mailto:`` removed, a bare ``<addr>`` unwrapped; empty becomes null.

    Only a balanced pair of angle brackets around the whole cell is read (``<jane@x.com>``,
    RFC 5322's angle-addr). An unbalanced one (``jane@x.com>``, ``<jane@x.com``) is left in
    place, so the address is invalid and the reason names the stray character; so is a display
    name (``Ana <ana@x.com>``: the cell holds more than an address).
    """
    space = " \t\r\n\u00a0"
    cleaned = pl.col(column).str.strip_chars(space)
    cleaned = pl.coalesce(cleaned.str.extract(r"^<([^<>]*)>$", 1), cleaned).str.strip_chars(space)
    cleaned = cleaned.str.replace(r"(?i)^mailto:", "").str.strip_chars(space)
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def validate_one(address: str) -> tuple[str | None, str, str | None, str | None]:
    """(normalised, status, reason, ascii domain) for one cleaned address: email-validator's
    verdict alone (see ``_judge`` for listclean's)."""
    try:
        valid = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        return None, "invalid", str(error), None
    return valid.normalized, "ok", None, valid.ascii_domain.lower()


def matching_key(address: str, ascii_domain: str) -> str:
    """Fold what mailbox providers ignore: case, +tags, Gmail dots, googlemail.com."""
    local = address.rsplit("@", 1)[0].lower().split("+", 1)[0]
    domain = ascii_domain
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance (adjacent swaps count once), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _may_be_typo_of(domain: str, popular: str) -> bool:
    """A popular domain with a name of three letters or fewer (aol.com, me.com, gmx.de) is only
    a typo target for slips after its name (aol.co): aon.com and mi.com are other companies."""
    name = popular.split(".", 1)[0]
    return len(name) > 3 or domain.split(".", 1)[0] == name


def _deletions(text: str) -> set[str]:
    """``text`` and every string one character shorter: two strings are within one slip
    (insertion, deletion, substitution, adjacent swap) only if these sets meet."""
    return {text} | {text[:i] + text[i + 1:] for i in range(len(text))}


@lru_cache(maxsize=1)
def _typo_index() -> dict[str, frozenset[str]]:
    """Each deletion variant of a popular domain → the popular domains that have it."""
    index: dict[str, set[str]] = {}
    for popular in POPULAR_DOMAINS:
        for variant in _deletions(popular):
            index.setdefault(variant, set()).add(popular)
    return {variant: frozenset(found) for variant, found in index.items()}


@lru_cache(maxsize=None)
def typo_fix(domain: str) -> str | None:
    """The popular domain this one is one slip away from, if exactly one; never for a known
    provider domain (``KNOWN_PROVIDER_DOMAINS``: real country variants are not typos).

    Candidates come from the deletion index (a dozen set look-ups per domain), then the exact
    distance decides: per distinct domain this costs microseconds, not one edit-distance table
    per popular domain."""
    if domain in KNOWN_PROVIDER_DOMAINS:
        return None
    index = _typo_index()
    candidates = set().union(*(index.get(variant, ()) for variant in _deletions(domain)))
    close = [p for p in POPULAR_DOMAINS
             if p in candidates and _may_be_typo_of(domain, p) and _osa_distance(domain, p, 1) <= 1]
    return close[0] if len(close) == 1 else None


def _tld_fix(tld: str) -> str | None:
    """The popular top-level domain an unknown one is one slip away from: the only one of the
    same length (con → com, cmo → com), else the only one at all (comm → com)."""
    close = [t for t in POPULAR_TLDS if _osa_distance(tld, t, 1) <= 1]
    same = [t for t in close if len(t) == len(tld)]
    pick = same or close
    return pick[0] if len(pick) == 1 else None


def unknown_tld_fix(domain: str, tld: str) -> str | None:
    """A suggestion for a domain whose top-level domain does not exist: a popular provider one
    slip away (gmail.con → gmail.com), else the domain with the top-level domain fixed, itself
    checked for a provider typo (gmial.con → gmail.com, acme.con → acme.com)."""
    fix = typo_fix(domain)
    if fix is not None:
        return fix
    fixed_tld = _tld_fix(tld)
    if fixed_tld is None:
        return None
    fixed = domain[: len(domain) - len(tld)] + fixed_tld
    return typo_fix(fixed) or fixed


@lru_cache(maxsize=1)
def _root_zone() -> tuple[frozenset[str], str]:
    """The top-level domains of the IANA root zone (ASCII, Punycode for IDN ones), and where
    they come from: the ICANN section of the Public Suffix List bundled with the
    ``publicsuffixlist`` package, which lists every delegated TLD (its snapshot; no network)."""
    import idna

    try:
        import publicsuffixlist
    except ImportError:
        from listclean.errors import ListcleanError

        raise ListcleanError("the top-level domain check needs the publicsuffixlist package "
                             "(pip install publicsuffixlist)") from None
    tlds: set[str] = set()
    psl_version, in_icann = "unknown", False
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as source:
        for line in source:
            line = line.strip()
            if line.startswith("// VERSION:"):
                psl_version = line.split(":", 1)[1].strip()
            elif line == "// ===BEGIN ICANN DOMAINS===":
                in_icann = True
            elif line == "// ===END ICANN DOMAINS===":
                break
            elif in_icann and line and not line.startswith("//"):
                label = line.split()[0].rsplit(".", 1)[-1].lstrip("!*")
                tlds.add(idna.encode(label, uts46=True).decode("ascii").lower())
    if len(tlds) < 1000:   # a truncated or changed file: fail loudly rather than flag every address
        from listclean.errors import ListcleanError

        raise ListcleanError(f"the public suffix list at {publicsuffixlist.PSLFILE} lists only {len(tlds)} "
                             "top-level domains; reinstall publicsuffixlist")
    package = importlib.metadata.version("publicsuffixlist")
    return frozenset(tlds), f"publicsuffixlist {package} (Public Suffix List {psl_version})"


def root_zone_tlds() -> frozenset[str]:
    return _root_zone()[0]


def tld_list_version() -> str:
    """Where the top-level domain list comes from, e.g.
    ``publicsuffixlist 1.1.2.20261023 (Public Suffix List 2026-10-22_08-36-41_UTC)``."""
    return _root_zone()[1]


def reserved_domain(domain: str) -> str | None:
    """Why ``domain`` never receives mail, with the RFC, if it is (or is under) a reserved or
    special-use name: ``@example.com is reserved for documentation and examples (RFC 2606 /
    RFC 6761): it never receives mail``."""
    labels = domain.rstrip(".").split(".")
    for i in range(len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in RESERVED_DOMAINS:
            what, rfc = RESERVED_DOMAINS[suffix]
            return f"@{domain} is {what} ({rfc}): it never receives mail"
    return None


def _reserved_in_address(address: str) -> str | None:
    """``reserved_domain`` of the domain of an address email-validator rejected as special-use."""
    import idna

    domain = address.rsplit("@", 1)[-1]
    try:
        domain = idna.uts46_remap(domain, std3_rules=False, transitional=False)
    except idna.IDNAError:
        pass
    return reserved_domain(domain.lower().rstrip("."))


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    import disposable_email_domains

    return frozenset(disposable_email_domains.blocklist)


def is_disposable(domain: str) -> bool:
    """The domain or any parent of it is on the disposable list."""
    blocklist = disposable_domains()
    parts = domain.split(".")
    return any(".".join(parts[i:]) in blocklist for i in range(len(parts) - 1))


def domain_facts(domain: str) -> tuple:
    """What one ASCII domain of a valid address says, once per distinct domain:
    (disposable, typo fix, unknown TLD, reserved). A reserved domain is only that."""
    reserved = reserved_domain(domain)
    if reserved is not None:
        return None, None, None, reserved
    tld = domain.rsplit(".", 1)[-1]
    if tld not in root_zone_tlds():
        return is_disposable(domain), unknown_tld_fix(domain, tld), tld, None
    return is_disposable(domain), typo_fix(domain), None, None


@lru_cache(maxsize=1)
def _fact_lists() -> tuple[pl.Series, pl.Series, pl.Series]:
    """For ``facts_of_domains``: the reserved and disposable domains, the typo index's variants
    and the root zone's TLDs."""
    return (pl.Series(sorted(RESERVED_DOMAINS.keys() | disposable_domains()), dtype=pl.String),
            pl.Series(sorted(_typo_index()), dtype=pl.String), pl.Series(sorted(root_zone_tlds()), dtype=pl.String))


#: ``domain_facts`` of a domain that is none of these things.
NO_FACTS = (False, None, None, None)


def facts_of_domains(domains: pl.Series) -> dict[str, tuple]:
    """``domain_facts`` of those of ``domains`` (distinct ASCII domains) that may have one; the
    others' are ``NO_FACTS``. Which may is found in polars: a domain under a root-zone TLD with
    no suffix on the reserved or disposable lists and no deletion variant in the typo index (see
    ``typo_fix``) has none. A list with many company domains then costs no Python per domain
    (47,684 domains in a 500k-row batch: 0.59 s, holding the GIL, when each was asked; 0.11 s)."""
    domain = pl.col("d")
    dots = domains.str.count_matches(r"\.").max() or 0
    suffixes = [domain.str.extract(rf"^(?:[^.]*\.){{{k}}}(.+)$", 1) for k in range(dots + 1)]
    listed, index, tlds = _fact_lists()
    shortest, longest = index.str.len_chars().min(), index.str.len_chars().max()
    length = domain.str.len_chars()
    variants = [domain.str.slice(0, i) + domain.str.slice(i + 1) for i in range(longest + 1)]
    typo_candidate = length.is_between(shortest, longest + 1) & pl.any_horizontal(
        v.is_in(index.implode()) for v in [domain, *variants])
    maybe = (~domain.str.extract(r"\.([^.]+)$", 1).is_in(tlds.implode()).fill_null(False)
             | pl.any_horizontal(s.is_in(listed.implode()).fill_null(False) for s in suffixes)
             | typo_candidate | domain.str.contains(r"^\.|\.$|\.\.") | ~domain.str.contains(r"\."))
    flagged = pl.DataFrame({"d": domains}).filter(maybe.fill_null(True))["d"].to_list()
    return {d: domain_facts(d) for d in flagged}


# ------------------------------------------------------------ look-alike characters

@lru_cache(maxsize=1)
def _confusables() -> tuple[dict[str, str], str]:
    """Unicode's confusables that look like one ASCII character (listclean/data), and the
    version line of that file."""
    text = importlib.resources.files("listclean").joinpath("data", "confusables-ascii.txt").read_text("utf-8")
    table, version = {}, "unknown"
    for line in text.split("\n"):
        if line.startswith("# version:"):
            version = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#"):
            code, target = line.split("\t")
            table[chr(int(code, 16))] = target
    return table, version


def confusables_version() -> str:
    return "Unicode confusables.txt via " + _confusables()[1]


#: Scripts that may not mix with Latin letters (UTS #39, moderately restrictive): their letters
#: among Latin ones are flagged even when they look like no ASCII letter.
_NOT_WITH_LATIN = frozenset({"CYRILLIC", "GREEK"})


def _script(c: str) -> str:
    """A letter's script, from its Unicode name (LATIN, CYRILLIC, GREEK, CJK…)."""
    if c.isascii():
        return "LATIN"
    return unicodedata.name(c, "UNKNOWN").split(" ", 1)[0]


def _shown(c: str) -> str:
    return f'"{c}"' if c == "'" else f"'{c}'"


def lookalike(local: str) -> str | None:
    """The first character of a local part that passes for another one, named by code point:
    a compatibility form that NFKC folds to ASCII (fullwidth ｊ, one-dot leader ․, ligatures),
    a Unicode confusable of an ASCII character (’ ‐ ı ɑ…), or a letter of another script among
    Latin ones (Cyrillic а in jаne). A whole local part in one other script is not flagged."""
    if local.isascii():
        return None
    table = _confusables()[0]
    latin = any(c.isalpha() and _script(c) == "LATIN" for c in local)
    for c in local:
        if c.isascii():
            continue
        named = f"U+{ord(c):04X} {unicodedata.name(c, 'UNNAMED')}"
        folded = unicodedata.normalize("NFKC", c)
        if folded != c and folded.isascii():
            return f"{named} looks like {_shown(folded)}"
        target = table.get(c)
        # Letters, marks and digits belong to their script: in a local part written in that
        # script they are what they are (a Telugu anusvara, a Devanagari zero).
        if unicodedata.category(c)[0] in "LMN" and _script(c) != "LATIN":
            if latin and (target is not None or _script(c) in _NOT_WITH_LATIN):
                mixed = f"{_script(c).title()} among Latin letters"
                return f"{named} looks like {_shown(target)} ({mixed})" if target else f"{named} ({mixed})"
        elif target is not None:
            return f"{named} looks like {_shown(target)}"
    return None


# ------------------------------------------------------------ stray punctuation

#: Quote- and bracket-like characters that are legal at an end of a local part (RFC 5322 atext)
#: but almost always debris of quoting or a spreadsheet: 'jane@x.com, {jane@x.com.
_STRAY_NAMES = {"'": "an apostrophe", "`": "a backtick", "{": "a brace", "}": "a brace", "|": "a vertical bar"}
_STRAY_START = {c: f"starts with {name} ({c})" for c, name in _STRAY_NAMES.items()}
_STRAY_END = {c: f"ends with {name} ({c})" for c, name in _STRAY_NAMES.items()}


def stray_local(local: str) -> str | None:
    """What a valid local part starts or ends with, if it is a quote or bracket (``_STRAY_NAMES``)."""
    return _STRAY_START.get(local[0]) or _STRAY_END.get(local[-1])


def stray_local_expr(local: pl.Expr) -> pl.Expr:
    """``stray_local`` over a column."""
    first = local.str.slice(0, 1).replace_strict(_STRAY_START, default=None, return_dtype=pl.String)
    last = local.str.slice(-1).replace_strict(_STRAY_END, default=None, return_dtype=pl.String)
    return pl.coalesce(first, last)


#: Around an invalid address: what opens a wrapper and its partner, and list separators.
_OPENERS = {"<": ">", "(": ")", "[": "]", "{": "}", '"': '"', "'": "'", "`": "`",
            "«": "»", "‹": "›", "“": "”", "‘": "’"}
_CLOSERS = {close: open_ for open_, close in _OPENERS.items()}
_SEPARATORS = ",;:"
_LEADS = sorted(set(_OPENERS) | set(_SEPARATORS))
_TRAILS = sorted(set(_CLOSERS) | set(_SEPARATORS))
#: What is left once the stray characters are off must look like one address.
_SHAPE = '[^ \t\r\n<>()\\[\\]{}",;:@]+@[^ \t\r\n<>()\\[\\]{}",;:@]+'
_SHAPE_RE = re.compile(_SHAPE)


@lru_cache(maxsize=None)
def stray_reason(lead: str, trail: str) -> str:
    """The reason given for an invalid address with ``lead`` before it and ``trail`` after it."""
    if lead and trail and _OPENERS.get(lead) == trail:
        return f"The address is wrapped in {_shown(lead)} and {_shown(trail)}; remove them."
    if lead and trail:
        return f"The address starts with a stray {_shown(lead)} and ends with a stray {_shown(trail)}; remove them."
    if lead:
        why = f"with no {_shown(_OPENERS[lead])} at the end" if lead in _OPENERS else "as if copied from a list"
        return f"The address starts with a stray {_shown(lead)} ({why}); remove it."
    why = f"with no {_shown(_CLOSERS[trail])} at the start" if trail in _CLOSERS else "as if copied from a list"
    return f"The address ends with a stray {_shown(trail)} ({why}); remove it."


def _stray_around(value: str) -> str | None:
    """``stray_reason`` for a rejected value that is one address with punctuation around it."""
    if not value:
        return None
    lead = value[0] if value[0] in _LEADS else ""
    trail = value[-1] if len(value) > 1 and value[-1] in _TRAILS else ""
    inner = value[len(lead): len(value) - len(trail)]
    if (lead or trail) and _SHAPE_RE.fullmatch(inner):
        return stray_reason(lead, trail)
    return None


def _reject_reasons(values: pl.Series, rejected: pl.DataFrame) -> pl.DataFrame:
    """``fast_email.judge_invalid``'s verdicts (``_i``, ``reason``) on ``values`` with
    listclean's reasons, as ``_judge`` gives them: stray punctuation around an address named."""
    if rejected.is_empty():
        return rejected
    v = pl.col("v")
    size = v.str.len_chars()
    first, last = v.str.slice(0, 1), v.str.slice(-1)
    lead = pl.when(first.is_in(_LEADS)).then(first).otherwise(pl.lit(""))
    trail = pl.when((size > 1) & last.is_in(_TRAILS)).then(last).otherwise(pl.lit(""))
    frame = rejected.with_columns(values.gather(rejected["_i"]).alias("v")).with_columns(
        lead.alias("lead"), trail.alias("trail"))
    inner = v.str.slice(pl.col("lead").str.len_chars(),
                        size - pl.col("lead").str.len_chars() - pl.col("trail").str.len_chars())
    stray = ((pl.col("lead") != "") | (pl.col("trail") != "")) & inner.str.contains(f"^{_SHAPE}$")
    frame = frame.with_columns(stray.alias("stray"))
    pairs = frame.filter("stray").select("lead", "trail").unique()
    reasons = {f"{a}\x00{b}": stray_reason(a, b) for a, b in pairs.iter_rows()}
    key = pl.col("lead") + "\x00" + pl.col("trail")
    return frame.select("_i", pl.when("stray").then(key.replace_strict(reasons, default=None, return_dtype=pl.String))
                        .otherwise(pl.col("reason")).alias("reason"))


# ------------------------------------------------------------ verdicts

EMAIL_SCHEMA = {
    "email": pl.String, "email_status": pl.String, "email_reason": pl.String,
    "email_domain": pl.String, "email_key": pl.String, "email_role": pl.Boolean,
    "email_disposable": pl.Boolean, "email_typo_fix": pl.String, "email_reserved": pl.String,
    "email_unknown_tld": pl.String, "email_lookalike": pl.String, "email_stray": pl.String,
}


def _invalid(reason: str, reserved: str | None = None) -> tuple:
    return None, "invalid", reason, None, None, None, None, None, reserved, None, None, None


def _judge(address: str) -> tuple:
    """Every email column for one cleaned address (``EMAIL_SCHEMA`` order): email-validator's
    verdict, then listclean's (the 64-octet local part, stray punctuation named, the domain's
    facts: reserved, disposable, typo, unknown TLD; look-alike and stray characters)."""
    normalised, status, reason, domain = validate_one(address)
    if status != "ok":
        reserved = _reserved_in_address(address) if reason == SPECIAL_USE_REASON else None
        if reserved is not None:
            return _invalid(reserved, reserved)
        return _invalid(_stray_around(address) or reason)
    disposable, typo, unknown_tld, reserved = domain_facts(domain)
    local = normalised.rsplit("@", 1)[0]
    octets = len(local.encode("utf-8"))
    if octets > LOCAL_PART_MAX_LENGTH:
        return _invalid(TOO_LONG_LOCAL.format(octets), reserved)
    return (normalised, status, reason, domain, matching_key(normalised, domain),
            local.lower().split("+", 1)[0] in ROLE_LOCAL_PARTS, disposable, typo, reserved, unknown_tld,
            lookalike(local), stray_local(local))


def key_expr(local: pl.Expr, domain: pl.Expr) -> pl.Expr:
    """``matching_key`` over columns: the lower-cased local part without its +tag, Gmail's dots
    and googlemail.com folded."""
    base = local.str.to_lowercase().str.split_exact("+", 1).struct.field("field_0")
    gmail = domain.is_in(sorted(_GMAIL_DOMAINS))
    return (pl.when(gmail).then(base.str.replace_all(".", "", literal=True) + "@gmail.com")
            .otherwise(base + "@" + domain))


#: The first thing shaped like an address inside a cell, whatever surrounds it.
_ADDRESS_INSIDE = r"([^\s<>()\[\]{},;:\"'`]+@[^\s<>()\[\]{},;:\"'`@]+)"


def loose_key_expr(raw: pl.Expr) -> pl.Expr:
    """A best-effort matching key for a cell email-validator rejects: ``Ana <ana@correo.es>``,
    ``ana@correo.es.``, a full-width ＠, ``mailto:`` and stray punctuation. Such a copy is never
    sent, but it is the same mailbox, so a stop written on it must reach every other copy."""
    address = (raw.str.normalize("NFKC").str.to_lowercase().str.extract(_ADDRESS_INSIDE, 1)
               .str.strip_chars(".-_"))
    parts = address.str.extract_groups(r"^(.+)@([^@]+?)\.*$")
    local, domain = parts.struct.field("1").str.strip_chars("."), parts.struct.field("2")
    return pl.when(domain.str.contains(r"\.")).then(key_expr(local, domain))


def _enrich(decided: pl.DataFrame) -> pl.DataFrame:
    """``_judge``'s columns for the addresses email-validator accepts (``fast_email.judge``:
    normalized, local, ascii_domain): matching key, role, stray punctuation and the 64-octet
    limit vectorised; reserved, disposable, typo and unknown TLD over the distinct domains."""
    normalized, domain, local = pl.col("normalized"), pl.col("ascii_domain"), pl.col("local")
    base = local.str.to_lowercase().str.split_exact("+", 1).struct.field("field_0")
    facts = facts_of_domains(decided["ascii_domain"].unique())
    domains = pl.Series(list(facts), dtype=pl.String)

    def fact(i: int, dtype) -> pl.Expr:
        return domain.replace_strict(domains, pl.Series([f[i] for f in facts.values()], dtype=dtype),
                                     default=pl.lit(NO_FACTS[i], dtype), return_dtype=dtype)

    octets = local.str.len_bytes()
    reason = pl.when(octets > LOCAL_PART_MAX_LENGTH).then(pl.format(TOO_LONG_LOCAL, octets))
    ok = pl.col("email_reason").is_null()

    def if_ok(expr: pl.Expr) -> pl.Expr:
        return pl.when(ok).then(expr)

    return decided.with_columns(reason.alias("email_reason")).select(
        "_i",
        if_ok(normalized).alias("email"),
        pl.when(ok).then(pl.lit("ok")).otherwise(pl.lit("invalid")).alias("email_status"),
        "email_reason",
        if_ok(domain).alias("email_domain"),
        if_ok(key_expr(local, domain)).alias("email_key"),
        if_ok(base.is_in(sorted(ROLE_LOCAL_PARTS))).alias("email_role"),
        if_ok(fact(0, pl.Boolean)).alias("email_disposable"),
        if_ok(fact(1, pl.String)).alias("email_typo_fix"),
        fact(3, pl.String).alias("email_reserved"),
        if_ok(fact(2, pl.String)).alias("email_unknown_tld"),
        pl.lit(None, pl.String).alias("email_lookalike"),   # ASCII only: nothing looks like anything else
        if_ok(stray_local_expr(local)).alias("email_stray"),
    )


def judge_values(cleaned: pl.Series, fast: bool | None = None) -> pl.DataFrame:
    """Every email column for each cleaned address, row for row (a null is "missing").

    The fast path (default: ``FAST_PATH``, from ``FAST_PATH_MIN_VALUES`` values) decides the
    plain ASCII addresses email-validator accepts and the everyday mistakes it rejects, over the
    whole column; the rest go to ``_judge`` once per distinct value, over the available cores.
    """
    def accepted(_: pl.Series) -> pl.DataFrame:
        # The whole column at once: fast_email.judge skips the nulls itself.
        return _enrich(fast_email.judge(cleaned))

    def rejected(undecided: pl.Series) -> pl.DataFrame:
        values = cleaned.gather(undecided)
        found = _reject_reasons(values, fast_email.judge_invalid(values))
        return (rows_at(undecided.gather(found["_i"]), EMAIL_SCHEMA, email_status="invalid")
                .with_columns(found["reason"].alias("email_reason")))

    fast = FAST_PATH and len(cleaned) >= FAST_PATH_MIN_VALUES if fast is None else fast
    return judge_rows({"_value": cleaned}, EMAIL_SCHEMA, {"email_status": "missing"}, _judge,
                      [accepted, rejected] if fast else [])


def add_email_columns(frame: pl.DataFrame, source: str | None) -> pl.DataFrame:
    """Add the email columns to the work frame (all null/missing without an email column).

    An invalid address gets the loose key (``loose_key_expr``), computed for those rows only.
    """
    if source is None:
        return frame.with_columns(
            pl.lit("missing" if name == "email_status" else None, dtype).alias(name)
            for name, dtype in EMAIL_SCHEMA.items())
    judged = judge_values(frame.select(clean_expr(source)).to_series())
    invalid = judged["email_status"] == "invalid"
    at = invalid.arg_true()
    if len(at):
        loose = frame.select(pl.col(source).gather(at)).select(loose_key_expr(pl.col(source))).to_series()
        keys = pl.repeat(None, judged.height, dtype=pl.String, eager=True).scatter(at, loose)
        judged = judged.with_columns(pl.when(invalid).then(keys).otherwise(pl.col("email_key")).alias("email_key"))
    return frame.hstack(judged)


def normalize_email(value: str) -> str | None:
    """The normalised form of one address, or None if it is not a valid address."""
    cleaned = pl.DataFrame({"v": [value]}).select(clean_expr("v")).item()
    return None if cleaned is None else _judge(cleaned)[0]


def matching_key_expr() -> pl.Expr:
    """The duplicate-matching key of each row. Frames kept for a whole big file store
    ``email_key`` only where it differs from the address (rarely), so read it through this."""
    return pl.coalesce("email_key", "email")


def data_versions() -> dict[str, str]:
    """The versions of the data the email verdicts read, besides the packages' own versions."""
    return {"iana_tlds": tld_list_version(), "unicode_confusables": confusables_version()}
