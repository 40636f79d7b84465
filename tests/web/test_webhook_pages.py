"""The Webhooks and alerts page over HTTP on SQLite and PostgreSQL: reached from the hotel details page;
an administrator registers (the secret shown once), revokes and re-keys endpoints and reads the
delivery log; hotel staff set alert levels but cannot register; refused input comes back with status
422, the input kept and the message beside its field; another hotel's staff see nothing."""

from __future__ import annotations

import html
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.persistence.records import (
    PropertyAlertLevelsRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
    WebhookEventRecord,
)
from app.services import actuals, webhooks
from app.services.assessments import hotel_today
from app.services.contracts import load_contract
from tests.web.test_staff_pages import ADMIN, CONGRESS, ELSEWHERE, _grid_form, _import, sign_in_as


def _hotels(session: Session) -> tuple[int, int]:
    mine = load_contract(session, ADMIN, _import(session, CONGRESS)).record.property_id
    other = load_contract(session, ADMIN, _import(session, ELSEWHERE)).record.property_id
    session.commit()
    return mine, other


def _endpoints(session: Session, property_id: int) -> list[WebhookEndpointRecord]:
    session.expire_all()
    statement = select(WebhookEndpointRecord).where(WebhookEndpointRecord.property_id == property_id)
    return list(session.exec(statement).all())


