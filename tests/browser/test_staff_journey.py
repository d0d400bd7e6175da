"""A member of staff takes the core module in a real browser: wrong answers, feedback, a break, a pass."""

from __future__ import annotations

from tests.browser.training import answer, key, next_or_finish, take, where, wrong_answer, wrong_clause_answer

STAFF = "joanna.shah@oakfield.example.org"  # a demo teacher who has not started yet


def test_staff_member_passes_the_core_module_with_some_wrong_answers_after_a_break(site, open_tab):
    tab = open_tab(site)
    tab.goto("/")
    assert "/login" in tab.page.url  # signed out: sent to sign in first
    tab.sign_in(STAFF)
    assert tab.page.get_by_role("heading", name="My training").is_visible()
    core = tab.page.locator(".card", has=tab.link("Social media: what you must never post"))
    assert "Overdue" in core.text_content() and "Required" in core.text_content()  # the demo launched 60 days ago
    tab.screenshot("my-training")

    tab.follow(tab.link("Social media: what you must never post"))
    tab.follow(tab.button("Start"))
    attempt_id, position = where(tab)
    assert position == 1
    tab.screenshot("question")

    # Position 1 gets the wrong verdict; the first breach after it gets the right verdict, wrong clause.
    first = key(site, attempt_id, 1)
    answer(tab, wrong_answer(first))
    feedback = tab.text(".feedback")
    assert "Wrong" in feedback and "The policy says" in feedback
    assert first.explanation[:60] in feedback  # the scenario's own explanation is shown
    tab.screenshot("feedback", at="#feedback-heading")
    half_point_at = None
    for position in range(2, 7):
        next_or_finish(tab)
        scenario = key(site, attempt_id, position)
        if half_point_at is None and scenario.verdict == "breach":
            half_point_at = position
            answer(tab, wrong_clause_answer(scenario))
            assert "Right verdict, wrong clause" in tab.text(".feedback")
        else:
            answer(tab, {"verdict": scenario.verdict, "clause": (scenario.clauses or [None])[0], "sure": "sure"})
            assert "Right" in tab.text(".feedback-outcome")
    assert half_point_at is not None, "the draw had no breach in positions 2 to 6"

    # Closing the browser loses the session; signing in again offers to continue where it stopped.
    tab.page.context.close()
    tab = open_tab(site)
    tab.goto("/login")
    tab.sign_in(STAFF)
    core = tab.page.locator(".card", has=tab.link("Social media: what you must never post"))
    assert "6 of 12 answered" in core.text_content()
    tab.follow(core.get_by_role("button", name="Continue"))
    assert where(tab) == (attempt_id, 7)

    take(tab, site)
    assert "/results" in tab.page.url
    panel = tab.text(".result-panel")
    assert "87.5%" in panel and "Passed" in panel  # 10.5 points of 12
    assert tab.page.locator(".answer-review > li").count() == 12
    tab.screenshot("results")

    filename, pdf = tab.download(tab.link("Download your certificate (PDF)"))
    assert filename.endswith(".pdf") and pdf.startswith(b"%PDF")

    # The certificate can be checked by anyone: the check page names the holder and the module.
    tab.follow(tab.link("certificate check page"))
    check = tab.text()
    assert "Joanna Shah" in check and "Social media: what you must never post" in check

    tab.goto("/training/history")
    assert "Passed" in tab.text("table")
