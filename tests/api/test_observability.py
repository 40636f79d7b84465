"""What an operator sees: request ids, metrics by route template, liveness and readiness."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from app.main import create_app
from app.persistence.db import make_engine, migrate
from app.settings import Settings
from tests.api.conftest import CONTRACTS, bearer
from tests.api.test_invoices import import_sample, issue

WEDDING = CONTRACTS / "wedding-block-cliff.yaml"


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text ``metrics`` (0 when it is not there yet)."""
    for family in text_string_to_metric_families(metrics):
        for found in family.samples:
            if found.name == name and all(found.labels.get(key) == value for key, value in labels.items()):
                return float(found.value)
    return 0.0


def scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_a_request_gets_a_new_id_and_a_given_one_is_echoed(client: TestClient) -> None:
    fresh = client.get("/healthz").headers["x-request-id"]
    again = client.get("/healthz").headers["x-request-id"]
    given = client.get("/healthz", headers={"X-Request-ID": "pms-42.a_b"}).headers["x-request-id"]

    assert re.fullmatch(r"[0-9a-f]{32}", fresh)
    assert fresh != again
    assert given == "pms-42.a_b"


@pytest.mark.parametrize("bad", ["with space", "x" * 65, "semi;colon", ""])
def test_a_request_id_that_is_not_a_short_token_is_replaced(client: TestClient, bad: str) -> None:
    answered = client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]

    assert answered != bad
    assert re.fullmatch(r"[0-9a-f]{32}", answered)


def test_requests_are_counted_by_route_template_and_status_not_by_raw_path(
    client: TestClient, admin_key: str
) -> None:
    route = "/api/v1/contracts/{contract_id}"
    before = scrape(client)

    for missing in (9_001, 9_002, 9_003):
        assert client.get(f"/api/v1/contracts/{missing}", headers=bearer(admin_key)).status_code == 404
    client.get(f"/no-such-page-{uuid.uuid4().hex}")
    after = scrape(client)

    counted = sample(after, "attrition_http_requests_total", method="GET", route=route, status="404")
    assert (
        counted - sample(before, "attrition_http_requests_total", method="GET", route=route, status="404")
        == 3
    )
    latency = "attrition_http_request_duration_seconds_count"
    assert (
        sample(after, latency, method="GET", route=route) - sample(before, latency, method="GET", route=route)
        == 3
    )
    assert "/api/v1/contracts/9001" not in after
    assert sample(after, "attrition_http_requests_total", route="unmatched", status="404") >= 1


def test_assessments_are_counted_as_computed_or_refused(client: TestClient, admin_key: str) -> None:
    body = WEDDING.read_text()
    before = scrape(client)

    computed = client.post(
        "/api/v1/assessments",
        content=_as_json(body),
        headers={**bearer(admin_key), "Content-Type": "application/json"},
    )
    after = scrape(client)

    assert computed.status_code == 200
    name = "attrition_assessments_total"
    assert sample(after, name, outcome="computed") - sample(before, name, outcome="computed") >= 1


def test_an_invoice_is_counted_once_committed_and_a_refused_one_is_not(
    client: TestClient, session: Session, admin_key: str
) -> None:
    owing = import_sample(session)
    nothing_owed = import_sample(session, "reunion-no-attrition-clause.yaml")
    name = "attrition_invoices_issued_total"
    before = sample(scrape(client), name, kind="invoice")

    refused = issue(client, admin_key, nothing_owed.contract_id, as_of="2027-10-04", issue_date="2027-10-04")
    after_refusal = sample(scrape(client), name, kind="invoice")
    issued = issue(client, admin_key, owing.contract_id)
    after_issue = sample(scrape(client), name, kind="invoice")

    assert refused.status_code == 422, refused.text
    assert after_refusal == before
    assert issued.status_code == 201, issued.text
    assert after_issue == before + 1


def test_liveness_needs_no_database_and_readiness_checks_it(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_an_unmigrated_database_is_live_but_not_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    with TestClient(create_app(Settings(database_url=url), make_engine(url))) as client:
        live = client.get("/healthz")
        ready = client.get("/readyz")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    assert "attrition migrate" in ready.json()["detail"]


def test_a_database_behind_the_head_migration_is_not_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    with TestClient(create_app(Settings(database_url=url), engine)) as client:
        ready = client.get("/readyz")

    assert ready.status_code == 503
    assert "latest migration" in ready.json()["detail"]


def test_an_unreachable_database_is_not_ready() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/attrition_no_such_database"
    with TestClient(create_app(Settings(database_url=url), make_engine(url))) as client:
        ready = client.get("/readyz")

    assert ready.status_code == 503
    assert ready.json()["detail"] == "the database cannot be reached"


def _as_json(yaml_text: str) -> str:
    import json

    import yaml

    document = yaml.safe_load(yaml_text)
    return json.dumps({key: document[key] for key in ("contract", "actuals", "as_of")}, default=str)
