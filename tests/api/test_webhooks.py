# ruff: noqa: F811  (the OpenTravel tests' ``hotel`` fixture is imported)
"""Webhook endpoints over the API, alert levels, and the outbox written with each change (both databases).

Delivery itself (a real receiver, retries, concurrency) is in ``test_webhook_delivery.py``."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.persistence.records import WebhookDeliveryRecord, WebhookEventRecord
from app.services import actuals as actuals_service
from app.services import auth
from app.services.imports import IMPORTER
from tests.api.conftest import bearer
from tests.api.test_opentravel import booked, hotel, pickup_message, post  # noqa: F401  (fixture)
from tests.api.test_pickup import WEDDING, create_contract

ALL_EVENTS = [
    "pickup.recorded",
    "assessment.changed",
    "threshold.crossed",
    "deadline.approaching",
    "invoice.issued",
    "invoice.credited",
]


def endpoints_url(property_id: int) -> str:
    return f"/api/v1/properties/{property_id}/webhook-endpoints"


def register(
    client: TestClient, key: str, property_id: int, events: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    body = {"url": "https://hooks.example.test/attrition", "events": events or ["pickup.recorded"], **extra}
    response = client.post(endpoints_url(property_id), headers=bearer(key), json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def property_of(client: TestClient, key: str, contract_id: int) -> int:
    response = client.get(f"/api/v1/contracts/{contract_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    return int(response.json()["property_id"])


def pickup(client: TestClient, key: str, contract_id: int, king: int = 10) -> Any:
    return client.post(
        f"/api/v1/contracts/{contract_id}/pickup",
        headers=bearer(key),
        json={
            "as_of": "2026-11-01",
            "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": king}],
        },
    )


def events(session: Session, property_id: int) -> list[WebhookEventRecord]:
    session.expire_all()
    statement = select(WebhookEventRecord).where(WebhookEventRecord.property_id == property_id)
    return list(session.exec(statement.order_by(WebhookEventRecord.id)).all())  # type: ignore[arg-type]


def deliveries(session: Session, event_id: int) -> list[WebhookDeliveryRecord]:
    statement = select(WebhookDeliveryRecord).where(WebhookDeliveryRecord.event_id == event_id)
    return list(session.exec(statement).all())


@pytest.fixture
def wedding(client: TestClient, admin_key: str) -> tuple[int, int]:
    contract_id = create_contract(client, admin_key, WEDDING)
    return contract_id, property_of(client, admin_key, contract_id)


# --- endpoints -------------------------------------------------------------------------------------------


def test_registering_an_endpoint_shows_its_standard_webhooks_secret_once(
    client: TestClient, admin_key: str, wedding: tuple[int, int]
) -> None:
    _, property_id = wedding
    created = register(client, admin_key, property_id, ALL_EVENTS, description="Sales CRM")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24
    assert created["events"] == ALL_EVENTS
    assert created["is_active"] is True

    one = client.get(f"{endpoints_url(property_id)}/{created['id']}", headers=bearer(admin_key))
    listed = client.get(endpoints_url(property_id), headers=bearer(admin_key))
    assert one.status_code == 200
    assert "secret" not in one.json()
    assert listed.json()["total"] == 1
    assert listed.json()["limit"] == 50
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    assert "secret" not in listed.json()["items"][0]

    rotated = client.post(
        f"{endpoints_url(property_id)}/{created['id']}/rotate-secret", headers=bearer(admin_key)
    )
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://x.test/h", "events": ["pickup.recorded", "booking.made"]}, "events"),
        ({"url": "https://x.test/h", "events": []}, "events"),
        ({"url": "ftp://x.test/h", "events": ["pickup.recorded"]}, "url"),
        ({"url": "javascript:alert(1)", "events": ["pickup.recorded"]}, "url"),
        ({"url": "https://x.test/\u0000", "events": ["pickup.recorded"]}, "url"),
        ({"url": "https://", "events": ["pickup.recorded"]}, "url"),
        ({"url": "http://[::1", "events": ["pickup.recorded"]}, "url"),
        ({"url": "https://x.test/" + "a" * 2000, "events": ["pickup.recorded"]}, "url"),
        ({"url": "https://x.test/h", "events": ["pickup.recorded"], "description": "d" * 201}, "description"),
        ({"url": "https://x.test/h", "events": ["pickup.recorded"], "secret": "mine"}, "secret"),
    ],
)
def test_unknown_events_and_bad_urls_are_refused_naming_the_field(
    client: TestClient, admin_key: str, wedding: tuple[int, int], body: dict[str, Any], field: str
) -> None:
    _, property_id = wedding
    response = client.post(endpoints_url(property_id), headers=bearer(admin_key), json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(error["field"].startswith(field) for error in response.json()["errors"]), response.json()
    assert client.get(endpoints_url(property_id), headers=bearer(admin_key)).json()["total"] == 0


def test_another_propertys_key_can_neither_see_nor_register_and_a_hotel_key_cannot_register(
    client: TestClient, admin_key: str, make_key: Any, wedding: tuple[int, int]
) -> None:
    _, property_id = wedding
    other = client.post(
        "/api/v1/properties", headers=bearer(admin_key), json={"name": "Elsewhere", "currency": "EUR"}
    ).json()["id"]
    created = register(client, admin_key, property_id)
    stranger = make_key(auth.Access.READ_WRITE, {other})
    hotel_key = make_key(auth.Access.READ_WRITE, {property_id})
    body = {"url": "https://evil.test/", "events": ["pickup.recorded"]}

    assert client.get(endpoints_url(property_id), headers=bearer(stranger)).status_code == 404
    assert (
        client.get(f"{endpoints_url(property_id)}/{created['id']}", headers=bearer(stranger)).status_code
        == 404
    )
    deliveries_url = f"{endpoints_url(property_id)}/{created['id']}/deliveries"
    assert client.get(deliveries_url, headers=bearer(stranger)).status_code == 404
    assert client.post(endpoints_url(property_id), headers=bearer(stranger), json=body).status_code == 404
    revoke = f"{endpoints_url(property_id)}/{created['id']}/revoke"
    assert client.post(revoke, headers=bearer(stranger)).status_code == 404
    # The hotel's own key reads its endpoints but only an administrator registers or revokes them.
    assert client.get(endpoints_url(property_id), headers=bearer(hotel_key)).json()["total"] == 1
    assert client.post(endpoints_url(property_id), headers=bearer(hotel_key), json=body).status_code == 403
    assert client.post(revoke, headers=bearer(hotel_key)).status_code == 403
    # An endpoint is found only under its own property.
    assert client.get(f"{endpoints_url(other)}/{created['id']}", headers=bearer(admin_key)).status_code == 404


def test_alert_levels_are_read_and_set_by_the_hotel_within_their_bounds(
    client: TestClient, admin_key: str, make_key: Any, wedding: tuple[int, int]
) -> None:
    _, property_id = wedding
    url = f"/api/v1/properties/{property_id}/alert-levels"
    hotel_key = make_key(auth.Access.READ_WRITE, {property_id})
    reader = make_key(auth.Access.READ, {property_id})
    assert client.get(url, headers=bearer(reader)).json() == {
        "property_id": property_id,
        "days_before_cutoff": None,
        "damages_probability_pct": None,
    }
    saved = client.put(
        url, headers=bearer(hotel_key), json={"days_before_cutoff": 14, "damages_probability_pct": "60"}
    )
    assert saved.status_code == 200, saved.text
    again = client.get(url, headers=bearer(reader)).json()
    assert again["days_before_cutoff"] == 14
    assert again["damages_probability_pct"] == "60.0"
    refused = client.put(
        url, headers=bearer(hotel_key), json={"days_before_cutoff": -1, "damages_probability_pct": 101}
    )
    assert refused.status_code == 422
    assert {error["field"] for error in refused.json()["errors"]} == {
        "days_before_cutoff",
        "damages_probability_pct",
    }
    assert client.put(url, headers=bearer(reader), json={"days_before_cutoff": 3}).status_code == 403


# --- the outbox ----------------------------------------------------------------------------------------


def test_pickup_writes_its_event_and_one_delivery_per_subscribed_endpoint(
    client: TestClient, admin_key: str, session: Session, wedding: tuple[int, int]
) -> None:
    contract_id, property_id = wedding
    first = register(client, admin_key, property_id, ["pickup.recorded"])
    second = register(client, admin_key, property_id, ["pickup.recorded", "invoice.issued"])
    register(client, admin_key, property_id, ["invoice.issued"])

    assert pickup(client, admin_key, contract_id, king=10).status_code == 201

    [event] = events(session, property_id)
    assert event.event_type == "pickup.recorded"
    assert event.payload["type"] == "pickup.recorded"
    assert event.payload["timestamp"].endswith("Z")
    data = event.payload["data"]
    assert data["contract_id"] == contract_id
    assert data["property_id"] == property_id
    assert data["contract_reference"] == "alvarez-chen-wedding-2027"
    assert (data["as_of"], data["rows"], data["room_nights"]) == ("2026-11-01", 1, 10)
    assert event.id is not None
    assert {delivery.endpoint_id for delivery in deliveries(session, event.id)} == {first["id"], second["id"]}
    assert {delivery.status for delivery in deliveries(session, event.id)} == {"pending"}


def test_refused_pickup_and_rolled_back_pickup_leave_no_event(
    client: TestClient, admin_key: str, session: Session, wedding: tuple[int, int]
) -> None:
    contract_id, property_id = wedding
    register(client, admin_key, property_id, ["pickup.recorded", "assessment.changed"])

    refused = client.post(
        f"/api/v1/contracts/{contract_id}/pickup",
        headers=bearer(admin_key),
        json={
            "as_of": "2026-11-01",
            "entries": [{"night": "2027-10-08", "room_type": "penthouse", "room_nights": 1}],
        },
    )
    assert refused.status_code == 422
    assert events(session, property_id) == []

    # The event is part of the pickup's transaction: when the write is rolled back, so is the event.
    with session.begin_nested() as savepoint:
        actuals_service.record_pickup(
            session,
            IMPORTER,
            contract_id,
            {
                "as_of": "2027-08-02",
                "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 3}],
            },
        )
        assert [event.event_type for event in events(session, property_id)] == [
            "pickup.recorded",
            "assessment.changed",
        ]
        savepoint.rollback()
    assert events(session, property_id) == []


def test_assessment_changed_is_sent_first_then_only_when_the_total_moves(
    client: TestClient, admin_key: str, session: Session, wedding: tuple[int, int]
) -> None:
    contract_id, property_id = wedding
    register(client, admin_key, property_id, ["assessment.changed"])

    assert pickup(client, admin_key, contract_id, king=10).status_code == 201
    [first] = events(session, property_id)
    assert first.payload["data"]["previous_total"] is None
    assert first.payload["data"]["total"]["currency"] == "USD"

    assert pickup(client, admin_key, contract_id, king=10).status_code == 201  # the same figure again
    assert len(events(session, property_id)) == 1

    assert pickup(client, admin_key, contract_id, king=12).status_code == 201
    later = events(session, property_id)
    assert len(later) == 2
    assert later[1].payload["data"]["previous_total"] == first.payload["data"]["total"]
    assert later[1].payload["data"]["total"] != first.payload["data"]["total"]


def test_csv_pickup_and_a_contract_amendment_write_events_too(
    client: TestClient, admin_key: str, session: Session, wedding: tuple[int, int]
) -> None:
    contract_id, property_id = wedding
    register(client, admin_key, property_id, ["pickup.recorded", "assessment.changed"])
    csv = "night,room_type,room_nights\n2027-10-09,double,4\n"
    uploaded = client.post(
        f"/api/v1/contracts/{contract_id}/pickup?as_of=2027-08-03",
        headers={**bearer(admin_key), "Content-Type": "text/csv"},
        content=csv,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert [event.event_type for event in events(session, property_id)] == [
        "pickup.recorded",
        "assessment.changed",
    ]

    contract = client.get(f"/api/v1/contracts/{contract_id}", headers=bearer(admin_key))
    body = contract.json()
    terms = body["contract"]
    terms.pop("property", None)
    terms["block"][0]["rooms"] = 10  # fewer kings: the total moves
    amended = client.put(
        f"/api/v1/contracts/{contract_id}",
        headers={**bearer(admin_key), "If-Match": contract.headers["ETag"]},
        json={"contract": terms, "account_id": body.get("account_id"), "status": body["status"]},
    )
    assert amended.status_code == 200, amended.text
    assert [event.event_type for event in events(session, property_id)][-1] == "assessment.changed"
    assert len(events(session, property_id)) == 3


def test_a_revoked_endpoint_gets_nothing_new_and_its_pending_deliveries_are_cancelled(
    client: TestClient, admin_key: str, session: Session, wedding: tuple[int, int]
) -> None:
    contract_id, property_id = wedding
    created = register(client, admin_key, property_id, ["pickup.recorded"])
    assert pickup(client, admin_key, contract_id).status_code == 201
    revoked = client.post(f"{endpoints_url(property_id)}/{created['id']}/revoke", headers=bearer(admin_key))
    assert revoked.status_code == 200
    assert revoked.json()["is_active"] is False
    assert pickup(client, admin_key, contract_id, king=11).status_code == 201

    [event] = events(session, property_id)  # no endpoint listens any more: no second event
    assert event.id is not None
    assert [delivery.status for delivery in deliveries(session, event.id)] == ["cancelled"]
    log = client.get(f"{endpoints_url(property_id)}/{created['id']}/deliveries", headers=bearer(admin_key))
    assert log.status_code == 200
    assert [item["status"] for item in log.json()["items"]] == ["cancelled"]


def test_issuing_and_crediting_an_invoice_write_their_events(
    client: TestClient, admin_key: str, session: Session, wedding: tuple[int, int]
) -> None:
    contract_id, property_id = wedding
    register(client, admin_key, property_id, ["invoice.issued", "invoice.credited"])
    issued = client.post(
        f"/api/v1/contracts/{contract_id}/invoices",
        headers=bearer(admin_key),
        json={"as_of": "2027-10-18", "issue_date": "2027-10-20"},
    )
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    credited = client.post(
        f"/api/v1/invoices/{number}/credit-note",
        headers=bearer(admin_key),
        json={"reason": "The block was reduced in writing", "issue_date": "2027-10-21"},
    )
    assert credited.status_code == 201, credited.text

    issued_event, credited_event = events(session, property_id)
    assert issued_event.event_type == "invoice.issued"
    data = issued_event.payload["data"]
    assert (data["invoice_number"], data["kind"], data["issue_date"]) == (number, "invoice", "2027-10-20")
    assert data["total"] == issued.json()["total"]
    assert credited_event.event_type == "invoice.credited"
    note = credited_event.payload["data"]
    assert note["invoice_number"] == credited.json()["number"]
    assert note["kind"] == "credit_note"
    assert note["credits_invoice_id"] == data["invoice_id"]
    assert note["total"]["amount"].startswith("-")


def test_opentravel_pickup_writes_pickup_recorded_with_the_hotel_and_block_codes(
    client: TestClient, admin_key: str, session: Session, hotel: int
) -> None:
    property_id = hotel
    contract = booked(client, admin_key)
    register(client, admin_key, property_id, ["pickup.recorded"])

    assert post(client, admin_key, pickup_message()).status_code == 200

    [event] = events(session, property_id)
    data = event.payload["data"]
    assert (data["hotel_code"], data["block_code"], data["contract_id"]) == (
        "BERMIT",
        "EUCONG25",
        contract["id"],
    )
    assert (data["as_of"], data["rows"], data["room_nights"]) == ("2027-09-02", 3, 74)
