"""The Webhooks and alerts page in Chromium at desktop and phone widths: reached from the hotel details
page, a refused endpoint shown beside its fields with the input kept, then registered with its secret
shown once, alert levels saved, and the delivery log after a failed try; axe finds no violation on any
of them and none scrolls sideways on a phone. Screenshots: ``artifacts/screenshots/webhooks-*.png``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from sqlmodel import Session

from app.persistence.records import ContractRecord
from app.services import webhooks
from app.services.changes import EventType, emit_event
from tests.web.axe import axe_violations, describe
from tests.web.conftest import LiveServer, screenshot, sign_in

SAMPLE = "alvarez-chen-wedding-2027"
WIDTHS = (1366, 390)


@pytest.fixture
def staff_page(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    sign_in(page, live_server)
    yield page
    context.close()


def _contract(page: Page, server: LiveServer) -> tuple[int, int]:
    answer = page.request.get(
        f"{server.url}/api/v1/contracts?limit=200", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    assert answer.ok
    found = [item for item in answer.json()["items"] if item["reference"] == SAMPLE]
    assert len(found) == 1
    return int(found[0]["id"]), int(found[0]["property_id"])


def _check(page: Page, name: str, width: int) -> None:
    page.wait_for_load_state("networkidle")
    screenshot(page, f"webhooks-{name}-{width}")
    violations = axe_violations(page)
    assert violations == [], f"{name} at {width} px:\n{describe(violations)}"
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{name}: {scroll_width} px of content in a {inner_width} px window"


@pytest.mark.parametrize("staff_page", WIDTHS, indirect=True)
def test_an_administrator_registers_an_endpoint_and_reads_its_delivery_log(
    staff_page: Page, live_server: LiveServer
) -> None:
    page = staff_page
    width = page.viewport_size["width"] if page.viewport_size else 0
    contract_id, property_id = _contract(page, live_server)
    page.goto(f"{live_server.url}/properties/{property_id}/details")
    page.get_by_role("link", name="Webhooks and alerts").click()
    _check(page, "page", width)

    page.get_by_label("URL the messages are sent to").fill("ftp://files.example/drop")
    page.get_by_label("Description (for people, e.g. which system it is)").fill("Old FTP drop")
    page.get_by_role("button", name="Register endpoint").click()
    page.wait_for_load_state("networkidle")
    assert "give an http:// or https:// URL" in page.locator("#url-error").inner_text()
    assert "choose at least one event" in page.locator("#events-error").inner_text()
    assert page.get_by_label("URL the messages are sent to").input_value() == "ftp://files.example/drop"
    _check(page, "errors", width)

    url = f"http://127.0.0.1:9/hooks/{width}-{uuid.uuid4().hex[:6]}"
    page.get_by_label("URL the messages are sent to").fill(url)
    page.get_by_label("Pickup recorded (any way: API, booking system, grid, file)").check()
    page.get_by_label("Invoice issued").check()
    page.get_by_role("button", name="Register endpoint").click()
    page.wait_for_load_state("networkidle")
    secret = page.locator("#secret-text").inner_text()
    assert secret.startswith("whsec_")
    _check(page, "secret", width)

    page.get_by_label("Pickup below the minimum, this many days before cut-off").fill("14")
    page.get_by_label("Probability of damages at or above (%)").fill("60")
    page.get_by_role("button", name="Save alert levels").click()
    page.wait_for_load_state("networkidle")
    assert "Alert levels saved." in page.locator("[role=status]").inner_text()
    assert secret not in page.content()

    # One event for the new endpoint, and one try that nothing answers.
    with Session(live_server.engine) as session:
        record = session.get(ContractRecord, contract_id)
        assert record is not None
        emit_event(
            session,
            record,
            EventType.PICKUP_RECORDED,
            f"browser-test:{uuid.uuid4().hex}",
            {"as_of": "2026-11-01", "rows": 1, "room_nights": 3},
        )
        session.commit()
    webhooks.deliver_due(live_server.engine, timeout=2)

    page.get_by_role("link", name=f"Delivery log of {url}").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Delivery log").is_visible()
    assert "waiting to be sent" in page.content()
    assert "could not connect to the endpoint" in page.content()
    assert "Alvarez–Chen Wedding Weekend" in page.content()
    _check(page, "log", width)
