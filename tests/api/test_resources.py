"""Properties, accounts and contracts through the API: create, read, amend, list, and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, SQLModel

from app.contract_files import load_document
from app.persistence.records import (
    AccountRecord,
    AssessmentRecord,
    ContractRecord,
    ContractVersionRecord,
    PropertyRecord,
)
from tests.api.conftest import CONTRACTS, bearer, property_body

WEDDING = load_document(CONTRACTS / "wedding-block-cliff.yaml")
AS_OF = "2027-10-18"


def terms_of(stem: str = "wedding-block-cliff", **overrides: Any) -> dict[str, Any]:
    """The contract section of a sample file, without its property section."""
    document = WEDDING if stem == "wedding-block-cliff" else load_document(CONTRACTS / f"{stem}.yaml")
    terms: dict[str, Any] = document.contract.model_dump(mode="json", exclude={"property"})
    return terms | overrides


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body["errors"]]


TABLES: list[type[SQLModel]] = [
    PropertyRecord,
    AccountRecord,
    ContractRecord,
    ContractVersionRecord,
    AssessmentRecord,
]


def rows(session: Session) -> dict[str, Any]:
    """Row counts of the tables these routes write, and the revision of each row that has one."""
    session.expire_all()
    state: dict[str, Any] = {
        table.__name__: session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in TABLES
    }
    for table in (PropertyRecord, AccountRecord, ContractRecord):
        columns = (table.id, table.revision)  # type: ignore[attr-defined]
        state[f"{table.__name__} revisions"] = sorted(
            tuple(row) for row in session.execute(sa.select(*columns))
        )
    return state


class Api:
    """The admin key's view of the API, with the helpers these tests repeat."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        self.headers = bearer(key)

    def get(self, path: str, **params: Any) -> Response:
        # httpx replaces a query string written in the path with ``params``, even an empty one.
        return self.client.get(path, headers=self.headers, params=params or None)

    def post(self, path: str, body: Any, **params: Any) -> Response:
        return self.client.post(path, headers=self.headers, json=body, params=params)

    def put(self, path: str, body: Any, if_match: str | None) -> Response:
        headers = self.headers | ({} if if_match is None else {"If-Match": if_match})
        return self.client.put(path, headers=headers, json=body)

    def send_raw(self, method: str, path: str, content: bytes, content_type: str | None) -> Response:
        headers = self.headers | ({} if content_type is None else {"Content-Type": content_type})
        return self.client.request(method, path, headers=headers, content=content)

    def new_property(self, **overrides: Any) -> dict[str, Any]:
        response = self.post("/api/v1/properties", property_body(**overrides))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def new_account(self, property_id: int, name: str = "Acme Events") -> dict[str, Any]:
        response = self.post("/api/v1/accounts", {"property_id": property_id, "name": name})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def new_contract(self, property_id: int, terms: dict[str, Any] | None = None, **extra: Any) -> Response:
        response = self.post(
            "/api/v1/contracts", {"property_id": property_id, "contract": terms or terms_of(), **extra}
        )
        assert response.status_code == 201, response.text
        return response


@pytest.fixture
def api(client: TestClient, admin_key: str) -> Api:
    return Api(client, admin_key)


@pytest.fixture
def hotel(api: Api) -> dict[str, Any]:
    return api.new_property(name="The Magnolia Inn & Spa", timezone="America/New_York")


# --- properties ----------------------------------------------------------------------------------------


