"""The contract editor in Chromium: a contract made from scratch, a sample amended and its assessment
changed, and the editor used with JavaScript switched off."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import LiveServer, screenshot, sign_in


def contract_id(page: Page, server: LiveServer, reference: str) -> int:
    """The id of a stored contract, from the API (with the demo key the live server printed)."""
    answer = page.request.get(
        f"{server.url}/api/v1/contracts?limit=200", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    assert answer.ok
    found = [item["id"] for item in answer.json()["items"] if item["reference"] == reference]
    assert len(found) == 1, reference
    return int(found[0])


def fill_new_contract(page: Page, group: str) -> None:
    page.get_by_label("Property (required)").select_option(label="Riverwalk Convention Hotel")
    page.get_by_label("Group name (required)").fill(group)
    page.get_by_label("Arrival (required)").fill("2027-11-02")
    page.get_by_label("Departure (required)").fill("2027-11-05")


def test_a_contract_is_made_from_scratch_in_the_editor(signed_in: Page, live_server: LiveServer) -> None:
    page = signed_in
    page.goto(f"{live_server.url}/contracts/new")
    screenshot(page, "editor-new")
    fill_new_contract(page, "Gulf Coast Orthodontists")
    page.get_by_role("button", name="One night per date of the stay").click()
    expect(page.get_by_label("Night 3 (required)")).to_have_value("2027-11-04")
    page.get_by_label("Room type 1 (required)").fill("king")
    page.get_by_role("button", name="Add a room type").click()
    page.get_by_label("Room type 2 (required)").fill("double")
    page.get_by_label("Rooms, night 1, room type 1").fill("40")
    page.get_by_label("Rate, night 1, room type 1").fill("189.00")
    page.get_by_label("Rooms, night 1, room type 2").fill("20")
    page.get_by_label("Rate, night 1, room type 2").fill("169.00")
    page.get_by_role("button", name="Copy to all nights from night 1").click()
    expect(page.get_by_label("Rooms, night 3, room type 2")).to_have_value("20")
    page.get_by_label("Clause preset").select_option(label="80 % cumulative, 80 % of rate")
    page.get_by_role("button", name="Apply preset").click()
    expect(page.get_by_label("Performance (% of the block to use) (needed for this clause)")).to_have_value(
        "80"
    )
    expect(page.get_by_label("Room type 2 (required)")).to_have_value("double")  # htmx kept the grid
    screenshot(page, "editor-new-filled")

    page.get_by_role("button", name="Save contract").click()

    expect(page).to_have_url(re.compile(r"/contracts/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gulf Coast Orthodontists")
    reference = "gulf-coast-orthodontists-2027"
    assert page.url.endswith(f"/contracts/{contract_id(page, live_server, reference)}")


def test_an_invalid_value_is_shown_beside_its_field_at_375_px(
    signed_in: Page, live_server: LiveServer
) -> None:
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/contracts/new")
    fill_new_contract(page, "Narrow Screen Society")
    page.get_by_label("Performance (% of the block to use) (needed for this clause)").fill("180")

    page.get_by_role("button", name="Save contract").click()

    field = page.get_by_label("Performance (% of the block to use) (needed for this clause)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("180")
    expect(page.locator("#f-attrition-performance_pct-error")).to_be_visible()
    screenshot(page, "editor-errors-375")


def test_changing_a_sample_s_performance_changes_its_assessment(
    signed_in: Page, live_server: LiveServer
) -> None:
    page = signed_in
    number = contract_id(page, live_server, "caltrans-safety-training-2027")
    page.goto(f"{live_server.url}/contracts/{number}")
    before = page.locator("#assessment-total").inner_text()
    page.goto(f"{live_server.url}/contracts/{number}/edit")
    screenshot(page, "editor-edit")
    performance = page.get_by_label("Performance (% of the block to use) (needed for this clause)")
    current = int(performance.input_value())
    performance.fill(str(current - 30))

    page.get_by_role("button", name="Save contract").click()

    expect(page).to_have_url(f"{live_server.url}/contracts/{number}")
    after = page.locator("#assessment-total").inner_text()
    assert before != after, (before, after)


def test_the_editor_works_with_javascript_switched_off(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, live_server)
        page.goto(f"{live_server.url}/contracts/new")
        fill_new_contract(page, "No Script Guild")
        page.get_by_label("Night 1 (required)").fill("2027-11-02")
        page.get_by_role("button", name="Add a night").click()  # a full page post without htmx
        expect(page.get_by_label("Night 2 (required)")).to_have_value("2027-11-03")
        expect(page.get_by_label("Group name (required)")).to_have_value("No Script Guild")
        page.get_by_label("Room type 1 (required)").fill("queen")
        page.get_by_label("Rooms, night 1, room type 1").fill("10")
        page.get_by_label("Rate, night 1, room type 1").fill("150")
        page.get_by_label("Rooms, night 2, room type 1").fill("10")
        page.get_by_label("Rate, night 2, room type 1").fill("150")

        page.get_by_role("button", name="Save contract").click()

        expect(page).to_have_url(re.compile(r"/contracts/\d+$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("No Script Guild")
    finally:
        context.close()
