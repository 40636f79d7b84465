"""A client generated from the app's OpenAPI document by openapi-python-client drives a real server.

The document is written to a file and generated once per session, offline, with the content-type
overrides the README gives integrators (CSV, .xlsx, PDF and XML as bytes); any warning the generator
prints fails the test. The client is imported from the generated package and drives a uvicorn server
on 127.0.0.1, on SQLite and on PostgreSQL: create a property, upsert a contract by its block code,
post pickup (again, under the same Idempotency-Key), read the assessment, issue the invoice.
"""

from __future__ import annotations

import importlib
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from sqlmodel import Session

from app.contract_files import load_document
from app.main import create_app
from app.persistence.db import make_engine, migrate
from app.services import auth
from app.settings import Settings
from tests.api.conftest import CONTRACTS, POSTGRES, create_postgres_database, drop_postgres_database

PACKAGE = "attrition_generated_client"
SAMPLE = "corporate-sales-meeting-per-night.yaml"  # 1,616.80 USD as of 2027-02-08
AS_OF = date(2027, 2, 8)
CONFIG = """\
post_hooks: []
content_type_overrides:
  text/csv: application/octet-stream
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
  application/pdf: application/octet-stream
  application/xml: application/octet-stream
  application/zip: application/octet-stream
  text/calendar: application/octet-stream
"""


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, imported (generation is slow: once per session)."""
    folder = tmp_path_factory.mktemp("client")
    spec, config = folder / "openapi.json", folder / "config.yml"
    spec.write_text(json.dumps(create_app(engine=sa.create_engine("sqlite://")).openapi()))
    config.write_text(CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    arguments = ["--path", str(spec), "--output-path", str(folder / PACKAGE), "--meta", "none"]
    run = subprocess.run(
        [str(generator), "generate", *arguments, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    printed = run.stdout + run.stderr
    assert run.returncode == 0, printed
    assert "warning" not in printed.lower(), printed
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@dataclass(frozen=True)
class Server:
    url: str
    key: str


def _serve(url: str) -> Iterator[Server]:
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        _, key = auth.create_api_key(session, "generated client", auth.Access.ADMIN, frozenset())
        session.commit()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(Settings(database_url=url), engine), lifespan="off", ws="none", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", key)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if request.param == "sqlite":
        yield from _serve(f"sqlite:///{tmp_path_factory.mktemp('served') / 'attrition.sqlite3'}")
        return
    name = create_postgres_database()
    try:
        yield from _serve(f"postgresql+psycopg://{POSTGRES.split('://', 1)[1]}/{name}")
    finally:
        drop_postgres_database(name)


def _sample() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The sample's property, its terms without the property (the stored one fills it), its pickup."""
    document = load_document(CONTRACTS / SAMPLE)
    contract = document.contract.model_dump(mode="json", exclude_none=True)
    stored = contract.pop("property")
    prop = {key: stored[key] for key in ("name", "address", "locale", "timezone")}
    pickup = [
        {"night": row["night"], "room_type": row["room_type"], "room_nights": row["room_nights"]}
        for row in document.actuals.model_dump(mode="json")["pickup"]
    ]
    return prop, contract, pickup


def test_a_generated_client_creates_upserts_records_assesses_and_invoices(
    generated: ModuleType, server: Server
) -> None:
    api = importlib.import_module(f"{PACKAGE}.api")
    models = importlib.import_module(f"{PACKAGE}.models")
    contracts = importlib.import_module(f"{PACKAGE}.api.contracts")
    invoices = importlib.import_module(f"{PACKAGE}.api.invoices")
    properties = importlib.import_module(f"{PACKAGE}.api.properties_and_accounts")
    for module in ("create_property", "list_properties"):
        importlib.import_module(f"{properties.__name__}.{module}")
    for module in ("upsert_contract_by_code", "record_pickup", "assess_stored", "list_contracts"):
        importlib.import_module(f"{contracts.__name__}.{module}")
    importlib.import_module(f"{invoices.__name__}.issue_invoice")
    assert api.__name__.endswith(".api")
    with generated.AuthenticatedClient(
        base_url=server.url, token=server.key, raise_on_unexpected_status=True
    ) as client:
        _drive(client, models, contracts, invoices, properties)


def _drive(client: Any, models: Any, contracts: Any, invoices: Any, properties: Any) -> None:
    prop, terms, pickup = _sample()
    hotel_code, block_code = f"HP{uuid.uuid4().hex[:6].upper()}", "NWA-SKO"

    created = properties.create_property.sync_detailed(
        client=client,
        body=models.PropertyCreate.from_dict({**prop, "currency": "USD", "hotel_code": hotel_code}),
        idempotency_key=f"property-{hotel_code}",
    )
    assert created.status_code == 201, created.content
    assert created.headers["etag"] == '"r1"'
    assert created.parsed.hotel_code == hotel_code

    upserted = contracts.upsert_contract_by_code.sync_detailed(
        hotel_code, block_code, client=client, body=models.BlockWrite.from_dict({"contract": terms})
    )
    assert upserted.status_code == 201, upserted.content
    contract = upserted.parsed
    assert (contract.block_code, contract.property_id) == (block_code, created.parsed.id)
    assert upserted.headers["location"] == f"/api/v1/contracts/{contract.id}"

    report = models.PickupReport.from_dict({"as_of": AS_OF.isoformat(), "entries": pickup})
    key = f"pickup-{hotel_code}"
    recorded = contracts.record_pickup.sync_detailed(
        contract.id, client=client, body=report, idempotency_key=key
    )
    replayed = contracts.record_pickup.sync_detailed(
        contract.id, client=client, body=report, idempotency_key=key
    )
    assert recorded.status_code == replayed.status_code == 201, recorded.content
    assert recorded.parsed.rows == replayed.parsed.rows == len(pickup)
    assert replayed.headers["idempotent-replayed"] == "true"

    assessed = contracts.assess_stored.sync(contract.id, client=client, as_of=AS_OF)
    assert assessed.contract_version == 1
    assert (assessed.assessment.total.amount, assessed.assessment.total.currency) == ("1616.80", "USD")

    issued = invoices.issue_invoice.sync_detailed(
        contract.id,
        client=client,
        body=models.InvoiceIssue.from_dict({"as_of": AS_OF.isoformat(), "issue_date": "2027-02-10"}),
    )
    assert issued.status_code == 201, issued.content
    assert issued.parsed.total.to_dict() == {"amount": "1616.80", "currency": "USD"}
    assert issued.headers["location"] == issued.parsed.links.self_

    listed = contracts.list_contracts.sync(client=client, property_id=created.parsed.id)
    assert (listed.total, [item.id for item in listed.items]) == (1, [contract.id])
