"""Recording a payment in Chromium, from the keyboard, at 1366 and 390 px: the form on the contract page,
the confirmation and the history, a refused amount beside its field with the input kept, and the hotel's
invoice list; axe finds no violation on any of them and nothing scrolls sideways on a phone.

The invoice is issued through the API (as of today, dated today) for the first demo contract that owes
something and has no outstanding invoice, so that the test does not depend on the order the other
browser tests run in."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_decimal
from playwright.sync_api import Page, expect

from tests.web.axe import axe_violations, describe
from tests.web.conftest import LiveServer, screenshot

WIDTHS = (1366, 390)


def _issue_somewhere(page: Page, server: LiveServer) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    listed = page.request.get(f"{server.url}/api/v1/contracts?limit=200", headers=headers)
    assert listed.ok
    for item in listed.json()["items"]:
        issued = page.request.post(f"{server.url}/api/v1/contracts/{item['id']}/invoices", headers=headers)
        if issued.status == 201:
            invoice: dict[str, Any] = issued.json()
            prop = page.request.get(
                f"{server.url}/api/v1/properties/{invoice['property_id']}", headers=headers
            )
            invoice["locale"] = prop.json()["locale"]
            return invoice
    pytest.fail("no demo contract could be invoiced today")


def _assert_accessible(page: Page, name: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    screenshot(page, f"payments-{name}-{width}")
    violations = axe_violations(page)
    assert violations == [], f"{name} at {width} px:\n{describe(violations)}"
    if width == 390:
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, f"{name}: {scroll_width} px of content in {inner_width} px"


def test_a_payment_is_recorded_from_the_keyboard_and_a_refused_one_keeps_its_input(
    signed_in: Page, live_server: LiveServer
) -> None:
    page = signed_in
    invoice = _issue_somewhere(page, live_server)
    number, total, locale = invoice["number"], Decimal(invoice["total"]["amount"]), invoice["locale"]
    part = (total / 2).quantize(Decimal("0.01"))
    written = format_decimal(part, format="#,##0.00", locale=locale)  # "15,000.00" as the hotel writes it
    page.goto(f"{live_server.url}/contracts/{invoice['contract_id']}#invoices")

    summary = page.locator("summary", has_text=f"Record a payment against invoice {number}")
    summary.focus()
    page.keyboard.press("Enter")  # opens the form, as a click would
    expect(page.get_by_label("Amount received")).to_be_visible()
    for width in WIDTHS:
        _assert_accessible(page, "contract-form", width)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_label("Amount received").focus()
    page.keyboard.type(written)
    page.keyboard.press("Tab")
    page.keyboard.type("Wire 2027-0042")
    page.keyboard.press("Enter")  # submits the form

    expect(page.get_by_role("status")).to_contain_text(f"The payment against invoice {number} was recorded: ")
    history = page.locator(f"#payments-{number} .payment-history")
    expect(history).to_contain_text("reference Wire 2027-0042")
    expect(history).to_contain_text(re.compile(r"\(recorded by (?!not recorded|a former user)\w.*, \w"))
    expect(page.locator("#invoices table").first).to_contain_text("Partly paid")

    page.locator("summary", has_text=f"Record a payment against invoice {number}").click()
    too_much = format_decimal(total, format="#,##0.00", locale=locale)
    page.get_by_label("Amount received").fill(too_much)
    page.get_by_label("Reference (optional)").fill("Second transfer")
    page.get_by_role("button", name="Record the payment").click()

    error = page.locator(f"#pay-{number}-amount-error")
    expect(error).to_contain_text(f"the balance outstanding on invoice {number} is")
    expect(page.get_by_label("Amount received")).to_have_value(too_much)
    expect(page.get_by_label("Amount received")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Reference (optional)")).to_have_value("Second transfer")
    for width in WIDTHS:
        _assert_accessible(page, "contract-refused", width)

    page.goto(f"{live_server.url}/invoices")
    row = page.locator("tr", has_text=number).first
    expect(row).to_contain_text("Partly paid")
    for width in WIDTHS:
        _assert_accessible(page, "hotel-list", width)
