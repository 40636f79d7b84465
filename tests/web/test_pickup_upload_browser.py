"""The pickup upload in real Chromium: a workbook with a bad row shows its problems and no save; the
corrected report, a CSV written with the hotel's own dates, is previewed, confirmed and saved.
Screenshots at desktop (1366 px) and phone (390 px) widths."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from tests.web.conftest import LiveServer, screenshot
from tests.web.test_staff_browser import contract_id
from tests.workbooks import workbook

UPLOAD_SAMPLE = "bayvb-championship-2027"  # locale en (month first); king and double; changed only here
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def shots(page: Page, name: str) -> None:
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (name, width)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_workbook_with_a_bad_row_saves_nothing_and_the_corrected_csv_is_saved(
    signed_in: Page, live_server: LiveServer
) -> None:
    page = signed_in
    identifier = contract_id(page, live_server, UPLOAD_SAMPLE)
    page.goto(f"{live_server.url}/contracts/{identifier}/pickup")
    report_date = page.get_by_label("Report date")
    expect(report_date).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))  # today at the hotel
    report_date.fill("2026-12-01")
    bad = workbook(
        [
            ["Night", "Room type", "Rooms"],
            [date(2027, 7, 15), "double", 41],
            [date(2027, 7, 16), "twin", 3],
        ]
    )

    page.get_by_label("Pickup file (CSV or Excel)", exact=True).set_input_files(
        files=[{"name": "pickup.xlsx", "mimeType": XLSX, "buffer": bad}]
    )
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#csv-rejected")).to_contain_text("room type twin is not in the block (double, king)")
    expect(page.locator("#csv-rejected tbody th")).to_have_text(["3"])
    expect(page.get_by_role("button", name=re.compile("Confirm and save"))).to_have_count(0)
    expect(page.locator("#csv-kept")).to_contain_text("pickup.xlsx")
    expect(page.get_by_label("Report date")).to_have_value("2026-12-01")
    shots(page, "pickup-upload-problems")

    fixed = "Night,Room type,Rooms\n07/15/2027,double,41\n07/16/2027,king,13\n"
    page.get_by_label("Pickup file (CSV or Excel)", exact=True).set_input_files(
        files=[{"name": "pickup.csv", "mimeType": "text/csv", "buffer": fixed.encode()}]
    )
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#csv-rows caption")).to_have_text("2 rows to save")
    expect(page.locator("#csv-rows tbody th")).to_have_text(["Jul 15, 2027", "Jul 16, 2027"])
    expect(page.locator("#csv-kept")).to_contain_text("pickup.csv")
    shots(page, "pickup-upload-preview")
    page.get_by_role("button", name="Confirm and save 2 rows").click()

    expect(page).to_have_url(re.compile(rf"/contracts/{identifier}\?as_of=2026-12-01"))
    expect(page.get_by_role("status")).to_contain_text("Pickup saved (2 rows)")
