"""Share links in Chromium: made on the staff page, opened by a planner in a fresh context (no staff
cookie), the what-if used, then revoked and refused."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import LiveServer, screenshot
from tests.web.test_editor_browser import contract_id


def test_a_planner_opens_a_share_link_uses_the_what_if_and_is_refused_once_it_is_revoked(
    signed_in: Page, browser: Browser, live_server: LiveServer
) -> None:
    staff = signed_in
    number = contract_id(staff, live_server, "northwind-sko-2027")
    staff.goto(f"{live_server.url}/contracts/{number}/share")
    staff.get_by_label("Label (for you, e.g. who it was sent to)").fill("For <Dana> at Northwind")
    staff.get_by_label("Expires after (days, 1 to 365)").fill("14")
    staff.get_by_role("button", name="Create link").click()
    url = staff.locator("#new-url").inner_text()
    assert url.startswith(f"{live_server.url}/share/")
    screenshot(staff, "share-links")

    planner_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        planner = planner_context.new_page()
        planner.goto(url)
        expect(planner.get_by_role("heading", level=1)).to_contain_text("Northwind")
        expect(planner.get_by_role("link", name="Sign out")).to_have_count(0)
        owed_today = planner.locator("#owed-total").inner_text()
        assert owed_today.startswith("$")
        screenshot(planner, "planner-1280")

        nights = planner.locator("#what-if-form input[name^='night.']")
        for index in range(nights.count()):
            nights.nth(index).fill("0")
        planner.get_by_role("button", name="Recalculate").click()
        nothing_picked_up = planner.locator("#what-if-total")
        expect(nothing_picked_up).to_be_visible()
        owed_if_none = nothing_picked_up.inner_text()
        for index in range(nights.count()):
            nights.nth(index).fill("500")
        planner.get_by_role("button", name="Recalculate").click()
        expect(planner.locator("#what-if-total")).not_to_have_text(owed_if_none)
        assert planner.url == url  # htmx swapped the result in place
        screenshot(planner, "planner-what-if")
        planner.set_viewport_size({"width": 375, "height": 800})
        planner.goto(url)
        screenshot(planner, "planner-375")

        staff.goto(f"{live_server.url}/contracts/{number}/share")
        staff.get_by_role("button", name="Revoke link For <Dana> at Northwind").click()
        expect(staff.get_by_role("row", name="For <Dana> at Northwind")).to_contain_text("revoked")

        refused = planner.goto(url)
        assert refused is not None
        assert refused.status == 410
        expect(planner.get_by_role("heading", level=1)).to_have_text("This link is no longer valid")
        expect(planner.get_by_label("Password")).to_have_count(0)
        screenshot(planner, "planner-revoked-410")
    finally:
        planner_context.close()
