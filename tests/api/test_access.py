"""Who may do what: every route under /api/v1 against every kind of caller.

Two hotels, A and B, each with an account, a contract (with pickup) and a stored assessment. The callers
are: nobody, bad credentials of several kinds, a read key and a read-write key for A, an admin key, a
staff user of A signed in with a cookie, and an admin staff user. The tables below say what each may do;
every route of the OpenAPI document must appear in them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, SQLModel, select

from app.api.deps import CSRF_HEADER, SESSION_COOKIE
from app.contract_files import load_document
from app.engine.money import Money
from app.main import create_app
from app.persistence.records import (
    AccountRecord,
    ApiKeyRecord,
    AssessmentRecord,
    AuditMatchRecord,
    AuditRunRecord,
    BatchJobRecord,
    BlockHistoryRecord,
    CalendarFeedRecord,
    ContractRecord,
    ContractVersionRecord,
    FnbActualRecord,
    HotelInventoryRecord,
    IngestionRecord,
    InventoryReportRecord,
    InvoiceRecord,
    NoticeRecord,
    PaymentRecord,
    PickupSnapshotRecord,
    PropertyAlertLevelsRecord,
    PropertyRecord,
    RoomTypeCodeRecord,
    StaffSessionRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
    WebhookEventRecord,
)
from app.services import (
    actuals,
    assessments,
    audit,
    auth,
    batches,
    calendar_feeds,
    contracts,
    invoices,
    payments,
    properties,
    webhooks,
)
from app.services.auth import Access, Principal
from app.settings import Settings
from tests.api.conftest import CONTRACTS, bearer, property_body
from tests.api.test_login import login_token

SETUP = Principal("test setup", None, can_write=True, is_admin=True)
SAMPLE = load_document(CONTRACTS / "wedding-block-cliff.yaml")
AS_OF = "2027-10-18"
PASSWORD = "correct horse battery staple"


def _terms(**overrides: Any) -> dict[str, Any]:
    terms: dict[str, Any] = SAMPLE.contract.model_dump(mode="json", exclude={"property"})
    return terms | overrides


# --- the two hotels ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hotel:
    property_id: int
    account_id: int
    contract_id: int
    assessment_id: int
    invoice_number: str  # an invoice of contract_id, not yet credited
    uninvoiced_contract_id: int  # a second contract, with nothing billed, to issue an invoice for
    payment_id: int  # a payment received against invoice_number
    hotel_code: str  # the property's; contract_id has the block code GRP1
    feed_id: int  # a calendar feed of contract_id
    property_feed_id: int  # a calendar feed of the property
    endpoint_id: int  # a webhook endpoint of the property, receiving pickup.recorded
    delivery_id: int  # a failed delivery to it (of the second contract's pickup)
    batch_id: int  # a batch of PDFs asked for, still queued
    audit_id: int  # an outside-block audit of contract_id
    match_id: int  # its one match, pending

    def ids(self) -> dict[str, int | str]:
        return {
            "audit_id": self.audit_id,
            "match_id": self.match_id,
            "batch_id": self.batch_id,
            "hotel_code": self.hotel_code,
            "block_code": "GRP1",
            "property_id": self.property_id,
            "account_id": self.account_id,
            "contract_id": self.contract_id,
            "assessment_id": self.assessment_id,
            "number": self.invoice_number,
            "payment_id": self.payment_id,
            "feed_id": self.feed_id,
            "endpoint_id": self.endpoint_id,
            "delivery_id": self.delivery_id,
        }


def _hotel(session: Session, name: str) -> Hotel:
    hotel_code = name.upper().replace(" ", "-")
    prop = properties.create_property(
        session,
        SETUP,
        properties.PropertyCreate.model_validate(property_body(name=name, hotel_code=hotel_code)),
    )
    assert prop.id is not None
    account = properties.create_account(
        session, SETUP, properties.AccountCreate(property_id=prop.id, name=f"{name} account")
    )
    assert account.id is not None
    stored = contracts.create_contract(
        session,
        SETUP,
        {"property_id": prop.id, "account_id": account.id, "block_code": "GRP1", "contract": _terms()},
    )
    contract_id = stored.record.id
    assert contract_id is not None
    assert SAMPLE.actuals is not None
    pickup = [entry.model_dump(mode="json") for entry in SAMPLE.actuals.pickup]
    actuals.record_pickup(session, SETUP, contract_id, {"as_of": AS_OF, "entries": pickup})
    record, _ = assessments.save_assessment(session, SETUP, contract_id, SAMPLE.as_of)
    assert record.id is not None
    # Issued today, as of today (an interim invoice: no pickup yet), so that it can be paid today.
    invoice = invoices.issue_invoice(session, SETUP, contract_id)
    paid = payments.record_payment(
        session, SETUP, invoice.number, amount=Money(Decimal("1.00"), SAMPLE.contract.currency)
    )
    assert paid.id is not None
    second = contracts.create_contract(
        session, SETUP, {"property_id": prop.id, "account_id": account.id, "contract": _terms(id="second")}
    )
    assert second.record.id is not None
    endpoint = webhooks.register_endpoint(
        session,
        SETUP,
        prop.id,
        webhooks.WebhookEndpointCreate(url="https://hooks.example/a", events=["pickup.recorded"]),
    )
    actuals.record_pickup(session, SETUP, second.record.id, {"as_of": AS_OF, "entries": pickup})
    delivery = session.exec(
        select(WebhookDeliveryRecord).where(WebhookDeliveryRecord.endpoint_id == endpoint.id)
    ).one()
    assert endpoint.id is not None
    assert delivery.id is not None
    delivery.status = "failed"
    session.add(delivery)
    feed, _ = calendar_feeds.create_feed(session, SETUP, calendar_feeds.Owner(prop.id, contract_id), {})
    property_feed, _ = calendar_feeds.create_feed(session, SETUP, calendar_feeds.Owner(prop.id, None), {})
    assert feed.id is not None
    assert property_feed.id is not None
    batch = batches.request_batch(session, SETUP, prop.id, batches.BatchKind.INVOICES_DUE)
    assert batch.id is not None
    registrations, reservations = _audit_files()
    run = audit.run_audit(
        session,
        SETUP,
        contract_id,
        audit.AuditFile("registrations", "registrations.csv", registrations),
        audit.AuditFile("reservations", "reservations.csv", reservations),
    )
    assert run.run.id is not None
    assert run.matches[0].id is not None
    return Hotel(
        prop.id,
        account.id,
        contract_id,
        record.id,
        invoice.number,
        second.record.id,
        paid.id,
        hotel_code,
        feed.id,
        property_feed.id,
        endpoint.id,
        delivery.id,
        batch.id,
        run.run.id,
        run.matches[0].id,
    )


def _audit_files() -> tuple[bytes, bytes]:
    """An outside-block audit's two files: one registrant, found in the export outside the block."""
    return (
        b"Name,Arrival,Departure\nAnn Lee,2027-10-08,2027-10-10\n",
        b'Confirmation,Guest,Arrival,Departure,Rate code\nX1,"Lee, Ann",2027-10-08,2027-10-10,BAR\n',
    )


