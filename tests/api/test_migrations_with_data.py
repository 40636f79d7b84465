"""The migrations keep what is stored: a database holding an invoice, a payment against it, a credit
note and a reissued invoice goes down to revision 0004 (before the legal identities and per-hotel
numbering) and back up to head with every row and every reference between them intact, on SQLite (where
0005 rebuilds the invoices table by hand, and the payments table points at it) and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import create_app
from app.persistence.db import alembic_config, make_engine, migrate
from app.services import auth
from app.settings import Settings
from tests.api.conftest import POSTGRES, bearer, create_postgres_database, drop_postgres_database
from tests.api.test_invoices import import_sample

TABLES = ("invoices", "invoice_payments", "invoice_sequences", "properties", "accounts")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'attrition.sqlite3'}"
        return
    name = create_postgres_database()
    try:
        yield f"postgresql+psycopg://{POSTGRES.split('://', 1)[1]}/{name}"
    finally:
        drop_postgres_database(name)


def _rows(engine: sa.Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the invoice tables, in id order, without the columns 0005 adds."""
    columns = {
        "invoices": "id, number, kind, property_id, contract_id, credits_invoice_id, total_amount, pdf",
        "invoice_payments": "id, invoice_id, amount, paid_on, reference",
        "properties": "id, name",
        "accounts": "id, name, property_id",
    }
    with engine.connect() as connection:
        return {
            table: [
                tuple(row) for row in connection.execute(sa.text(f"SELECT {cols} FROM {table} ORDER BY id"))
            ]
            for table, cols in columns.items()
        }


def test_invoices_payments_and_credit_notes_survive_a_downgrade_and_upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate(engine)
        with Session(engine, expire_on_commit=False) as session:
            sample = import_sample(session)
            _, key = auth.create_api_key(session, "migrations", auth.Access.ADMIN, frozenset())
            session.commit()
        with TestClient(create_app(Settings(database_url=url), engine)) as client:
            first = client.post(f"/api/v1/contracts/{sample.contract_id}/invoices", headers=bearer(key))
            assert first.status_code == 201, first.text
            number = first.json()["number"]
            paid = client.post(
                f"/api/v1/invoices/{number}/payments", headers=bearer(key), json={"amount": "100.00"}
            )
            assert paid.status_code == 201, paid.text
            credit = client.post(
                f"/api/v1/invoices/{number}/credit-note", headers=bearer(key), json={"reason": "corrected"}
            )
            assert credit.status_code == 201, credit.text
            again = client.post(f"/api/v1/contracts/{sample.contract_id}/invoices", headers=bearer(key))
            assert again.status_code == 201, again.text
        before = _rows(engine)
        assert [row[2] for row in before["invoices"]] == ["invoice", "credit_note", "invoice"]
        assert before["invoices"][1][5] == before["invoices"][0][0]  # the credit note names its invoice
        assert len(before["invoice_payments"]) == 1

        config = alembic_config(url)
        command.downgrade(config, "0004")
        assert _rows(engine) == before
        command.upgrade(config, "head")
        assert _rows(engine) == before
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                assert connection.execute(sa.text("PRAGMA foreign_key_check")).all() == []
        with TestClient(create_app(Settings(database_url=url), engine)) as client:
            read = client.get(f"/api/v1/invoices/{number}", headers=bearer(key))
            assert read.status_code == 200, read.text
            assert read.json()["paid"]["amount"] == "100.00"
            fresh = client.post(f"/api/v1/contracts/{sample.contract_id}/invoices", headers=bearer(key))
            assert fresh.status_code == 409  # the reissued invoice still bills the contract
    finally:
        engine.dispose()
