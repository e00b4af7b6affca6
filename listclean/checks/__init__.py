"""The rule families. Importing this package registers every rule."""

from listclean.checks import consent, contact, duplicates, email, input, message, phone, stale  # noqa: F401
from listclean.checks.registry import RULES, Rule, Severity, describe  # noqa: F401