@dataclass(frozen=True, slots=True)
class Login:
    """A staff user signed in through the login form: the cookie it was given and its CSRF token."""

    cookie: str
    csrf_token: str


@dataclass(frozen=True, slots=True)
class World:
    a: Hotel
    b: Hotel
    spare_key_id: int  # a key an administrator may revoke
    staff_a: Login
    other_staff_a: Login
    staff_admin: Login


def _sign_in(
    client: TestClient, session: Session, email: str, property_ids: set[int], is_admin: bool
) -> Login:
    """Create a staff user and log in through the form, as a browser would."""
    user = auth.create_staff_user(
        session, email, PASSWORD, is_admin=is_admin, property_ids=frozenset(property_ids)
    )
    session.commit()
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": login_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    session.expire_all()
    record = session.exec(select(StaffSessionRecord).where(StaffSessionRecord.user_id == user.id)).one()
    return Login(response.cookies[SESSION_COOKIE], record.csrf_token)


@pytest.fixture(scope="module")
def world_connection(engine: sa.Engine) -> Iterator[tuple[sa.Connection, World]]:
    """Both hotels and the signed-in staff, built once per database in a transaction of this module's
    own; each test runs in a savepoint of it (``connection`` below), rolled back after the test.
    Logging in costs two Argon2 hashes, too slow to repeat in each of hundreds of tests."""
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            a = _hotel(session, "Hotel A")
            b = _hotel(session, "Hotel B")
            spare, _ = auth.create_api_key(session, "spare", Access.READ, frozenset({a.property_id}))
            session.commit()
            assert spare.id is not None
            app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), engine)
            app.state.sessions = lambda: Session(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
            with TestClient(app) as client:
                only_a = {a.property_id}
                world = World(
                    a,
                    b,
                    spare.id,
                    staff_a=_sign_in(client, session, "staff@a.example", only_a, False),
                    other_staff_a=_sign_in(client, session, "other@a.example", only_a, False),
                    staff_admin=_sign_in(client, session, "admin@hq.example", set(), True),
                )
        yield connection, world
        outer.rollback()


@pytest.fixture
def connection(world_connection: tuple[sa.Connection, World]) -> Iterator[sa.Connection]:
    """Overrides conftest's: a savepoint of the module's transaction instead of a transaction per test."""
    connection, _ = world_connection
    savepoint = connection.begin_nested()
    yield connection
    if savepoint.is_active:
        savepoint.rollback()


@pytest.fixture
def world(world_connection: tuple[sa.Connection, World], connection: sa.Connection) -> World:
    return world_connection[1]


# --- the routes ----------------------------------------------------------------------------------------

Body = Callable[[Hotel, World], Any]


@dataclass(frozen=True, slots=True)
class Call:
    """One route. ``kind``: "read" and "write" act on one hotel's resources, "any" needs only valid
    credentials, "admin" needs an administrator. ``ok`` is the status of a caller who may."""

    method: str
    path: str
    kind: str
    ok: int
    body: Body | None = None
    params: dict[str, str] | None = None
    if_match: bool = False
    #: The contract to use instead of ``hotel.contract_id`` (issuing needs one with nothing billed yet).
    contract: Callable[[Hotel], int] | None = None
    #: Whether a success stores something; None: a write or an administrator's call does.
    stores: bool | None = None
    #: The calendar feed to use instead of ``hotel.feed_id`` (a property's feed, not a contract's).
    feed: Callable[[Hotel], int] | None = None
    #: Files sent as a multipart upload instead of a JSON body.
    files: Callable[[], dict[str, tuple[str, bytes]]] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, hotel: Hotel, world: World) -> str:
        ids = hotel.ids() | ({"contract_id": self.contract(hotel)} if self.contract else {})
        ids |= {"feed_id": self.feed(hotel)} if self.feed else {}
        return self.path.format(**ids, key_id=world.spare_key_id, version=1)


