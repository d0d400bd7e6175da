"""A module taken from sign-in to results with the keyboard alone, the focus visible at every step.

Tab and Shift+Tab move between controls, Space ticks a radio button, Enter follows a link or
presses a button. Inside a group of radio buttons the browser moves with the arrow keys (Tab
reaches only one radio per group), so choosing "Breach" or a clause takes ArrowRight/ArrowDown,
as it does for everyone who uses a keyboard.
"""

from __future__ import annotations

from tests.browser.training import key, right_answer, where

PERSON = "harry.walsh@oakfield.example.org"  # a demo volunteer who has not started yet
PASSWORD = "learn-the-policy-2026"
MOST_TABS = 80  # more than any page here has controls

# The focused element, and whether a sighted keyboard user can see where the focus is: it is
# on screen, and the focus style draws an outline (or a shadow) around it.
_FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e), box = e.getBoundingClientRect();
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const onScreen = box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0 &&
                   box.top < innerHeight && box.left < innerWidth;
  return {
    tag: e.tagName.toLowerCase(), name: e.name || '', value: e.value || '', checked: !!e.checked,
    text: (e.innerText || e.value || '').trim().replace(/\\s+/g, ' '),
    visible: onScreen && (outline || shadow) && e.matches(':focus-visible'),
  };
}"""


def press(tab, key_name: str) -> dict | None:
    tab.page.keyboard.press(key_name)
    focus = tab.page.evaluate(_FOCUS)
    if focus is not None:
        assert focus["visible"], f"after {key_name} on {tab.page.url}, the focus on {focus} cannot be seen"
    return focus


def tab_to(tab, wanted, what: str) -> dict:
    """Press Tab until `wanted(focus)` is true, checking the focus is visible at every stop."""
    for _ in range(MOST_TABS):
        focus = press(tab, "Tab")
        if focus and wanted(focus):
            return focus
    raise AssertionError(f"Tab never reached {what} on {tab.page.url}")


def choose_radio(tab, name: str, value: str, group: list[str]) -> None:
    """Tab into a radio group, tick the first with Space, then arrow along to the one wanted."""
    tab_to(tab, lambda f: f["tag"] == "input" and f["name"] == name, f"the {name} choices")
    focus = press(tab, "Space")
    steps = group.index(value)
    for _ in range(steps):
        focus = press(tab, "ArrowDown")
    assert focus["value"] == value and focus["checked"], focus


def test_a_module_can_be_completed_with_the_keyboard_alone(site, open_tab):
    tab = open_tab(site)
    tab.goto("/login")
    tab_to(tab, lambda f: f["name"] == "email", "the email field")
    tab.page.keyboard.type(PERSON)
    tab_to(tab, lambda f: f["name"] == "password", "the password field")
    tab.page.keyboard.type(PASSWORD)
    tab.follow("key:Enter")
    assert tab.page.get_by_role("heading", name="My training").is_visible()

    tab_to(tab, lambda f: f["tag"] == "button" and f["text"].startswith("Start"), "a Start button")
    tab.follow("key:Enter")
    attempt_id, _ = where(tab)
    verdicts = tab.page.locator("input[name=verdict]").evaluate_all("es => es.map(e => e.value)")
    clauses = tab.page.locator("input[name=clause]").evaluate_all("es => es.map(e => e.value)")
    sures = tab.page.locator("input[name=sure]").evaluate_all("es => es.map(e => e.value)")

    while "/results" not in tab.page.url:
        _, position = where(tab)
        data = right_answer(key(site, attempt_id, position))
        choose_radio(tab, "verdict", data["verdict"], verdicts)
        if data.get("clause"):
            choose_radio(tab, "clause", data["clause"], clauses)
        choose_radio(tab, "sure", data["sure"], sures)
        tab_to(tab, lambda f: f["text"] == "Submit answer", "Submit answer")
        tab.follow("key:Enter")
        assert "Right" in tab.text(".feedback-outcome")
        tab_to(tab, lambda f: f["text"] in ("Next scenario", "See my results"), "the way on")
        tab.follow("key:Enter")

    assert "Passed" in tab.text(".result-panel")
    tab_to(tab, lambda f: f["text"] == "Download your certificate (PDF)", "the certificate link")
