"""Persons from scored pairs, without chaining strangers.

Joining every pair at or above ``merge`` and taking connected components chains strangers:
A–B and B–C may each be strong while A and C, compared directly, plainly differ (B is a
household email, a typo that sits between two names). So each component is checked: every two
of its records are compared (the pairs blocking did not propose are scored on the spot), and
two records *cannot link* when they are strangers: their direct probability is below
``review`` *and* their own evidence is against being one person (their weight is below the
prior), or both come from one ``one_per_source`` source.

Why the evidence condition: in a person with several records, two copies often share little
(one has the email, the other the phone), so their direct probability is low for lack of
evidence, not because anything disagrees; the link through the third record is what says they
are one. Records whose fields disagree are strangers; records that merely share little are not.

A component with no such pair is one person. Any other is rebuilt by greedy constrained
agglomeration: its links at or above ``merge`` are taken strongest first, and two groups join
unless some pair across them cannot link. This is "drop the weakest links until every pair
inside is consistent", done in one pass. Unlike star clustering it does not hinge on which
record is chosen as centre, the strongest evidence always wins, and ties break by ``_id`` so
the result is deterministic.

Components larger than :data:`MAX_CHECKED` (a placeholder slipped past the skew guard) are
checked with their scored pairs only, to bound the work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from listclean.people import connected
from listclean.people.match import DEFAULTS, Links, MatchSettings

#: Components up to this size have every pair inside compared.
MAX_CHECKED = 1_000


@dataclass
class Clusters:
    person: pl.DataFrame   # _id, _person (the smallest _id of the person), for every id given
    review: pl.DataFrame   # _id, _other, probability: a pair at or above review whose rows are different persons


def cluster(ids: pl.Series, links: Links, settings: MatchSettings = DEFAULTS, keep_scoring: bool = True) -> Clusters:
    """Group ``ids`` into persons by the scored pairs of ``links`` (see the module docstring).
    Without ``keep_scoring`` (the caller will not score or explain pairs), ``links`` forgets
    what only scoring reads once the pairs inside the components are scored."""
    ids = ids.cast(pl.Int64).unique().sort()
    order = ids.to_numpy()
    pairs = links.pairs.select("_id_l", "_id_r", "weight", "probability")
    left, right = _index(order, pairs["_id_l"]), _index(order, pairs["_id_r"])
    known = (left >= 0) & (right >= 0)
    if not known.all():   # a copy of millions of pairs otherwise
        pairs = pairs.filter(pl.Series(known))
        left, right = left[known], right[known]
    strong = pairs["probability"].to_numpy() >= settings.merge
    component = connected(len(order), left[strong], right[strong])

    # Every pair inside each (checkable) component, scored when blocking did not propose it.
    size = np.bincount(component, minlength=len(order))[component]
    checked = np.flatnonzero((size >= 2) & (size <= MAX_CHECKED))
    if checked.size:
        grouped = checked[np.argsort(component[checked], kind="stable")]
        starts = np.flatnonzero(np.concatenate([[True], component[grouped][1:] != component[grouped][:-1]]))
        sizes = np.diff(np.concatenate([starts, [grouped.size]]))
        inner = _pairs_within(starts, sizes, grouped)
        same = component[left] == component[right]   # most scored pairs join no two records
        existing = np.sort(_key(left[same], right[same]))
        missing = inner[~np.isin(inner, existing, assume_unique=True)]
        if missing.size:
            a, b = (missing >> np.uint64(32)).astype(np.int64), (missing & np.uint64(2**32 - 1)).astype(np.int64)
            extra = links.score(pl.DataFrame({"_id_l": order[a], "_id_r": order[b]}))
            extra = extra.select(pairs.columns)
            pairs = pl.concat([pairs, extra])
            left = np.concatenate([left, _index(order, extra["_id_l"])])
            right = np.concatenate([right, _index(order, extra["_id_r"])])

    if not keep_scoring:
        links.forget_scoring()
    records_at = _index(order, links.data["_id"])   # each record's position in order
    source, one = _sources(links, records_at, len(order), settings.one_per_source)
    probability, weight = pairs["probability"].to_numpy(), pairs["weight"].to_numpy()
    # Strangers: below review, and their own evidence says "different people" (their weight
    # is below the prior: records that merely share little are not strangers).
    cannot = (probability < settings.review) & (weight < links.model.prior_weight)
    # Tens of millions of pairs: each array indexed by them costs hundreds of megabytes, so
    # only the pairs that can be concerned are looked up.
    cannot |= _where(one[left], lambda at: source[left[at]] == source[right[at]])
    inside = component[left] == component[right]
    troubled = set(np.unique(component[left[inside & cannot]]).tolist())
    # Two records of a one-per-source source in one component cannot link even unscored
    # (in a component too large to check): look for them directly.
    if one.any():
        crowded = pl.DataFrame({"c": component[one], "s": source[one]}).group_by("c", "s").len()
        troubled |= set(crowded.filter(pl.col("len") > 1)["c"].to_list())

    person = component.copy()
    if troubled:
        is_troubled = np.zeros(len(order), dtype=bool)
        is_troubled[sorted(troubled)] = True
        chosen = _where(inside, lambda at: is_troubled[component[left[at]]])
        person = _split(person, is_troubled, left[chosen], right[chosen], weight[chosen],
                        probability[chosen] >= settings.merge, cannot[chosen], source, one,
                        _content(links, records_at, len(order)))
    review = _where(probability >= settings.review, lambda at: person[left[at]] != person[right[at]])
    a, b, p = order[left[review]], order[right[review]], probability[review]
    review_frame = pl.DataFrame({"_id": np.concatenate([a, b]), "_other": np.concatenate([b, a]),
                                 "probability": np.concatenate([p, p])},
                                schema={"_id": pl.Int64, "_other": pl.Int64, "probability": pl.Float64})
    return Clusters(pl.DataFrame({"_id": ids, "_person": pl.Series(order[person], dtype=pl.Int64)}),
                    review_frame.sort("_id", "_other"))


def _where(mask: np.ndarray, test) -> np.ndarray:
    """``mask`` and, where it holds, ``test(positions)`` (a boolean per position)."""
    at = np.flatnonzero(mask)
    found = np.zeros(mask.size, dtype=bool)
    found[at] = test(at)
    return found


#: Values looked up at a time by ``_index``.
INDEX_AT_A_TIME = 1 << 20


def _index(order: np.ndarray, values: pl.Series) -> np.ndarray:
    """Positions of ``values`` in the sorted, distinct ``order`` (-1 where absent).

    Not a binary search: tens of millions of them over ten million ids, each missing the cache
    about twenty times, took most of a minute. The row numbers of one input are near enough
    consecutive for a table indexed by the id; other ids (several inputs) are joined."""
    if not len(order):
        return np.full(len(values), -1, dtype=np.int32)
    low, span = int(order[0]), int(order[-1]) - int(order[0]) + 1
    if span <= 4 * len(order):
        # Positions as 32-bit integers: tens of millions of pairs' positions are held at once.
        at = np.full(span + 1, -1, dtype=np.int32)   # the last entry: any value outside the range
        at[order - low] = np.arange(len(order), dtype=np.int32)
        positions = np.empty(len(values), dtype=np.int32)
        # A slice at a time: the pairs' ids as one array (copied from the pairs' many chunks) and
        # their shifted copy were the clustering's peak (about 230 MiB at ten million rows).
        for start in range(0, len(values), INDEX_AT_A_TIME):
            shifted = values.slice(start, INDEX_AT_A_TIME).cast(pl.Int64).to_numpy() - low
            shifted[(shifted < 0) | (shifted >= span)] = span
            positions[start:start + INDEX_AT_A_TIME] = at[shifted]
        return positions
    lookup = pl.DataFrame({"_id": order, "_at": np.arange(len(order), dtype=np.int32)})
    return (values.cast(pl.Int64).rename("_id").to_frame().join(lookup, on="_id", how="left", maintain_order="left")["_at"]
            .fill_null(-1).to_numpy())


def _key(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    a, b = np.minimum(left, right).astype(np.uint64), np.maximum(left, right).astype(np.uint64)
    return a * np.uint64(2**32) + b


def _pairs_within(starts: np.ndarray, sizes: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Every pair inside each group of ``members`` (groups one after the other), as keys."""
    offsets = np.arange(members.size) - np.repeat(starts, sizes)
    partners = np.repeat(sizes, sizes) - offsets - 1
    first = np.repeat(np.arange(members.size), partners)
    step = np.arange(first.size) - np.repeat(np.cumsum(partners) - partners, partners) + 1
    return _key(members[first], members[first + step])


