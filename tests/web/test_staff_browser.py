"""The staff pages in real Chromium against the live server loaded with the samples.

The live server is shared with other browser tests, so each test here modifies a sample no other test
touches, and reads the figures before and after instead of assuming a pristine database.
"""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Browser, Page, expect

from app.contract_files import load_document
from tests.api.conftest import sample_files
from tests.web.conftest import LiveServer, screenshot, sign_in

# The samples these tests change (by reference); nothing else here writes to the database.
GRID_SAMPLE = "northstar-agents-2027"
INVOICE_SAMPLE = "caltrans-safety-training-2027"
NO_JS_SAMPLE = "rmcmf-artists-2027"


def contract_id(page: Page, server: LiveServer, reference: str) -> int:
    response = page.request.get(
        f"{server.url}/api/v1/contracts?limit=500", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    assert response.ok
    [found] = [item["id"] for item in response.json()["items"] if item["reference"] == reference]
    return int(found)


def amount(text: str) -> Decimal:
    """The number in an amount formatted for its locale (``$53,636.00``, ``14 040,38 €`` → 14040.38)."""
    digits = re.sub(r"[^0-9.,]", "", text)
    assert digits, text
    if re.search(r",\d{2}$", digits):  # a decimal comma
        return Decimal(digits.replace(".", "").replace(",", "."))
    return Decimal(digits.replace(",", ""))


def test_dashboard_lists_the_samples_and_sorts_and_filters(signed_in: Page, live_server: LiveServer) -> None:
    page = signed_in
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Contracts", exact=True)).to_be_visible()
    screenshot(page, "dashboard")
    references: set[str] = set()
    while True:
        references |= set(page.locator("#contracts tbody th .muted").all_inner_texts())
        following = page.get_by_role("link", name="Next page")
        if following.count() == 0:
            break
        following.click()
    assert {load_document(path).contract.id for path in sample_files()} <= references

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name=re.compile("Current exposure")).click()
    expect(page).to_have_url(re.compile(r"sort=exposure&dir=desc"))
    cells = page.locator("#contracts tbody td.exposure").all_inner_texts()
    shown = [amount(cell.split("\n")[0]) for cell in cells if not cell.startswith("—")]
    assert len(shown) >= 2
    assert shown == sorted(shown, reverse=True)
    screenshot(page, "dashboard-sorted-by-exposure")

    page.get_by_label("Hotel").select_option(label="Lakeshore Grand Hotel")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"property_id=\d+"))
    hotels = page.locator("#contracts tbody tr td.hotel").all_inner_texts()
    assert hotels
    assert all(hotel.startswith("Lakeshore Grand Hotel") for hotel in hotels)


def test_pickup_through_the_grid_lowers_the_damages_on_the_contract_page(
    signed_in: Page, live_server: LiveServer
) -> None:
    page = signed_in
    identifier = contract_id(page, live_server, GRID_SAMPLE)
    page.goto(f"{live_server.url}/?sort=arrival")
    page.locator(f'tr[data-contract="{identifier}"] th a').click()
    expect(page).to_have_url(f"{live_server.url}/contracts/{identifier}")
    expect(page.locator("#block-grid")).to_be_visible()
    expect(page.locator("#as-of-sections svg")).to_be_visible()
    before = amount(page.locator("#assessment-total").inner_text())
    screenshot(page, "contract")

    page.get_by_role("link", name="Enter pickup").click()
    inputs = page.locator("#pickup-grid-form input[type=number]")
    assert inputs.count() > 0
    for index in range(inputs.count()):
        inputs.nth(index).fill("60")
    screenshot(page, "pickup-grid")
    page.get_by_role("button", name="Save pickup").click()

    expect(page).to_have_url(re.compile(rf"/contracts/{identifier}\?as_of="))
    expect(page.get_by_role("status")).to_contain_text("Pickup saved")
    after = amount(page.locator("#assessment-total").inner_text())
    assert after < before
    screenshot(page, "contract-after-pickup")


