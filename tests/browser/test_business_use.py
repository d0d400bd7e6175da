"""Business use (policy 5.1) in a real browser: asked for, sent to training, passed, approved with conditions."""

from __future__ import annotations

from datetime import timedelta

from lms.clock import today
from tests.browser.training import take

REQUESTER = "isla.hughes@oakfield.example.org"  # agency supply teacher; her line manager is the deputy head
MANAGER = "priya.nguyen@oakfield.example.org"


def open_request(tab, title: str) -> None:
    tab.follow(tab.page.get_by_role("navigation", name="Main").get_by_role("link", name="Requests"))
    tab.follow(tab.page.get_by_role("link", name=title).first)


def state(tab) -> str:
    return tab.page.locator("main .badge").first.inner_text()


def test_business_use_is_sent_to_training_then_approved_with_conditions(site, open_tab):
    person = open_tab(site)
    person.goto("/login")
    person.sign_in(REQUESTER)
    person.follow(person.page.get_by_role("navigation", name="Main").get_by_role("link", name="Requests"))
    person.follow(person.link("Ask to speak for the school or trust on social media"))
    assert "It will go to Priya Nguyen, your line manager." in person.text(".goes-to")

    form = person.page.locator("form.request-form")
    form.get_by_label("Which accounts").fill("@OakfieldPrimary on Facebook and X")
    form.get_by_label("Purpose").fill("News of school events and achievements for parents.")
    form.get_by_label("From").fill(today().isoformat())
    person.follow(person.button("Send"))  # no platform ticked: refused, nothing lost
    assert "Platforms: choose at least one." in person.text(".error-summary")
    assert form.get_by_label("Which accounts").input_value() == "@OakfieldPrimary on Facebook and X"
    form.get_by_label("Facebook").check()
    form.get_by_label("X (Twitter)").check()
    person.follow(person.button("Send"))
    assert "Your request was sent to Priya Nguyen." in person.text(".flash")
    assert state(person) == "Submitted"
    request_url = person.page.url.replace(site.url, "")

    manager = open_tab(site)
    manager.goto("/login")
    manager.sign_in(MANAGER)
    open_request(manager, "Business use")
    assert manager.page.url.endswith(request_url)
    decide = manager.page.locator("#require_training-form")
    decide.get_by_label("Note to the person (optional)").fill("Please take the business-use module first.")
    manager.follow(decide.get_by_role("button", name="Require training first"))
    assert state(manager) == "Training required"
    assert "does not hold a current pass" in manager.text(".training-gate")

    person.goto(request_url)
    assert state(person) == "Training required"
    person.follow(person.link("Go to the business-use module"))
    person.follow(person.button("Start"))
    take(person, site)
    assert "Passed" in person.text(".result-panel")
    person.goto(request_url)
    assert "your manager can now approve the request" in person.text(".training-gate")

    manager.goto(request_url)
    assert "now holds a current pass" in manager.text(".training-gate")
    approve = manager.page.locator("#approve-form")
    approve.get_by_label("No images of pupils").check()
    approve.get_by_label("Official account only").check()
    approve.get_by_label("Conditions and restrictions").fill("Only the school's own accounts; no comments on other pages.")
    review = today() + timedelta(days=180)
    approve.get_by_label("Review or expiry date").fill(review.isoformat())
    manager.follow(approve.get_by_role("button", name="Approve"))
    assert state(manager) == "Approved"
    manager.screenshot("request-approved")

    person.goto(request_url)
    assert state(person) == "Approved"
    conditions = person.text("section.decision")
    assert "No images of pupils" in conditions and "Official account only" in conditions
    assert "Only the school's own accounts; no comments on other pages." in conditions
    assert f"{review.day} {review:%b %Y}" in conditions
    history = person.text("table.history")
    assert "Submitted → Training required" in history and "Training required → Approved" in history
