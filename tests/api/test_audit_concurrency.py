"""Audit decisions sent at the same moment on PostgreSQL: confirmations whose credits fall on the same
nights all count (each reads the night's outside-block figure and writes it plus one; the contract's
row lock makes each read what the one before committed). Requests go to the real uvicorn server of
``test_concurrency``, each from its own thread and connection, released together by a barrier."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable

import httpx2
from sqlmodel import Session

from app.persistence import repositories as repo
from tests.api.test_audit import CONTRACT, PICKUP
from tests.api.test_concurrency import (  # noqa: F401  (fixtures)
    Server,
    admin_headers,
    all_at_once,
    server,
)

GUESTS = 5
REGISTRATIONS = "Name,Arrival,Departure\n" + "".join(
    f"Guest{n} Person{n}x,2026-06-01,2026-06-03\n" for n in range(GUESTS)
)
RESERVATIONS = "Confirmation,Guest,Arrival,Departure,Rate code\n" + "".join(
    f'R{n},"Person{n}x, Guest{n}",2026-06-01,2026-06-03,BAR\n' for n in range(GUESTS)
)


def test_parallel_confirmations_crediting_the_same_nights_all_count(
    server: Server,  # noqa: F811
    admin_headers: dict[str, str],  # noqa: F811
) -> None:
    with httpx2.Client(base_url=server.url, headers=admin_headers, timeout=60) as client:
        prop = client.post(
            "/api/v1/properties",
            json={"name": f"Hotel {uuid.uuid4().hex}", "currency": "USD", "timezone": "America/Los_Angeles"},
        )
        assert prop.status_code == 201, prop.text
        contract = client.post(
            "/api/v1/contracts", json={"property_id": prop.json()["id"], "contract": CONTRACT}
        )
        assert contract.status_code == 201, contract.text
        contract_id = contract.json()["id"]
        assert client.post(f"/api/v1/contracts/{contract_id}/pickup", json=PICKUP).status_code == 201
        audit = client.post(
            f"/api/v1/contracts/{contract_id}/audits",
            files={
                "registrations": ("r.csv", REGISTRATIONS.encode()),
                "reservations": ("x.csv", RESERVATIONS.encode()),
            },
        )
        assert audit.status_code == 201, audit.text
    matches = [m["id"] for m in audit.json()["matches"]]
    assert len(matches) == GUESTS
    url = f"/api/v1/contracts/{contract_id}/audits/{audit.json()['id']}/matches"

    def confirm(match_id: int) -> Callable[[httpx2.Client], httpx2.Response]:
        return lambda client: client.post(f"{url}/{match_id}/confirm", headers=admin_headers)

    responses = all_at_once(server, [confirm(match_id) for match_id in matches])

    assert [response.status_code for response in responses] == [200] * GUESTS
    with Session(server.engine) as session:
        rows = repo.pickup_as_of(
            session, contract_id, max(r.as_of for r in repo.pickup_history(session, contract_id))
        )[0]
    credited = Counter(
        {
            (row.night.isoformat(), row.room_type): row.room_nights
            for row in rows
            if row.source == "outside_block"
        }
    )
    assert credited == {("2026-06-01", "king"): GUESTS, ("2026-06-02", "king"): GUESTS}
