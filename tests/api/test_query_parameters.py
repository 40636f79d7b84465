"""Query parameters a route does not read are refused, naming them, instead of ignored."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer


def test_a_misspelt_query_parameter_is_a_422_naming_it_and_what_the_route_reads(
    client: TestClient, admin_key: str
) -> None:
    response = client.get(
        "/api/v1/contracts", params={"arival_from": "2027-01-01"}, headers=bearer(admin_key)
    )

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "query.arival_from"
    assert "arrival_from" in error["message"]


def test_declared_query_parameters_are_read_as_before(client: TestClient, admin_key: str) -> None:
    response = client.get(
        "/api/v1/contracts", params={"arrival_from": "2027-01-01", "limit": "5"}, headers=bearer(admin_key)
    )

    assert response.status_code == 200, response.text
    assert response.json()["limit"] == 5
