"""Every sample contract, stored with its actuals and assessed through the API, gives its expected total."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.cli import main
from app.contract_files import load_document
from app.services.imports import import_document
from tests.api.conftest import bearer, sample_files


@pytest.mark.parametrize("path", sample_files(), ids=lambda path: path.stem)
def test_imported_sample_assesses_to_its_expected_result(
    path: Path, session: Session, client: TestClient, admin_key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    document = load_document(path)
    assert document.expected is not None
    assert document.as_of is not None
    imported = import_document(session, document)
    session.commit()

    response = client.get(
        f"/api/v1/contracts/{imported.contract_id}/assessment",
        params={"as_of": document.as_of.isoformat()},
        headers=bearer(admin_key),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["contract_version"] == 1
    assert main(["assess", str(path), "--format", "json"]) == 0
    assert body["assessment"] == json.loads(capsys.readouterr().out)  # the API equals `attrition assess`
    total = body["assessment"]["total"]
    assert (total["amount"], total["currency"]) == (
        str(document.expected.total.amount),
        document.expected.total.currency,
    )
    for line in document.expected.lines:
        night = None if line.night is None else line.night.isoformat()
        assert any(
            got["kind"] == line.kind
            and got["night"] == night
            and got["amount"]["amount"] == str(line.amount.amount)
            for got in body["assessment"]["lines"]
        ), f"{line.kind} {night} {line.amount} missing"
    for got in body["assessment"]["lines"]:  # the English text and its structured form, side by side
        assert len(got["explained"]["steps"]) == len(got["steps"])
        assert got["explained"]["label"]["kind"]
    assert len(body["assessment"]["warnings_explained"]) == len(body["assessment"]["warnings"])


def test_contract_posted_through_the_api_with_pickup_and_fnb_assesses_as_its_file(
    client: TestClient, admin_key: str
) -> None:
    path = next(path for path in sample_files() if path.stem == "medical-congress-fnb-rental")
    document = load_document(path)
    assert document.actuals is not None
    assert document.as_of is not None
    assert document.expected is not None
    raw = document.model_dump(mode="json")
    info = raw["contract"]["property"]
    headers = bearer(admin_key)

    prop = client.post(
        "/api/v1/properties",
        headers=headers,
        json={key: info[key] for key in ("name", "address", "locale", "timezone", "tax_profile")}
        | {"currency": raw["contract"]["currency"]},
    )
    assert prop.status_code == 201, prop.text
    terms = {key: value for key, value in raw["contract"].items() if key != "property"}
    created = client.post(
        "/api/v1/contracts", headers=headers, json={"property_id": prop.json()["id"], "contract": terms}
    )
    assert created.status_code == 201, created.text
    contract_id = created.json()["id"]
    as_of = document.as_of.isoformat()
    pickup = client.post(
        f"/api/v1/contracts/{contract_id}/pickup",
        headers=headers,
        json={"as_of": as_of, "entries": raw["actuals"]["pickup"]},
    )
    assert pickup.status_code == 201, pickup.text
    assert pickup.json()["rows"] == len(raw["actuals"]["pickup"])
    other = {key: raw["actuals"][key] for key in ("fnb_spend", "inventory") if raw["actuals"][key]}
    recorded = client.post(
        f"/api/v1/contracts/{contract_id}/actuals", headers=headers, json={"as_of": as_of, **other}
    )
    assert recorded.status_code == 201, recorded.text

    assessed = client.get(
        f"/api/v1/contracts/{contract_id}/assessment", params={"as_of": as_of}, headers=headers
    )
    stateless = client.post(
        "/api/v1/assessments",
        headers=headers,
        json={"contract": raw["contract"], "actuals": raw["actuals"], "as_of": as_of},
    )

    assert assessed.status_code == 200, assessed.text
    assert stateless.status_code == 200, stateless.text
    expected = str(document.expected.total.amount)
    assert assessed.json()["assessment"]["total"]["amount"] == expected
    assert stateless.json()["total"]["amount"] == expected
    assert assessed.json()["assessment"]["lines"] == stateless.json()["lines"]
