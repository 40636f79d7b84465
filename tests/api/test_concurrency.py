"""Parallel writes against PostgreSQL: nothing is lost, If-Match lets one writer win, a key writes once.

These requests must really overlap, so they go to a real uvicorn server on 127.0.0.1 (a background
thread) through real sockets, from a pool of client threads released together by a barrier; each
request's session commits to ``committed_engine``'s database. A counter wrapped around the app records
how many requests were inside it at once, and every test checks that it was more than one.

Starlette's TestClient, measured the same way, also overlaps requests sent from several threads (each
request from outside a ``with TestClient(...)`` block gets its own event loop thread; inside one they
share a loop and sync routes run in its thread pool), so it would do; the server is used because it is
the deployment's own path: HTTP parsing, keep-alive connections and uvicorn's thread pool included.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
import pytest
import sqlalchemy as sa
import uvicorn
from sqlmodel import Session, select

from app.main import create_app
from app.persistence import repositories as repo
from app.persistence.records import IngestionRecord
from app.services import auth
from app.settings import Settings
from tests.api.test_pickup import WEDDING, sample_terms

Result = TypeVar("Result")


class InFlight:
    """An ASGI wrapper that records the most HTTP requests inside the app at the same moment."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.now -= 1

    def reset(self) -> None:
        with self._lock:
            self.most = self.now


REQUEST_TIMEOUT_S = 600


@dataclass
class Server:
    url: str
    engine: sa.Engine
    in_flight: InFlight


@pytest.fixture(scope="module")
def server(committed_engine: sa.Engine) -> Iterator[Server]:
    url = committed_engine.url.render_as_string(hide_password=False)
    in_flight = InFlight(create_app(Settings(database_url=url), committed_engine))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # Keep-alive as long as a request may take: a client connects (and, for sign-in, fetches its form)
    # well before the barrier releases it, and uvicorn's default 5 s would close that idle connection
    # under it on a slow machine (seen as "connection reset by peer").
    config = uvicorn.Config(
        in_flight,
        lifespan="off",
        ws="none",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=REQUEST_TIMEOUT_S,
    )
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uvicorn_server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
        time.sleep(0.01)
    yield Server(f"http://127.0.0.1:{port}", committed_engine, in_flight)
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.fixture
def admin_headers(server: Server) -> dict[str, str]:
    """A committed admin key of this test's own (the app authenticates on its own connections)."""
    with Session(server.engine) as session:
        _, raw = auth.create_api_key(
            session, f"concurrency {uuid.uuid4().hex[:8]}", auth.Access.ADMIN, frozenset()
        )
        session.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def contract_id(server: Server, admin_headers: dict[str, str]) -> int:
    """A property and a contract of this test's own, created through the server."""
    prop, terms = sample_terms(WEDDING)
    with httpx2.Client(base_url=server.url, headers=admin_headers) as client:
        created_property = client.post(
            "/api/v1/properties", json={**prop, "name": f"Hotel {uuid.uuid4().hex}"}
        )
        assert created_property.status_code == 201, created_property.text
        created = client.post(
            "/api/v1/contracts", json={"property_id": created_property.json()["id"], "contract": terms}
        )
        assert created.status_code == 201, created.text
    new_id: int = created.json()["id"]
    return new_id


def all_at_once(server: Server, requests: list[Callable[[httpx2.Client], Result]]) -> list[Result]:
    """Run each request from its own thread and client, all released by one barrier (which also starts
    the in-flight count afresh, once every warm-up request is done).

    The read timeout is generous on purpose: one server process answers them all, so on a busy 2-core CI
    machine twenty issued invoices (each a PDF/A-3 render) can take more than a minute together. The tests
    check what is saved, never how fast."""
    barrier = threading.Barrier(len(requests), action=server.in_flight.reset)

    def run(request: Callable[[httpx2.Client], Result]) -> Result:
        with httpx2.Client(base_url=server.url, timeout=REQUEST_TIMEOUT_S) as client:
            client.get("/healthz")  # connect first, so that the barrier releases requests, not handshakes
            barrier.wait(timeout=30)
            return request(client)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(run, requests))