def _pickup(hotel: Hotel, world: World) -> Any:
    return {
        "as_of": "2027-09-01",
        "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 4}],
    }


def _actuals(hotel: Hotel, world: World) -> Any:
    return {"as_of": AS_OF, "inventory": [{"night": "2027-10-08", "unsold_rooms": 3}]}


def _hotel_inventory(hotel: Hotel, world: World) -> Any:
    return {"as_of": AS_OF, "nights": [{"night": "2027-10-08", "capacity": 120, "rooms_sold": 110}]}


def _history(hotel: Hotel, world: World) -> Any:
    block = {
        "id": "past-wedding",
        "segment": "wedding",
        "block_room_nights": 60,
        "final_room_nights": 51,
        "on_the_books": [{"days_before_arrival": 30, "room_nights": 40}],
    }
    return {"blocks": [block]}


def _stateless(hotel: Hotel, world: World) -> Any:
    raw = SAMPLE.model_dump(mode="json")
    return {"contract": raw["contract"], "actuals": raw["actuals"], "as_of": AS_OF}


SCOPED_READS = [
    Call("GET", "/api/v1/properties/{property_id}", "read", 200),
    Call("GET", "/api/v1/accounts/{account_id}", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}/versions", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}/versions/{version}", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}/actuals", "read", 200, params={"as_of": AS_OF}),
    Call("GET", "/api/v1/contracts/{contract_id}/assessment", "read", 200, params={"as_of": AS_OF}),
    Call("GET", "/api/v1/contracts/{contract_id}/assessments", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}/assessments/{assessment_id}", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}/invoices", "read", 200),
    Call("GET", "/api/v1/invoices/{number}", "read", 200),
    Call("GET", "/api/v1/properties/{property_id}/batches/{batch_id}", "read", 200),
    # The world's batch is still queued: its file is not there yet.
    Call("GET", "/api/v1/properties/{property_id}/batches/{batch_id}/file", "read", 409),
    Call("GET", "/api/v1/invoices/{number}.pdf", "read", 200),
    Call("GET", "/api/v1/invoices/{number}.xml", "read", 200),
    Call("GET", "/api/v1/invoices/{number}/payments/{payment_id}", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}/report.pdf", "read", 200, params={"as_of": "2027-09-01"}),
    Call("GET", "/api/v1/contracts/{contract_id}/forecast", "read", 200, params={"as_of": "2027-09-01"}),
    # A what-if writes nothing, so reading the contract is enough.
    Call(
        "POST",
        "/api/v1/contracts/{contract_id}/what-if",
        "read",
        200,
        body=lambda hotel, world: {"as_of": "2027-09-01", "pickup": []},
    ),
    Call("GET", "/api/v1/properties/{property_id}/history", "read", 200),
    Call("GET", "/api/v1/properties/{property_id}/inventory", "read", 200),
    Call("GET", "/api/v1/properties/{property_id}/room-type-codes", "read", 200),
    Call("GET", "/api/v1/properties/by-code/{hotel_code}/blocks/{block_code}", "read", 200),
    Call("GET", "/api/v1/properties/{property_id}/calendar-feeds", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}/calendar-feeds", "read", 200),
    Call("GET", "/api/v1/properties/{property_id}/webhook-endpoints", "read", 200),
    Call("GET", "/api/v1/properties/{property_id}/webhook-endpoints/{endpoint_id}", "read", 200),
    Call("GET", "/api/v1/properties/{property_id}/webhook-endpoints/{endpoint_id}/deliveries", "read", 200),
    Call("GET", "/api/v1/properties/{property_id}/alert-levels", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}/audits", "read", 200),
    Call("GET", "/api/v1/contracts/{contract_id}/audits/{audit_id}", "read", 200),
]
SCOPED_WRITES = [
    Call(
        "PUT",
        "/api/v1/properties/{property_id}",
        "write",
        200,
        body=lambda hotel, world: property_body(name="Renamed"),
        if_match=True,
    ),
    Call(
        "PUT",
        "/api/v1/accounts/{account_id}",
        "write",
        200,
        body=lambda hotel, world: {"name": "Renamed account"},
        if_match=True,
    ),
    Call(
        "PUT",
        "/api/v1/contracts/{contract_id}",
        "write",
        200,
        body=lambda hotel, world: {"status": "tentative", "contract": _terms()},
        if_match=True,
    ),
    Call("POST", "/api/v1/contracts/{contract_id}/pickup", "write", 201, body=_pickup),
    Call(
        "POST",
        "/api/v1/contracts/{contract_id}/audits",
        "write",
        201,
        files=lambda: dict(
            zip(("registrations", "reservations"), (("r.csv", data) for data in _audit_files()), strict=True)
        ),
    ),
    Call(
        "POST", "/api/v1/contracts/{contract_id}/audits/{audit_id}/matches/{match_id}/confirm", "write", 200
    ),
    Call("POST", "/api/v1/contracts/{contract_id}/audits/{audit_id}/matches/{match_id}/reject", "write", 200),
    Call("POST", "/api/v1/contracts/{contract_id}/actuals", "write", 201, body=_actuals),
    Call("POST", "/api/v1/contracts/{contract_id}/assessments", "write", 201, params={"as_of": AS_OF}),
    Call(
        "POST",
        "/api/v1/contracts/{contract_id}/invoices",
        "write",
        201,
        body=lambda hotel, world: {"as_of": AS_OF, "issue_date": AS_OF},
        contract=lambda hotel: hotel.uninvoiced_contract_id,
    ),
    # Previewing an invoice needs the right to issue it (it shows what issuing would bill).
    Call(
        "GET",
        "/api/v1/contracts/{contract_id}/invoices/preview",
        "write",
        200,
        params={"as_of": AS_OF, "issue_date": AS_OF},
        contract=lambda hotel: hotel.uninvoiced_contract_id,
        stores=False,
    ),
    Call(
        "POST",
        "/api/v1/invoices/{number}/credit-note",
        "write",
        201,
        body=lambda hotel, world: {"reason": "billed in error", "issue_date": AS_OF},
    ),
    Call(
        "POST",
        "/api/v1/invoices/{number}/payments",
        "write",
        201,
        body=lambda hotel, world: {"amount": "2.00", "reference": "access matrix"},
    ),
    Call("POST", "/api/v1/properties/{property_id}/history", "write", 201, body=_history),
    Call("POST", "/api/v1/properties/{property_id}/inventory", "write", 201, body=_hotel_inventory),
    Call("POST", "/api/v1/properties/{property_id}/batches/invoices-due", "write", 202),
    Call("POST", "/api/v1/properties/{property_id}/batches/exposure-reports", "write", 202),
    Call(
        "PUT",
        "/api/v1/properties/{property_id}/room-type-codes",
        "write",
        200,
        body=lambda hotel, world: {"codes": {"KNG": "king"}},
    ),
    Call(
        "PUT",
        "/api/v1/properties/by-code/{hotel_code}/blocks/{block_code}",
        "write",
        200,
        body=lambda hotel, world: {"status": "tentative", "contract": _terms()},
        if_match=True,
    ),
    Call(
        "POST",
        "/api/v1/accounts",
        "write",
        201,
        body=lambda hotel, world: {"property_id": hotel.property_id, "name": "New account"},
    ),
    Call(
        "POST",
        "/api/v1/contracts",
        "write",
        201,
        body=lambda hotel, world: {"property_id": hotel.property_id, "contract": _terms(id="new-contract")},
    ),
    Call(
        "POST", "/api/v1/properties/{property_id}/calendar-feeds", "write", 201, body=lambda hotel, world: {}
    ),
    Call(
        "POST", "/api/v1/contracts/{contract_id}/calendar-feeds", "write", 201, body=lambda hotel, world: {}
    ),
    Call(
        "POST",
        "/api/v1/properties/{property_id}/calendar-feeds/{feed_id}/revoke",
        "write",
        200,
        feed=lambda hotel: hotel.property_feed_id,
    ),
    Call("POST", "/api/v1/contracts/{contract_id}/calendar-feeds/{feed_id}/revoke", "write", 200),
    Call(
        "PUT",
        "/api/v1/properties/{property_id}/alert-levels",
        "write",
        200,
        body=lambda hotel, world: {"days_before_cutoff": 10},
    ),
    # Webhook endpoints are the property's, but only an administrator registers, re-keys or revokes one.
    Call(
        "POST",
        "/api/v1/properties/{property_id}/webhook-endpoints",
        "admin",
        201,
        body=lambda hotel, world: {"url": "https://hooks.example/new", "events": ["invoice.issued"]},
    ),
    Call("POST", "/api/v1/properties/{property_id}/webhook-endpoints/{endpoint_id}/revoke", "admin", 200),
    Call(
        "POST", "/api/v1/properties/{property_id}/webhook-endpoints/{endpoint_id}/rotate-secret", "admin", 200
    ),
    Call(
        "POST",
        "/api/v1/properties/{property_id}/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        "admin",
        200,
    ),
]
UNSCOPED = [
    Call("GET", "/api/v1/properties", "any", 200),
    Call("GET", "/api/v1/accounts", "any", 200),
    Call("GET", "/api/v1/contracts", "any", 200),
    Call("GET", "/api/v1/exposure", "any", 200),
    Call("POST", "/api/v1/assessments", "any", 200, body=_stateless),
    Call("POST", "/api/v1/validate", "any", 200, body=_stateless),
]
ADMIN_ONLY = [
    Call("POST", "/api/v1/properties", "admin", 201, body=lambda hotel, world: property_body(name="New")),
    Call(
        "POST",
        "/api/v1/api-keys",
        "admin",
        201,
        body=lambda hotel, world: {"name": "new", "access": "read", "property_ids": [hotel.property_id]},
    ),
    Call("DELETE", "/api/v1/api-keys/{key_id}", "admin", 204),
]
API_CALLS = SCOPED_READS + SCOPED_WRITES + UNSCOPED + ADMIN_ONLY
PUBLIC = ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]