def test_created_property_has_location_and_etag_and_reads_back_the_same(api: Api) -> None:
    created = api.post(
        "/api/v1/properties",
        property_body(address="1 Pier St", locale="en_US", tax_profile=None),
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/properties/{body['id']}"
    assert created.headers["etag"] == '"r1"'
    assert body["name"] == "Harbor Point Hotel"
    assert body["locale"] == "en_US"
    assert body["revision"] == 1
    read = api.get(created.headers["location"])
    assert read.status_code == 200
    assert read.headers["etag"] == '"r1"'
    assert read.json() == body


def test_property_update_without_if_match_is_428_and_changes_nothing(
    api: Api, hotel: dict[str, Any], session: Session
) -> None:
    before = rows(session)

    response = api.put(f"/api/v1/properties/{hotel['id']}", property_body(name="Renamed"), None)

    body = assert_problem(response, 428)
    assert "If-Match" in body["detail"]
    assert rows(session) == before
    assert api.get(f"/api/v1/properties/{hotel['id']}").json()["name"] == hotel["name"]


@pytest.mark.parametrize("if_match", ['"r1"', '"r7"', "*", "r2", '"abc"'])
def test_property_update_with_a_stale_or_foreign_if_match_is_412_and_changes_nothing(
    api: Api, hotel: dict[str, Any], session: Session, if_match: str
) -> None:
    path = f"/api/v1/properties/{hotel['id']}"
    assert api.put(path, property_body(name="First"), '"r1"').status_code == 200
    before = rows(session)

    response = api.put(path, property_body(name="Second"), if_match)

    assert_problem(response, 412)
    assert rows(session) == before
    assert api.get(path).json()["name"] == "First"


@pytest.mark.parametrize("if_match", ['"r1"', ' "r1" '])
def test_property_update_with_the_current_etag_is_200_with_a_new_etag(
    api: Api, hotel: dict[str, Any], if_match: str
) -> None:
    path = f"/api/v1/properties/{hotel['id']}"

    response = api.put(
        path, property_body(name="Renamed", currency="EUR", timezone="Europe/Lisbon"), if_match
    )

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"r2"'
    assert response.json()["revision"] == 2
    read = api.get(path)
    assert read.headers["etag"] == '"r2"'
    assert (read.json()["name"], read.json()["currency"], read.json()["timezone"]) == (
        "Renamed",
        "EUR",
        "Europe/Lisbon",
    )


@pytest.mark.parametrize("if_match", ['W/"r1"', "r1", "*"])
def test_property_update_with_a_weak_or_foreign_etag_is_412_and_changes_nothing(
    api: Api, hotel: dict[str, Any], if_match: str
) -> None:
    path = f"/api/v1/properties/{hotel['id']}"

    response = api.put(path, property_body(name="Renamed"), if_match)

    assert response.status_code == 412, response.text
    assert api.get(path).json()["name"] == hotel["name"]


def test_property_list_pages_with_limit_offset_and_total(api: Api) -> None:
    ids = [api.new_property(name=f"Hotel {n}")["id"] for n in range(5)]

    first = api.get("/api/v1/properties", limit=2, offset=0).json()
    last = api.get("/api/v1/properties", limit=2, offset=4).json()
    beyond = api.get("/api/v1/properties", limit=2, offset=50).json()

    assert [item["id"] for item in first["items"]] == ids[:2]
    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    assert [item["id"] for item in last["items"]] == ids[4:]
    assert beyond == {"items": [], "total": 5, "limit": 2, "offset": 50}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "query.limit"), ({"limit": 501}, "query.limit"), ({"offset": -1}, "query.offset")],
)
def test_list_with_out_of_range_paging_is_422_naming_the_parameter(
    api: Api, params: dict[str, int], field: str
) -> None:
    body = assert_problem(api.get("/api/v1/properties", **params), 422)

    assert fields(body) == [field]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "unknown timezone"),
        ({"timezone": ""}, "timezone", ""),
        ({"locale": "xx_YY"}, "locale", "unknown locale"),
        ({"locale": "English"}, "locale", ""),
        ({"currency": "usd"}, "currency", ""),
        ({"name": ""}, "name", ""),
        ({"stars": 5}, "stars", ""),
    ],
)
def test_invalid_property_is_422_naming_the_field_and_writes_nothing(
    api: Api, session: Session, overrides: dict[str, Any], field: str, words: str
) -> None:
    before = rows(session)

    body = assert_problem(api.post("/api/v1/properties", property_body(**overrides)), 422)

    assert fields(body) == [field]
    assert words in body["errors"][0]["message"]
    assert rows(session) == before


def test_property_update_with_an_invalid_timezone_is_422_and_changes_nothing(
    api: Api, hotel: dict[str, Any], session: Session
) -> None:
    before = rows(session)

    response = api.put(f"/api/v1/properties/{hotel['id']}", property_body(timezone="Nowhere/Land"), '"r1"')

    assert fields(assert_problem(response, 422)) == ["timezone"]
    assert rows(session) == before


def test_unknown_property_is_404(api: Api) -> None:
    assert_problem(api.get("/api/v1/properties/999999"), 404)
    assert_problem(api.put("/api/v1/properties/999999", property_body(), '"r1"'), 404)


# --- request bodies ------------------------------------------------------------------------------------

