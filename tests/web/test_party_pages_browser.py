"""The hotel details and account details forms in Chromium at desktop and phone widths: reached from the
contract page, filled with the keyboard, a bad entry refused beside its field with the input kept, then
saved; axe finds no violation (empty, with errors) and neither page scrolls sideways on a phone.

The hotel is the Oakland volleyball sample's, which no other browser test invoices; the test gives it
no invoice prefix, so the numbers other tests see do not change. Screenshots:
``artifacts/screenshots/party-<page>-<width>.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.web.axe import axe_violations, describe
from tests.web.conftest import LiveServer, screenshot, sign_in

SAMPLE = "bayvb-championship-2027"
WIDTHS = (1366, 390)


@pytest.fixture
def staff_page(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    sign_in(page, live_server)
    yield page
    context.close()


def _contract_id(page: Page, server: LiveServer) -> int:
    answer = page.request.get(
        f"{server.url}/api/v1/contracts?limit=200", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    assert answer.ok
    found = [item["id"] for item in answer.json()["items"] if item["reference"] == SAMPLE]
    assert len(found) == 1
    return int(found[0])


def _check(page: Page, name: str, width: int) -> None:
    page.wait_for_load_state("networkidle")
    screenshot(page, f"party-{name}-{width}")
    violations = axe_violations(page)
    assert violations == [], f"{name} at {width} px:\n{describe(violations)}"
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{name}: {scroll_width} px of content in a {inner_width} px window"


def _type(page: Page, label: str, text: str) -> None:
    """Focus a field by its label and type into it, as a keyboard user would."""
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)


@pytest.mark.parametrize("staff_page", WIDTHS, indirect=True)
def test_the_hotel_details_form_refuses_a_bad_iban_beside_it_then_saves(
    staff_page: Page, live_server: LiveServer
) -> None:
    page = staff_page
    width = page.viewport_size["width"] if page.viewport_size else 0
    contract = _contract_id(page, live_server)
    page.goto(f"{live_server.url}/contracts/{contract}")
    page.get_by_role("link", name="Pacific Gateway Hotel Oakland (hotel details)").click()
    _check(page, "hotel", width)

    _type(page, "Legal name", "Pacific Gateway Hospitality LLC")
    _type(page, "Address line 1", "1 Broadway")
    _type(page, "Town or city", "Oakland")
    page.get_by_label("Country").select_option("US")
    _type(page, "IBAN", "GB29 NWBK 6016 1331 9268 18")
    _type(page, "BIC (SWIFT)", "NWBKGB2L")
    page.keyboard.press("Enter")  # submits the form from the keyboard
    page.wait_for_load_state("networkidle")

    error = page.locator("#iban-error")
    assert "not a valid IBAN" in error.inner_text()
    assert page.get_by_label("IBAN", exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Legal name", exact=True).input_value() == "Pacific Gateway Hospitality LLC"
    _check(page, "hotel-errors", width)

    _type(page, "IBAN", "GB29 NWBK 6016 1331 9268 19")
    page.get_by_role("button", name="Save the details").click()
    page.wait_for_load_state("networkidle")

    assert page.url.endswith(f"/contracts/{contract}")
    page.get_by_role("link", name="Pacific Gateway Hotel Oakland (hotel details)").click()
    assert page.get_by_label("IBAN", exact=True).input_value() == "GB29 NWBK 6016 1331 9268 19"
    assert page.get_by_label("Country").input_value() == "US"


@pytest.mark.parametrize("staff_page", WIDTHS, indirect=True)
def test_the_account_details_form_keeps_a_bad_email_and_saves_the_buyer(
    staff_page: Page, live_server: LiveServer
) -> None:
    page = staff_page
    width = page.viewport_size["width"] if page.viewport_size else 0
    contract = _contract_id(page, live_server)
    page.goto(f"{live_server.url}/contracts/{contract}")
    page.get_by_role("link", name="BAYVB (account details)").click()
    _check(page, "account", width)

    _type(page, "Legal name", "Bay Area Youth Volleyball League Inc.")
    _type(page, "Purchase order or reference", "PO 2027-31")
    _type(page, "Email", "treasurer at bayvb")
    page.get_by_role("button", name="Save the details").click()
    page.wait_for_load_state("networkidle")

    assert page.locator("#contact_email-error").is_visible()
    assert page.get_by_label("Email", exact=True).input_value() == "treasurer at bayvb"
    _check(page, "account-errors", width)

    _type(page, "Email", "treasurer@bayvb.example")
    page.get_by_role("button", name="Save the details").click()
    page.wait_for_load_state("networkidle")

    assert page.url.endswith(f"/contracts/{contract}")
