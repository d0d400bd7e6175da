"""One attempt at a module, drawn and answered as a person of some skill would: which scenarios,
which answers, how many points, passed or not. No dates and no rows yet (lms/generate/history.py
puts attempts on the calendar and writes them).

Answers come from the module's plan (lms/generate/content.py), graded there by the app's own rule:
per-person skill, hard scenarios more often wrong, and a plausible favourite wrong clause per
scenario.
"""

from __future__ import annotations

import random

from lms.generate.content import WRONG_SLOTS, ModulePlan

POOL = 256                 # permutations kept per module and length, for drawing and shuffling

# An attempt while it is planned: [scenario indices drawn, answers as (index, answer, sure), points in
# halves, passed (None while unfinished), clause groups answered wrongly]; a list, as it is changed in place.
Attempt = list


class FastModule:
    """A module's scenarios as parallel tuples, and pools of random permutations: what `take` needs, fast."""

    def __init__(self, plan: ModulePlan, rng: random.Random) -> None:
        self.rng = rng
        scenarios = plan.scenarios
        self.sids = tuple(s.id for s in scenarios)
        self.weights = tuple(s.error_weight for s in scenarios)
        self.rights = tuple(s.right for s in scenarios)
        self.wrongs = tuple(s.wrong for s in scenarios)
        self.group_of = tuple(s.group for s in scenarios)
        self.members = plan.groups
        self.k = min(plan.draw, len(scenarios))
        self.pass_mark_2k = plan.pass_mark * 2 * self.k
        self.group_orders = self._pool(len(plan.groups))
        self.scenario_orders = self._pool(len(scenarios))
        self._body: dict[int, list[list[int]]] = {}

    def _pool(self, n: int) -> list[list[int]]:
        pool = []
        for _ in range(POOL):
            order = list(range(n))
            self.rng.shuffle(order)
            pool.append(order)
        return pool

    def body(self, n: int) -> list[list[int]]:
        pool = self._body.get(n)
        if pool is None:
            pool = self._body[n] = self._pool(n)
        return pool


class Attempts:
    def __init__(self, rng: random.Random, modules: list[ModulePlan], seed: int) -> None:
        self.rng = rng
        # The permutation pools come from a random source of their own: making them takes nothing
        # from the trust's.
        pools = random.Random(f"pools:{seed}")  # noqa: S311 - synthetic data  # nosec B311
        self.fast = {m.module_id: FastModule(m, pools) for m in modules}

    def take(self, plan: ModulePlan, skill: float, lead: set[int] | None) -> Attempt:
        """One attempt: [scenario indices drawn, answers, points in halves, passed, groups answered wrongly].

        The draw is the app's (lms/training/draw.py): one scenario per clause group, groups failed last
        time first, the rest at random, the order shuffled. Shuffles come from pools of permutations
        made once per module: Python's shuffle, called per attempt, was the slowest part of a run.
        """
        fast = self.fast[plan.module_id]
        rand = self.rng.random
        order = fast.group_orders[int(rand() * POOL)]
        if lead:
            order = [g for g in order if g in lead] + [g for g in order if g not in lead]
        members = fast.members
        k = fast.k
        chosen = [(m := members[g])[int(rand() * len(m))] for g in order][:k]
        if len(chosen) < k:
            taken = set(chosen)
            for index in fast.scenario_orders[int(rand() * POOL)]:
                if index not in taken:
                    chosen.append(index)
                    if len(chosen) == k:
                        break
        n_lead = min(len(lead), k) if lead else 0
        body = chosen[n_lead:]
        chosen = chosen[:n_lead] + [body[p] for p in fast.body(len(body))[int(rand() * POOL)]]
        error = 1.0 - skill
        weights, rights, wrongs, groups = fast.weights, fast.rights, fast.wrongs, fast.group_of
        answers = []
        halves = 0
        wrong_groups = set()
        for index in chosen:
            if rand() < error * weights[index]:
                a = wrongs[index][int(rand() * WRONG_SLOTS)]
                sure = rand() < 0.45
                if a[4] != 2:
                    wrong_groups.add(groups[index])
            else:
                a = rights[index]
                sure = rand() < 0.85
            halves += a[4]
            answers.append((index, a, sure))
        passed = halves * 100 >= fast.pass_mark_2k
        return [chosen, answers, halves, passed, wrong_groups]

    def leave_open(self, attempt: Attempt) -> None:
        """Turn an attempt into one left part-way: the first answers only, no score."""
        answered = self.rng.randint(0, len(attempt[0]) - 1)
        attempt[1] = attempt[1][:answered]
        attempt[3] = None