# --- the callers ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    #: The database this caller's rows of the matrix run on (see ``on_databases``).
    database: str
    is_admin: bool = False
    can_write: bool = False
    sees_b: bool = False

    def __str__(self) -> str:
        return self.name


# Who may do what is decided before any query that differs between the databases, so each caller's row of
# the matrix runs on one database, not on both. The databases are spread so that every route still
# answers on both: its reads succeed for all five callers, its writes for the read-write key (SQLite) and
# the admin key (PostgreSQL), its administrators' calls for the admin key and the admin staff user
# (SQLite); a hotel's callers are refused hotel B's items on both.
READ_A = Role("read key for A", "postgresql")
READ_WRITE_A = Role("read-write key for A", "sqlite", can_write=True)
ADMIN_KEY = Role("admin key", "postgresql", is_admin=True, can_write=True, sees_b=True)
STAFF_A = Role("staff user of A (cookie)", "sqlite", can_write=True)
STAFF_ADMIN = Role("admin staff user (cookie)", "sqlite", is_admin=True, can_write=True, sees_b=True)
VALID_ROLES = [READ_A, READ_WRITE_A, ADMIN_KEY, STAFF_A, STAFF_ADMIN]
SCOPED_TO_A = [READ_A, READ_WRITE_A, STAFF_A]