WRITES = [
    ("POST", "/api/v1/properties"),
    ("POST", "/api/v1/accounts"),
    ("POST", "/api/v1/contracts"),
    ("PUT", "/api/v1/properties/{property_id}"),
    ("PUT", "/api/v1/contracts/{contract_id}"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"name": "Harbor", ', "application/json", 400),
        (b"", "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        (b'{"name": "Harbor"}', "text/plain", 415),
        (b"name=Harbor", "application/x-www-form-urlencoded", 415),
        (b'{"name": "Harbor"}', None, 415),
        (b'["a", "list"]', "application/json", 422),
    ],
    ids=["truncated JSON", "empty body", "not UTF-8", "text/plain", "form", "no content type", "JSON list"],
)
def test_unreadable_body_is_a_problem_and_writes_nothing(
    api: Api,
    session: Session,
    hotel: dict[str, Any],
    method: str,
    path: str,
    content: bytes,
    content_type: str | None,
    status: int,
) -> None:
    contract = api.new_contract(hotel["id"]).json()
    before = rows(session)
    url = path.format(property_id=hotel["id"], contract_id=contract["id"])
    headers = {"If-Match": '"r1"'} if method == "PUT" else {}

    response = api.client.request(
        method,
        url,
        content=content,
        headers=api.headers | headers | ({} if content_type is None else {"Content-Type": content_type}),
    )

    assert_problem(response, status)
    assert rows(session) == before


def test_malformed_json_problem_names_the_line(api: Api) -> None:
    response = api.send_raw("POST", "/api/v1/properties", b'{\n  "name": "Harbor",\n}', "application/json")

    body = assert_problem(response, 400)
    assert "invalid JSON" in body["detail"]
    assert body["errors"][0]["line"] == 3


def test_json_with_a_charset_parameter_is_accepted(api: Api) -> None:
    response = api.send_raw(
        "POST",
        "/api/v1/properties",
        b'{"name": "Harbor", "currency": "USD"}',
        "application/json; charset=utf-8",
    )

    assert response.status_code == 201, response.text


# --- accounts ------------------------------------------------------------------------------------------


def test_created_account_has_location_and_etag_and_reads_back_the_same(
    api: Api, hotel: dict[str, Any]
) -> None:
    created = api.post(
        "/api/v1/accounts",
        {
            "property_id": hotel["id"],
            "name": "Alvarez–Chen Wedding",
            "contact_name": "Maria Alvarez",
            "contact_email": "maria@example.com",
            "language": "es",
            "segment": "wedding",
        },
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/accounts/{body['id']}"
    assert created.headers["etag"] == '"r1"'
    assert (body["property_id"], body["language"], body["segment"]) == (hotel["id"], "es", "wedding")
    read = api.get(created.headers["location"])
    assert read.headers["etag"] == '"r1"'
    assert read.json() == body


def test_duplicate_account_name_in_a_property_is_409_and_writes_nothing(
    api: Api, hotel: dict[str, Any], session: Session
) -> None:
    api.new_account(hotel["id"], "Acme Events")
    before = rows(session)

    response = api.post("/api/v1/accounts", {"property_id": hotel["id"], "name": "Acme Events"})

    body = assert_problem(response, 409)
    assert "Acme Events" in body["detail"]
    assert rows(session) == before


def test_same_account_name_in_another_property_is_allowed(api: Api, hotel: dict[str, Any]) -> None:
    other = api.new_property(name="Other Hotel")
    api.new_account(hotel["id"], "Acme Events")

    response = api.post("/api/v1/accounts", {"property_id": other["id"], "name": "Acme Events"})

    assert response.status_code == 201, response.text


def test_account_update_follows_if_match_and_renaming_onto_a_taken_name_is_409(
    api: Api, hotel: dict[str, Any], session: Session
) -> None:
    api.new_account(hotel["id"], "Taken")
    account = api.new_account(hotel["id"], "Acme Events")
    path = f"/api/v1/accounts/{account['id']}"

    assert_problem(api.put(path, {"name": "Acme Group"}, None), 428)
    before = rows(session)
    assert_problem(api.put(path, {"name": "Taken"}, '"r1"'), 409)
    assert rows(session) == before
    updated = api.put(path, {"name": "Acme Group", "segment": "corporate"}, '"r1"')
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] == '"r2"'
    assert (updated.json()["name"], updated.json()["segment"]) == ("Acme Group", "corporate")
    assert_problem(api.put(path, {"name": "Acme Again"}, '"r1"'), 412)
    assert api.get(path).json()["name"] == "Acme Group"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"language": "zz"}, "language"),
        ({"segment": "pirates"}, "segment"),
        ({"name": ""}, "name"),
        ({"property_id": 0}, "property_id"),
    ],
)
def test_invalid_account_is_422_naming_the_field_and_writes_nothing(
    api: Api, hotel: dict[str, Any], session: Session, overrides: dict[str, Any], field: str
) -> None:
    before = rows(session)

    response = api.post("/api/v1/accounts", {"property_id": hotel["id"], "name": "Acme"} | overrides)

    assert fields(assert_problem(response, 422)) == [field]
    assert rows(session) == before


