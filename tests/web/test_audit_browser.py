"""The outside-block audit page in Chromium: both files uploaded from the form, a match confirmed, the page
axe-clean at 1366 and 390 px with no sideways scroll, and screenshots kept for review."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.axe import axe_violations, describe
from tests.web.conftest import LiveServer, screenshot
from tests.web.test_editor_browser import contract_id

SAMPLE = "brightline-presidents-club-2027"  # incentive-trip-greater-of.yaml: 17 to 21 February 2027

REGISTRATIONS = (
    "Name,Arrival,Departure,Email,Company\n"
    "Chidi Okafor,2027-02-17,2027-02-21,chidi@example.org,Brightline\n"
    "María José García López,2027-02-18,2027-02-20,,Brightline\n"
    "Wei Li,2027-02-18,2027-02-20,,\n"
)
RESERVATIONS = (
    "Conf No;Guest;Arrival;Departure;Room type;Rate code;Email\n"
    "A1;OKAFOR, Chidi;2027-02-17;2027-02-21;OCK;BAR;chidi@example.org\n"
    "A2;Garcia, Maria;2027-02-18;2027-02-20;suite;OTA;\n"
    "A3;Dr Li, W.;2027-02-18;2027-02-20;suite;OTA;\n"
    "A4;Someone Else;2027-02-18;2027-02-20;suite;OTA;\n"
)


def test_staff_upload_both_files_confirm_a_match_and_the_page_is_accessible_on_a_phone(
    signed_in: Page, live_server: LiveServer
) -> None:
    staff = signed_in
    staff.set_viewport_size({"width": 1366, "height": 900})
    number = contract_id(staff, live_server, SAMPLE)
    staff.goto(f"{live_server.url}/contracts/{number}")
    staff.get_by_role("link", name="Outside-block audit").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Outside-block audit")

    staff.get_by_label("Registration list").set_input_files(
        {"name": "attendees.csv", "mimeType": "text/csv", "buffer": REGISTRATIONS.encode()}
    )
    staff.get_by_label("Hotel reservation export").set_input_files(
        {"name": "pms.csv", "mimeType": "text/csv", "buffer": RESERVATIONS.encode()}
    )
    staff.get_by_role("button", name="Match the files").click()
    table = staff.get_by_role("region", name="Table of proposed matches")
    expect(table).to_contain_text("OKAFOR, Chidi")
    expect(table).to_contain_text("Garcia, Maria")
    expect(table).to_contain_text("Dr Li, W.")
    expect(staff.get_by_text("3 proposed: 0 confirmed, 0 rejected, 3 waiting for review")).to_be_visible()

    staff.get_by_role("button", name="Confirm Chidi Okafor as OKAFOR, Chidi").click()

    row = staff.get_by_role("row", name="Chidi Okafor")
    expect(row).to_contain_text("Confirmed: credited")
    expect(staff.get_by_text("3 proposed: 1 confirmed, 0 rejected, 2 waiting for review")).to_be_visible()
    screenshot(staff, "audit-1366")
    violations = axe_violations(staff)
    assert violations == [], describe(violations)

    staff.set_viewport_size({"width": 390, "height": 900})
    screenshot(staff, "audit-390")
    violations = axe_violations(staff)
    assert violations == [], describe(violations)
    width, window = staff.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window

    # The credit is outside-block pickup, shown with the other credited pickup.
    staff.goto(f"{live_server.url}/contracts/{number}/actuals")
    expect(staff.get_by_role("region", name="Credited room nights on the books")).to_contain_text(
        "garden_king"
    )
