"""Taking a module in the browser, with the answer key read from the server's database."""

from __future__ import annotations

import re

from tests.browser.pages import Tab
from tests.training.helpers import right_answer, scenario_at, wrong_answer, wrong_clause_answer

__all__ = ["right_answer", "wrong_answer", "wrong_clause_answer", "where", "key", "answer", "take"]


def where(tab: Tab) -> tuple[int, int | None]:
    """The attempt id and question position of the page the tab shows."""
    found = re.search(r"/attempts/(\d+)(?:/q/(\d+))?", tab.page.url)
    assert found, f"not on an attempt page: {tab.page.url}"
    return int(found.group(1)), int(found.group(2)) if found.group(2) else None


def key(server, attempt_id: int, position: int):
    """The scenario drawn at that position (its verdict and clauses are the answer key)."""
    with server.app.app_context():
        return scenario_at(attempt_id, position)


def total(tab: Tab) -> int:
    heading = tab.page.get_by_role("heading", level=1).inner_text()
    found = re.fullmatch(r"Scenario (\d+) of (\d+)", heading.strip())
    assert found, heading
    return int(found.group(2))


def answer(tab: Tab, data: dict) -> None:
    """Tick the answer on the question page and submit it, as a person does with a mouse."""
    page = tab.page
    page.locator(f"input[name=verdict][value={data['verdict']}]").check()
    if data.get("clause"):
        page.locator(f"input[name=clause][value='{data['clause']}']").check()
    page.locator(f"input[name=sure][value={data['sure']}]").check()
    tab.follow(tab.button("Submit answer"))
    assert tab.page.get_by_role("heading", name="Feedback").is_visible()


def next_or_finish(tab: Tab) -> None:
    """After the feedback: on to the next scenario, or to the results after the last."""
    following = tab.link("Next scenario")
    if following.count():
        tab.follow(following)
    else:
        tab.follow(tab.button("See my results"))


def take(tab: Tab, server, wrong: dict[int, str] | None = None) -> None:
    """Go on from the current question (answered or not) to the results page, answering right
    except at the positions in `wrong` ('verdict' or 'clause')."""
    wrong = wrong or {}
    while "/results" not in tab.page.url:
        attempt_id, position = where(tab)
        assert position is not None, f"not on a question: {tab.page.url}"
        if not tab.page.locator(".feedback").count():
            scenario = key(server, attempt_id, position)
            kind = wrong.get(position)
            answer(tab, wrong_answer(scenario) if kind == "verdict" else
                   wrong_clause_answer(scenario) if kind == "clause" else right_answer(scenario))
        next_or_finish(tab)