def test_account_list_filters_by_property_and_pages(api: Api, hotel: dict[str, Any]) -> None:
    other = api.new_property(name="Other Hotel")
    mine = [api.new_account(hotel["id"], f"Account {n}")["id"] for n in range(3)]
    api.new_account(other["id"], "Theirs")

    page = api.get("/api/v1/accounts", property_id=hotel["id"], limit=2, offset=1).json()

    assert [item["id"] for item in page["items"]] == mine[1:]
    assert page["total"] == 3


# --- contracts -----------------------------------------------------------------------------------------


def test_created_contract_is_version_1_with_the_stored_property_and_reads_back_the_same(
    api: Api, hotel: dict[str, Any]
) -> None:
    account = api.new_account(hotel["id"])
    created = api.post(
        "/api/v1/contracts",
        {
            "property_id": hotel["id"],
            "account_id": account["id"],
            "status": "tentative",
            "contract": terms_of(),
        },
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/contracts/{body['id']}"
    assert created.headers["etag"] == '"r1"'
    assert body["reference"] == "alvarez-chen-wedding-2027"
    assert (body["current_version"], body["status"], body["account_id"]) == (1, "tentative", account["id"])
    assert (body["arrival_date"], body["departure_date"], body["currency"]) == (
        "2027-10-08",
        "2027-10-10",
        "USD",
    )
    assert body["contract"]["property"]["name"] == hotel["name"]
    assert body["contract"]["property"]["timezone"] == "America/New_York"
    assert body["contract"]["block"][0]["rate"]["amount"] == "279.00"
    read = api.get(created.headers["location"])
    assert read.headers["etag"] == '"r1"'
    assert read.json() == body


def test_contract_property_section_in_the_body_is_replaced_by_the_stored_property(
    api: Api, hotel: dict[str, Any]
) -> None:
    terms = terms_of() | {"property": {"name": "Somewhere Else", "timezone": "Asia/Tokyo"}}

    created = api.new_contract(hotel["id"], terms)

    assert created.json()["contract"]["property"]["name"] == hotel["name"]
    assert created.json()["contract"]["property"]["timezone"] == "America/New_York"


def _record_pickup(api: Api, contract_id: int) -> None:
    assert WEDDING.actuals is not None
    entries = [entry.model_dump(mode="json") for entry in WEDDING.actuals.pickup]
    response = api.post(f"/api/v1/contracts/{contract_id}/pickup", {"as_of": AS_OF, "entries": entries})
    assert response.status_code == 201, response.text


def _cheaper_double(terms: dict[str, Any]) -> dict[str, Any]:
    """The wedding's terms with the double room on 8 October at 239.00 instead of 259.00 (the lowest
    group rate, which prices the cliff damages)."""
    block = [dict(cell) for cell in terms["block"]]
    assert (block[1]["room_type"], block[1]["rate"]["amount"]) == ("double", "259.00")
    block[1]["rate"] = "239.00"
    return terms | {"block": block}


def test_amended_terms_make_version_2_and_version_1_stays_as_it_was(
    api: Api, hotel: dict[str, Any], session: Session
) -> None:
    created = api.new_contract(hotel["id"]).json()
    path = f"/api/v1/contracts/{created['id']}"
    _record_pickup(api, created["id"])
    first = api.get(f"{path}/assessment", as_of=AS_OF).json()

    amended = api.put(path, {"contract": _cheaper_double(terms_of()), "note": "rate corrected"}, '"r1"')

    assert amended.status_code == 200, amended.text
    assert amended.headers["etag"] == '"r2"'
    assert amended.json()["current_version"] == 2
    assert amended.json()["contract"]["block"][1]["rate"]["amount"] == "239.00"
    versions = api.get(f"{path}/versions").json()["items"]
    assert [(v["version"], v["note"]) for v in versions] == [(1, ""), (2, "rate corrected")]
    assert versions[0]["terms"] == created["contract"]
    assert api.get(f"{path}/versions/1").json()["terms"] == created["contract"]
    assert api.get(f"{path}/versions/2").json()["terms"]["block"][1]["rate"]["amount"] == "239.00"
    old = api.get(f"{path}/assessment", as_of=AS_OF, version=1).json()
    new = api.get(f"{path}/assessment", as_of=AS_OF).json()
    assert old == first
    assert (old["contract_version"], old["assessment"]["total"]["amount"]) == (1, "2385.00")
    assert (new["contract_version"], new["assessment"]["total"]["amount"]) == (2, "2085.00")


def test_status_only_change_keeps_the_version_and_bumps_the_etag(api: Api, hotel: dict[str, Any]) -> None:
    account = api.new_account(hotel["id"])
    created = api.new_contract(hotel["id"], account_id=account["id"]).json()
    path = f"/api/v1/contracts/{created['id']}"

    changed = api.put(
        path, {"account_id": account["id"], "status": "cancelled", "contract": terms_of()}, '"r1"'
    )

    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"r2"'
    assert (changed.json()["current_version"], changed.json()["status"]) == (1, "cancelled")
    assert [v["version"] for v in api.get(f"{path}/versions").json()["items"]] == [1]
    assert api.get(path).json()["status"] == "cancelled"


def test_contract_update_without_if_match_is_428_and_stale_is_412_and_neither_changes_anything(
    api: Api, hotel: dict[str, Any], session: Session
) -> None:
    created = api.new_contract(hotel["id"]).json()
    path = f"/api/v1/contracts/{created['id']}"
    assert api.put(path, {"status": "tentative", "contract": terms_of()}, '"r1"').status_code == 200
    before = rows(session)
    amendment = {"contract": _cheaper_double(terms_of())}

    assert_problem(api.put(path, amendment, None), 428)
    assert_problem(api.put(path, amendment, '"r1"'), 412)

    assert rows(session) == before
    current = api.get(path)
    assert current.headers["etag"] == '"r2"'
    assert current.json()["current_version"] == 1
    assert current.json()["status"] == "tentative"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda body, other: body | {"property_id": other}, "property_id"),
        (lambda body, other: body | {"contract": body["contract"] | {"id": "renamed"}}, "contract.id"),
        (lambda body, other: body | {"account_id": 999999}, "account_id"),
        (lambda body, other: body | {"status": "maybe"}, "status"),
        (
            lambda body, other: body | {"contract": body["contract"] | {"arrival_date": "2027-13-01"}},
            "contract.arrival_date",
        ),
    ],
    ids=["moved to another property", "contract id changed", "unknown account", "unknown status", "bad date"],
)
def test_invalid_contract_amendment_is_422_and_changes_nothing(
    api: Api,
    hotel: dict[str, Any],
    session: Session,
    change: Callable[[dict[str, Any], int], dict[str, Any]],
    field: str,
) -> None:
    other = api.new_property(name="Other Hotel")
    created = api.new_contract(hotel["id"]).json()
    before = rows(session)

    response = api.put(
        f"/api/v1/contracts/{created['id']}", change({"contract": terms_of()}, other["id"]), '"r1"'
    )

    assert field in fields(assert_problem(response, 422))
    assert rows(session) == before


