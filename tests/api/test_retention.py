"""Retention: idempotency keys live 24 hours, expired sessions and day-old failed sign-ins are pruned,
and nothing else is touched. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.cli import main
from app.persistence.db import make_engine
from app.persistence.records import (
    ContractRecord,
    IngestionRecord,
    LoginAttemptRecord,
    PickupSnapshotRecord,
    StaffSessionRecord,
    StaffUserRecord,
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
    WebhookEventRecord,
    utc_now,
)
from app.services.retention import IDEMPOTENCY_KEY_LIFETIME, WEBHOOK_DELIVERY_RETENTION, prune
from tests.api.conftest import CONTRACTS, bearer
from tests.api.test_pickup import WEDDING, create_contract, pickup_url


@pytest.fixture
def wedding(client: TestClient, admin_key: str) -> int:
    return create_contract(client, admin_key, WEDDING)


def count(session: Session, record: type) -> int:
    return int(session.exec(select(func.count()).select_from(record)).one())


def post(client: TestClient, key: str, contract_id: int, rooms: int) -> int:
    body = {
        "as_of": "2027-09-01",
        "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": rooms}],
    }
    headers = {**bearer(key), "Idempotency-Key": "nightly-export"}
    return client.post(pickup_url(contract_id), headers=headers, json=body).status_code


def age(session: Session, record: type, column: str, by: timedelta) -> None:
    table = record.__table__  # type: ignore[attr-defined]
    session.execute(sa.update(table).values({column: utc_now() - by}))
    session.commit()


def test_a_key_is_honoured_for_24_hours_and_then_names_a_new_request(
    client: TestClient,
    admin_key: str,
    wedding: int,
    session: Session,
) -> None:
    assert post(client, admin_key, wedding, 3) == 201
    refused = post(client, admin_key, wedding, 4)  # same key, another body, within the day
    age(session, IngestionRecord, "created_at", IDEMPOTENCY_KEY_LIFETIME + timedelta(minutes=1))
    accepted = post(client, admin_key, wedding, 4)  # the key has lapsed: a new request

    assert refused == 422
    assert accepted == 201
    assert count(session, IngestionRecord) == 1


def test_prune_deletes_only_what_has_outlived_its_use(
    client: TestClient,
    admin_key: str,
    wedding: int,
    session: Session,
) -> None:
    assert post(client, admin_key, wedding, 3) == 201
    user = StaffUserRecord(email="staff@example.com", name="Staff", password_hash="x", is_admin=False)
    session.add(user)
    session.flush()
    assert user.id is not None
    now = utc_now()
    session.add_all(
        [
            StaffSessionRecord(
                token_hash="a" * 64, csrf_token="c", user_id=user.id, expires_at=now - timedelta(1)
            ),
            StaffSessionRecord(
                token_hash="b" * 64, csrf_token="c", user_id=user.id, expires_at=now + timedelta(1)
            ),
            LoginAttemptRecord(
                email="x@example.com", client="10.0.0.1", attempted_at=now - timedelta(days=2)
            ),
            LoginAttemptRecord(
                email="x@example.com", client="10.0.0.1", attempted_at=now - timedelta(hours=1)
            ),
        ]
    )
    session.commit()
    pickup_before = count(session, PickupSnapshotRecord)

    fresh = prune(session, now)
    later = prune(session, now + IDEMPOTENCY_KEY_LIFETIME + timedelta(minutes=1))
    session.commit()

    assert (fresh.idempotency_records, fresh.staff_sessions, fresh.login_attempts) == (0, 1, 1)
    assert (later.idempotency_records, later.staff_sessions, later.login_attempts) == (1, 1, 1)
    assert count(session, IngestionRecord) == 0
    assert count(session, PickupSnapshotRecord) == pickup_before  # the business record stays


def test_the_prune_command_reports_what_it_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'attrition.sqlite3'}"
    assert main(["import", str(CONTRACTS / "wedding-block-cliff.yaml"), "--database-url", url]) == 0
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(
            LoginAttemptRecord(
                email="x@example.com", client="10.0.0.1", attempted_at=utc_now() - timedelta(days=3)
            )
        )
        session.commit()
    capsys.readouterr()

    code = main(["prune", "--database-url", url])

    assert code == 0
    assert capsys.readouterr().out.strip() == (
        "deleted 0 idempotency records, 0 expired sessions, 1 old failed sign-ins, 0 finished webhook "
        "deliveries and 0 delivered webhook events"
    )
    with Session(engine) as session:
        assert count(session, LoginAttemptRecord) == 0
    engine.dispose()


def test_prune_keeps_a_month_of_the_webhook_log_what_is_still_to_send_and_what_later_events_compare_with(
    wedding: int, session: Session
) -> None:
    contract = session.get(ContractRecord, wedding)
    assert contract is not None
    now = utc_now()
    old, recent = now - WEBHOOK_DELIVERY_RETENTION - timedelta(days=1), now - timedelta(days=1)
    endpoint = WebhookEndpointRecord(
        property_id=contract.property_id,
        url="https://example.com/hooks",
        events=["pickup.recorded", "assessment.changed"],
        secret="whsec_x",
        created_by="test",
    )
    session.add(endpoint)
    session.flush()
    for name, kind, status, created in [
        ("old delivered", "pickup.recorded", "delivered", old),
        ("old given up", "pickup.recorded", "failed", old),
        ("old still retrying", "pickup.recorded", "pending", old),
        ("recent delivered", "pickup.recorded", "delivered", recent),
        ("old total", "assessment.changed", "delivered", old),
    ]:
        event = WebhookEventRecord(
            property_id=contract.property_id,
            contract_id=wedding,
            event_type=kind,
            event_key=name,
            payload={},
            created_at=created,
        )
        session.add(event)
        session.flush()
        assert event.id is not None
        assert endpoint.id is not None
        delivery = WebhookDeliveryRecord(
            event_id=event.id, endpoint_id=endpoint.id, status=status, created_at=created
        )
        session.add(delivery)
        session.flush()
        assert delivery.id is not None
        session.add(WebhookAttemptRecord(delivery_id=delivery.id, status_code=500))
    session.commit()

    pruned = prune(session, now)
    session.commit()

    left = {event.event_key for event in session.exec(select(WebhookEventRecord)).all()}
    assert (pruned.webhook_deliveries, pruned.webhook_events) == (3, 2)
    assert left == {"old still retrying", "recent delivered", "old total"}
    assert count(session, WebhookDeliveryRecord) == 2
    assert count(session, WebhookAttemptRecord) == 2
