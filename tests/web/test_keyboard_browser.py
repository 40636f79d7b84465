"""Every form can be completed from the keyboard: in Chromium, a person signs in and saves the pickup grid
with Tab, typing and Enter only (``page.keyboard``, no click, no ``fill``)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import LiveServer, screenshot
from tests.web.test_editor_browser import contract_id

SAMPLE = "evergreen-eng-offsite-2027"  # no other browser test changes its pickup
MOST_TABS = 60  # a form whose field is further than this from the last one is not keyboard-friendly


def focused(page: Page) -> str:
    """``id`` (or, without one, the text) of the element that has the keyboard focus."""
    return str(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))


def tab_to(page: Page, wanted: str) -> None:
    for _ in range(MOST_TABS):
        if focused(page) == wanted:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {wanted!r}; focus is on {focused(page)!r}")


def test_sign_in_and_save_the_pickup_grid_with_the_keyboard_only(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/login")
    tab_to(page, "email")
    page.keyboard.type(live_server.email)
    page.keyboard.press("Tab")
    assert focused(page) == "password"
    page.keyboard.type(live_server.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/")

    number = contract_id(page, live_server, SAMPLE)
    page.goto(f"{live_server.url}/contracts/{number}/pickup")
    cells = page.locator("#pickup-grid-form input[type=number]")
    names = [cells.nth(index).get_attribute("id") or "" for index in range(cells.count())]
    assert names, "the grid has no cell"
    tab_to(page, names[0])
    for index, name in enumerate(names):
        assert focused(page) == name, f"Tab skipped from cell {index} to {focused(page)!r}"
        page.keyboard.press("Control+A")
        page.keyboard.type(str(10 + index))
        page.keyboard.press("Tab")
    tab_to(page, "Save pickup")
    screenshot(page, "keyboard-pickup-grid")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/contracts/{number}\?as_of="))
    expect(page.get_by_role("status")).to_contain_text("Pickup saved")
    page.goto(f"{live_server.url}/contracts/{number}/pickup")
    saved = page.locator("#pickup-grid-form input[type=number]")
    assert [saved.nth(index).input_value() for index in range(saved.count())] == [
        str(10 + index) for index in range(len(names))
    ]
