"""Deadline calendar feeds over HTTP, on SQLite and PostgreSQL: made, listed and revoked through the API
under a property or a contract, and read back by a calendar application with ``icalendar``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar, Event
from sqlmodel import Session, select

from app.contract_files import load_document
from app.engine.money import Money
from app.persistence.records import CalendarFeedRecord, ContractVersionRecord
from app.services import actuals, assessments, calendar_feeds, contracts, invoices, payments, properties
from app.services.auth import Access, Principal
from app.services.calendar_feeds import MAX_ACTIVE_FEEDS
from tests.api.conftest import CONTRACTS, bearer, property_body

SETUP = Principal("test setup", None, can_write=True, is_admin=True)
DENTAL = load_document(CONTRACTS / "dental-meeting-cancellation-100-days.yaml")
WEDDING = load_document(CONTRACTS / "wedding-block-cliff.yaml")


def _terms(document: Any, **overrides: Any) -> dict[str, Any]:
    terms: dict[str, Any] = document.contract.model_dump(mode="json", exclude={"property"})
    return terms | overrides


@dataclass(frozen=True, slots=True)
class Hotel:
    property_id: int
    contract_id: int
    key: str  # read-write key of this hotel


@pytest.fixture
def hotel(session: Session, make_key: Callable[[Access, set[int]], str]) -> Hotel:
    prop = properties.create_property(
        session,
        SETUP,
        properties.PropertyCreate.model_validate(
            property_body(name="Hôtel du Lac", locale="fr_FR", timezone="Europe/Paris", currency="USD")
        ),
    )
    assert prop.id is not None
    stored = contracts.create_contract(session, SETUP, {"property_id": prop.id, "contract": _terms(DENTAL)})
    assert stored.record.id is not None
    session.commit()
    return Hotel(prop.id, stored.record.id, make_key(Access.READ_WRITE, {prop.id}))


@pytest.fixture
def other(session: Session, make_key: Callable[[Access, set[int]], str]) -> Hotel:
    prop = properties.create_property(
        session, SETUP, properties.PropertyCreate.model_validate(property_body(name="Other Hotel"))
    )
    assert prop.id is not None
    stored = contracts.create_contract(session, SETUP, {"property_id": prop.id, "contract": _terms(WEDDING)})
    assert stored.record.id is not None
    session.commit()
    return Hotel(prop.id, stored.record.id, make_key(Access.READ_WRITE, {prop.id}))


def _create(client: TestClient, path: str, key: str, label: str = "Sales team") -> dict[str, Any]:
    response = client.post(path, headers=bearer(key), json={"label": label})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _fetch(client: TestClient, url: str) -> Calendar:
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def _events(calendar: Calendar) -> dict[str, Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_a_contract_feed_lists_every_deadline_as_an_all_day_event_with_stable_uids(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    made = _create(client, f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds", hotel.key)
    token = made["url"].rsplit("/", 1)[1].removesuffix(".ics")

    calendar = _fetch(client, made["url"])

    stored = session.exec(select(CalendarFeedRecord)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (made["contract_id"], made["property_id"], made["status"]) == (
        hotel.contract_id,
        hotel.property_id,
        "active",
    )
    events = _events(calendar)
    prefix = f"contract-{hotel.contract_id}-"
    assert set(events) == {
        f"{prefix}{key}@attrition"
        for key in (
            "cutoff",
            "arrival",
            "departure",
            "cancellation-tier:30",
            "cancellation-tier:90",
            "cancellation-tier:180",
            "cancellation-tier:365",
        )
    }
    cutoff = events[f"{prefix}cutoff@attrition"]
    assert cutoff.decoded("DTSTART") == date(2027, 5, 10)
    assert cutoff.decoded("DTEND") == date(2027, 5, 11)
    assert "DTSTAMP" in cutoff
    # In the property's language, naming the group and what happens.
    assert str(cutoff["SUMMARY"]) == (
        "Pacific Northwest Dental Association : "
        "Date limite de rétrocession : libération des chambres non réservées"
    )
    assert "10 mai 2027" in str(cutoff["DESCRIPTION"])
    (alarm,) = cutoff.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(days=-7)
    (arrival_alarm,) = events[f"{prefix}arrival@attrition"].walk("VALARM")
    assert arrival_alarm.decoded("TRIGGER") == timedelta(days=-1)
    assert events[f"{prefix}cancellation-tier:90@attrition"].decoded("DTSTART") == date(2027, 3, 12)


def test_uids_stay_the_same_between_fetches_and_after_an_unrelated_edit(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    made = _create(client, f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds", hotel.key)
    first = {uid: event.decoded("DTSTART") for uid, event in _events(_fetch(client, made["url"])).items()}
    second = {uid: event.decoded("DTSTART") for uid, event in _events(_fetch(client, made["url"])).items()}

    renamed = client.put(
        f"/api/v1/contracts/{hotel.contract_id}",
        headers={**bearer(hotel.key), "If-Match": '"r1"'},
        json={"contract": _terms(DENTAL, name="Renamed meeting", cutoff_date="2027-05-01")},
    )
    assert renamed.status_code == 200, renamed.text
    after = {uid: event.decoded("DTSTART") for uid, event in _events(_fetch(client, made["url"])).items()}

    assert first == second
    assert after.keys() == first.keys()
    moved = {uid for uid in first if first[uid] != after[uid]}
    assert moved == {f"contract-{hotel.contract_id}-cutoff@attrition"}


def test_a_revoked_or_unknown_feed_is_gone(client: TestClient, hotel: Hotel) -> None:
    path = f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds"
    made = _create(client, path, hotel.key)
    url = made["url"].removeprefix("http://testserver")

    revoked = client.post(f"{path}/{made['id']}/revoke", headers=bearer(hotel.key))
    again = client.post(f"{path}/{made['id']}/revoke", headers=bearer(hotel.key))

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert client.get(url).status_code == 410
    assert client.get("/calendar/no-such-token.ics").status_code == 410
    assert client.get("/calendar/" + "x" * 300 + ".ics").status_code == 410
    listed = client.get(path, headers=bearer(hotel.key)).json()
    assert [item["status"] for item in listed["items"]] == ["revoked"]


def test_a_property_feed_holds_its_open_contracts_and_their_unpaid_invoices_only(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    wedding = contracts.create_contract(
        session, SETUP, {"property_id": hotel.property_id, "contract": _terms(WEDDING)}
    )
    cancelled = contracts.create_contract(
        session,
        SETUP,
        {"property_id": hotel.property_id, "status": "cancelled", "contract": _terms(WEDDING, id="gone")},
    )
    wedding_id = wedding.record.id
    assert wedding_id is not None
    assert WEDDING.actuals is not None
    pickup = [entry.model_dump(mode="json") for entry in WEDDING.actuals.pickup]
    actuals.record_pickup(session, SETUP, wedding_id, {"as_of": "2027-10-18", "entries": pickup})
    assessments.save_assessment(session, SETUP, wedding_id, WEDDING.as_of)
    invoice = invoices.issue_invoice(session, SETUP, wedding_id)
    payments.record_payment(session, SETUP, invoice.number, amount=Money(Decimal("1.00"), "USD"))
    session.commit()
    made = _create(client, f"/api/v1/properties/{hotel.property_id}/calendar-feeds", hotel.key)

    events = _events(_fetch(client, made["url"]))

    contract_ids = {uid.split("-")[1] for uid in events}
    assert contract_ids == {str(hotel.contract_id), str(wedding_id)}
    assert str(cancelled.record.id) not in contract_ids
    due = events[f"contract-{wedding_id}-invoice:{invoice.number}@attrition"]
    assert due.decoded("DTSTART") == invoice.due_date
    assert invoice.number in str(due["SUMMARY"])
    listed = client.get(f"/api/v1/properties/{hotel.property_id}/calendar-feeds", headers=bearer(hotel.key))
    assert listed.json()["total"] == 1
    assert listed.json()["items"][0]["contract_id"] is None
    contract_list = client.get(
        f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds", headers=bearer(hotel.key)
    )
    assert contract_list.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_keys_of_another_property_get_not_found_and_read_keys_may_not_make_feeds(
    client: TestClient,
    session: Session,
    hotel: Hotel,
    other: Hotel,
    make_key: Callable[[Access, set[int]], str],
) -> None:
    made = _create(client, f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds", hotel.key)
    read_only = make_key(Access.READ, {hotel.property_id})
    paths = [
        f"/api/v1/properties/{hotel.property_id}/calendar-feeds",
        f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds",
    ]

    for path in paths:
        assert client.get(path, headers=bearer(other.key)).status_code == 404
        assert client.post(path, headers=bearer(other.key), json={}).status_code == 404
        assert client.post(path, headers=bearer(read_only), json={}).status_code == 403
        assert client.get(path, headers=bearer(read_only)).status_code == 200
        assert client.get(path).status_code == 401
    revoke = f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds/{made['id']}/revoke"
    assert client.post(revoke, headers=bearer(other.key)).status_code == 404
    assert client.post(revoke, headers=bearer(read_only)).status_code == 403
    # A feed is revoked only through what it covers: not through another contract or the property.
    other_path = f"/api/v1/properties/{hotel.property_id}/calendar-feeds/{made['id']}/revoke"
    assert client.post(other_path, headers=bearer(hotel.key)).status_code == 404
    session.expire_all()
    assert session.exec(select(CalendarFeedRecord)).one().revoked_at is None


@pytest.mark.parametrize(
    ("body", "field"),
    [({"label": "x" * 201}, "label"), ({"label": "a\nb"}, "label"), ({"labels": "x"}, "labels")],
)
def test_a_bad_label_is_refused_naming_the_field_and_stores_nothing(
    client: TestClient, session: Session, hotel: Hotel, body: dict[str, Any], field: str
) -> None:
    response = client.post(
        f"/api/v1/properties/{hotel.property_id}/calendar-feeds", headers=bearer(hotel.key), json=body
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert session.exec(select(CalendarFeedRecord)).all() == []


def test_a_contract_has_a_bounded_number_of_live_feeds(client: TestClient, hotel: Hotel) -> None:
    path = f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds"
    made = [_create(client, path, hotel.key, label=f"feed {n}") for n in range(MAX_ACTIVE_FEEDS)]

    refused = client.post(path, headers=bearer(hotel.key), json={})
    client.post(f"{path}/{made[0]['id']}/revoke", headers=bearer(hotel.key))
    allowed = client.post(path, headers=bearer(hotel.key), json={})

    assert refused.status_code == 409
    assert str(MAX_ACTIVE_FEEDS) in refused.json()["detail"]
    assert allowed.status_code == 201


def test_a_contract_whose_stored_terms_no_longer_read_is_left_out_of_the_property_feed(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    broken = contracts.create_contract(
        session, SETUP, {"property_id": hotel.property_id, "contract": _terms(WEDDING)}
    )
    version = session.exec(
        select(ContractVersionRecord).where(ContractVersionRecord.contract_id == broken.record.id)
    ).one()
    version.terms = {**version.terms, "departure_date": "not a date"}
    session.add(version)
    session.commit()
    made = _create(client, f"/api/v1/properties/{hotel.property_id}/calendar-feeds", hotel.key)

    events = _events(_fetch(client, made["url"]))

    assert {uid.split("-")[1] for uid in events} == {str(hotel.contract_id)}


def test_a_cancelled_contracts_own_feed_keeps_only_its_invoices(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    made = _create(client, f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds", hotel.key)
    cancelled = client.put(
        f"/api/v1/contracts/{hotel.contract_id}",
        headers={**bearer(hotel.key), "If-Match": '"r1"'},
        json={"status": "cancelled", "contract": _terms(DENTAL)},
    )
    assert cancelled.status_code == 200, cancelled.text

    calendar = _fetch(client, made["url"])

    assert _events(calendar) == {}
    assert str(calendar["X-WR-CALNAME"]).endswith("Hôtel du Lac")


def test_a_feed_stops_at_its_bound_of_events(
    client: TestClient, hotel: Hotel, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _create(client, f"/api/v1/contracts/{hotel.contract_id}/calendar-feeds", hotel.key)
    monkeypatch.setattr(calendar_feeds, "MAX_FEED_EVENTS", 3)

    events = _events(_fetch(client, made["url"]))

    # The first three by date: the cancellation scale's steps 365, 180 and 90 days out.
    assert [key.split("-", 2)[2] for key in events] == [
        "cancellation-tier:365@attrition",
        "cancellation-tier:180@attrition",
        "cancellation-tier:90@attrition",
    ]
