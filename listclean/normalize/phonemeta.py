"""phonenumbers' own metadata, read at run time into plain records the vectorised phone path uses.

Nothing here is copied by hand: every pattern, length list, prefix and rule comes from the
installed ``phonenumbers`` package (``PhoneMetadata``), so upgrading phonenumbers upgrades the
fast path. Records are built lazily, once per region and per phonenumbers version (the cache
key), and each pattern is checked to compile in polars (Rust regex). A region whose metadata
cannot be expressed (a pattern polars rejects, a transform rule with an unknown escape) is
marked ``supported=False`` and its numbers go to phonenumbers.

Keys: a geographic region is keyed by its ISO code (``"ES"``); a non-geographic entity by
``"001:<calling code>"`` (``"001:800"``), mirroring ``metadata_for_region_or_calling_code``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import polars as pl
from phonenumbers import PhoneNumberType
from phonenumbers.phonemetadata import PhoneMetadata

NON_GEO = phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY  # "001"
MAX_INPUT_LENGTH = phonenumbers.phonenumberutil._MAX_INPUT_STRING_LENGTH
MIN_LENGTH_FOR_NSN = phonenumbers.phonenumberutil._MIN_LENGTH_FOR_NSN
MAX_LENGTH_FOR_NSN = phonenumbers.phonenumberutil._MAX_LENGTH_FOR_NSN
MAX_LENGTH_COUNTRY_CODE = phonenumbers.phonenumberutil._MAX_LENGTH_COUNTRY_CODE

TYPE_NAMES = {
    value: name.lower() for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}

#: The order in which ``_number_type_helper`` tries the specific number types before it looks at
#: fixed line and mobile (attribute name on PhoneMetadata, PhoneNumberType).
SPECIFIC_TYPES = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)


@dataclass(frozen=True)
class Desc:
    """A PhoneNumberDesc: national-number pattern (None = matches nothing) and lengths."""
    pattern: str | None
    lengths: tuple[int, ...]
    local_lengths: tuple[int, ...]


@dataclass(frozen=True)
class RegionMeta:
    key: str
    region: str                     # metadata id: "ES", or "001"
    country_code: int
    general: Desc
    specific: tuple[tuple[str, Desc | None], ...]   # (type name, desc) in _number_type_helper order
    fixed_line: Desc | None
    mobile: Desc | None
    same_mobile_and_fixed_line: bool
    international_prefix: str | None
    national_prefix_for_parsing: str | None
    npp_groups: int
    transform_rule: tuple[str | int, ...] | None   # literal strings and group numbers, or None
    leading_digits: str | None
    supported: bool


def _desc(desc) -> Desc | None:
    if desc is None:
        return None
    return Desc(desc.national_number_pattern or None, tuple(desc.possible_length),
                tuple(desc.possible_length_local_only))


def _compiles_in_polars(pattern: str) -> bool:
    """The pattern compiles in polars' (Rust) regex engine, as ``^(?:p)$``. Its other uses
    (``^(?:p)`` and capture groups around it) are the same syntax and no bigger, so they do too."""
    try:
        pl.Series([""], dtype=pl.String).str.contains(f"^(?:{pattern})$")
    except Exception:  # polars raises ComputeError for patterns the Rust engine rejects
        return False
    return True


def _all_compile_in_polars(patterns: list[str]) -> bool:
    """_compiles_in_polars for every pattern, in one polars call when they all compile (the usual case)."""
    probe = pl.DataFrame({"s": [""]})
    try:
        probe.select(pl.col("s").str.contains(f"^(?:{p})$").alias(f"c{i}") for i, p in enumerate(patterns))
    except Exception:  # at least one does not: find out which, one by one
        return all(_compiles_in_polars(p) for p in patterns)
    return True


def _template_parts(rule: str) -> tuple[str | int, ...] | None:
    """A Python ``re.sub`` template as literal strings and group numbers (``'9\\1'`` →
    ``('9', 1)``); None if it uses anything but ``\\N`` group references."""
    parts: list[str | int] = []
    for literal, group in re.findall(r"([^\\]+)|\\(\d+)", rule):
        parts.append(literal if literal else int(group))
    rebuilt = "".join(p if isinstance(p, str) else f"\\{p}" for p in parts)
    return tuple(parts) if rebuilt == rule else None


def _metadata(key: str):
    if key.startswith(NON_GEO + ":"):
        return PhoneMetadata.metadata_for_nongeo_region(int(key.split(":", 1)[1]), None)
    return PhoneMetadata.metadata_for_region(key, None)


@lru_cache(maxsize=None)
def _region_meta(key: str, version: str) -> RegionMeta | None:
    md = _metadata(key)
    if md is None:
        return None
    general = _desc(md.general_desc) or Desc(None, (), ())
    specific = tuple((TYPE_NAMES[kind], _desc(getattr(md, attr))) for attr, kind in SPECIFIC_TYPES)
    npp = md.national_prefix_for_parsing
    transform = md.national_prefix_transform_rule or None
    parts = _template_parts(transform) if transform else None
    groups = re.compile(npp).groups if npp else 0
    patterns = [general.pattern, md.international_prefix, npp, md.leading_digits]
    patterns += [d.pattern for _, d in specific if d is not None]
    patterns += [d.pattern for d in (_desc(md.fixed_line), _desc(md.mobile)) if d is not None]
    supported = _all_compile_in_polars([p for p in patterns if p is not None])
    if transform and (parts is None or groups == 0 or any(
            isinstance(p, int) and not 0 < p <= groups for p in parts)):
        supported = False
    if not general.lengths:   # _test_number_length needs at least one possible length
        supported = False
    return RegionMeta(
        key=key, region=md.id, country_code=md.country_code, general=general, specific=specific,
        fixed_line=_desc(md.fixed_line), mobile=_desc(md.mobile),
        same_mobile_and_fixed_line=bool(md.same_mobile_and_fixed_line_pattern),
        international_prefix=md.international_prefix, national_prefix_for_parsing=npp or None,
        npp_groups=groups, transform_rule=parts, leading_digits=md.leading_digits,
        supported=supported,
    )


def region_meta(key: str) -> RegionMeta | None:
    """The compiled record for a region code or ``"001:<cc>"`` key (None if phonenumbers has none)."""
    return _region_meta(key, phonenumbers.__version__)


def regions_for_country_code(cc: int) -> tuple[str, ...]:
    return tuple(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc, ()))


def main_key(cc: int) -> str:
    """Key of the metadata phonenumbers uses for a calling code (its main region)."""
    region = phonenumbers.region_code_for_country_code(cc)
    return f"{NON_GEO}:{cc}" if region == NON_GEO else region


def region_key(region: str, cc: int) -> str:
    return f"{NON_GEO}:{cc}" if region == NON_GEO else region


def country_codes() -> frozenset[int]:
    return frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def supported_regions() -> frozenset[str]:
    return frozenset(phonenumbers.SUPPORTED_REGIONS)
