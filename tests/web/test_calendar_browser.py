"""Calendar feeds in Chromium: made from the contract page, fetched as a calendar application would
(no staff cookie) and read back with ``icalendar``, then revoked and refused."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from tests.web.axe import axe_violations, describe
from tests.web.conftest import LiveServer, screenshot
from tests.web.test_editor_browser import contract_id

SAMPLE = "pnwda-annual-2027"  # dental-meeting-cancellation-100-days.yaml: a cut-off and a cancellation scale


def test_a_feed_made_from_the_contract_page_is_read_by_a_calendar_and_refused_once_revoked(
    signed_in: Page, browser: Browser, live_server: LiveServer
) -> None:
    staff = signed_in
    number = contract_id(staff, live_server, SAMPLE)
    staff.goto(f"{live_server.url}/contracts/{number}")
    staff.get_by_role("link", name="Calendar feed").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Calendar feed for")
    expect(staff.get_by_role("region", name="Table of deadlines")).to_contain_text(
        "Cut-off: release of unsold rooms"
    )
    staff.get_by_label("Label (for you, e.g. whose calendar it is in)").fill("Sales <office>")
    staff.get_by_role("button", name="Create feed").click()
    url = staff.locator("#new-url").inner_text()
    assert url.startswith(f"{live_server.url}/calendar/")
    assert url.endswith(".ics")
    screenshot(staff, "calendar-feed-1366")
    violations = axe_violations(staff)
    assert violations == [], describe(violations)
    staff.set_viewport_size({"width": 390, "height": 900})
    screenshot(staff, "calendar-feed-390")
    width, window = staff.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window

    reader = browser.new_context()
    try:
        answer = reader.request.get(url)
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(answer.body())
        events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
        cutoff = events[f"contract-{number}-cutoff@attrition"]
        assert str(cutoff["SUMMARY"]).endswith("Cut-off: release of unsold rooms")
        (alarm,) = cutoff.walk("VALARM")
        assert alarm.decoded("TRIGGER") == timedelta(days=-7)
        assert f"contract-{number}-cancellation-tier:30@attrition" in events

        staff.goto(f"{live_server.url}/contracts/{number}/calendar")
        staff.get_by_role("button", name="Revoke feed Sales <office>").click()
        expect(staff.get_by_role("row", name="Sales <office>")).to_contain_text("revoked")
        assert reader.request.get(url).status == 410
    finally:
        reader.close()
