"""Which rules run and how much each weighs: select, ignore and [severity], like a linter's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from listclean.checks.registry import RULES, matches
from listclean.result import Severity


class Selection:
    """Which rules run and how much each weighs, from selectors (codes or prefixes, ``ALL``)
    whose layers (policy, project settings, command line) the caller has already merged:
    ``select`` and ``ignore`` lists, and ``severity``, selector → severity."""

    def __init__(self, select: Iterable[str] = ("ALL",), ignore: Iterable[str] = (),
                 severity: Mapping[str, Severity] | None = None):
        self.select = list(select)
        self.ignore = list(ignore)
        self.overrides = dict(severity or {})

    def active(self, code: str) -> bool:
        # The most specific selector wins; on a tie, ignore wins.
        return matches(code, self.select) > matches(code, self.ignore)

    def severity(self, code: str) -> Severity:
        # The most specific [severity] selector wins, as for select/ignore.
        ranked = [(matches(code, [selector]), value) for selector, value in self.overrides.items()]
        best = max(ranked, default=(0, None), key=lambda pair: pair[0])
        return best[1] if best[0] else RULES[code].severity
