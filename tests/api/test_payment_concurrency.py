"""Payments of one invoice sent at the same moment cannot together pay more than its balance outstanding.

On PostgreSQL the requests go to the real uvicorn server of ``test_concurrency`` (each from its own
thread and connection, released together by a barrier) and commit to ``committed_engine``'s database:
the invoice row's lock makes each payment read the ones committed before it. On SQLite the service is
called from threads, each with its own connection to a database file, as the server's worker threads
would: ``BEGIN IMMEDIATE`` makes the writers queue.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_UP, Decimal
from pathlib import Path

import httpx2
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.contract_files import load_document
from app.engine.money import Money
from app.persistence.db import make_engine, migrate, writing
from app.persistence.records import InvoiceRecord, PaymentRecord
from app.services import invoices, payments
from app.services.auth import Principal
from app.services.errors import InvalidInputError
from app.services.imports import import_document
from tests.api.conftest import CONTRACTS
from tests.api.test_concurrency import (  # noqa: F401  (fixtures)
    Server,
    admin_headers,
    all_at_once,
    server,
)
from tests.api.test_pickup import WEDDING, sample_terms

PAYERS = 6
ADMIN = Principal("test", None, can_write=True, is_admin=True)


def quarter(total: Decimal) -> Decimal:
    """A share of the total that four payers would exceed (unless it divides exactly) and three do not."""
    return (total / 4).quantize(Decimal("0.01"), rounding=ROUND_UP)


def stored_sum(engine: sa.Engine, invoice_id: int) -> Decimal:
    with Session(engine) as session:
        rows = session.exec(select(PaymentRecord).where(PaymentRecord.invoice_id == invoice_id)).all()
    return sum((row.amount for row in rows), Decimal(0))


def test_parallel_payments_on_postgresql_never_pay_more_than_the_balance(
    server: Server,  # noqa: F811
    admin_headers: dict[str, str],  # noqa: F811
) -> None:
    prop, terms = sample_terms(WEDDING)
    with httpx2.Client(base_url=server.url, headers=admin_headers, timeout=60) as client:
        created = client.post("/api/v1/properties", json={**prop, "name": f"Hotel {uuid.uuid4().hex}"})
        assert created.status_code == 201, created.text
        contract = client.post(
            "/api/v1/contracts", json={"property_id": created.json()["id"], "contract": terms}
        )
        assert contract.status_code == 201, contract.text
        issued = client.post(f"/api/v1/contracts/{contract.json()['id']}/invoices")  # today, as of today
        assert issued.status_code == 201, issued.text
    number, total = issued.json()["number"], Decimal(issued.json()["total"]["amount"])
    share = quarter(total)

    def pay(client: httpx2.Client) -> httpx2.Response:
        return client.post(
            f"/api/v1/invoices/{number}/payments", headers=admin_headers, json={"amount": str(share)}
        )

    responses = all_at_once(server, [pay] * PAYERS)

    accepted = [response for response in responses if response.status_code == 201]
    refused = [response for response in responses if response.status_code != 201]
    assert server.in_flight.most > 1
    assert len(accepted) == int(total // share), [response.text for response in responses]
    assert all(response.status_code == 422 for response in refused), [r.text for r in refused]
    assert all(response.json()["errors"][0]["field"] == "amount" for response in refused)
    with Session(server.engine) as session:
        invoice = session.exec(select(InvoiceRecord).where(InvoiceRecord.number == number)).one()
    assert invoice.id is not None
    assert stored_sum(server.engine, invoice.id) == share * len(accepted) <= total


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'payments.sqlite3'}")
    migrate(engine)
    yield engine
    engine.dispose()


def test_parallel_payments_on_sqlite_never_pay_more_than_the_balance(sqlite_engine: sa.Engine) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as session:
        imported = import_document(
            session, load_document(CONTRACTS / "corporate-sales-meeting-per-night.yaml")
        )
        session.commit()
        invoice = invoices.issue_invoice(session, ADMIN, imported.contract_id)  # today, as of today
        session.commit()
    assert invoice.id is not None
    total = Decimal(invoice.total_amount)
    share = Money(quarter(total), invoice.currency)
    barrier = threading.Barrier(PAYERS)

    def pay() -> str:
        with Session(writing(sqlite_engine)) as session:
            session.connection()  # connect before the barrier, so that it releases payments, not handshakes
            session.rollback()
            barrier.wait(timeout=30)
            try:
                payments.record_payment(session, ADMIN, invoice.number, amount=share)
            except InvalidInputError as error:
                return error.problems[0].field
            session.commit()
            return "paid"

    outcomes: list[str] = []
    run: Callable[[int], str] = lambda _: pay()  # noqa: E731
    with ThreadPoolExecutor(max_workers=PAYERS) as pool:
        outcomes = list(pool.map(run, range(PAYERS)))

    paid = outcomes.count("paid")
    assert paid == int(total // share.amount), outcomes
    assert sorted(set(outcomes) - {"paid"}) == ["amount"]
    assert stored_sum(sqlite_engine, invoice.id) == share.amount * paid <= total
