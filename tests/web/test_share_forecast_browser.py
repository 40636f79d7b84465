"""The planner's forecast in Chromium: bounded, the right break-even for a cumulative contract, and a
refused what-if's message shown beside its field (with JavaScript, where htmx swaps the 422 in, and
without), never beside a stale result."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from app.contract_files import load_document
from app.services import sharing
from app.services.assessments import hotel_today
from app.services.forecasts import forecast_contract
from app.services.imports import IMPORTER, import_placed, place_demo
from tests.web.conftest import LiveServer, screenshot

NORTHSTAR = Path(__file__).resolve().parents[2] / "contracts" / "insurance-conference-resold-rooms.yaml"


@dataclass(frozen=True, slots=True)
class Shared:
    url: str
    still_needed: int
    blocks: tuple[int, ...]


@pytest.fixture(scope="module")
def shared(live_server: LiveServer) -> Shared:
    """Northstar placed 120 days out under its own reference, with a share link."""
    document = load_document(NORTHSTAR)
    document = document.model_copy(
        update={"contract": document.contract.model_copy(update={"id": "northstar-live-browser"})}
    )
    today = hotel_today(document.contract.property.timezone)
    with Session(live_server.engine, expire_on_commit=False) as session:
        contract_id = import_placed(session, *place_demo(NORTHSTAR, document, today)).contract_id
        _, token = sharing.create_share_link(session, IMPORTER, contract_id, {"label": "browser"})
        exposure = forecast_contract(session, IMPORTER, contract_id).exposure
        session.commit()
    assert exposure.break_even is not None
    return Shared(
        f"{live_server.url}/share/{token}",
        exposure.break_even.still_needed_room_nights,
        tuple(n.block_room_nights for n in exposure.projection.nights),
    )


@pytest.fixture
def planner(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_planner_sees_a_bounded_forecast_the_break_even_over_the_stay_and_a_refused_what_if(
    planner: Page, shared: Shared
) -> None:
    planner.goto(shared.url)
    rows = planner.locator("#nights tbody tr:not(#stay-row)")
    expect(rows).to_have_count(len(shared.blocks))
    for index, block in enumerate(shared.blocks):
        forecast = rows.nth(index).locator("td").last.inner_text()
        assert 0 < int(forecast.replace(",", "")) <= block * Decimal("1.03")
    even = planner.locator("#break-even")
    expect(even).to_contain_text("tests all nights together")
    expect(even).to_contain_text(f"{shared.still_needed:,} more room nights over the stay")
    expect(planner.locator("#expected-damages")).to_contain_text("chance of owing anything")
    screenshot(planner, "planner-forecast-1366")

    reduction = planner.get_by_label("Reduce the block by (%)")
    reduction.fill("5")
    planner.get_by_role("button", name="Recalculate").click()
    expect(planner.locator("#what-if-total")).to_be_visible()
    expect(planner.locator("#what-if-result")).to_contain_text("block reduction of 5%")

    reduction = planner.get_by_label("Reduce the block by (%)")
    reduction.fill("10")
    planner.get_by_role("button", name="Recalculate").click()
    error = planner.locator("#wi-reduction-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("60 are already used by reductions notified by")
    expect(planner.locator("#what-if-total")).to_have_count(0)  # the 5 % result is gone
    expect(planner.locator("#what-if-refused")).to_be_visible()
    expect(planner.get_by_label("Reduce the block by (%)")).to_have_attribute("aria-invalid", "true")
    assert planner.url == shared.url  # swapped in place by htmx
    screenshot(planner, "planner-what-if-refused-1366")

    planner.set_viewport_size({"width": 390, "height": 844})
    planner.goto(shared.url)
    width = planner.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # nothing forces a sideways scroll of the page
    screenshot(planner, "planner-forecast-390")


def test_without_javascript_the_refusal_is_on_the_page_that_comes_back(
    browser: Browser, shared: Shared
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(shared.url)
        page.get_by_label("Reduce the block by (%)").fill("10")
        page.get_by_role("button", name="Recalculate").click()
        page.wait_for_load_state()
        expect(page.locator("#wi-reduction-error")).to_contain_text(
            "60 are already used by reductions notified by"
        )
        expect(page.locator("#what-if-total")).to_have_count(0)
        assert re.search(r"/share/[^/]+/what-if$", page.url)
        screenshot(page, "planner-what-if-refused-no-js-390")
    finally:
        context.close()
