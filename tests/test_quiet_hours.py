"""CT001's time zones, worked out over whole columns (``zone_keys``, then ``zones_of`` once per
distinct key and region), against phonenumbers asked one number at a time."""

from __future__ import annotations

import collections
import random

import phonenumbers
import polars as pl
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as phone_timezone

from listclean.checks.contact import zone_keys, zones_of
from listclean.normalize.phone import judge_values

TYPES = [value for name, value in vars(PhoneNumberType).items() if name.isupper() and isinstance(value, int)]


def phonenumbers_zones(e164: str) -> tuple[str, ...]:
    """The number's zones as phonenumbers gives them, else its region's example number's."""
    number = phonenumbers.parse(e164, None)
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    if not zones:
        region = phonenumbers.region_code_for_number(number)
        example = phonenumbers.example_number(region) if region else None
        zones = [z for z in (phone_timezone.time_zones_for_geographical_number(example) if example else [])
                 if z != "Etc/Unknown"]
    return tuple(sorted(zones))


def corpus() -> list[str]:
    """Every region's example number of every type and of every non-geographical code, each with
    a few variants of its last digits (most stay valid, under other time-zone prefixes)."""
    rng = random.Random(20261202)
    examples = [phonenumbers.example_number_for_type(region, kind)
                for region in sorted(phonenumbers.SUPPORTED_REGIONS) for kind in TYPES]
    examples += [phonenumbers.example_number_for_non_geo_entity(cc)
                 for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)]
    values = []
    for number in filter(None, examples):
        nsn = phonenumbers.national_significant_number(number)
        for keep in (len(nsn), len(nsn) - 2, len(nsn) - 4, len(nsn) - 6):
            tail = "".join(rng.choice("0123456789") for _ in range(len(nsn) - max(keep, 1)))
            values.append(f"+{number.country_code}{nsn[:max(keep, 1)]}{tail}")
    return values


def test_zones_over_columns_equal_phonenumbers_per_number():
    values = corpus()
    judged = judge_values(pl.Series(values), pl.Series([None] * len(values), dtype=pl.String))
    valid = (judged.filter(pl.col("phone_status") == "ok")
             .select("phone_e164", "phone_type", "phone_region").unique()
             .with_columns(zone_keys(pl.col("phone_e164"), pl.col("phone_type")).alias("key")))
    assert valid.height > 3000
    seen = collections.Counter()
    for e164, kind, region, key in valid.iter_rows():
        expected = phonenumbers_zones(e164)
        assert zones_of(key, region) == expected, (e164, kind, region, key)
        seen[expected] += 1
    # Many distinct answers, and numbers with none (the non-geographical codes: +800, +882…).
    # (With this phonenumbers data every other valid number finds zones under its own digits or
    # calling code; the fallback to the region's example number is kept for data that does not.)
    assert len(seen) > 200 and seen[()] > 0