def test_the_as_of_field_swaps_the_assessment_in_place(signed_in: Page, live_server: LiveServer) -> None:
    page = signed_in
    identifier = contract_id(page, live_server, "glsc-congress-2027")
    page.goto(f"{live_server.url}/contracts/{identifier}")
    page.evaluate("window.__kept = true")  # survives only if the page is not reloaded

    page.get_by_label("Figures as of").fill("2027-05-03")
    page.get_by_role("button", name="Show").click()

    expect(page.locator("#assessment-heading")).to_contain_text("2027")
    expect(page).to_have_url(re.compile(r"as_of=2027-05-03"))
    assert page.evaluate("window.__kept === true")
    assert amount(page.locator("#assessment-total").inner_text()) > 0


def test_issue_an_invoice_from_the_page_and_open_its_pdf(signed_in: Page, live_server: LiveServer) -> None:
    """Preview → interim choice → issue → open the PDF → credit it with a reason → issue again."""
    page = signed_in
    identifier = contract_id(page, live_server, INVOICE_SAMPLE)
    page.goto(f"{live_server.url}/contracts/{identifier}")

    page.get_by_label("Invoice language").select_option("fr")
    page.get_by_role("button", name="Preview the invoice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice preview")
    expect(page.locator("dl.facts")).to_contain_text("BROUILLON")
    screenshot(page, "invoice-preview-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "invoice-preview-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    draft_href = page.get_by_role("link", name="Open the draft PDF").get_attribute("href") or ""
    draft = page.request.get(f"{live_server.url}{draft_href}")
    assert draft.headers["content-type"] == "application/pdf"

    page.get_by_role("button", name="Issue this invoice").click()  # without the interim choice
    expect(page.locator("#interim-error")).to_contain_text("interim invoice")
    screenshot(page, "invoice-preview-interim-refused")
    page.get_by_label("Issue an interim invoice").check()
    page.get_by_role("button", name="Issue this invoice").click()

    expect(page.get_by_role("status")).to_contain_text("was issued")
    link = page.locator("#invoices a", has_text="(PDF)").first
    href = link.get_attribute("href")
    assert href is not None
    assert href.endswith(".pdf")
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    screenshot(page, "contract-invoice-issued")

    page.locator("#invoices summary", has_text="Credit invoice").first.click()
    page.get_by_label("Reason for the credit note").fill("Pickup report corrected by the hotel")
    page.get_by_role("button", name="Issue the credit note").click()
    expect(page.get_by_role("status")).to_contain_text("Credit note")
    expect(page.locator("#invoices")).to_contain_text("Credited by")
    screenshot(page, "contract-invoice-credited")

    page.get_by_role("button", name="Preview the invoice").click()
    page.get_by_label("Issue an interim invoice").check()
    page.get_by_role("button", name="Issue this invoice").click()
    expect(page.get_by_role("status")).to_contain_text("was issued")
    page.goto(f"{live_server.url}/invoices")
    expect(page.locator("table")).to_contain_text("Outstanding")
    expect(page.locator("table")).to_contain_text("Credits invoice")
    screenshot(page, "hotel-invoices-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "hotel-invoices-390")


def test_the_pickup_grid_works_with_javascript_disabled(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, live_server)
        identifier = contract_id(page, live_server, NO_JS_SAMPLE)
        page.goto(f"{live_server.url}/contracts/{identifier}/pickup")
        first = page.locator("#pickup-grid-form input[type=number]").first
        first.fill("-3")  # novalidate: the browser posts it and the server refuses it
        page.get_by_role("button", name="Save pickup").click()
        expect(page.locator(".field-error").first).to_contain_text("whole number")
        screenshot(page, "pickup-grid-error-no-js")

        inputs = page.locator("#pickup-grid-form input[type=number]")
        cells = inputs.count()
        for index in range(cells):
            inputs.nth(index).fill("5")
        page.get_by_role("button", name="Save pickup").click()

        expect(page).to_have_url(re.compile(rf"/contracts/{identifier}\?as_of="))
        expect(page.get_by_role("status")).to_contain_text("Pickup saved")
        expect(page.locator("#pickup-total")).to_have_text(str(5 * cells))
    finally:
        context.close()


def test_dashboard_and_contract_page_fit_375_pixels(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, live_server)
        identifier = contract_id(page, live_server, "glsc-congress-2027")
        for name, path in (
            ("dashboard-375", "/"),
            ("contract-375", f"/contracts/{identifier}"),
            ("pickup-375", f"/contracts/{identifier}/pickup"),
        ):
            page.goto(f"{live_server.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (path, width)
            screenshot(page, name)
    finally:
        context.close()