def test_twenty_parallel_pickup_reports_are_all_saved(
    server: Server, admin_headers: dict[str, str], contract_id: int
) -> None:
    cells = [
        ("2027-10-08", "king"),
        ("2027-10-08", "double"),
        ("2027-10-09", "king"),
        ("2027-10-09", "suite"),
    ]
    reports: list[dict[str, Any]] = [
        {
            "as_of": f"2027-08-{day:02d}",
            "entries": [{"night": cells[day % 4][0], "room_type": cells[day % 4][1], "room_nights": day}],
        }
        for day in range(1, 21)
    ]

    def post(report: dict[str, Any]) -> Callable[[httpx2.Client], httpx2.Response]:
        return lambda client: client.post(
            f"/api/v1/contracts/{contract_id}/pickup", headers=admin_headers, json=report
        )

    responses = all_at_once(server, [post(report) for report in reports])

    assert [response.status_code for response in responses] == [201] * 20, [r.text for r in responses]
    assert server.in_flight.most > 1
    with Session(server.engine) as session:
        stored = {
            (row.as_of.isoformat(), row.night.isoformat(), row.room_type, row.room_nights)
            for row in repo.pickup_history(session, contract_id)
        }
    assert stored == {
        (report["as_of"], entry["night"], entry["room_type"], entry["room_nights"])
        for report in reports
        for entry in report["entries"]
    }
    with httpx2.Client(base_url=server.url, headers=admin_headers) as client:
        actuals = client.get(
            f"/api/v1/contracts/{contract_id}/actuals", params={"as_of": "2027-08-31"}
        ).json()
    # The latest report for each cell: days 20, 17, 18 and 19 (day % 4 = 0, 1, 2, 3).
    assert {(entry["night"], entry["room_type"]): entry["room_nights"] for entry in actuals["pickup"]} == {
        ("2027-10-08", "king"): 20,
        ("2027-10-08", "double"): 17,
        ("2027-10-09", "king"): 18,
        ("2027-10-09", "suite"): 19,
    }


def test_ten_parallel_updates_with_the_same_if_match_let_exactly_one_win(
    server: Server, admin_headers: dict[str, str], contract_id: int
) -> None:
    with httpx2.Client(base_url=server.url, headers=admin_headers) as client:
        current = client.get(f"/api/v1/contracts/{contract_id}")
    assert current.status_code == 200, current.text
    read = current.json()
    etag = current.headers["ETag"]

    def put(number: int) -> Callable[[httpx2.Client], httpx2.Response]:
        terms = {key: value for key, value in read["contract"].items() if key != "property"}
        body = {
            "contract": {**terms, "name": f"{terms['name']} (amendment {number})"},
            "note": f"writer {number}",
        }
        return lambda client: client.put(
            f"/api/v1/contracts/{contract_id}", headers={**admin_headers, "If-Match": etag}, json=body
        )

    responses = all_at_once(server, [put(number) for number in range(10)])

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * 9, [response.text for response in responses]
    assert server.in_flight.most > 1
    winner = next(response for response in responses if response.status_code == 200)
    winning_name = winner.json()["contract"]["name"]
    with Session(server.engine) as session:
        versions = repo.contract_versions(session, contract_id)
    assert [version.version for version in versions] == [1, 2]
    assert versions[1].terms["name"] == winning_name
    assert winning_name.endswith(f"(amendment {versions[1].note.removeprefix('writer ')})")
    assert winner.headers["ETag"] == f'"r{read["revision"] + 1}"'
    with httpx2.Client(base_url=server.url, headers=admin_headers) as client:
        after = client.get(f"/api/v1/contracts/{contract_id}").json()
    assert (after["current_version"], after["revision"]) == (2, read["revision"] + 1)
    assert after["contract"]["name"] == winner.json()["contract"]["name"]


def test_ten_parallel_posts_with_one_idempotency_key_write_once_and_answer_alike(
    server: Server, admin_headers: dict[str, str], contract_id: int
) -> None:
    key = f"pms-{uuid.uuid4().hex}"
    report = {
        "as_of": "2027-09-01",
        "entries": [
            {"night": "2027-10-08", "room_type": "king", "room_nights": 11},
            {"night": "2027-10-09", "room_type": "double", "room_nights": 7},
        ],
    }

    def post(client: httpx2.Client) -> httpx2.Response:
        return client.post(
            f"/api/v1/contracts/{contract_id}/pickup",
            headers={**admin_headers, "Idempotency-Key": key},
            json=report,
        )

    responses = all_at_once(server, [post] * 10)

    assert [response.status_code for response in responses] == [201] * 10, [r.text for r in responses]
    assert server.in_flight.most > 1
    assert {response.text for response in responses} == {responses[0].text}
    assert responses[0].json() == {"contract_id": contract_id, "as_of": "2027-09-01", "rows": 2}
    replayed = [response.headers.get("Idempotent-Replayed") for response in responses]
    assert sorted(replayed, key=str) == [None] + ["true"] * 9
    with Session(server.engine) as session:
        rows = repo.pickup_history(session, contract_id)
        keys = session.exec(select(IngestionRecord).where(IngestionRecord.idempotency_key == key)).all()
    assert len(rows) == 2
    assert len(keys) == 1
