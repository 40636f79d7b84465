"""The calendar feed pages of a contract and of a property over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import Session, select

from app.contract_files import load_document
from app.persistence import repositories as repo
from app.persistence.records import CalendarFeedRecord, ContractRecord, PropertyRecord
from app.services.imports import load_demo
from tests.api.conftest import CONTRACTS
from tests.web.test_editor_pages import post_form, sign_in

SAMPLE = "dental-meeting-cancellation-100-days.yaml"


@pytest.fixture
def contract(client: TestClient, session: Session) -> ContractRecord:
    load_demo(session, [(CONTRACTS / SAMPLE, load_document(CONTRACTS / SAMPLE))])
    session.commit()
    found = session.exec(select(ContractRecord)).one()
    sign_in(client, session, "sales@example.com", property_ids=frozenset({found.property_id}))
    return found


def _token(html: str) -> str:
    return re.findall(r'name="csrf_token" value="([^"]*)"', html)[0]


def _create(client: TestClient, path: str, label: str) -> tuple[int, str]:
    response = post_form(
        client, path, {"csrf_token": _token(client.get(path).text), "action": "create", "label": label}
    )
    urls = re.findall(r'id="new-url">([^<]*)<', response.text)
    return response.status_code, urls[0] if urls else response.text


def test_the_contract_page_links_to_its_calendar_feed_page_which_lists_the_deadlines(
    client: TestClient, contract: ContractRecord
) -> None:
    page = client.get(f"/contracts/{contract.id}")
    feeds = client.get(f"/contracts/{contract.id}/calendar")

    assert f'href="/contracts/{contract.id}/calendar">Calendar feed<' in page.text
    assert feeds.status_code == 200
    assert "No feeds yet." in feeds.text
    assert "Cut-off: release of unsold rooms" in feeds.text
    assert "Cancellation charge rises to 100%" in feeds.text
    assert "May 10, 2027" in feeds.text  # the hotel's locale (en, America/Los_Angeles)


def test_a_feed_made_on_the_contract_page_is_shown_once_fetches_and_revokes(
    client: TestClient, session: Session, contract: ContractRecord
) -> None:
    path = f"/contracts/{contract.id}/calendar"

    status, url = _create(client, path, "Front office")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    fetched = client.get(url.removeprefix("http://testserver"))
    listing = client.get(path).text
    stored = session.exec(select(CalendarFeedRecord)).one()
    revoked = post_form(
        client, path, {"csrf_token": _token(listing), "action": "revoke", "feed_id": str(stored.id)}
    )

    assert status == 201
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert "Front office" in listing
    assert token not in listing
    assert fetched.status_code == 200
    uids = {str(event["UID"]) for event in Calendar.from_ical(fetched.content).walk("VEVENT")}
    assert f"contract-{contract.id}-cutoff@attrition" in uids
    assert revoked.status_code == 303
    assert revoked.headers["location"] == path
    assert client.get(url.removeprefix("http://testserver")).status_code == 410
    assert "revoked" in client.get(path).text


def test_a_too_long_label_is_refused_beside_the_field_and_kept(
    client: TestClient, session: Session, contract: ContractRecord
) -> None:
    status, html = _create(client, f"/contracts/{contract.id}/calendar", "x" * 201)

    assert status == 422
    assert re.search(r'id="label"[^>]*aria-invalid="true"', html)
    assert 'value="' + "x" * 201 + '"' in html
    assert repo.count_rows(session, CalendarFeedRecord) == 0


def test_a_property_feed_is_made_on_the_property_calendar_page(
    client: TestClient, session: Session, contract: ContractRecord
) -> None:
    prop = session.exec(select(PropertyRecord)).one()
    path = f"/properties/{prop.id}/calendar"

    status, url = _create(client, path, "Sales office")
    events = Calendar.from_ical(client.get(url.removeprefix("http://testserver")).content).walk("VEVENT")

    assert status == 201
    assert session.exec(select(CalendarFeedRecord)).one().contract_id is None
    assert {str(event["UID"]).split("-")[1] for event in events} == {str(contract.id)}
    assert f'href="{path}"' in client.get(f"/contracts/{contract.id}/calendar").text


def test_a_form_without_the_csrf_token_is_refused_and_stores_nothing(
    client: TestClient, session: Session, contract: ContractRecord
) -> None:
    response = post_form(client, f"/contracts/{contract.id}/calendar", {"action": "create", "label": "x"})

    assert response.status_code == 403
    assert repo.count_rows(session, CalendarFeedRecord) == 0


def test_staff_of_another_property_do_not_see_the_pages(
    client: TestClient, session: Session, contract: ContractRecord
) -> None:
    elsewhere = repo.add(session, PropertyRecord(name="Elsewhere", currency="USD"))
    assert elsewhere.id is not None
    other = TestClient(client.app)
    sign_in(other, session, "other@example.com", property_ids=frozenset({elsewhere.id}))

    assert other.get(f"/contracts/{contract.id}/calendar").status_code == 404
    assert other.get(f"/properties/{contract.property_id}/calendar").status_code == 404


def test_a_cancelled_contracts_page_lists_only_what_its_feed_holds(
    client: TestClient, session: Session, contract: ContractRecord
) -> None:
    contract.status = "cancelled"
    session.add(contract)
    session.commit()

    page = client.get(f"/contracts/{contract.id}/calendar")
    _, url = _create(client, f"/contracts/{contract.id}/calendar", "after cancelling")
    feed = Calendar.from_ical(client.get(url.replace("http://testserver", "")).content)

    assert page.status_code == 200
    assert "Cut-off: release of unsold rooms" not in page.text
    assert "Cancellation charge rises" not in page.text
    assert feed.walk("VEVENT") == []  # no invoice yet: nothing to show, page or feed