def test_unknown_contract_and_version_are_404(api: Api, hotel: dict[str, Any]) -> None:
    created = api.new_contract(hotel["id"]).json()
    path = f"/api/v1/contracts/{created['id']}"

    assert_problem(api.get("/api/v1/contracts/999999"), 404)
    assert_problem(api.get(f"{path}/versions/2"), 404)
    assert_problem(api.get(f"{path}/assessment", as_of=AS_OF, version=2), 404)
    assert_problem(api.put("/api/v1/contracts/999999", {"contract": terms_of()}, '"r1"'), 404)


# --- contract validation -------------------------------------------------------------------------------


def _with_block_rate(rate: Any) -> dict[str, Any]:
    terms = terms_of()
    block = [dict(cell) for cell in terms["block"]]
    block[0]["rate"] = rate
    return terms | {"block": block}


@pytest.mark.parametrize(
    ("terms", "field", "words"),
    [
        (_with_block_rate("abc"), "contract.block[0].rate", ""),
        (_with_block_rate("-5.00"), "contract.block[0].rate", ""),
        (_with_block_rate(279.0), "contract.block[0].rate", "quote"),
        (_with_block_rate(279), "contract.block[0].rate", "quote"),
        (terms_of(block=[]), "contract.block", ""),
        (terms_of(id="Not A Slug"), "contract.id", ""),
        (terms_of(currency="dollars"), "contract.currency", ""),
        ({k: v for k, v in terms_of().items() if k != "group"}, "contract.group", ""),
    ],
    ids=[
        "rate not a number",
        "negative rate",
        "unquoted float rate",
        "unquoted integer rate",
        "empty block",
        "bad id",
        "bad currency",
        "no group",
    ],
)
def test_invalid_contract_is_422_naming_the_exact_field_and_writes_nothing(
    api: Api, hotel: dict[str, Any], session: Session, terms: dict[str, Any], field: str, words: str
) -> None:
    before = rows(session)

    response = api.post("/api/v1/contracts", {"property_id": hotel["id"], "contract": terms})

    body = assert_problem(response, 422)
    assert field in fields(body), body
    message = next(error["message"] for error in body["errors"] if error["field"] == field)
    assert words in message
    assert rows(session) == before


