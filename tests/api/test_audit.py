"""Outside-block audit end to end, on SQLite and PostgreSQL: upload the registration list and the hotel's
export, the matches it proposes, confirm and reject, the credit the assessment then gives, and bad
files refused naming their line and column with nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from app.persistence import repositories as repo
from app.persistence.records import AuditMatchRecord, AuditRunRecord
from app.services import audit as service
from app.services.assessments import hotel_today
from app.services.audit_files import MAX_REGISTRANTS, MAX_RESERVATION_BYTES, AuditFile
from app.services.auth import Principal
from tests.api.conftest import bearer, property_body
from tests.workbooks import workbook, zip_bomb

# A 3-night stay already over, so that today's assessment is final: 20 kings a night at 200.00,
# 80 % performance over the stay, 80 % damages. The block code of its own reservations is GRP26.
# Minimum 80 % x 60 = 48 room nights; 40 picked up in the block: 8 short x 200.00 x 80 % = 1,280.00.
CONTRACT = {
    "id": "audit-sample",
    "group": {"name": "Audit Example Group", "segment": "association"},
    "currency": "USD",
    "arrival_date": "2026-06-01",
    "departure_date": "2026-06-04",
    "block": [
        {"night": night, "room_type": "king", "rooms": 20, "rate": "200.00"}
        for night in ("2026-06-01", "2026-06-02", "2026-06-03")
    ],
    "attrition": {"performance_pct": 80, "damages_pct": 80, "evaluation_mode": "cumulative"},
}
PICKUP = {
    "as_of": "2026-06-05",
    "entries": [
        {"night": night, "room_type": "king", "room_nights": rooms}
        for night, rooms in (("2026-06-01", 14), ("2026-06-02", 13), ("2026-06-03", 13))
    ],
}

REGISTRATIONS = (
    "Name,Arrival,Departure,Email,Company\n"
    "Alice Martin,2026-06-01,2026-06-03,alice@example.org,Acme\n"
    "José García,2026-06-01,2026-06-04,,\n"
    "John Smith,2026-06-02,2026-06-04,,\n"
    "Zoë Brown,2026-06-01,2026-06-04,,\n"  # in the block
    "Karl Nobody,2026-06-01,2026-06-02,,\n"  # stayed elsewhere
)
RESERVATIONS = (
    "Confirmation;Guest name;Arrival;Departure;Room type;Rate code;Email\n"
    "C-100;MARTIN, Alice;2026-06-01;2026-06-03;KNG;BAR;alice@example.org\n"
    "C-101;Garcia, Jose;2026-06-01;2026-06-04;QQ;OTA;\n"
    "C-102;Smith, J.;2026-06-02;2026-06-04;king;CORP;\n"
    "C-103;Brown, Zoe;2026-06-01;2026-06-04;king;GRP26;\n"  # in the block: not a candidate
    "C-104;Jane Smith;2026-06-10;2026-06-12;king;BAR;\n"  # after the stay
    "C-105;Peter Stranger;2026-06-01;2026-06-03;king;BAR;\n"
)


@pytest.fixture
def contract(client: TestClient, admin_key: str) -> int:
    prop = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body())
    assert prop.status_code == 201, prop.text
    created = client.post(
        "/api/v1/contracts",
        headers=bearer(admin_key),
        json={"property_id": prop.json()["id"], "contract": CONTRACT, "block_code": "GRP26"},
    )
    assert created.status_code == 201, created.text
    contract_id: int = created.json()["id"]
    saved = client.post(f"/api/v1/contracts/{contract_id}/pickup", headers=bearer(admin_key), json=PICKUP)
    assert saved.status_code == 201, saved.text
    return contract_id


def upload(
    client: TestClient,
    key: str,
    contract_id: int,
    registrations: bytes | str = REGISTRATIONS,
    reservations: bytes | str = RESERVATIONS,
    **extra: Any,
) -> Response:
    def raw(data: bytes | str) -> bytes:
        return data.encode() if isinstance(data, str) else data

    reg_name = "export.xlsx" if raw(registrations).startswith(b"PK") else "registrations.csv"
    return client.post(
        f"/api/v1/contracts/{contract_id}/audits",
        headers=bearer(key),
        files={
            "registrations": (reg_name, raw(registrations)),
            "reservations": ("reservations.csv", raw(reservations)),
        },
        data=extra,
    )


def decide(
    client: TestClient, key: str, contract_id: int, audit_id: int, match_id: int, what: str
) -> Response:
    return client.post(
        f"/api/v1/contracts/{contract_id}/audits/{audit_id}/matches/{match_id}/{what}", headers=bearer(key)
    )


def total(client: TestClient, key: str, contract_id: int, as_of: str) -> str:
    response = client.get(
        f"/api/v1/contracts/{contract_id}/assessment", params={"as_of": as_of}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    amount: str = response.json()["assessment"]["total"]["amount"]
    return amount


def outside_block(session: Session, contract_id: int) -> list[tuple[str, str, str, int]]:
    return [
        (row.as_of.isoformat(), row.night.isoformat(), row.room_type, row.room_nights)
        for row in repo.pickup_history(session, contract_id)
        if row.source == "outside_block"
    ]


def test_worked_example_confirmed_matches_lower_the_damages_by_their_room_nights_at_the_rate(
    client: TestClient, admin_key: str, contract: int, session: Session
) -> None:
    """Worked example. The block holds 60 king room nights at 200.00; 80 % performance makes the
    minimum 48; the group took 40 in the block, 8 short: 8 x 200.00 x 80 % = 1,280.00 of damages.

    The audit proposes three pairs: Alice Martin (C-100, 2 nights; the same email), José García
    ("Garcia, Jose", C-101, 3 nights) and John Smith ("Smith, J.", C-102, 2 nights). Zoë Brown's
    reservation carries the block's code GRP26 (already in the block), Jane Smith's is after the stay,
    Peter Stranger is no one's. KNG and QQ are no room type of the block, so the credit is of its
    cheapest type, king. Confirming Alice and José credits 2 + 3 = 5 outside-block room nights: 45 of
    48, 3 short: 3 x 200.00 x 80 % = 480.00, 800.00 (5 x 200.00 x 80 %) less than before.
    """
    before = total(client, admin_key, contract, "2026-12-31")

    created = upload(client, admin_key, contract)

    assert created.status_code == 201, created.text
    audit = created.json()
    assert created.headers["Location"] == f"/api/v1/contracts/{contract}/audits/{audit['id']}"
    assert (audit["registrant_count"], audit["reservation_count"], audit["candidate_count"]) == (5, 6, 4)
    pairs = {m["reservation"]["confirmation"]: m for m in audit["matches"]}
    assert sorted(pairs) == ["C-100", "C-101", "C-102"]
    assert pairs["C-100"]["registrant"]["name"] == "Alice Martin"
    assert pairs["C-100"]["email_agrees"] is True
    assert pairs["C-101"]["registrant"]["name"] == "José García"
    assert pairs["C-102"]["registrant"]["name"] == "John Smith"
    assert all(m["status"] == "pending" for m in audit["matches"])
    assert [(m["credited_room_type"], m["credited_room_nights"]) for m in pairs.values()] == [
        ("king", 2),
        ("king", 3),
        ("king", 2),
    ]
    assert outside_block(session, contract) == []  # proposing credits nothing

    for confirmation in ("C-100", "C-101"):
        response = decide(client, admin_key, contract, audit["id"], pairs[confirmation]["id"], "confirm")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "confirmed"
        assert response.json()["decided_by"]
    after = total(client, admin_key, contract, "2026-12-31")

    # 5 credited room nights x 200.00 x 80 % = 800.00 less.
    assert before == "1280.00"
    assert after == "480.00"


def test_worked_example_by_the_service_rejecting_a_confirmed_match_takes_its_credit_back_in_a_new_entry(
    client: TestClient, admin_key: str, contract: int, session: Session
) -> None:
    """Worked example through the service. Before: 40 of a 48 room-night minimum, 1,280.00 (8 x 200.00 x
    80 %). Confirming "Smith, J." credits its 2 nights (2 and 3 June) as one outside-block king each, as
    of today: 42 of 48, 6 short, 960.00. Rejecting it then writes both cells back to 0 as of today, in
    two new rows (the first two are kept), and the damages are 1,280.00 again."""
    admin = Principal("user:audit-test", None, can_write=True, is_admin=True)
    detail = service.run_audit(
        session,
        admin,
        contract,
        AuditFile("registrations", "r.csv", REGISTRATIONS.encode()),
        AuditFile("reservations", "x.csv", RESERVATIONS.encode()),
    )
    smith = next(m for m in detail.matches if m.confirmation == "C-102")
    assert smith.id is not None
    assert detail.run.id is not None
    today = hotel_today("America/Los_Angeles").isoformat()

    confirmed = service.decide_match(
        session, admin, contract, detail.run.id, smith.id, service.Decision.CONFIRM
    )
    session.commit()
    assert (confirmed.status, confirmed.decided_by, confirmed.credited_as_of) == (
        "confirmed",
        "user:audit-test",
        hotel_today("America/Los_Angeles"),
    )
    assert outside_block(session, contract) == [
        (today, "2026-06-02", "king", 1),
        (today, "2026-06-03", "king", 1),
    ]
    assert total(client, admin_key, contract, "2026-12-31") == "960.00"

    rejected = service.decide_match(
        session, admin, contract, detail.run.id, smith.id, service.Decision.REJECT
    )
    session.commit()

    assert rejected.status == "rejected"
    assert outside_block(session, contract) == [
        (today, "2026-06-02", "king", 1),
        (today, "2026-06-03", "king", 1),
        (today, "2026-06-02", "king", 0),
        (today, "2026-06-03", "king", 0),
    ]
    assert total(client, admin_key, contract, "2026-12-31") == "1280.00"


def test_a_second_decision_the_same_way_and_a_reservation_credited_twice_are_409(
    client: TestClient, admin_key: str, contract: int
) -> None:
    first = upload(client, admin_key, contract).json()
    second = upload(client, admin_key, contract).json()
    alice = next(m["id"] for m in first["matches"] if m["reservation"]["confirmation"] == "C-100")
    alice_again = next(m["id"] for m in second["matches"] if m["reservation"]["confirmation"] == "C-100")
    assert decide(client, admin_key, contract, first["id"], alice, "confirm").status_code == 200

    again = decide(client, admin_key, contract, first["id"], alice, "confirm")
    twice = decide(client, admin_key, contract, second["id"], alice_again, "confirm")

    assert again.status_code == 409, again.text
    assert twice.status_code == 409, twice.text
    assert "already credited by match" in twice.json()["detail"]


def test_audits_are_listed_newest_first_and_read_with_their_matches(
    client: TestClient, admin_key: str, contract: int
) -> None:
    first = upload(client, admin_key, contract).json()
    second = upload(client, admin_key, contract, block_code="NONE").json()

    listed = client.get(f"/api/v1/contracts/{contract}/audits", headers=bearer(admin_key))
    read = client.get(f"/api/v1/contracts/{contract}/audits/{first['id']}", headers=bearer(admin_key))
    missing = client.get(f"/api/v1/contracts/{contract}/audits/999999", headers=bearer(admin_key))

    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [second["id"], first["id"]]
    assert listed.json()["total"] == 2
    # With another block code, Zoë Brown's GRP26 reservation is a candidate, and found.
    assert second["block_code"] == "NONE"
    assert second["match_count"] == 4
    assert read.json()["matches"] == first["matches"]
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("registrations", "reservations", "expected"),
    [
        (
            "Name,Arrival,Departure\nAlice,2026-06-01,2026-06-03\nBob,2026-06-31,2026-06-03\n",
            RESERVATIONS,
            [("registrations.arrival", 3, "column B (Arrival): '2026-06-31' is not a date (YYYY-MM-DD)")],
        ),
        (
            REGISTRATIONS,
            "Guest,Arrival,Departure\nAlice,2026-06-03,2026-06-01\n,2026-06-01,2026-06-02\n",
            [
                ("reservations.departure", 2, "column C (Departure): departure must be after arrival"),
                ("reservations.name", 3, "column A (Guest): empty: give the guest's name"),
            ],
        ),
        (
            "Name,Arrival\nAlice,2026-06-01\n",
            "Guest,Arrival,Departure\n" + "A" * 201 + ",2026-06-01,2026-06-02\n",
            [
                (
                    "registrations.departure",
                    1,
                    "no column for departure (accepted: departure, departure_date, check_out, checkout, "
                    "check_out_date, depart)",
                ),
                ("reservations.name", 2, "column A (Guest): longer than 200 characters"),
            ],
        ),
    ],
)
def test_bad_files_are_422_naming_file_line_and_column_and_store_nothing(
    client: TestClient,
    admin_key: str,
    contract: int,
    session: Session,
    registrations: str,
    reservations: str,
    expected: list[tuple[str, int, str]],
) -> None:
    response = upload(client, admin_key, contract, registrations, reservations)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e.get("line"), e["message"]) for e in response.json()["errors"]] == expected
    assert session.exec(select(AuditRunRecord)).all() == []
    assert session.exec(select(AuditMatchRecord)).all() == []


def test_a_workbook_list_is_read_and_a_zip_bomb_is_refused_unread(
    client: TestClient, admin_key: str, contract: int, session: Session
) -> None:
    rows = [line.split(",") for line in REGISTRATIONS.strip().splitlines()]
    good = upload(client, admin_key, contract, workbook(rows))
    bomb = upload(client, admin_key, contract, zip_bomb(50_000_000))

    assert good.status_code == 201, good.text
    assert good.json()["match_count"] == 3
    assert bomb.status_code == 422, bomb.text
    assert bomb.json()["errors"][0]["field"] == "registrations"
    assert "unpacks to more than" in bomb.json()["errors"][0]["message"]
    assert len(session.exec(select(AuditRunRecord)).all()) == 1


def test_an_upload_without_the_reservations_file_or_with_other_fields_is_422(
    client: TestClient, admin_key: str, contract: int
) -> None:
    url = f"/api/v1/contracts/{contract}/audits"
    lacking = client.post(url, headers=bearer(admin_key), files={"registrations": ("r.csv", b"x")})
    extra = client.post(
        url,
        headers=bearer(admin_key),
        files={"registrations": ("r.csv", b"x"), "reservations": ("x.csv", b"x")},
        data={"threshold": "0.1"},
    )
    json = client.post(url, headers=bearer(admin_key), json={})

    assert (lacking.status_code, lacking.json()["errors"][0]["field"]) == (422, "reservations")
    assert (extra.status_code, extra.json()["errors"][0]["field"]) == (422, "threshold")
    assert json.status_code == 415


def test_a_retried_upload_with_the_same_idempotency_key_stores_one_audit(
    client: TestClient, admin_key: str, contract: int, session: Session
) -> None:
    def send() -> Response:
        # A new multipart boundary each time: the key's fingerprint is the files, not the body bytes.
        return client.post(
            f"/api/v1/contracts/{contract}/audits",
            headers={**bearer(admin_key), "Idempotency-Key": "audit-upload-1"},
            files={
                "registrations": ("r.csv", REGISTRATIONS.encode()),
                "reservations": ("x.csv", RESERVATIONS.encode()),
            },
        )

    first, retry = send(), send()

    assert first.status_code == 201, first.text
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["Location"] == first.headers["Location"]
    assert len(session.exec(select(AuditRunRecord)).all()) == 1


def test_files_over_their_bounds_are_refused_before_they_are_read(
    client: TestClient, admin_key: str, contract: int, session: Session
) -> None:
    too_long = "Name,Arrival,Departure\n" + "Ann Lee,2026-06-01,2026-06-02\n" * (MAX_REGISTRANTS + 1)
    too_big = b"Guest,Arrival,Departure\n" + b"x" * MAX_RESERVATION_BYTES

    response = upload(client, admin_key, contract, too_long, too_big)

    assert response.status_code == 422, response.text
    assert [(e["field"], e.get("line"), e["message"]) for e in response.json()["errors"]] == [
        ("registrations", MAX_REGISTRANTS + 2, f"at most {MAX_REGISTRANTS:,} rows per file"),
        ("reservations", None, f"the file is larger than {MAX_RESERVATION_BYTES:,} bytes"),
    ]
    assert session.exec(select(AuditRunRecord)).all() == []
