"""The hotel inventory page in Chromium at desktop and phone widths: reached from the hotel details page,
a refused night shown beside its row with the input kept, then two nights saved and listed with who
entered them; axe finds no violation and the page does not scroll sideways on a phone. Screenshots:
``artifacts/screenshots/inventory-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.web.axe import axe_violations, describe
from tests.web.conftest import LiveServer, screenshot, sign_in

SAMPLE = "alvarez-chen-wedding-2027"
WIDTHS = (1366, 390)


@pytest.fixture
def staff_page(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    sign_in(page, live_server)
    yield page
    context.close()


def _property(page: Page, server: LiveServer) -> int:
    answer = page.request.get(
        f"{server.url}/api/v1/contracts?limit=200", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    assert answer.ok
    found = [item for item in answer.json()["items"] if item["reference"] == SAMPLE]
    assert len(found) == 1
    return int(found[0]["property_id"])


def _check(page: Page, name: str, width: int) -> None:
    page.wait_for_load_state("networkidle")
    screenshot(page, f"inventory-{name}-{width}")
    violations = axe_violations(page)
    assert violations == [], f"{name} at {width} px:\n{describe(violations)}"
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{name}: {scroll_width} px of content in a {inner_width} px window"


@pytest.mark.parametrize("staff_page", WIDTHS, indirect=True)
def test_staff_enter_the_hotels_nights_from_the_grid(staff_page: Page, live_server: LiveServer) -> None:
    page = staff_page
    width = page.viewport_size["width"] if page.viewport_size else 0
    property_id = _property(page, live_server)
    page.goto(f"{live_server.url}/properties/{property_id}/details")
    page.get_by_role("link", name="Inventory").click()
    page.get_by_label("First night").fill("2030-01-06")
    page.get_by_label("Last night").fill("2030-01-12")
    page.get_by_role("button", name="Show nights").click()
    _check(page, "page", width)

    first = "Jan 6, 2030"
    page.get_by_label("Figures as of").fill("2030-01-01")
    page.get_by_label(f"Rooms in the hotel on {first}").fill("20")
    page.get_by_label(f"Out of order on {first}").fill("30")
    page.get_by_label(f"Rooms sold on {first}").fill("0")
    page.get_by_role("button", name="Save nights").click()
    page.wait_for_load_state("networkidle")
    assert "out of order (30) is more than capacity (20)" in page.locator(".field-error").first.inner_text()
    assert page.get_by_label(f"Out of order on {first}").input_value() == "30"
    _check(page, "errors", width)

    page.get_by_label(f"Out of order on {first}").fill("2")
    page.get_by_label(f"Rooms sold on {first}").fill("11")
    page.get_by_label(f"Unsold rooms on {'Jan 8, 2030'}").fill(str(width % 97))
    page.get_by_role("button", name="Save nights").click()
    page.wait_for_load_state("networkidle")
    assert "Saved 2 nights." in page.locator("[role=status]").inner_text()
    assert "7 unsold (20 rooms, 2 out of order, 11 sold)" in page.content()
    assert page.get_by_role("heading", name="Who entered what").is_visible()
    _check(page, "saved", width)


@pytest.mark.parametrize("staff_page", WIDTHS, indirect=True)
def test_the_contract_page_shows_shared_unsold_rooms_and_flags_the_invoice_whose_share_changed(
    staff_page: Page, live_server: LiveServer
) -> None:
    """Two groups short 10 and 20 on 20 unsold; the first is invoiced for 10, then the hotel reports 5."""
    from tests.api.test_hotel_inventory import _group_terms

    page = staff_page
    width = page.viewport_size["width"] if page.viewport_size else 0
    night = "2026-11-10" if width > 1000 else "2026-11-09"  # each width's groups on a night of their own
    api = {"Authorization": f"Bearer {live_server.api_key}"}
    # A hotel of the demo: its other contracts have no last-room-sold term, so they take no share.
    property_id = _property(page, live_server)
    ids = []
    for reference, rooms, picked in ((f"first-{width}", 50, 30), (f"second-{width}", 100, 60)):
        terms, pickup = _group_terms(reference, rooms, picked, night)
        contract = page.request.post(
            f"{live_server.url}/api/v1/contracts",
            headers=api,
            data={"property_id": property_id, "contract": terms},
        )
        assert contract.ok, contract.text()
        ids.append(contract.json()["id"])
        page.request.post(
            f"{live_server.url}/api/v1/contracts/{ids[-1]}/pickup",
            headers=api,
            data={"as_of": "2026-11-12", "entries": pickup},
        )
    inventory = f"{live_server.url}/api/v1/properties/{property_id}/inventory"
    page.request.post(
        inventory, headers=api, data={"as_of": "2026-11-12", "nights": [{"night": night, "unsold_rooms": 20}]}
    )
    invoice = page.request.post(
        f"{live_server.url}/api/v1/contracts/{ids[0]}/invoices", headers=api, data={"as_of": "2026-11-20"}
    )
    assert invoice.ok, invoice.text()
    page.request.post(
        inventory, headers=api, data={"as_of": "2026-11-16", "nights": [{"night": night, "unsold_rooms": 5}]}
    )

    page.goto(f"{live_server.url}/contracts/{ids[0]}?as_of=2026-11-20")

    assert page.get_by_role("heading", name="Unsold rooms shared with other groups").is_visible()
    assert f"Second {width} Convention: short 20" in page.content()
    assert "10 billed, 5 now" in page.content()
    assert "Nov 10, 2026" in page.content() or "Nov 9, 2026" in page.content()
    _check(page, "contract-shares", width)