def test_unquoted_money_message_shows_the_amount_quoted(api: Api, hotel: dict[str, Any]) -> None:
    response = api.post(
        "/api/v1/contracts", {"property_id": hotel["id"], "contract": _with_block_rate(279.5)}
    )

    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "contract.block[0].rate"
    assert "must be quoted" in body["errors"][0]["message"]
    assert '"279.50"' in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (lambda prop, other_account: {"contract": terms_of()}, 422, "property_id"),
        (lambda prop, other_account: {"property_id": prop}, 422, "contract"),
        (
            lambda prop, other_account: {"property_id": prop, "account_id": 999999, "contract": terms_of()},
            422,
            "account_id",
        ),
        (
            lambda prop, other_account: {
                "property_id": prop,
                "account_id": other_account,
                "contract": terms_of(),
            },
            422,
            "account_id",
        ),
        (
            lambda prop, other_account: {"property_id": prop, "contract": terms_of(), "colour": "red"},
            422,
            "colour",
        ),
        (
            lambda prop, other_account: {"property_id": prop, "contract": terms_of(), "note": "x" * 501},
            422,
            "note",
        ),
        (lambda prop, other_account: {"property_id": 999999, "contract": terms_of()}, 404, None),
    ],
    ids=[
        "no property",
        "no terms",
        "unknown account",
        "account of another property",
        "unknown field",
        "note too long",
        "unknown property",
    ],
)
def test_bad_contract_envelope_is_refused_and_writes_nothing(
    api: Api,
    hotel: dict[str, Any],
    session: Session,
    body: Callable[[int, int], dict[str, Any]],
    status: int,
    field: str | None,
) -> None:
    other = api.new_property(name="Other Hotel")
    other_account = api.new_account(other["id"], "Their account")
    before = rows(session)

    response = api.post("/api/v1/contracts", body(hotel["id"], other_account["id"]))

    problem = assert_problem(response, status)
    if field is not None:
        assert field in fields(problem), problem
    assert rows(session) == before


def test_duplicate_contract_id_in_a_property_is_409_and_writes_nothing(
    api: Api, hotel: dict[str, Any], session: Session
) -> None:
    api.new_contract(hotel["id"])
    before = rows(session)

    response = api.post("/api/v1/contracts", {"property_id": hotel["id"], "contract": terms_of()})

    body = assert_problem(response, 409)
    assert fields(body) == ["contract.id"]
    assert rows(session) == before


def test_same_contract_id_in_another_property_is_allowed(api: Api, hotel: dict[str, Any]) -> None:
    other = api.new_property(name="Other Hotel")
    api.new_contract(hotel["id"])

    response = api.post("/api/v1/contracts", {"property_id": other["id"], "contract": terms_of()})

    assert response.status_code == 201, response.text
    assert response.json()["reference"] == "alvarez-chen-wedding-2027"


# --- stored assessments --------------------------------------------------------------------------------


def test_stored_assessments_keep_the_version_they_used(api: Api, hotel: dict[str, Any]) -> None:
    created = api.new_contract(hotel["id"]).json()
    path = f"/api/v1/contracts/{created['id']}"
    _record_pickup(api, created["id"])

    first = api.post(f"{path}/assessments", None, as_of=AS_OF)
    assert api.put(path, {"contract": _cheaper_double(terms_of())}, '"r1"').status_code == 200
    second = api.post(f"{path}/assessments", None, as_of=AS_OF)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert (first.json()["contract_version"], first.json()["as_of"]) == (1, AS_OF)
    assert first.json()["assessment"]["total"]["amount"] == "2385.00"
    assert second.json()["contract_version"] == 2
    assert second.json()["assessment"]["total"]["amount"] == "2085.00"
    assert first.json()["created_by"].startswith("key:")
    listed = api.get(f"{path}/assessments").json()
    assert listed["items"] == [first.json(), second.json()]
    assert (listed["total"], listed["limit"], listed["offset"]) == (2, 50, 0)
    assert api.get(f"{path}/assessments/{first.json()['id']}").json() == first.json()
    assert_problem(api.get(f"{path}/assessments/999999"), 404)


