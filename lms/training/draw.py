"""Which scenarios an attempt shows, and in what order.

Every clause group of the module is represented; the rest of the draw is random and the order
varies between attempts. A retake after a failure puts the clause groups the person got wrong
first, preferring scenarios they have not just seen.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Protocol, TypeVar

from lms.content.schema import clause_group


class Drawable(Protocol):
    id: int
    verdict: str
    clauses: Sequence[str]
    followed: Sequence[str]


S = TypeVar("S", bound=Drawable)


def group_of(scenario: Drawable) -> str:
    return clause_group(scenario.verdict, scenario.clauses, scenario.followed)


def draw(pool: Sequence[S], k: int, rng: random.Random,
         retry_groups: Collection[str] = (), recently_seen: Collection[int] = ()) -> list[S]:
    """k scenarios: one per group first (groups to retry leading), then random others."""
    k = min(k, len(pool))
    groups: dict[str, list[S]] = defaultdict(list)
    for scenario in pool:
        groups[group_of(scenario)].append(scenario)

    def pick(candidates: list[S]) -> S:
        fresh = [s for s in candidates if s.id not in recently_seen]
        return rng.choice(fresh or candidates)

    retry = [g for g in groups if g in retry_groups]
    others = [g for g in groups if g not in retry_groups]
    rng.shuffle(retry)
    rng.shuffle(others)
    lead = [pick(groups[g]) for g in retry][:k]
    spread = [pick(groups[g]) for g in others][: k - len(lead)]
    chosen_ids = {s.id for s in lead + spread}
    rest = [s for s in pool if s.id not in chosen_ids]
    rest.sort(key=lambda s: (s.id in recently_seen, rng.random()))  # unseen first, else random
    body = spread + rest[: k - len(lead) - len(spread)]
    rng.shuffle(body)
    return lead + body