def on_databases(name: str, values: list[Any], database: Callable[[Any], str]) -> pytest.MarkDecorator:
    """Parametrize ``name`` with ``values``, each on its own database (the conftest's ``engine``)."""
    return pytest.mark.parametrize(
        ("engine", name),
        [pytest.param(database(value), value, id=f"{database(value)}-{value}") for value in values],
        indirect=["engine"],
    )


def by_role(role: Role) -> str:
    return role.database


def alternately(values: list[str]) -> Callable[[str], str]:
    """SQLite for the first, third... of ``values``, PostgreSQL for the others."""
    return lambda value: ("sqlite", "postgresql")[values.index(value) % 2]


# Tried on every route:
BAD_CREDENTIALS = ["no credentials", "malformed key", "unknown key", "revoked key"]
# Tried on one read, one write and one administrator's route:
OTHER_BAD_CREDENTIALS = [
    "bearer without a key",
    "basic scheme",
    "known prefix, wrong secret",
    "unknown X-API-Key",
    "unknown session cookie",
]


@dataclass
class Caller:
    """Headers for a request; a cookie caller's writes carry its CSRF token."""

    headers: dict[str, str]
    csrf: dict[str, str]

    def for_method(self, method: str) -> dict[str, str]:
        return self.headers | (self.csrf if method not in {"GET", "HEAD"} else {})


@pytest.fixture
def caller(client: TestClient, session: Session, world: World) -> Callable[[Role], Caller]:
    def make(role: Role) -> Caller:
        a = {world.a.property_id}
        if role is READ_A:
            return Caller(bearer(_key(session, Access.READ, a)), {})
        if role is READ_WRITE_A:
            return Caller(bearer(_key(session, Access.READ_WRITE, a)), {})
        if role is ADMIN_KEY:
            return Caller(bearer(_key(session, Access.ADMIN, set())), {})
        login = world.staff_a if role is STAFF_A else world.staff_admin
        assert role in {STAFF_A, STAFF_ADMIN}
        client.cookies.set(SESSION_COOKIE, login.cookie)
        return Caller({}, {CSRF_HEADER: login.csrf_token})

    return make


def _key(session: Session, access: Access, property_ids: set[int]) -> str:
    _, raw = auth.create_api_key(session, f"test {access}", access, frozenset(property_ids))
    session.commit()
    return raw


def bad_headers(kind: str, client: TestClient, session: Session, world: World) -> dict[str, str]:
    if kind == "no credentials":
        return {}
    if kind == "bearer without a key":
        return {"Authorization": "Bearer "}
    if kind == "basic scheme":
        return {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}
    if kind == "malformed key":
        return bearer("not-an-api-key")
    if kind == "unknown key":
        return bearer("atk_0123456789ab_" + "x" * 43)
    if kind == "known prefix, wrong secret":
        prefix = _key(session, Access.ADMIN, set()).split("_")[1]
        return bearer(f"atk_{prefix}_" + "x" * 43)
    if kind == "unknown X-API-Key":
        return {"X-API-Key": "atk_0123456789ab_" + "y" * 43}
    if kind == "revoked key":
        raw = _key(session, Access.ADMIN, set())
        record = session.exec(select(ApiKeyRecord).where(ApiKeyRecord.prefix == raw.split("_")[1])).one()
        assert record.id is not None
        auth.revoke_api_key(session, record.id)
        session.commit()
        return bearer(raw)
    assert kind == "unknown session cookie"
    client.cookies.set(SESSION_COOKIE, "no-such-session")
    return {CSRF_HEADER: "whatever"}


def send(client: TestClient, call: Call, hotel: Hotel, world: World, headers: dict[str, str]) -> Response:
    headers = dict(headers)
    if call.if_match:
        headers["If-Match"] = '"r1"'
    body = None if call.body is None else call.body(hotel, world)
    if call.files is not None:
        return client.request(
            call.method, call.url(hotel, world), headers=headers, files=call.files(), params=call.params
        )
    return client.request(call.method, call.url(hotel, world), headers=headers, json=body, params=call.params)


# What a test can see changing: row counts of every table, and the revision of every row that has one.
WATCHED: list[type[SQLModel]] = [
    PropertyRecord,
    AccountRecord,
    ContractRecord,
    ContractVersionRecord,
    PickupSnapshotRecord,
    FnbActualRecord,
    InventoryReportRecord,
    HotelInventoryRecord,
    NoticeRecord,
    AssessmentRecord,
    IngestionRecord,
    ApiKeyRecord,
    InvoiceRecord,
    PaymentRecord,
    BlockHistoryRecord,
    RoomTypeCodeRecord,
    CalendarFeedRecord,
    WebhookEndpointRecord,
    WebhookEventRecord,
    WebhookDeliveryRecord,
    BatchJobRecord,
    AuditRunRecord,
    AuditMatchRecord,
]