def _sources(links: Links, records_at: np.ndarray, n: int,
             one_per_source: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(a code for the ``_source`` of each of the ``n`` positions, -1 where unknown; whether that
    source holds one record per person). ``records_at``: each record's position."""
    source = links.data["_source"].cast(pl.Categorical)
    codes = source.to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
    one = source.is_in(list(one_per_source)).fill_null(False).to_numpy()
    return _placed(records_at, n, codes, -1), _placed(records_at, n, one, False)


def _content(links: Links, records_at: np.ndarray, n: int) -> np.ndarray:
    """A number per position from its record's content (not its position or input), so that
    ties between equally strong links break the same way whatever the row order."""
    # The record's own hash (``match.prepare``): its values, not their codes (which depend on
    # the other records) nor the term-frequency columns (which name a nameless row's holder by its _id).
    return _placed(records_at, n, links.data["_hash"].to_numpy(), 0)


def _placed(records_at: np.ndarray, n: int, values: np.ndarray, missing) -> np.ndarray:
    """``values`` (one per record) at their records' positions, ``missing`` where a position has
    no record. Placed, not sorted by id: a sort of ten million records' columns held several
    copies of them at the matcher's peak."""
    placed = np.full(n, missing, dtype=values.dtype)
    found = records_at >= 0
    if found.all():
        placed[records_at] = values
    else:
        placed[records_at[found]] = values[found]
    return placed


def _split(person: np.ndarray, troubled: np.ndarray, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
           strong: np.ndarray, cannot: np.ndarray, source: np.ndarray, one: np.ndarray,
           content: np.ndarray) -> np.ndarray:
    """Rebuild the troubled components (``troubled``: whether the component a position labels
    is) by greedy constrained agglomeration; equally strong links are taken in the order of
    their records' content."""
    members = np.flatnonzero(troubled[person])
    forbidden = {(int(a), int(b)) for a, b in zip(np.minimum(left, right)[cannot], np.maximum(left, right)[cannot])}
    group = {int(i): int(i) for i in members}
    held = {int(i): [int(i)] for i in members}

    def conflict(a: list[int], b: list[int]) -> bool:
        for x in a:
            for y in b:
                if (min(x, y), max(x, y)) in forbidden or (one[x] and source[x] == source[y]):
                    return True
        return False

    links = np.flatnonzero(strong & ~cannot)
    ranked = sorted(links.tolist(), key=lambda k: (-round(float(weight[k]), 9),
                                                   *sorted((int(content[left[k]]), int(content[right[k]]))),
                                                   min(left[k], right[k]), max(left[k], right[k])))
    for k in ranked:
        ga, gb = group[int(left[k])], group[int(right[k])]
        if ga == gb or conflict(held[ga], held[gb]):
            continue
        if len(held[ga]) < len(held[gb]):
            ga, gb = gb, ga
        for i in held[gb]:
            group[i] = ga
        held[ga] += held.pop(gb)
    rebuilt = person.copy()
    for members_of in held.values():
        smallest = min(members_of)   # positions follow sorted ids: the smallest is the smallest _id
        rebuilt[members_of] = smallest
    return rebuilt
