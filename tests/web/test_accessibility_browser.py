"""Accessibility in Chromium: axe-core finds no violation on any page, at desktop and phone widths, and
no page scrolls sideways at either width (wide tables scroll inside their own box instead).

Each page is saved as a screenshot (``artifacts/screenshots/a11y-<page>-<width>.png``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.web.axe import axe_violations, describe
from tests.web.conftest import LiveServer, screenshot, sign_in

SAMPLE = "northwind-sko-2027"  # rooms, F&B, pickup and a forecast: the busiest contract page
WIDTHS = (1366, 390)


@dataclass(frozen=True, slots=True)
class Site:
    """Where each page lives on the live server, for a staff context that is already signed in."""

    staff: BrowserContext
    contract: int
    property: int
    share_url: str
    gone_url: str


def _contract_id(context: BrowserContext, server: LiveServer, reference: str) -> int:
    answer = context.request.get(
        f"{server.url}/api/v1/contracts?limit=200", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    assert answer.ok
    found = [item["id"] for item in answer.json()["items"] if item["reference"] == reference]
    assert len(found) == 1, reference
    return int(found[0])


def _new_link(page: Page, server: LiveServer, contract: int, label: str) -> str:
    page.goto(f"{server.url}/contracts/{contract}/share")
    page.get_by_label("Label (for you, e.g. who it was sent to)").fill(label)
    page.get_by_role("button", name="Create link").click()
    return page.locator("#new-url").inner_text()


@pytest.fixture(scope="module")
def site(browser: Browser, live_server: LiveServer) -> Iterator[Site]:
    """One signed-in staff context for the module (signing in per page would only repeat the login test),
    with a live share link and a revoked one."""
    staff = browser.new_context(viewport={"width": 1366, "height": 900})
    staff.set_default_timeout(30_000)
    page = staff.new_page()
    sign_in(page, live_server)
    contract = _contract_id(staff, live_server, SAMPLE)
    stored = staff.request.get(
        f"{live_server.url}/api/v1/contracts/{contract}",
        headers={"Authorization": f"Bearer {live_server.api_key}"},
    )
    assert stored.ok
    share_url = _new_link(page, live_server, contract, "Accessibility check")
    gone_url = _new_link(page, live_server, contract, "Accessibility check, revoked")
    page.goto(f"{live_server.url}/contracts/{contract}/share")
    page.get_by_role("button", name="Revoke link Accessibility check, revoked").click()
    page.wait_for_load_state()
    page.close()
    yield Site(staff, contract, int(stored.json()["property_id"]), share_url, gone_url)
    staff.close()


# name -> (signed in?, path or full URL built from the site)
PAGES = {
    "login": (False, lambda s: "/login"),
    "dashboard": (True, lambda s: "/"),
    "contract": (True, lambda s: f"/contracts/{s.contract}"),
    "editor-new": (True, lambda s: "/contracts/new"),
    "editor-edit": (True, lambda s: f"/contracts/{s.contract}/edit"),
    "pickup": (True, lambda s: f"/contracts/{s.contract}/pickup"),
    "share-links": (True, lambda s: f"/contracts/{s.contract}/share"),
    "calendar-feeds": (True, lambda s: f"/contracts/{s.contract}/calendar"),
    "property-calendar-feeds": (True, lambda s: f"/properties/{s.property}/calendar"),
    "webhooks": (True, lambda s: f"/properties/{s.property}/webhooks"),
    "actuals": (True, lambda s: f"/contracts/{s.contract}/actuals"),
    "outside-block-audit": (True, lambda s: f"/contracts/{s.contract}/audit"),
    "block-changes": (True, lambda s: f"/contracts/{s.contract}/block-changes"),
    "invoice-preview": (True, lambda s: f"/contracts/{s.contract}/invoices/preview"),
    "invoices": (True, lambda s: "/invoices"),
    "planner": (False, lambda s: s.share_url),
    "not-found": (True, lambda s: "/contracts/999999"),
    "planner-gone": (False, lambda s: s.gone_url),
}


def _open(browser: Browser, site: Site, server: LiveServer, name: str, width: int) -> Page:
    needs_staff, where = PAGES[name]
    if needs_staff:
        page = site.staff.new_page()
        page.set_viewport_size({"width": width, "height": 900})
    else:
        page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    target = where(site)
    answer = page.goto(target if target.startswith("http") else f"{server.url}{target}")
    assert answer is not None
    expected = {"not-found": 404, "planner-gone": 410}.get(name, 200)
    assert answer.status == expected, (name, answer.status)
    page.wait_for_load_state("networkidle")
    return page


def _close(page: Page, site: Site) -> None:
    if page.context is site.staff:
        page.close()
    else:
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violation_and_nothing_scrolls_sideways(
    browser: Browser, site: Site, live_server: LiveServer, name: str, width: int
) -> None:
    """Each page once per width: axe's rules, and no content wider than the window (on a phone above all;
    a page opened for each check separately cost a second load of every page)."""
    page = _open(browser, site, live_server, name, width)
    try:
        screenshot(page, f"a11y-{name}-{width}")
        violations = axe_violations(page)
        assert violations == [], f"{name} at {width} px:\n{describe(violations)}"
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, (
            f"{name}: {scroll_width} px of content in a {inner_width} px window"
        )
    finally:
        _close(page, site)


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violation_on_the_editor_showing_errors(
    browser: Browser, site: Site, live_server: LiveServer, width: int
) -> None:
    page = _open(browser, site, live_server, "editor-new", width)
    try:
        page.get_by_role("button", name="Save contract").click()
        page.wait_for_load_state("networkidle")
        assert page.locator(".field-error").count() > 0, "an empty contract was not refused"
        screenshot(page, f"a11y-editor-errors-{width}")
        violations = axe_violations(page)
        assert violations == [], f"editor with errors at {width} px:\n{describe(violations)}"
    finally:
        _close(page, site)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_room_type_box_covers_a_remove_button(
    browser: Browser, site: Site, live_server: LiveServer, width: int
) -> None:
    page = _open(browser, site, live_server, "editor-edit", width)
    try:
        inputs = page.locator(".room-type input:not([type=hidden])")
        buttons = page.locator(".room-type button")
        assert buttons.count() > 1, "the sample should have several room types"
        boxes = [inputs.nth(index).bounding_box() for index in range(inputs.count())]
        for index in range(buttons.count()):
            button = buttons.nth(index).bounding_box()
            assert button is not None
            for box in boxes:
                assert box is not None
                apart = (
                    box["x"] + box["width"] <= button["x"]
                    or button["x"] + button["width"] <= box["x"]
                    or box["y"] + box["height"] <= button["y"]
                    or button["y"] + button["height"] <= box["y"]
                )
                assert apart, (
                    f"Remove button {index + 1} at {width} px is under a room-type box: {box} {button}"
                )
    finally:
        _close(page, site)
