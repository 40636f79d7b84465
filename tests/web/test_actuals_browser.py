"""F&B spend and inventory entered through the pages in real Chromium, at desktop and phone widths.

The live server is shared with other browser tests: this file alone writes to the dental meeting and
the last-room-sold convention, and it compares figures before and after rather than assuming them.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import LiveServer, screenshot, sign_in
from tests.web.test_staff_browser import amount, contract_id

FNB_SAMPLE = "pnwda-annual-2027"  # F&B minimum $40,000, owed in full until spend is entered
LAST_ROOM_SOLD = "agla-convention-2027"  # cannot be assessed without the hotel's unsold rooms


def _owed(page: Page, server: LiveServer, identifier: int) -> str:
    page.goto(f"{server.url}/contracts/{identifier}")
    return page.locator("#assessment-total").inner_text()


def _enter_fnb(page: Page, server: LiveServer, identifier: int, label: str, value: str, name: str) -> None:
    page.goto(f"{server.url}/contracts/{identifier}")
    page.get_by_role("link", name="Enter actuals").click()
    page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save F&B spend").click()
    expect(page.get_by_role("status")).to_contain_text("F&B spend saved")
    expect(page.locator("#history")).to_contain_text(label)
    screenshot(page, name)


def test_fnb_spend_and_inventory_entered_in_the_pages_change_what_is_owed(
    browser: Browser, live_server: LiveServer
) -> None:
    for width, height in ((1366, 900), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(30_000)
        try:
            page = context.new_page()
            sign_in(page, live_server)
            dental = contract_id(page, live_server, FNB_SAMPLE)
            convention = contract_id(page, live_server, LAST_ROOM_SOLD)

            before = amount(_owed(page, live_server, dental))
            label = "Banquet food" if width > 500 else "Banquet beverage"
            _enter_fnb(page, live_server, dental, label, "10,000.00", f"actuals-fnb-{width}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            after = amount(_owed(page, live_server, dental))
            assert after < before, (width, before, after)
            screenshot(page, f"contract-after-fnb-{width}")

            page.goto(f"{live_server.url}/contracts/{convention}")
            if width > 500:
                missing = page.locator("#assessment-missing")
                expect(missing).to_contain_text("unsold rooms")
                expect(page.get_by_role("link", name="Exposure report (PDF)")).to_have_count(0)
                screenshot(page, "contract-needs-inventory")
                missing.get_by_role("link", name="Enter rooms unsold and resold").click()
                expect(page).to_have_url(re.compile(rf"/contracts/{convention}/actuals#inventory$"))
                for field in page.locator("input[name$=':unsold_rooms']").all():
                    field.fill("50")
                page.get_by_role("button", name="Save rooms unsold and resold").click()
                expect(page.get_by_role("status")).to_contain_text("Rooms unsold and resold saved")
                screenshot(page, "actuals-inventory-1366")
                owed = page.goto(f"{live_server.url}/contracts/{convention}")
                assert owed is not None
                expect(page.locator("#assessment-missing")).to_have_count(0)
                expect(page.get_by_role("link", name="Exposure report (PDF)")).to_be_visible()
                first = amount(page.locator("#assessment-total").inner_text())
                assert first > 0
            else:
                first = amount(_owed(page, live_server, convention))
                page.goto(f"{live_server.url}/contracts/{convention}/actuals")
                page.locator("input[name$=':unsold_rooms']").first.fill("0")
                page.get_by_role("button", name="Save rooms unsold and resold").click()
                expect(page.get_by_role("status")).to_contain_text("Rooms unsold and resold saved")
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                screenshot(page, "actuals-inventory-390")
                # No unsold room on the first night: the hotel sold out, so that night owes nothing.
                assert amount(_owed(page, live_server, convention)) < first
            screenshot(page, f"contract-after-inventory-{width}")
            page.get_by_role("link", name="Reductions, off-line rooms, tax").click()
            expect(page.get_by_role("heading", name="Off-line rooms")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"block-changes-{width}")
        finally:
            context.close()
