"""Which rules run and how much each weighs: policy, project settings and CLI layered, like a linter."""

from __future__ import annotations

from listclean.checks.registry import RULES, matches
from listclean.result import Severity
from listclean.settings import Settings


class Selection:
    """Which rules run and how much each weighs, after policy, project and CLI layers."""

    def __init__(self, settings: Settings):
        policy = settings.policy
        self.select = settings.select if settings.select is not None else policy.select
        self.ignore = policy.ignore + settings.ignore
        self.overrides = {**policy.severity, **settings.severity}

    def active(self, code: str) -> bool:
        # The most specific selector wins; on a tie, ignore wins.
        return matches(code, self.select) > matches(code, self.ignore)

    def severity(self, code: str) -> Severity:
        # The most specific [severity] selector wins, as for select/ignore.
        ranked = [(matches(code, [selector]), value) for selector, value in self.overrides.items()]
        best = max(ranked, default=(0, None), key=lambda pair: pair[0])
        return best[1] if best[0] else RULES[code].severity