def snapshot(session: Session) -> dict[str, Any]:
    session.expire_all()
    state: dict[str, Any] = {
        table.__name__: session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in WATCHED
    }
    for table in (PropertyRecord, AccountRecord, ContractRecord):
        state[f"{table.__name__} revisions"] = sorted(session.execute(sa.select(table.id, table.revision)))  # type: ignore[attr-defined]
    state["revoked keys"] = session.execute(
        sa.select(sa.func.count()).select_from(ApiKeyRecord).where(ApiKeyRecord.revoked_at.is_not(None))  # type: ignore[union-attr]
    ).scalar_one()
    state["webhook endpoints"] = sorted(
        (row.id, row.secret, row.revoked_at is not None)
        for row in session.exec(select(WebhookEndpointRecord))
    )
    state["webhook deliveries"] = sorted(
        (row.id, row.status, row.attempts) for row in session.exec(select(WebhookDeliveryRecord))
    )
    state["alert levels"] = sorted(
        (row.property_id, row.days_before_cutoff, row.damages_probability_pct)
        for row in session.exec(select(PropertyAlertLevelsRecord))
    )
    state["audit decisions"] = sorted((row.id, row.status) for row in session.exec(select(AuditMatchRecord)))
    state["revoked calendar feeds"] = session.execute(
        sa.select(sa.func.count())
        .select_from(CalendarFeedRecord)
        .where(CalendarFeedRecord.revoked_at.is_not(None))  # type: ignore[union-attr]
    ).scalar_one()
    return state


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


# --- the matrix ----------------------------------------------------------------------------------------


def test_the_tables_name_every_route_of_the_openapi_document(app: FastAPI) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        # The OpenTravel routes answer in XML, never problem+json: test_opentravel.py checks who may use them.
        if path.startswith("/api/v1") and not path.startswith("/api/v1/ota/")
    }
    tabled = {(call.method, call.path) for call in API_CALLS}

    assert tabled == documented
    assert "/healthz" in app.openapi()["paths"]


def test_every_route_answers_a_caller_who_may_on_both_databases() -> None:
    """The matrix runs each caller on one database; every route still answers an allowed caller (as it
    answers one who may) on both."""
    for call in API_CALLS:
        allowed = {role.database for role in VALID_ROLES if _expected(role, call) == call.ok}
        assert allowed == {"sqlite", "postgresql"}, call.id
    for roles in (SCOPED_TO_A, [ADMIN_KEY, STAFF_ADMIN]):
        assert {role.database for role in roles} == {"sqlite", "postgresql"}


@pytest.mark.parametrize("path", PUBLIC)
def test_public_endpoint_answers_without_credentials(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200, response.text
    assert "www-authenticate" not in response.headers


def _bad_credentials_matrix() -> list[Any]:
    kinds = BAD_CREDENTIALS + OTHER_BAD_CREDENTIALS
    database = alternately(kinds)
    samples = [SCOPED_READS[2], SCOPED_WRITES[3], ADMIN_ONLY[0]]
    return [
        pytest.param(database(kind), kind, call, id=f"{database(kind)}-{kind}-{call.id}")
        for kind in kinds
        for call in (API_CALLS if kind in BAD_CREDENTIALS else samples)
    ]


@pytest.mark.parametrize(("engine", "credentials", "call"), _bad_credentials_matrix(), indirect=["engine"])
def test_bad_credentials_get_401_problem_and_write_nothing(
    client: TestClient, session: Session, world: World, credentials: str, call: Call
) -> None:
    headers = bad_headers(credentials, client, session, world)
    before = snapshot(session)

    response = send(client, call, world.a, world, headers)

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert snapshot(session) == before


def _expected(role: Role, call: Call) -> int:
    if call.kind == "admin":
        return call.ok if role.is_admin else 403
    if call.kind == "write":
        return call.ok if role.can_write else 403
    return call.ok


@pytest.mark.parametrize("call", API_CALLS, ids=lambda call: call.id)
@on_databases("role", VALID_ROLES, by_role)
def test_role_on_hotel_a_gets_what_its_access_allows(
    client: TestClient,
    session: Session,
    world: World,
    caller: Callable[[Role], Caller],
    role: Role,
    call: Call,
) -> None:
    who = caller(role)
    before = snapshot(session)

    response = send(client, call, world.a, world, who.for_method(call.method))

    status = _expected(role, call)
    if status >= 400:
        assert_problem(response, status)
        assert snapshot(session) == before
    else:
        assert response.status_code == status, response.text
        writes = call.kind in {"write", "admin"} if call.stores is None else call.stores
        assert (snapshot(session) != before) is writes


@pytest.mark.parametrize("call", SCOPED_READS + SCOPED_WRITES, ids=lambda call: call.id)
@on_databases("role", SCOPED_TO_A, by_role)
def test_role_scoped_to_a_gets_404_for_everything_of_hotel_b_and_writes_nothing(
    client: TestClient,
    session: Session,
    world: World,
    caller: Callable[[Role], Caller],
    role: Role,
    call: Call,
) -> None:
    who = caller(role)
    before = snapshot(session)

    response = send(client, call, world.b, world, who.for_method(call.method))

    assert_problem(response, 404)
    assert snapshot(session) == before


@pytest.mark.parametrize("call", SCOPED_READS + SCOPED_WRITES, ids=lambda call: call.id)
@on_databases("role", [ADMIN_KEY, STAFF_ADMIN], by_role)
def test_administrator_reaches_hotel_b_too(
    client: TestClient,
    world: World,
    caller: Callable[[Role], Caller],
    role: Role,
    call: Call,
) -> None:
    who = caller(role)

    response = send(client, call, world.b, world, who.for_method(call.method))

    assert response.status_code == call.ok, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contracts/{a_contract}/assessments/{b_assessment}",
        "/api/v1/contracts/{b_contract}/assessments/{a_assessment}",
    ],
)
@pytest.mark.parametrize("role", [*SCOPED_TO_A, ADMIN_KEY], ids=str)
def test_assessment_read_through_another_contract_is_not_found(
    client: TestClient, world: World, caller: Callable[[Role], Caller], role: Role, path: str
) -> None:
    who = caller(role)
    url = path.format(
        a_contract=world.a.contract_id,
        b_contract=world.b.contract_id,
        a_assessment=world.a.assessment_id,
        b_assessment=world.b.assessment_id,
    )

    assert_problem(client.get(url, headers=who.headers), 404)