def test_unstored_assessment_writes_no_assessment(api: Api, hotel: dict[str, Any], session: Session) -> None:
    created = api.new_contract(hotel["id"]).json()
    before = rows(session)

    response = api.get(f"/api/v1/contracts/{created['id']}/assessment", as_of=AS_OF)

    assert response.status_code == 200, response.text
    assert rows(session) == before
    assert api.get(f"/api/v1/contracts/{created['id']}/assessments").json()["items"] == []


# --- listing contracts ---------------------------------------------------------------------------------

# Sample contracts by arrival date: (file, arrival date, status given on create).
LISTED = [
    ("corporate-sales-meeting-per-night", "2027-01-25", "definite"),
    ("incentive-trip-greater-of", "2027-02-17", "tentative"),
    ("convention-last-room-sold", "2027-03-07", "definite"),
    ("medical-congress-fnb-rental", "2027-04-14", "cancelled"),
    ("engineering-offsite-tiered-stricter-of", "2027-05-18", "definite"),
]


@pytest.fixture
def listed(api: Api, hotel: dict[str, Any]) -> dict[str, Any]:
    """Five contracts in ``hotel`` (created out of order) and one in another property."""
    ids = {}
    for stem, _, status in reversed(LISTED):
        ids[stem] = api.new_contract(hotel["id"], terms_of(stem), status=status).json()["id"]
    other = api.new_property(name="Other Hotel")
    ids["other"] = api.new_contract(other["id"], terms_of("wedding-block-cliff")).json()["id"]
    return {"ids": ids, "mine": [ids[stem] for stem, _, _ in LISTED], "other_property": other["id"]}


def test_contract_list_is_ordered_by_arrival_and_pages(api: Api, listed: dict[str, Any]) -> None:
    everything = api.get("/api/v1/contracts").json()
    pages = [api.get("/api/v1/contracts", limit=2, offset=offset).json() for offset in (0, 2, 4, 6)]

    assert [item["id"] for item in everything["items"]] == [*listed["mine"], listed["ids"]["other"]]
    assert everything["total"] == 6
    assert [[item["id"] for item in page["items"]] for page in pages] == [
        listed["mine"][0:2],
        listed["mine"][2:4],
        [listed["mine"][4], listed["ids"]["other"]],
        [],
    ]
    assert {page["total"] for page in pages} == {6}
    assert [(page["limit"], page["offset"]) for page in pages] == [(2, 0), (2, 2), (2, 4), (2, 6)]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "definite"}, [0, 2, 4]),
        ({"status": "tentative"}, [1]),
        ({"status": "completed"}, []),
        ({"arrival_from": "2027-02-17"}, [1, 2, 3, 4]),
        ({"arrival_to": "2027-03-07"}, [0, 1, 2]),
        ({"arrival_from": "2027-02-18", "arrival_to": "2027-04-14"}, [2, 3]),
        ({"arrival_from": "2027-03-07", "arrival_to": "2027-03-07"}, [2]),
        ({"arrival_from": "2027-06-01"}, []),
        ({"status": "definite", "arrival_from": "2027-02-01", "limit": 1, "offset": 1}, [4]),
    ],
    ids=[
        "definite",
        "tentative",
        "completed (none)",
        "from (inclusive)",
        "to (inclusive)",
        "between",
        "one day",
        "after all",
        "status, from and a page",
    ],
)
def test_contract_list_filters_within_a_property(
    api: Api, hotel: dict[str, Any], listed: dict[str, Any], params: dict[str, Any], expected: list[int]
) -> None:
    page = api.get("/api/v1/contracts", property_id=hotel["id"], **params).json()

    assert [item["id"] for item in page["items"]] == [listed["mine"][index] for index in expected]
    unpaged = {key: value for key, value in params.items() if key not in {"limit", "offset"}}
    total = len(api.get("/api/v1/contracts", property_id=hotel["id"], **unpaged).json()["items"])
    assert page["total"] == total


def test_contract_list_filters_by_property_and_account(
    api: Api, hotel: dict[str, Any], listed: dict[str, Any]
) -> None:
    account = api.new_account(hotel["id"])
    with_account = api.new_contract(hotel["id"], terms_of(id="with-account"), account_id=account["id"])

    other = api.get("/api/v1/contracts", property_id=listed["other_property"]).json()
    by_account = api.get("/api/v1/contracts", account_id=account["id"]).json()

    assert [item["id"] for item in other["items"]] == [listed["ids"]["other"]]
    assert other["total"] == 1
    assert [item["id"] for item in by_account["items"]] == [with_account.json()["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "maybe"}, "query.status"),
        ({"arrival_from": "next week"}, "query.arrival_from"),
        ({"arrival_to": "2027-02-30"}, "query.arrival_to"),
        ({"property_id": "0"}, "query.property_id"),
        ({"limit": "lots"}, "query.limit"),
    ],
)
def test_contract_list_with_a_bad_filter_is_422_naming_it(
    api: Api, params: dict[str, str], field: str
) -> None:
    body = assert_problem(api.get("/api/v1/contracts", **params), 422)

    assert fields(body) == [field]