def test_an_administrator_registers_an_endpoint_sees_its_secret_once_and_revokes_it(
    client: TestClient, session: Session
) -> None:
    property_id, _ = _hotels(session)
    csrf = sign_in_as(client, session, None)
    details = client.get(f"/properties/{property_id}/details")
    assert f'href="/properties/{property_id}/webhooks"' in details.text
    path = f"/properties/{property_id}/webhooks"

    created = client.post(
        path,
        data={
            "csrf_token": csrf,
            "action": "create",
            "url": "https://crm.example/hooks/attrition",
            "events": ["pickup.recorded", "invoice.issued"],
            "description": "Sales CRM",
        },
        follow_redirects=False,
    )

    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    [endpoint] = _endpoints(session, property_id)
    assert endpoint.events == ["pickup.recorded", "invoice.issued"]
    assert endpoint.secret in created.text
    shown_again = client.get(path)
    assert endpoint.secret not in shown_again.text
    assert "https://crm.example/hooks/attrition" in shown_again.text
    assert "Sales CRM" in shown_again.text

    rotated = client.post(
        path, data={"csrf_token": csrf, "action": "rotate", "endpoint_id": str(endpoint.id)}
    )
    assert rotated.status_code == 200
    [endpoint] = _endpoints(session, property_id)
    assert endpoint.secret in rotated.text

    log = client.get(f"{path}/{endpoint.id}")
    assert log.status_code == 200
    assert "Nothing has been sent to this endpoint yet." in log.text

    revoked = client.post(
        path,
        data={"csrf_token": csrf, "action": "revoke", "endpoint_id": str(endpoint.id)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    [endpoint] = _endpoints(session, property_id)
    assert endpoint.revoked_at is not None
    assert "revoked" in client.get(path).text


def test_a_refused_endpoint_keeps_the_input_and_names_each_field(
    client: TestClient, session: Session
) -> None:
    property_id, _ = _hotels(session)
    csrf = sign_in_as(client, session, None)

    refused = client.post(
        f"/properties/{property_id}/webhooks",
        data={
            "csrf_token": csrf,
            "action": "create",
            "url": "ftp://files.example/drop",
            "description": "Old FTP",
        },
    )

    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert 'id="url-error"' in refused.text
    assert "give an http:// or https:// URL" in text
    assert 'id="events-error"' in refused.text
    assert "choose at least one event" in text
    assert 'value="ftp://files.example/drop"' in refused.text
    assert 'value="Old FTP"' in refused.text
    assert _endpoints(session, property_id) == []


def test_hotel_staff_set_alert_levels_but_cannot_register_and_others_see_nothing(
    client: TestClient, session: Session
) -> None:
    property_id, other = _hotels(session)
    csrf = sign_in_as(client, session, frozenset({property_id}))
    path = f"/properties/{property_id}/webhooks"

    page = client.get(path)
    assert page.status_code == 200
    assert "Register an endpoint" not in page.text
    saved = client.post(
        f"{path}/alert-levels",
        data={"csrf_token": csrf, "days_before_cutoff": "14", "damages_probability_pct": "62.5"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{path}?saved=1"
    session.expire_all()
    levels = session.get(PropertyAlertLevelsRecord, property_id)
    assert levels is not None
    assert (levels.days_before_cutoff, levels.damages_probability_pct) == (14, Decimal("62.5"))
    assert 'value="62.5"' in client.get(path).text

    refused = client.post(
        f"{path}/alert-levels",
        data={"csrf_token": csrf, "days_before_cutoff": "soon", "damages_probability_pct": "140"},
    )
    assert refused.status_code == 422
    assert 'id="days_before_cutoff-error"' in refused.text
    assert 'id="damages_probability_pct-error"' in refused.text
    assert 'value="soon"' in refused.text

    registered = client.post(
        path,
        data={
            "csrf_token": csrf,
            "action": "create",
            "url": "https://x.example/",
            "events": "pickup.recorded",
        },
    )
    assert registered.status_code == 403
    assert _endpoints(session, property_id) == []
    assert client.get(f"/properties/{other}/webhooks").status_code == 404
    posted = client.post(
        f"/properties/{other}/webhooks/alert-levels", data={"csrf_token": csrf, "days_before_cutoff": "3"}
    )
    assert posted.status_code == 404


def test_a_form_without_the_csrf_token_changes_nothing(client: TestClient, session: Session) -> None:
    property_id, _ = _hotels(session)
    sign_in_as(client, session, None)
    posted = client.post(
        f"/properties/{property_id}/webhooks",
        data={"action": "create", "url": "https://x.example/", "events": "pickup.recorded"},
    )
    assert posted.status_code == 403
    assert _endpoints(session, property_id) == []


def test_pickup_saved_from_the_staff_grid_writes_its_events(client: TestClient, session: Session) -> None:
    contract_id = _import(session, CONGRESS)
    property_id = load_contract(session, ADMIN, contract_id).record.property_id
    session.add(
        WebhookEndpointRecord(
            property_id=property_id,
            url="https://crm.example/hooks",
            events=["pickup.recorded", "assessment.changed"],
            secret=webhooks.new_secret(),
            created_by="test",
        )
    )
    session.commit()
    csrf = sign_in_as(client, session, frozenset({property_id}))
    day = hotel_today(load_contract(session, ADMIN, contract_id).terms.property.timezone)

    saved = client.post(
        f"/contracts/{contract_id}/pickup",
        data=_grid_form(session, contract_id, 60, day, csrf),
        follow_redirects=False,
    )

    assert saved.status_code == 303
    session.expire_all()
    written = session.exec(
        select(WebhookEventRecord).where(WebhookEventRecord.property_id == property_id)
    ).all()
    assert [event.event_type for event in written] == ["pickup.recorded", "assessment.changed"]
    assert written[0].payload["data"]["as_of"] == day.isoformat()


def test_the_delivery_log_offers_send_again_for_a_failed_delivery(
    client: TestClient, session: Session
) -> None:
    contract_id = _import(session, CONGRESS)
    property_id = load_contract(session, ADMIN, contract_id).record.property_id
    endpoint = WebhookEndpointRecord(
        property_id=property_id,
        url="https://crm.example/hooks",
        events=["pickup.recorded"],
        secret=webhooks.new_secret(),
        created_by="test",
    )
    session.add(endpoint)
    session.commit()
    day = hotel_today(load_contract(session, ADMIN, contract_id).terms.property.timezone)
    terms = load_contract(session, ADMIN, contract_id).terms
    cell = terms.block[0]
    entry = {"night": cell.night.isoformat(), "room_type": cell.room_type, "room_nights": 3}
    actuals.record_pickup(session, ADMIN, contract_id, {"as_of": day.isoformat(), "entries": [entry]})
    delivery = session.exec(
        select(WebhookDeliveryRecord).where(WebhookDeliveryRecord.endpoint_id == endpoint.id)
    ).one()
    delivery.status = "failed"
    session.add(delivery)
    session.commit()
    csrf = sign_in_as(client, session, None)
    path = f"/properties/{property_id}/webhooks/{endpoint.id}"

    log = client.get(path)
    assert "failed (gave up)" in log.text
    assert terms.name in html.unescape(log.text)  # the contract by its name, not its reference
    assert f'action="{path}/deliveries/{delivery.id}/redeliver"' in log.text

    again = client.post(
        f"{path}/deliveries/{delivery.id}/redeliver", data={"csrf_token": csrf}, follow_redirects=False
    )

    assert again.status_code == 303
    assert again.headers["location"] == path
    session.expire_all()
    assert session.get(WebhookDeliveryRecord, delivery.id).status == "pending"  # type: ignore[union-attr]
    assert "waiting to be sent" in client.get(path).text