LISTS = [
    ("/api/v1/properties", None, "id"),
    ("/api/v1/accounts", None, "property_id"),
    ("/api/v1/contracts", None, "property_id"),
    ("/api/v1/accounts", "b", "property_id"),
    ("/api/v1/contracts", "b", "property_id"),
]


@pytest.mark.parametrize(("path", "filter_by", "owner"), LISTS)
@pytest.mark.parametrize("role", SCOPED_TO_A, ids=str)
def test_lists_for_a_role_scoped_to_a_hold_only_hotel_a_items(
    client: TestClient,
    world: World,
    caller: Callable[[Role], Caller],
    role: Role,
    path: str,
    filter_by: str | None,
    owner: str,
) -> None:
    who = caller(role)
    params = {} if filter_by is None else {"property_id": str(world.b.property_id)}

    body = client.get(path, headers=who.headers, params=params).json()

    owners = {item[owner] for item in body["items"]}
    if filter_by is None:
        assert owners == {world.a.property_id}
        assert body["total"] == len(body["items"])
    else:
        assert body == {"items": [], "total": 0, "limit": 50, "offset": 0}


@pytest.mark.parametrize(("path", "filter_by", "owner"), LISTS[:3])
@pytest.mark.parametrize("role", [ADMIN_KEY, STAFF_ADMIN], ids=str)
def test_lists_for_an_administrator_hold_both_hotels(
    client: TestClient,
    world: World,
    caller: Callable[[Role], Caller],
    role: Role,
    path: str,
    filter_by: str | None,
    owner: str,
) -> None:
    who = caller(role)

    body = client.get(path, headers=who.headers).json()

    assert {item[owner] for item in body["items"]} == {world.a.property_id, world.b.property_id}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/accounts", lambda prop: {"property_id": prop, "name": "Smuggled account"}),
        ("/api/v1/contracts", lambda prop: {"property_id": prop, "contract": _terms(id="smuggled")}),
    ],
    ids=["account", "contract"],
)
@pytest.mark.parametrize("role", SCOPED_TO_A, ids=str)
def test_creating_in_hotel_b_with_hotel_a_credentials_fails_and_admin_sees_nothing_new(
    client: TestClient,
    world: World,
    caller: Callable[[Role], Caller],
    admin_key: str,
    role: Role,
    path: str,
    body: Callable[[int], Any],
) -> None:
    who = caller(role)
    listed = {"property_id": str(world.b.property_id)}
    before = client.get(path, headers=bearer(admin_key), params=listed).json()

    response = client.post(path, headers=who.for_method("POST"), json=body(world.b.property_id))

    assert response.status_code in {403, 404}, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(path, headers=bearer(admin_key), params=listed).json() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/properties", lambda a: property_body(name="Not allowed")),
        ("/api/v1/api-keys", lambda a: {"name": "escalate", "access": "admin"}),
        ("/api/v1/api-keys", lambda a: {"name": "wider", "access": "read_write", "property_ids": [a]}),
        ("/api/v1/properties", lambda a: {"name": "", "currency": "dollars"}),
        ("/api/v1/api-keys", lambda a: {"access": "root"}),
    ],
    ids=["property", "admin key", "key for A", "invalid property", "invalid key"],
)
@pytest.mark.parametrize("role", SCOPED_TO_A, ids=str)
def test_only_administrators_create_properties_and_keys(
    client: TestClient,
    session: Session,
    world: World,
    caller: Callable[[Role], Caller],
    role: Role,
    path: str,
    body: Callable[[int], Any],
) -> None:
    who = caller(role)
    before = snapshot(session)

    response = client.post(path, headers=who.for_method("POST"), json=body(world.a.property_id))

    assert_problem(response, 403)
    assert snapshot(session) == before


def _update_without_write_access() -> list[Any]:
    cases = []
    for call in SCOPED_WRITES[:3]:
        for if_match in (None, '"r99"'):
            label = "no If-Match" if if_match is None else "stale If-Match"
            cases.append(pytest.param(call, if_match, id=f"{call.id}-{label}"))
    return cases