# --- ids no row can have -------------------------------------------------------------------------------

# Ids and versions are 32-bit INTEGER columns on PostgreSQL (64-bit on SQLite); a larger number in a path,
# a query or a body names nothing, and must say so rather than fail in the database.
HUGE = [2**31, 2**63, 2**70]


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/properties/{n}",
        "/api/v1/accounts/{n}",
        "/api/v1/contracts/{n}",
        "/api/v1/contracts/{n}/versions",
        "/api/v1/contracts/{contract}/versions/{n}",
        "/api/v1/contracts/{contract}/assessment?as_of=2027-10-18&version={n}",
        "/api/v1/contracts/{contract}/assessments/{n}",
    ],
)
def test_read_of_an_id_beyond_the_integer_range_is_404(
    api: Api, hotel: dict[str, Any], path: str, number: int
) -> None:
    contract = api.new_contract(hotel["id"]).json()

    assert_problem(api.get(path.format(n=number, contract=contract["id"])), 404)


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contracts?property_id={n}",
        "/api/v1/contracts?account_id={n}",
        "/api/v1/accounts?property_id={n}",
    ],
)
def test_list_filtered_by_an_id_beyond_the_integer_range_is_empty(
    api: Api, hotel: dict[str, Any], path: str, number: int
) -> None:
    api.new_contract(hotel["id"])

    response = api.get(path.format(n=number))

    assert response.status_code == 200, response.text
    assert (response.json()["items"], response.json()["total"]) == ([], 0)


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PUT", "/api/v1/properties/{n}", lambda n, prop: property_body(), 404),
        ("PUT", "/api/v1/contracts/{n}", lambda n, prop: {"contract": terms_of()}, 404),
        ("POST", "/api/v1/contracts/{n}/assessments", lambda n, prop: None, 404),
        ("DELETE", "/api/v1/api-keys/{n}", lambda n, prop: None, 404),
        ("POST", "/api/v1/accounts", lambda n, prop: {"property_id": n, "name": "Acme"}, 404),
        ("POST", "/api/v1/contracts", lambda n, prop: {"property_id": n, "contract": terms_of()}, 404),
        (
            "POST",
            "/api/v1/contracts",
            lambda n, prop: {"property_id": prop, "account_id": n, "contract": terms_of()},
            422,
        ),
        (
            "POST",
            "/api/v1/api-keys",
            lambda n, prop: {"name": "k", "access": "read", "property_ids": [n]},
            422,
        ),
    ],
    ids=[
        "update property",
        "update contract",
        "store assessment",
        "revoke key",
        "account of property",
        "contract of property",
        "contract of account",
        "key for property",
    ],
)
def test_write_naming_an_id_beyond_the_integer_range_is_refused_and_writes_nothing(
    api: Api,
    hotel: dict[str, Any],
    session: Session,
    method: str,
    path: str,
    body: Callable[[int, int], Any],
    status: int,
    number: int,
) -> None:
    before = rows(session)

    response = api.client.request(
        method,
        path.format(n=number),
        headers=api.headers | {"If-Match": '"r1"'},
        json=body(number, hotel["id"]),
    )

    assert_problem(response, status)
    assert rows(session) == before


@pytest.mark.parametrize("if_match", ['"r2147483647"', '"r2147483648"', '"r999999999999999999"'])
def test_update_with_an_if_match_revision_beyond_the_integer_range_is_412(
    api: Api, hotel: dict[str, Any], session: Session, if_match: str
) -> None:
    account = api.new_account(hotel["id"])
    contract = api.new_contract(hotel["id"]).json()
    before = rows(session)

    responses = [
        api.put(f"/api/v1/properties/{hotel['id']}", property_body(name="Renamed"), if_match),
        api.put(f"/api/v1/accounts/{account['id']}", {"name": "Renamed"}, if_match),
        api.put(
            f"/api/v1/contracts/{contract['id']}", {"status": "tentative", "contract": terms_of()}, if_match
        ),
    ]

    for response in responses:
        assert_problem(response, 412)
    assert rows(session) == before
