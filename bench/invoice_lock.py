"""How long issuing an invoice holds SQLite's write lock, against the whole request.

Issues ``--invoices`` invoices (the wedding sample, damages owed) one after another through the app on a
fresh SQLite file, timing each request and, from SQLAlchemy's ``begin``/``commit`` events, the write
transactions (``BEGIN IMMEDIATE`` to ``COMMIT``) it ran. Prints the medians and their ratio: the PDF is
rendered outside the write transaction, so the lock should be a small part of the request.

    uv run python bench/invoice_lock.py [--invoices 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.contract_files import load_document
from app.main import create_app
from app.persistence.db import WRITE, make_engine, migrate
from app.services import auth
from app.settings import Settings

SAMPLE = Path(__file__).resolve().parents[1] / "contracts" / "wedding-block-cliff.yaml"
AS_OF = {"as_of": "2027-10-20", "issue_date": "2027-10-20"}


def sample_terms() -> tuple[dict[str, Any], dict[str, Any]]:
    """The sample's property (for POST /properties) and its terms (for POST /contracts)."""
    raw = load_document(SAMPLE).model_dump(mode="json")["contract"]
    prop = {key: raw["property"][key] for key in ("name", "address", "locale", "timezone", "tax_profile")}
    return {**prop, "currency": raw["currency"]}, {
        key: value for key, value in raw.items() if key != "property"
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10)
    count = parser.parse_args().invoices
    engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}")
    migrate(engine)
    held: list[float] = []
    began: dict[int, float] = {}

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get(WRITE):
            began[id(connection)] = time.perf_counter()

    @sa.event.listens_for(engine, "commit")
    def _commit(connection: sa.Connection) -> None:
        start = began.pop(id(connection), None)
        if start is not None:
            held.append(time.perf_counter() - start)

    @sa.event.listens_for(engine, "rollback")
    def _rollback(connection: sa.Connection) -> None:
        began.pop(id(connection), None)

    with Session(engine) as session:
        _, key = auth.create_api_key(session, "bench", auth.Access.ADMIN, frozenset())
        session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    client = TestClient(create_app(Settings(database_url=str(engine.url)), engine), headers=headers)
    prop, terms = sample_terms()
    property_id = client.post("/api/v1/properties", json={**prop, "name": "Bench"}).json()["id"]
    contracts = [
        client.post(
            "/api/v1/contracts", json={"property_id": property_id, "contract": {**terms, "id": f"w{n}"}}
        ).json()["id"]
        for n in range(count + 1)
    ]
    client.post(f"/api/v1/contracts/{contracts.pop()}/invoices", json=AS_OF)  # warm-up: imports, fonts
    requests, locks = [], []
    for contract_id in contracts:
        held.clear()
        start = time.perf_counter()
        response = client.post(f"/api/v1/contracts/{contract_id}/invoices", json=AS_OF)
        requests.append(time.perf_counter() - start)
        assert response.status_code == 201, response.text
        locks.append(sum(held))
    request, lock = statistics.median(requests), statistics.median(locks)
    print(f"issue an invoice: median {request * 1000:.1f} ms a request")
    print(f"write lock held:  median {lock * 1000:.1f} ms ({lock / request:.2f} of the request)")


if __name__ == "__main__":
    main()
