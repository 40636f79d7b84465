"""The conventions every JSON operation follows (app/api/conventions.py, README "Integration"), checked
over every route of the app, so that a route added later is held to them too; and how they behave."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.api.conventions import operation_id
from app.main import API_PREFIX, create_app
from app.persistence.records import PropertyRecord
from tests.api.conftest import bearer, property_body

OTA = f"{API_PREFIX}/ota/"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def plain_app() -> FastAPI:
    """The app as made, for what it documents (no request reaches the database)."""
    return create_app(engine=sa.create_engine("sqlite://"))


@pytest.fixture(scope="module")
def document(plain_app: FastAPI) -> dict[str, Any]:
    return plain_app.openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def json_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (m, p, o) for m, p, o in operations(document) if p.startswith(API_PREFIX) and not p.startswith(OTA)
    ]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_operation_id_is_its_function_name_in_camel_case_and_unique(
    plain_app: FastAPI, document: dict[str, Any]
) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    named = {
        operation_id(context.original_route)  # type: ignore[arg-type]
        for context in iter_route_contexts(plain_app.routes)
        if isinstance(context.original_route, APIRoute) and context.original_route.include_in_schema
    }

    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z][a-zA-Z0-9]*", i) for i in ids), ids
    assert set(ids) == named
    assert {"createProperty", "listContracts"} <= set(ids)


def test_every_schema_has_one_name_and_that_name_is_its_title(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    titles = [schema.get("title") for schema in schemas.values()]

    assert [name for name, schema in schemas.items() if schema.get("title") != name] == []
    assert len(titles) == len(set(titles))
    assert schemas["ContractTerms"]["title"] == "ContractTerms"


def _reachable(document: dict[str, Any], roots: list[Any]) -> set[str]:
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    pending.append(document["components"]["schemas"][name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return seen


def _has_input_money(node: Any) -> bool:
    if isinstance(node, dict):
        if node.get("title") == "Money" or (
            "anyOf" in node
            and any(
                isinstance(option, dict) and "pattern" in option and option.get("type") == "string"
                for option in node["anyOf"]
            )
            and any(isinstance(option, dict) and option.get("type") == "object" for option in node["anyOf"])
        ):
            return True
        return any(_has_input_money(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_input_money(value) for value in node)
    return False


def test_money_in_every_answer_is_the_amount_object_and_never_the_input_forms(
    document: dict[str, Any],
) -> None:
    answers = [operation["responses"] for _, _, operation in json_operations(document)]
    reachable = _reachable(document, answers)
    schemas = document["components"]["schemas"]

    assert {"Amount", "Assessment", "ForecastPublic", "InvoicePublic"} <= reachable
    assert [name for name in sorted(reachable) if _has_input_money(schemas[name])] == []
    assert schemas["Amount"]["required"] == ["amount", "currency"]
    assert _has_input_money(schemas["PaymentCreate"])  # a body still takes "616.80"


def test_every_list_answers_the_envelope_with_a_bounded_limit(document: dict[str, Any]) -> None:
    lists = 0
    for method, path, operation in json_operations(document):
        answer = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
        schema = resolve(document, answer.get("schema", {}))
        assert schema.get("type") != "array", f"{method} {path} answers a bare array"
        if method == "get" and (
            operation["operationId"].startswith("list") or "items" in schema.get("properties", {})
        ):
            lists += 1
            assert {"items", "total", "limit", "offset"} <= set(schema["properties"]), path
            parameters = {p["name"]: p for p in operation.get("parameters", [])}
            assert parameters["limit"]["schema"]["maximum"] == 500, path
            assert "offset" in parameters, path
    assert lists >= 7


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contracts",
        "/api/v1/properties",
        "/api/v1/accounts",
        "/api/v1/contracts/{contract_id}/invoices",
        "/api/v1/contracts/{contract_id}/assessments",
    ],
)
def test_lists_a_client_syncs_from_take_updated_since(document: dict[str, Any], path: str) -> None:
    parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}

    assert parameters["updated_since"]["schema"]["anyOf"][0]["format"] == "date-time"


def test_every_post_takes_an_idempotency_key_and_documents_the_replay_header(
    document: dict[str, Any],
) -> None:
    posts = [(path, operation) for method, path, operation in json_operations(document) if method == "post"]

    assert len(posts) >= 14
    for path, operation in posts:
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in headers, path
        success = next(status for status in operation["responses"] if status.startswith("2"))
        assert "Idempotent-Replayed" in operation["responses"][success]["headers"], path


def test_each_operation_documents_only_the_problems_it_can_answer(document: dict[str, Any]) -> None:
    for method, path, operation in json_operations(document):
        statuses = set(operation["responses"])
        headers = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
        assert {"401", "403", "422", "503"} <= statuses, path
        assert ("412" in statuses) == ("428" in statuses) == ("if-match" in headers), path
        assert ("415" in statuses) == ("413" in statuses) == ("requestBody" in operation), path
        assert "404" in statuses or "{" not in path, path
        assert "429" not in statuses or "Retry-After" in operation["responses"]["429"]["headers"], path
        assert "Retry-After" in operation["responses"]["503"]["headers"], path
        for status, response in operation["responses"].items():
            if status >= "400" and status != "304":
                assert "application/problem+json" in response.get("content", {}), (method, path, status)
    read = document["paths"]["/api/v1/properties/{property_id}"]["get"]["responses"]
    assert not {"400", "409", "412", "413", "415", "428"} & set(read)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_response_headers_are_documented(document: dict[str, Any]) -> None:
    created = document["paths"]["/api/v1/properties"]["post"]["responses"]["201"]["headers"]
    read = document["paths"]["/api/v1/contracts/{contract_id}"]["get"]["responses"]["200"]["headers"]
    unauthenticated = document["paths"]["/api/v1/contracts"]["get"]["responses"]["401"]["headers"]

    assert {"Location", "ETag", "Idempotent-Replayed"} <= set(created)
    assert "ETag" in read
    assert "WWW-Authenticate" in unauthenticated


# --- behaviour -----------------------------------------------------------------------------------------


def test_head_answers_wherever_get_does_with_its_headers_and_no_body(
    client: TestClient, admin_key: str
) -> None:
    created = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body())
    url = f"/api/v1/properties/{created.json()['id']}"

    got = client.get(url, headers=bearer(admin_key))
    head = client.head(url, headers=bearer(admin_key))
    listed = client.head("/api/v1/properties", headers=bearer(admin_key))
    missing = client.head("/api/v1/properties/999999", headers=bearer(admin_key))
    post_only = client.get("/api/v1/validate", headers=bearer(admin_key))

    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["etag"] == got.headers["etag"] == '"r1"'
    assert head.headers["content-length"] == got.headers["content-length"]
    assert (listed.status_code, listed.content) == (200, b"")
    assert (missing.status_code, missing.content) == (404, b"")
    assert post_only.status_code == 405
    assert "HEAD" not in post_only.headers["allow"]
    assert client.get("/api/v1/properties", headers=bearer(admin_key)).status_code == 200
    allowed = client.delete("/api/v1/properties", headers=bearer(admin_key)).headers["allow"]
    assert allowed.split(", ")[:3] == ["GET", "HEAD", "POST"]


def test_updated_since_lists_only_what_changed_since(client: TestClient, admin_key: str) -> None:
    first = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body(name="First"))
    since = datetime.now(UTC)
    second = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body(name="Second"))
    in_lisbon_summer = since.astimezone(timezone(timedelta(hours=1))).isoformat()

    listed = client.get(
        "/api/v1/properties", headers=bearer(admin_key), params={"updated_since": in_lisbon_summer}
    )
    later = (since + timedelta(hours=1)).isoformat()
    none = client.get("/api/v1/properties", headers=bearer(admin_key), params={"updated_since": later})
    naive = client.get(
        "/api/v1/properties", headers=bearer(admin_key), params={"updated_since": "2027-01-01T00:00:00"}
    )

    assert first.status_code == second.status_code == 201
    assert [item["name"] for item in listed.json()["items"]] == ["Second"]
    assert listed.json()["total"] == 1
    assert none.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert naive.status_code == 422
    assert [error["field"] for error in naive.json()["errors"]] == ["query.updated_since"]


def test_a_post_retried_with_its_idempotency_key_creates_once_and_replays_the_first_answer(
    client: TestClient, admin_key: str, session: Session
) -> None:
    headers = {**bearer(admin_key), "Idempotency-Key": "create-harbor-1"}
    count = select(func.count()).select_from(PropertyRecord)
    before = session.exec(count).one()

    first = client.post("/api/v1/properties", headers=headers, json=property_body())
    again = client.post("/api/v1/properties", headers=headers, json=property_body())
    other = client.post("/api/v1/properties", headers=headers, json=property_body(name="Another"))

    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert (
        again.headers["location"] == first.headers["location"] == f"/api/v1/properties/{first.json()['id']}"
    )
    assert again.headers["etag"] == first.headers["etag"]
    assert session.exec(count).one() == before + 1
    assert other.status_code == 422
    assert [error["field"] for error in other.json()["errors"]] == ["Idempotency-Key"]


def test_an_api_key_replayed_by_its_idempotency_key_is_not_shown_again(
    client: TestClient, admin_key: str
) -> None:
    headers = {**bearer(admin_key), "Idempotency-Key": "key-for-the-pms"}
    body = {"name": "PMS", "access": "admin", "property_ids": []}

    first = client.post("/api/v1/api-keys", headers=headers, json=body)
    again = client.post("/api/v1/api-keys", headers=headers, json=body)

    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["key"].startswith("atk_")
    assert again.json() == {**first.json(), "key": ""}
    assert again.headers["idempotent-replayed"] == "true"
