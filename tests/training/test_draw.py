"""Drawing an attempt's scenarios: every clause group, varied order, retries first."""

import random
from dataclasses import dataclass

from lms.training.draw import draw, group_of


@dataclass
class Fake:
    id: int
    verdict: str
    clauses: tuple = ()
    followed: tuple = ()


POOL = [
    Fake(1, "breach", ("4.4",)), Fake(2, "breach", ("4.4", "4.1")), Fake(3, "breach", ("4.4",)),
    Fake(4, "breach", ("4.2",)), Fake(5, "breach", ("4.2",)),
    Fake(6, "breach", ("2.1(c)",)), Fake(7, "breach", ("2.1(f)",)),
    Fake(8, "compliant", (), ("6.1",)), Fake(9, "compliant", (), ("6.1", "6.2")),
    Fake(10, "compliant"), Fake(11, "compliant"), Fake(12, "breach", ("3",)),
]
GROUPS = {"4.4", "4.2", "2.1", "6.1", "none", "3"}


def test_groups_fold_sub_clauses_and_use_the_first_followed_clause():
    assert group_of(Fake(1, "breach", ("2.1(c)", "4.4"))) == "2.1"
    assert group_of(Fake(1, "compliant", (), ("6.4", "6.1"))) == "6.4"
    assert group_of(Fake(1, "compliant")) == "none"


def test_every_clause_group_is_in_every_draw():
    for seed in range(200):
        chosen = draw(POOL, 7, random.Random(seed))
        assert len(chosen) == 7 and len({s.id for s in chosen}) == 7
        assert {group_of(s) for s in chosen} == GROUPS


def test_order_and_choice_vary_between_attempts():
    orders = {tuple(s.id for s in draw(POOL, 7, random.Random(seed))) for seed in range(30)}
    assert len(orders) > 20


def test_groups_answered_wrongly_come_first_with_fresh_scenarios():
    for seed in range(100):
        chosen = draw(POOL, 7, random.Random(seed), retry_groups={"4.2", "2.1"}, recently_seen={4, 6})
        assert {group_of(s) for s in chosen[:2]} == {"4.2", "2.1"}
        assert {s.id for s in chosen[:2]} == {5, 7}  # the ones not seen last time
        assert {group_of(s) for s in chosen} == GROUPS


def test_a_draw_larger_than_the_pool_takes_the_whole_pool():
    assert sorted(s.id for s in draw(POOL, 50, random.Random(1))) == list(range(1, 13))
