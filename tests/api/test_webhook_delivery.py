"""Delivering the outbox to a real receiver on 127.0.0.1 that verifies each message with
``standardwebhooks``: signatures, retries on the schedule (``now`` is driven forward, nothing sleeps
for it), giving up, redelivery, the delivery log, two workers at once, and the scheduled scan.

Delivery opens its own sessions, so these tests use databases of their own whose writes really commit
(SQLite and PostgreSQL), not the rolled-back transaction of the other API tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session
from standardwebhooks import Webhook

from app.main import create_app
from app.persistence.db import make_engine, migrate
from app.persistence.records import WebhookDeliveryRecord, utc_now
from app.services import auth, webhooks
from app.settings import Settings
from tests.api.conftest import POSTGRES, bearer, create_postgres_database, drop_postgres_database
from tests.api.test_pickup import WEDDING, create_contract
from tests.api.test_webhooks import endpoints_url, property_of


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: answers each request with the next planned reply (a status, or "hang" to
    answer only after the sender's time-out), then 200; keeps what it received."""

    url: str
    received: list[Received] = field(default_factory=list)
    plan: list[int | str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verified(self, secret: str) -> list[Any]:
        return [Webhook(secret).verify(item.body, item.headers) for item in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with state.lock:
                state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                reply = state.plan.pop(0) if state.plan else 200
            if reply == "hang":
                release.wait(5)
                reply = 200
            try:
                self.send_response(int(reply))
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the sender gave up waiting

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def outbox_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('hooks') / 'attrition.sqlite3'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    name = create_postgres_database()
    engine = make_engine(f"postgresql+psycopg://{POSTGRES.split('://', 1)[1]}/{name}")
    migrate(engine)
    yield engine
    engine.dispose()
    drop_postgres_database(name)


@pytest.fixture
def api(outbox_engine: sa.Engine) -> Iterator[TestClient]:
    app = create_app(
        Settings(database_url=outbox_engine.url.render_as_string(hide_password=False)), outbox_engine
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    # What a test left waiting is not the next test's to send.
    with Session(outbox_engine) as session:
        session.execute(
            sa.update(WebhookDeliveryRecord)
            .where(sa.column("status").in_(("pending", "sending")))
            .values(status="cancelled")
        )
        session.commit()


@pytest.fixture
def key(outbox_engine: sa.Engine) -> str:
    with Session(outbox_engine) as session:
        _, raw = auth.create_api_key(session, "hooks admin", auth.Access.ADMIN, frozenset())
        session.commit()
    return raw


@dataclass(frozen=True)
class Hooked:
    contract_id: int
    property_id: int
    endpoint_id: int
    secret: str


def hooked(api: TestClient, key: str, url: str, events: list[str] | None = None) -> Hooked:
    contract_id = create_contract(api, key, WEDDING)
    property_id = property_of(api, key, contract_id)
    created = api.post(
        endpoints_url(property_id),
        headers=bearer(key),
        json={"url": url, "events": events or ["pickup.recorded"], "description": "test receiver"},
    )
    assert created.status_code == 201, created.text
    return Hooked(contract_id, property_id, created.json()["id"], created.json()["secret"])


def record_pickup(api: TestClient, key: str, contract_id: int, king: int = 10) -> None:
    response = api.post(
        f"/api/v1/contracts/{contract_id}/pickup",
        headers=bearer(key),
        json={
            "as_of": "2026-11-01",
            "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": king}],
        },
    )
    assert response.status_code == 201, response.text


def delivery_log(api: TestClient, key: str, hook: Hooked) -> list[dict[str, Any]]:
    response = api.get(
        f"{endpoints_url(hook.property_id)}/{hook.endpoint_id}/deliveries", headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_delivery_is_signed_so_that_standardwebhooks_verifies_it_and_the_log_says_delivered(
    api: TestClient, key: str, receiver: Receiver, outbox_engine: sa.Engine
) -> None:
    hook = hooked(api, key, receiver.url)
    record_pickup(api, key, hook.contract_id)

    assert webhooks.deliver_due(outbox_engine) == 1

    [message] = receiver.verified(hook.secret)
    assert message["type"] == "pickup.recorded"
    assert message["data"]["contract_id"] == hook.contract_id
    assert message["data"]["room_nights"] == 10
    headers = receiver.received[0].headers
    assert headers["webhook-id"].startswith("evt_")
    assert headers["content-type"] == "application/json"
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.new_secret()).verify(receiver.received[0].body, headers)
    [logged] = delivery_log(api, key, hook)
    assert logged["status"] == "delivered"
    assert logged["webhook_id"] == headers["webhook-id"]
    assert [(attempt["status_code"], attempt["error"]) for attempt in logged["attempt_log"]] == [(200, "")]
    assert webhooks.deliver_due(outbox_engine, utc_now() + timedelta(days=2)) == 0  # sent once
    assert len(receiver.received) == 1


def test_a_500_and_a_timeout_are_retried_after_their_backoff_with_the_same_webhook_id(
    api: TestClient, key: str, receiver: Receiver, outbox_engine: sa.Engine
) -> None:
    hook = hooked(api, key, receiver.url)
    record_pickup(api, key, hook.contract_id)
    receiver.plan = [500, "hang"]
    start = utc_now()

    assert webhooks.deliver_due(outbox_engine, start) == 0
    [pending] = delivery_log(api, key, hook)
    assert pending["status"] == "pending"
    wait = datetime.fromisoformat(pending["next_attempt_at"]) - start
    assert timedelta(seconds=4.5) <= wait <= timedelta(seconds=5.5)  # 5 s, jittered by at most 10 %

    assert webhooks.deliver_due(outbox_engine, start + timedelta(seconds=4)) == 0  # not due yet
    assert len(receiver.received) == 1

    second = start + timedelta(seconds=6)
    assert webhooks.deliver_due(outbox_engine, second, timeout=0.5) == 0  # no answer in time
    [pending] = delivery_log(api, key, hook)
    wait = datetime.fromisoformat(pending["next_attempt_at"]) - second
    assert timedelta(minutes=4.5) <= wait <= timedelta(minutes=5.5)

    assert webhooks.deliver_due(outbox_engine, second + timedelta(minutes=6)) == 1
    assert len({item.headers["webhook-id"] for item in receiver.received}) == 1
    assert len(receiver.verified(hook.secret)) == 3
    [logged] = delivery_log(api, key, hook)
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 3
    log = logged["attempt_log"]
    assert [attempt["status_code"] for attempt in log] == [500, None, 200]
    assert log[0]["error"] == "the endpoint answered 500"
    assert log[1]["error"] == "no answer within the time-out"


def test_after_the_last_try_a_delivery_fails_and_can_be_sent_again_on_request(
    api: TestClient, key: str, receiver: Receiver, outbox_engine: sa.Engine
) -> None:
    hook = hooked(api, key, receiver.url)
    record_pickup(api, key, hook.contract_id)
    receiver.plan = [503] * webhooks.MAX_ATTEMPTS
    now = utc_now()
    for delay in (timedelta(0), *webhooks.RETRY_DELAYS):
        now += delay * 1.2
        assert webhooks.deliver_due(outbox_engine, now) == 0

    [failed] = delivery_log(api, key, hook)
    assert failed["status"] == "failed"
    assert failed["attempts"] == webhooks.MAX_ATTEMPTS == 8
    assert len(failed["attempt_log"]) == 8
    assert webhooks.deliver_due(outbox_engine, now + timedelta(days=30)) == 0
    assert len(receiver.received) == 8

    url = f"{endpoints_url(hook.property_id)}/{hook.endpoint_id}/deliveries/{failed['id']}/redeliver"
    again = api.post(url, headers=bearer(key))
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "pending"
    assert api.post(url, headers=bearer(key)).status_code == 409  # pending, not failed
    assert webhooks.deliver_due(outbox_engine, utc_now() + timedelta(seconds=1)) == 1
    [delivered] = delivery_log(api, key, hook)
    assert delivered["status"] == "delivered"
    assert len(delivered["attempt_log"]) == 9
    assert len({item.headers["webhook-id"] for item in receiver.received}) == 1


def test_two_workers_at_once_never_send_the_same_delivery_twice(
    api: TestClient, key: str, receiver: Receiver, outbox_engine: sa.Engine
) -> None:
    hook = hooked(api, key, receiver.url)
    for king in range(1, 25):
        record_pickup(api, key, hook.contract_id, king)
    start = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        start.wait()
        counts.append(webhooks.deliver_due(outbox_engine, utc_now() + timedelta(seconds=1), limit=24))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    ids = [item.headers["webhook-id"] for item in receiver.received]
    assert sorted(ids) == sorted(set(ids))
    assert len(ids) == 24
    assert sum(counts) == 24
    assert {item["status"] for item in delivery_log(api, key, hook)} == {"delivered"}


def test_a_revoked_endpoint_is_not_sent_what_was_waiting_for_it(
    api: TestClient, key: str, receiver: Receiver, outbox_engine: sa.Engine
) -> None:
    hook = hooked(api, key, receiver.url)
    record_pickup(api, key, hook.contract_id)
    revoked = api.post(f"{endpoints_url(hook.property_id)}/{hook.endpoint_id}/revoke", headers=bearer(key))
    assert revoked.status_code == 200
    assert webhooks.deliver_due(outbox_engine) == 0
    assert receiver.received == []


def test_an_unreachable_endpoint_is_a_failed_try_with_its_reason(
    api: TestClient, key: str, outbox_engine: sa.Engine
) -> None:
    hook = hooked(api, key, "http://127.0.0.1:9/nothing-listens")
    record_pickup(api, key, hook.contract_id)
    assert webhooks.deliver_due(outbox_engine, timeout=2) == 0
    [logged] = delivery_log(api, key, hook)
    assert logged["status"] == "pending"
    assert logged["attempt_log"][0]["status_code"] is None
    assert logged["attempt_log"][0]["error"].startswith("could not connect to the endpoint")


# --- the scan ----------------------------------------------------------------------------------------------


def test_the_scan_sends_threshold_crossed_once_when_pickup_is_below_the_minimum_near_cutoff(
    api: TestClient, key: str, receiver: Receiver, outbox_engine: sa.Engine
) -> None:
    hook = hooked(api, key, receiver.url, ["threshold.crossed"])
    levels = api.put(
        f"/api/v1/properties/{hook.property_id}/alert-levels",
        headers=bearer(key),
        json={"days_before_cutoff": 10},
    )
    assert levels.status_code == 200
    record_pickup(api, key, hook.contract_id, king=5)  # far below the minimum of 41 room nights
    # Cut-off is 2027-09-08 in New York: 12 days before, nothing; 5 days before, the alert; then no repeat.
    assert webhooks.scan_deadlines(outbox_engine, datetime.fromisoformat("2027-08-27T15:00:00+00:00")) == 0
    near = datetime.fromisoformat("2027-09-03T15:00:00+00:00")
    assert webhooks.scan_deadlines(outbox_engine, near) == 1
    assert webhooks.scan_deadlines(outbox_engine, near + timedelta(days=1)) == 0

    assert webhooks.deliver_due(outbox_engine, utc_now() + timedelta(days=400)) == 1
    [message] = receiver.verified(hook.secret)
    assert message["type"] == "threshold.crossed"
    data = message["data"]
    assert data["threshold"] == "pickup_below_minimum"
    assert (data["days_to_cutoff"], data["level_days"], data["credited_room_nights"]) == (5, 10, 5)
    assert data["minimum_room_nights"] == "41"
    assert data["contract_id"] == hook.contract_id


def test_the_cli_commands_run_delivery_and_the_scan_once(
    api: TestClient, key: str, receiver: Receiver, outbox_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli import main

    hook = hooked(api, key, receiver.url)
    record_pickup(api, key, hook.contract_id)
    monkeypatch.setenv("ATTRITION_DATABASE_URL", outbox_engine.url.render_as_string(hide_password=False))
    assert main(["webhooks", "scan"]) == 0
    assert main(["webhooks", "deliver"]) == 0
    assert [json.loads(item.body)["type"] for item in receiver.received] == ["pickup.recorded"]


def test_the_scan_announces_each_deadline_once_within_seven_days_at_the_hotel(
    api: TestClient, key: str, receiver: Receiver, outbox_engine: sa.Engine
) -> None:
    hook = hooked(api, key, receiver.url, ["deadline.approaching"])
    # Cut-off 2027-09-08 in New York. 23:30 UTC on 31 August is still the 31st there: 8 days, outside.
    assert webhooks.scan_deadlines(outbox_engine, datetime.fromisoformat("2027-08-31T23:30:00+00:00")) == 0
    # 04:30 UTC on 1 September is 00:30 on the 1st in New York: 7 days, inside.
    first = datetime.fromisoformat("2027-09-01T04:30:00+00:00")
    assert webhooks.scan_deadlines(outbox_engine, first) == 1
    assert webhooks.scan_deadlines(outbox_engine, first + timedelta(days=2)) == 0
    # Arrival (8 October) and departure (10 October) are both within the window on 3 October.
    assert webhooks.scan_deadlines(outbox_engine, datetime.fromisoformat("2027-10-03T16:00:00+00:00")) == 2

    assert webhooks.deliver_due(outbox_engine, utc_now() + timedelta(days=400)) == 3
    messages = receiver.verified(hook.secret)
    assert [message["data"]["deadline"] for message in messages] == ["cutoff", "arrival", "departure"]
    cutoff = messages[0]["data"]
    assert (cutoff["date"], cutoff["days_left"]) == ("2027-09-08", 7)
    assert cutoff["title"] == "Cut-off: release of unsold rooms"
    assert cutoff["contract_reference"] == "alvarez-chen-wedding-2027"


def test_the_scan_sends_threshold_crossed_once_when_the_forecast_probability_reaches_the_level(
    api: TestClient, key: str, receiver: Receiver, outbox_engine: sa.Engine
) -> None:
    hook = hooked(api, key, receiver.url, ["threshold.crossed"])
    record_pickup(api, key, hook.contract_id, king=2)  # 2 of 55 room nights a month out
    levels = api.put(
        f"/api/v1/properties/{hook.property_id}/alert-levels",
        headers=bearer(key),
        json={"damages_probability_pct": "50"},
    )
    assert levels.status_code == 200
    day = datetime.fromisoformat("2027-09-03T15:00:00+00:00")
    assert webhooks.scan_deadlines(outbox_engine, day) == 1
    assert webhooks.scan_deadlines(outbox_engine, day + timedelta(days=1)) == 0

    assert webhooks.deliver_due(outbox_engine, utc_now() + timedelta(days=400)) == 1
    [message] = receiver.verified(hook.secret)
    data = message["data"]
    assert data["threshold"] == "damages_probability"
    assert Decimal(data["probability_pct"]) >= 50
    assert Decimal(data["level_pct"]) == 50
    assert data["expected_damages"]["currency"] == "USD"
    assert Decimal(data["expected_damages"]["amount"]) > 0