@pytest.mark.parametrize(("call", "if_match"), _update_without_write_access())
def test_read_key_update_is_403_whatever_its_if_match(
    client: TestClient,
    session: Session,
    world: World,
    caller: Callable[[Role], Caller],
    call: Call,
    if_match: str | None,
) -> None:
    """A caller who may not write is told so, not asked for a precondition it could never satisfy
    (RFC 9110 §13.2.1: preconditions are evaluated only where the request would otherwise succeed)."""
    who = caller(READ_A)
    headers = who.headers | ({} if if_match is None else {"If-Match": if_match})
    assert call.body is not None
    before = snapshot(session)

    response = client.request(
        call.method, call.url(world.a, world), headers=headers, json=call.body(world.a, world)
    )

    assert_problem(response, 403)
    assert snapshot(session) == before


def test_key_created_by_an_administrator_works_until_revoked_then_gets_401(
    client: TestClient, world: World, admin_key: str
) -> None:
    created = client.post(
        "/api/v1/api-keys",
        headers=bearer(admin_key),
        json={"name": "front desk", "access": "read", "property_ids": [world.a.property_id]},
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    own = f"/api/v1/properties/{world.a.property_id}"
    assert client.get(own, headers=bearer(key)).status_code == 200
    assert_problem(client.get(f"/api/v1/properties/{world.b.property_id}", headers=bearer(key)), 404)

    revoked = client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=bearer(admin_key))

    assert revoked.status_code == 204, revoked.text
    response = client.get(own, headers=bearer(key))
    assert_problem(response, 401)
    assert "www-authenticate" in response.headers


@pytest.mark.parametrize("role", SCOPED_TO_A, ids=str)
def test_non_administrator_cannot_revoke_a_key_and_the_key_keeps_working(
    client: TestClient, session: Session, world: World, caller: Callable[[Role], Caller], role: Role
) -> None:
    victim = _key(session, Access.READ, {world.a.property_id})
    victim_id = session.exec(select(ApiKeyRecord.id).where(ApiKeyRecord.prefix == victim.split("_")[1])).one()
    who = caller(role)

    response = client.delete(f"/api/v1/api-keys/{victim_id}", headers=who.for_method("DELETE"))

    assert_problem(response, 403)
    assert client.get("/api/v1/properties", headers=bearer(victim)).status_code == 200


def test_revoking_an_unknown_key_is_404(client: TestClient, admin_key: str) -> None:
    assert_problem(client.delete("/api/v1/api-keys/999999", headers=bearer(admin_key)), 404)


def test_x_api_key_header_authenticates_like_bearer(
    client: TestClient, session: Session, world: World
) -> None:
    key = _key(session, Access.READ, {world.a.property_id})

    response = client.get(f"/api/v1/properties/{world.a.property_id}", headers={"X-API-Key": key})

    assert response.status_code == 200, response.text


# --- cookies and CSRF ----------------------------------------------------------------------------------

# A GET changes nothing, so it needs no CSRF token (the invoice preview needs the right to write only).
COOKIE_WRITES = [call for call in SCOPED_WRITES + UNSCOPED if call.method != "GET"]


CSRF_TOKENS = ["missing", "wrong", "another session's"]


@pytest.mark.parametrize("call", COOKIE_WRITES, ids=lambda call: call.id)
@on_databases("token", CSRF_TOKENS, alternately(CSRF_TOKENS))
def test_cookie_write_without_the_session_csrf_token_is_403_and_writes_nothing(
    client: TestClient,
    session: Session,
    world: World,
    caller: Callable[[Role], Caller],
    call: Call,
    token: str,
) -> None:
    caller(STAFF_A)
    headers = {
        "missing": {},
        "wrong": {CSRF_HEADER: "x" * 32},
        "another session's": {CSRF_HEADER: world.other_staff_a.csrf_token},
    }[token]
    before = snapshot(session)

    response = send(client, call, world.a, world, headers)

    body = assert_problem(response, 403)
    assert CSRF_HEADER in body["detail"]
    assert snapshot(session) == before


def test_cookie_write_with_the_session_csrf_token_is_saved(
    client: TestClient, session: Session, world: World, caller: Callable[[Role], Caller]
) -> None:
    who = caller(STAFF_A)

    response = client.post(
        "/api/v1/accounts",
        headers=who.for_method("POST"),
        json={"property_id": world.a.property_id, "name": "Booked by cookie"},
    )

    assert response.status_code == 201, response.text
    session.expire_all()
    saved = session.get(AccountRecord, response.json()["id"])
    assert saved is not None
    assert saved.name == "Booked by cookie"


def test_cookie_read_needs_no_csrf_token(
    client: TestClient, world: World, caller: Callable[[Role], Caller]
) -> None:
    caller(STAFF_A)

    response = client.get(f"/api/v1/contracts/{world.a.contract_id}")

    assert response.status_code == 200, response.text


def test_api_key_write_needs_no_csrf_token(client: TestClient, session: Session, world: World) -> None:
    key = _key(session, Access.READ_WRITE, {world.a.property_id})

    response = client.post(
        "/api/v1/accounts",
        headers=bearer(key),
        json={"property_id": world.a.property_id, "name": "Booked by key"},
    )

    assert response.status_code == 201, response.text
