"""The API document, its browsable pages and the health check need no credentials and no CDN."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_pages_load_their_assets_from_this_service_not_a_cdn(client: TestClient, page: str) -> None:
    response = client.get(page)

    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert assets, "the page references no assets"
    assert all(asset.startswith("/") for asset in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_openapi_document_describes_the_bodies_read_by_the_api(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    schemas = document["components"]["schemas"]
    body = document["paths"]["/api/v1/contracts"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/ContractWrite"}
    assert "property" not in schemas["ContractTerms"]["required"]
    assert "property" in schemas["Contract"]["required"]
    assert {"PickupReport", "ActualsReport", "AssessmentRequest", "Assessment", "ProblemDetails"} <= set(
        schemas
    )


def test_health_check_answers_without_credentials(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_stateless_assessment_without_as_of_and_with_an_unknown_timezone_names_the_field(
    client: TestClient, admin_key: str
) -> None:
    contract = {
        "id": "tz",
        "property": {"name": "Hotel", "timezone": "Mars/Olympus"},
        "group": {"name": "Group"},
        "currency": "USD",
        "arrival_date": "2027-05-10",
        "departure_date": "2027-05-11",
        "block": [{"night": "2027-05-10", "room_type": "king", "rooms": 10, "rate": "100.00"}],
    }

    response = client.post("/api/v1/assessments", headers=bearer(admin_key), json={"contract": contract})

    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["contract.property.timezone"]


def test_validate_accepts_a_good_body_and_names_the_field_of_a_bad_one(
    client: TestClient, admin_key: str
) -> None:
    contract = {
        "id": "v",
        "property": {"name": "Hotel"},
        "group": {"name": "Group"},
        "currency": "USD",
        "arrival_date": "2027-05-10",
        "departure_date": "2027-05-11",
        "block": [{"night": "2027-05-10", "room_type": "king", "rooms": 10, "rate": "100.00"}],
    }

    good = client.post("/api/v1/validate", headers=bearer(admin_key), json={"contract": contract})
    contract["block"][0]["rate"] = 100.0
    bad = client.post("/api/v1/validate", headers=bearer(admin_key), json={"contract": contract})

    assert (good.status_code, good.json()) == (200, {"valid": True})
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["contract.block[0].rate"]
