"""OpenTravel group blocks (HTNG profile) on SQLite and PostgreSQL: OTA_HotelInvBlockNotifRQ creates,
replaces and cancels a block and records its pickup; OTA_HotelInvBlockRQ reads it back; malformed and
hostile messages are answered with OpenTravel errors and write nothing.

The messages follow the element tree of OTA_HotelInvBlockNotifRQ (InvBlocks/InvBlock with HotelRef,
InvBlockDates, RoomTypes/RoomType/RoomTypeAllocations/RoomTypeAllocation and RatePlans)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.persistence import repositories as repo
from app.persistence.records import ContractRecord, NoticeRecord, PickupSnapshotRecord
from app.services import auth
from tests.api.conftest import bearer

NS = "http://www.opentravel.org/OTA/2003/05"
NOTIF = "/api/v1/ota/HotelInvBlockNotif"
READ = "/api/v1/ota/HotelInvBlock"
BY_CODE = "/api/v1/properties/by-code/BERMIT/blocks/EUCONG25"

ALLOCATIONS = """
          <RoomTypeAllocations RoomTypePickUpStatus="1">
            <RoomTypeAllocation Start="2027-10-14" End="2027-10-15" NumberOfUnits="40" SellLimit="45"/>
            <RoomTypeAllocation Start="2027-10-16" End="2027-10-16" NumberOfUnits="25"/>
          </RoomTypeAllocations>"""
RATES = """
          <RatePlans>
            <RatePlan RatePlanCode="GRPEUC" CurrencyCode="EUR" Start="2027-10-14" End="2027-10-16">
              <BaseByGuestAmts>
                <BaseByGuestAmt NumberOfGuests="2" AgeQualifyingCode="10" AmountBeforeTax="170.00"/>
                <BaseByGuestAmt NumberOfGuests="1" AgeQualifyingCode="10" AmountBeforeTax="150.00"/>
              </BaseByGuestAmts>
            </RatePlan>
          </RatePlans>"""


def notif(
    *,
    action: str = "Book",
    room_types: str | None = None,
    hotel: str = "BERMIT",
    dates: str = '<InvBlockDates Start="2027-10-14" End="2027-10-17" AbsoluteCutoff="2027-09-14"/>',
    timestamp: str = "2027-06-02T10:15:00Z",
    namespace: str = NS,
    prolog: str = "",
) -> str:
    if room_types is None:
        room_types = f'<RoomTypes><RoomType RoomTypeCode="KNG">{ALLOCATIONS}{RATES}</RoomType></RoomTypes>'
    return f"""{prolog}<OTA_HotelInvBlockNotifRQ xmlns="{namespace}"
    EchoToken="att-7f3c9e" TimeStamp="{timestamp}" Version="1.000">
  <POS><Source><RequestorID Type="22" ID="ATTRITION"/></Source></POS>
  <InvBlocks>
    <InvBlock InvBlockCode="EUCONG25" InvBlockName="EUCONG" InvBlockLongName="EU Congress 2027"
              InvBlockStatusCode="2" TransactionAction="{action}" BookingStatus="Open">
      <HotelRef ChainCode="XX" HotelCode="{hotel}"/>
      {dates}
      {room_types}
      <MethodInfo BillingType="SignRoomAndTax" SignFoodAndBev="true"/>
      <Contacts><Contact ContactType="Planner"><PersonName><GivenName>Ana</GivenName>
        <Surname>Lopez</Surname></PersonName><Email>ana@example.org</Email></Contact></Contacts>
    </InvBlock>
  </InvBlocks>
</OTA_HotelInvBlockNotifRQ>"""


def pickup_message(code: str = "KNG", *, timestamp: str = "2027-09-01T23:30:00Z") -> str:
    sold = f"""<RoomTypes><RoomType RoomTypeCode="{code}">
          <RoomTypeAllocations RoomTypePickUpStatus="4">
            <RoomTypeAllocation Start="2027-10-14" End="2027-10-15" NumberOfUnits="31"/>
            <RoomTypeAllocation Start="2027-10-16" End="2027-10-16" NumberOfUnits="12"/>
          </RoomTypeAllocations></RoomType></RoomTypes>"""
    return notif(action="Modify", room_types=sold, dates="", timestamp=timestamp)


READ_RQ = f"""<OTA_HotelInvBlockRQ xmlns="{NS}"
    EchoToken="read-1" TimeStamp="2027-09-02T08:00:00Z" Version="1.000">
  <HotelInvBlockRequests><HotelInvBlockRequest>
    <HotelRef HotelCode="BERMIT"/><InvBlock InvBlockCode="EUCONG25"/>
  </HotelInvBlockRequest></HotelInvBlockRequests>
</OTA_HotelInvBlockRQ>"""


def post(client: TestClient, key: str, body: str | bytes, url: str = NOTIF, **headers: str) -> Response:
    content = body.encode() if isinstance(body, str) else body
    return client.post(
        url, content=content, headers={**bearer(key), "Content-Type": "application/xml", **headers}
    )


def parsed(response: Response) -> ET.Element:
    assert response.headers["content-type"].startswith("application/xml"), response.text
    return ET.fromstring(response.content)


def q(path: str) -> str:
    return "/".join(f"{{{NS}}}{part}" for part in path.split("/"))


def errors(response: Response) -> list[tuple[str, str | None]]:
    root = parsed(response)
    assert root.find(q("Success")) is None
    return [(error.get("Type", ""), error.get("Code")) for error in root.findall(q("Errors/Error"))]


def warnings(root: ET.Element) -> list[str]:
    return [warning.text or "" for warning in root.findall(q("Warnings/Warning"))]


@pytest.fixture
def hotel(client: TestClient, admin_key: str) -> int:
    created = client.post(
        "/api/v1/properties",
        headers=bearer(admin_key),
        json={"name": "Berlin Mitte", "currency": "EUR", "timezone": "Europe/Berlin", "hotel_code": "BERMIT"},
    )
    assert created.status_code == 201, created.text
    property_id: int = created.json()["id"]
    mapped = client.put(
        f"/api/v1/properties/{property_id}/room-type-codes",
        headers=bearer(admin_key),
        json={"codes": {"KNG": "king", "DBL": "double"}},
    )
    assert mapped.status_code == 200, mapped.text
    return property_id


@pytest.fixture
def counts(session: Session) -> Callable[[], tuple[int, int, int]]:
    def count() -> tuple[int, int, int]:
        return (
            repo.count_rows(session, ContractRecord),
            repo.count_rows(session, PickupSnapshotRecord),
            repo.count_rows(session, NoticeRecord),
        )

    return count


def booked(client: TestClient, key: str) -> dict[str, Any]:
    response = post(client, key, notif())
    assert response.status_code == 200, response.text
    contract = client.get(BY_CODE, headers=bearer(key))
    assert contract.status_code == 200, contract.text
    body: dict[str, Any] = contract.json()
    return body


# --- create, replace, pickup, cancel, read -------------------------------------------------------------


def test_a_book_message_creates_the_block_with_its_grid_rates_and_cutoff(
    client: TestClient, admin_key: str, hotel: int
) -> None:
    response = post(client, admin_key, notif())

    assert response.status_code == 200, response.text
    root = parsed(response)
    assert root.tag == f"{{{NS}}}OTA_HotelInvBlockNotifRS"
    assert (root.get("EchoToken"), root.get("Version")) == ("att-7f3c9e", "1.000")
    assert root.find(q("Success")) is not None
    assert root.find(q("Errors")) is None
    ref = root.find(q("InvBlockCodeRefs/InvBlockCodeRef"))
    assert ref is not None
    assert (ref.get("InvBlockCode"), ref.get("InvSystemInvBlockCode")) == ("EUCONG25", "eucong25")

    contract = client.get(BY_CODE, headers=bearer(admin_key)).json()
    terms = contract["contract"]
    assert (contract["property_id"], contract["block_code"], contract["reference"]) == (
        hotel,
        "EUCONG25",
        "eucong25",
    )
    assert (terms["name"], terms["currency"], terms["group"]["name"]) == (
        "EU Congress 2027",
        "EUR",
        "EU Congress 2027",
    )
    assert (terms["arrival_date"], terms["departure_date"], terms["cutoff_date"]) == (
        "2027-10-14",
        "2027-10-17",
        "2027-09-14",
    )
    # KNG is the hotel's code for king; the single-occupancy amount before tax is the block rate.
    assert [(cell["night"], cell["room_type"], cell["rooms"], cell["rate"]) for cell in terms["block"]] == [
        ("2027-10-14", "king", 40, {"amount": "150.00", "currency": "EUR"}),
        ("2027-10-15", "king", 40, {"amount": "150.00", "currency": "EUR"}),
        ("2027-10-16", "king", 25, {"amount": "150.00", "currency": "EUR"}),
    ]


def test_a_modify_replaces_the_grid_and_keeps_the_terms_the_message_cannot_carry(
    client: TestClient, admin_key: str, hotel: int
) -> None:
    contract = booked(client, admin_key)
    terms = {**contract["contract"], "attrition": {"performance_pct": "80"}}
    terms.pop("property")
    amended = client.put(BY_CODE, headers={**bearer(admin_key), "If-Match": '"r1"'}, json={"contract": terms})
    assert amended.status_code == 200, amended.text
    smaller = ALLOCATIONS.replace('NumberOfUnits="40"', 'NumberOfUnits="30"')
    room_types = f'<RoomTypes><RoomType RoomTypeCode="KNG">{smaller}{RATES}</RoomType></RoomTypes>'

    response = post(client, admin_key, notif(action="Modify", room_types=room_types))

    assert response.status_code == 200, response.text
    after = client.get(BY_CODE, headers=bearer(admin_key)).json()
    assert after["current_version"] == 3
    assert after["contract"]["attrition"]["performance_pct"] == "80"
    assert [cell["rooms"] for cell in after["contract"]["block"]] == [30, 30, 25]


def test_sold_allocations_record_pickup_as_of_the_hotels_date_of_the_timestamp(
    client: TestClient, admin_key: str, hotel: int, session: Session
) -> None:
    contract = booked(client, admin_key)

    # 23:30 UTC on 1 September is already 2 September in Berlin.
    response = post(client, admin_key, pickup_message())

    assert response.status_code == 200, response.text
    rows = repo.pickup_history(session, contract["id"])
    assert [
        (r.as_of.isoformat(), r.night.isoformat(), r.room_type, r.source, r.room_nights) for r in rows
    ] == [
        ("2027-09-02", "2027-10-14", "king", "in_block", 31),
        ("2027-09-02", "2027-10-15", "king", "in_block", 31),
        ("2027-09-02", "2027-10-16", "king", "in_block", 12),
    ]
    key = repo.api_key_by_prefix(session, admin_key.split("_")[1])
    assert key is not None
    assert {row.recorded_by for row in rows} == {f"key:{key.id}"}
    # The grid is untouched by a message that carries only pickup.
    assert client.get(BY_CODE, headers=bearer(admin_key)).json()["current_version"] == 1


def test_the_block_is_read_back_with_its_pickup(client: TestClient, admin_key: str, hotel: int) -> None:
    booked(client, admin_key)
    post(client, admin_key, pickup_message(timestamp="2026-01-01T12:00:00Z"))

    response = post(client, admin_key, READ_RQ, url=READ)

    assert response.status_code == 200, response.text
    root = parsed(response)
    assert root.tag == f"{{{NS}}}OTA_HotelInvBlockRS"
    assert root.get("EchoToken") == "read-1"
    assert root.find(q("Success")) is not None
    block = root.find(q("InvBlocks/InvBlock"))
    assert block is not None
    assert (block.get("InvBlockCode"), block.get("BookingStatus")) == ("EUCONG25", "Open")
    dates = block.find(q("InvBlockDates"))
    assert dates is not None
    assert (dates.get("Start"), dates.get("End"), dates.get("AbsoluteCutoff")) == (
        "2027-10-14",
        "2027-10-17",
        "2027-09-14",
    )
    room_type = block.find(q("RoomTypes/RoomType"))
    assert room_type is not None
    assert room_type.get("RoomTypeCode") == "KNG"

    def runs(status: str) -> list[tuple[str | None, str | None, str | None]]:
        group = next(
            g for g in room_type.findall(q("RoomTypeAllocations")) if g.get("RoomTypePickUpStatus") == status
        )
        return [
            (a.get("Start"), a.get("End"), a.get("NumberOfUnits"))
            for a in group.findall(q("RoomTypeAllocation"))
        ]

    assert runs("1") == [("2027-10-14", "2027-10-15", "40"), ("2027-10-16", "2027-10-16", "25")]
    assert runs("4") == [("2027-10-14", "2027-10-15", "31"), ("2027-10-16", "2027-10-16", "12")]
    amount = room_type.find(q("RatePlans/RatePlan/BaseByGuestAmts/BaseByGuestAmt"))
    assert amount is not None
    assert amount.get("AmountBeforeTax") == "150.00"


def test_cancel_marks_the_contract_cancelled_and_records_the_notice_where_a_clause_prices_it(
    client: TestClient, admin_key: str, hotel: int, session: Session
) -> None:
    contract = booked(client, admin_key)
    terms = {**contract["contract"], "cancellation": {"tiers": [{"min_days": 0, "pct": "100"}]}}
    terms.pop("property")
    client.put(BY_CODE, headers={**bearer(admin_key), "If-Match": '"r1"'}, json={"contract": terms})

    response = post(
        client, admin_key, notif(action="Cancel", room_types="", timestamp="2027-08-01T09:00:00+02:00")
    )

    assert response.status_code == 200, response.text
    assert warnings(parsed(response)) == []
    after = client.get(BY_CODE, headers=bearer(admin_key)).json()
    assert after["status"] == "cancelled"
    actuals = client.get(
        f"/api/v1/contracts/{contract['id']}/actuals",
        params={"as_of": "2027-08-02"},
        headers=bearer(admin_key),
    ).json()
    assert actuals["cancellation_notice_date"] == "2027-08-01"


def test_cancel_without_a_cancellation_clause_warns_that_no_notice_was_recorded(
    client: TestClient, admin_key: str, hotel: int, counts: Callable[[], tuple[int, int, int]]
) -> None:
    booked(client, admin_key)

    response = post(client, admin_key, notif(action="Cancel", room_types=""))

    assert response.status_code == 200, response.text
    root = parsed(response)
    assert root.find(q("Success")) is not None
    assert "no cancellation clause" in warnings(root)[0]
    assert client.get(BY_CODE, headers=bearer(admin_key)).json()["status"] == "cancelled"
    assert counts()[2] == 0


# --- refused messages: OpenTravel errors, nothing written ----------------------------------------------


def test_pickup_naming_a_room_type_the_block_lacks_is_error_402_and_saves_nothing(
    client: TestClient, admin_key: str, hotel: int, counts: Callable[[], tuple[int, int, int]]
) -> None:
    booked(client, admin_key)
    before = counts()

    response = post(client, admin_key, pickup_message("TWN"))

    assert response.status_code == 422
    assert errors(response) == [("3", "402")]
    error = parsed(response).find(q("Errors/Error"))
    assert error is not None
    assert error.get("RecordID") == "EUCONG25"
    assert error.text == "room type TWN is not in the block (king)"
    assert parsed(response).get("EchoToken") == "att-7f3c9e"
    assert counts() == before


def test_an_unknown_hotel_code_is_error_392(
    client: TestClient, admin_key: str, hotel: int, counts: Callable[[], tuple[int, int, int]]
) -> None:
    response = post(client, admin_key, notif(hotel="NOWHERE"))

    assert response.status_code == 422
    assert errors(response) == [("3", "392")]
    assert counts() == (0, 0, 0)


def test_a_grid_night_without_a_rate_is_error_842(
    client: TestClient, admin_key: str, hotel: int, counts: Callable[[], tuple[int, int, int]]
) -> None:
    response = post(client, admin_key, notif().replace('End="2027-10-16">', 'End="2027-10-15">'))

    assert response.status_code == 422
    assert errors(response) == [("3", "842")]
    assert counts() == (0, 0, 0)


def test_a_block_the_engine_refuses_is_answered_with_its_words(
    client: TestClient, admin_key: str, hotel: int, counts: Callable[[], tuple[int, int, int]]
) -> None:
    # The cut-off after arrival: the contract's own rule, in words, with no field path.
    late = '<InvBlockDates Start="2027-10-14" End="2027-10-17" AbsoluteCutoff="2027-10-20"/>'

    response = post(client, admin_key, notif(dates=late))

    assert response.status_code == 422
    assert errors(response) == [("3", "320")]
    error = parsed(response).find(q("Errors/Error"))
    assert error is not None
    assert error.text is not None
    assert "cutoff_date must not be after arrival_date" in error.text
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        ("malformed", "<OTA_HotelInvBlockNotifRQ xmlns='" + NS + "'><InvBlocks>", 400, "367"),
        ("not xml", "hello", 400, "367"),
        ("empty", "   ", 400, "367"),
        ("wrong namespace", notif(namespace="http://example.org/not-ota"), 400, "367"),
        ("no namespace", notif().replace(f' xmlns="{NS}"', ""), 400, "367"),
        ("another message", READ_RQ, 400, "450"),
        (
            "billion laughs",
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
            '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
            '<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>'
            + notif().replace('InvBlockName="EUCONG"', 'InvBlockName="&lol9;"'),
            400,
            "367",
        ),
        (
            "external entity",
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + notif().replace('InvBlockName="EUCONG"', 'InvBlockName="&xxe;"'),
            400,
            "367",
        ),
        (
            "a dtd",
            notif(prolog='<!DOCTYPE OTA_HotelInvBlockNotifRQ SYSTEM "http://127.0.0.1:9/ota.dtd">'),
            400,
            "367",
        ),
        (
            "two blocks",
            notif().replace("</InvBlocks>", '<InvBlock InvBlockCode="B2"/></InvBlocks>'),
            422,
            "450",
        ),
        ("no timestamp", notif().replace('TimeStamp="2027-06-02T10:15:00Z"', ""), 422, "321"),
        ("bad date", notif(dates='<InvBlockDates Start="2027-13-40" End="2027-10-17"/>'), 422, "136"),
        ("unknown action", notif(action="Quote"), 422, "450"),
        ("negative units", notif().replace('NumberOfUnits="25"', 'NumberOfUnits="-2"'), 422, "320"),
        (
            "a long duration",
            notif().replace('End="2027-10-15" NumberOfUnits="40"', 'Duration="P415D" NumberOfUnits="40"'),
            422,
            "404",
        ),
        (
            "a decade of nights",
            notif().replace('End="2027-10-15" NumberOfUnits="40"', 'End="2037-10-15" NumberOfUnits="40"'),
            422,
            "404",
        ),
    ],
)
def test_refused_messages_are_opentravel_errors_and_write_nothing(
    client: TestClient,
    admin_key: str,
    hotel: int,
    counts: Callable[[], tuple[int, int, int]],
    name: str,
    body: str,
    status: int,
    code: str,
) -> None:
    response = post(client, admin_key, body)

    assert response.status_code == status, response.text
    root = parsed(response)
    assert root.tag == f"{{{NS}}}OTA_HotelInvBlockNotifRS"
    assert [error.get("Code") for error in root.findall(q("Errors/Error"))] == [code]
    assert "root:" not in response.text
    assert "lollol" not in response.text
    assert counts() == (0, 0, 0)


def test_too_many_room_types_are_refused_before_they_are_read(
    client: TestClient, admin_key: str, hotel: int, counts: Callable[[], tuple[int, int, int]]
) -> None:
    room_types = "".join(f'<RoomType RoomTypeCode="T{n}">{ALLOCATIONS}{RATES}</RoomType>' for n in range(21))

    response = post(client, admin_key, notif(room_types=f"<RoomTypes>{room_types}</RoomTypes>"))

    assert response.status_code == 422
    assert errors(response) == [("3", "450")]
    assert counts() == (0, 0, 0)


def test_an_oversized_message_is_an_opentravel_error_whether_declared_or_streamed(
    client: TestClient, admin_key: str, hotel: int, counts: Callable[[], tuple[int, int, int]]
) -> None:
    padding = "<!--" + "x" * 1_000_000 + "-->"
    body = notif() + padding

    declared = post(client, admin_key, body)

    def chunks() -> Iterator[bytes]:
        data = body.encode()
        for start in range(0, len(data), 65_536):
            yield data[start : start + 65_536]

    streamed = client.post(
        NOTIF, content=chunks(), headers={**bearer(admin_key), "Content-Type": "application/xml"}
    )

    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert errors(response) == [("7", "450")]
        assert response.headers["Connection"] == "close"
    assert counts() == (0, 0, 0)


def test_credentials_media_type_and_query_are_refused_in_opentravel_terms(
    client: TestClient,
    admin_key: str,
    hotel: int,
    make_key: Callable[[auth.Access, set[int]], str],
    counts: Callable[[], tuple[int, int, int]],
) -> None:
    anonymous = client.post(NOTIF, content=notif().encode(), headers={"Content-Type": "application/xml"})
    assert anonymous.status_code == 401
    assert errors(anonymous) == [("4", "497")]
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"

    reader = make_key(auth.Access.READ, {hotel})
    read_only = post(client, reader, notif())
    assert read_only.status_code == 403
    assert errors(read_only) == [("6", "497")]

    other = client.post(
        "/api/v1/properties", headers=bearer(admin_key), json={"name": "Elsewhere", "currency": "EUR"}
    ).json()["id"]
    outsider = make_key(auth.Access.READ_WRITE, {other})
    assert errors(post(client, outsider, notif())) == [("3", "392")]  # another hotel's code is unknown

    as_json = client.post(NOTIF, json={"a": 1}, headers=bearer(admin_key))
    assert as_json.status_code == 415
    assert errors(as_json) == [("7", "367")]

    query = client.post(
        NOTIF,
        params={"x": "1"},
        content=notif().encode(),
        headers={**bearer(admin_key), "Content-Type": "text/xml"},
    )
    assert query.status_code == 400
    assert errors(query) == [("7", "320")]
    assert counts() == (0, 0, 0)


def test_reading_an_unknown_block_is_an_error(client: TestClient, admin_key: str, hotel: int) -> None:
    response = post(client, admin_key, READ_RQ, url=READ)

    assert response.status_code == 404
    assert parsed(response).tag == f"{{{NS}}}OTA_HotelInvBlockRS"
    assert errors(response) == [("3", "320")]


def test_other_methods_are_opentravel_errors_naming_post(client: TestClient, admin_key: str) -> None:
    response = client.get(NOTIF, headers=bearer(admin_key))

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert errors(response) == [("7", "450")]


@pytest.mark.parametrize(
    ("dates", "departure", "cutoff"),
    [
        # End after the last allocated night: the departure day.
        (
            '<InvBlockDates Start="2027-10-14" End="2027-10-17" OffsetDuration="P21D"/>',
            "2027-10-17",
            "2027-09-23",
        ),
        # End on the last allocated night (as some partners send it): the stay ends the morning after.
        (
            '<InvBlockDates Start="2027-10-14" End="2027-10-16" OffsetDuration="P3W" '
            'OffsetCalculationMode="BeforeBlockStartDate"/>',
            "2027-10-17",
            "2027-09-23",
        ),
        (
            '<InvBlockDates Start="2027-10-14" Duration="P3D" OffsetDuration="P10D" '
            'OffsetCalculationMode="AfterBlockCreation"/>',
            "2027-10-17",
            "2027-06-12",
        ),
        ('<InvBlockDates Start="2027-10-14"/>', "2027-10-17", None),
    ],
)
def test_block_dates_and_cutoffs_are_read_as_documented(
    client: TestClient, admin_key: str, hotel: int, dates: str, departure: str, cutoff: str | None
) -> None:
    response = post(client, admin_key, notif(dates=dates))

    assert response.status_code == 200, response.text
    terms = client.get(BY_CODE, headers=bearer(admin_key)).json()["contract"]
    assert (terms["arrival_date"], terms["departure_date"], terms.get("cutoff_date")) == (
        "2027-10-14",
        departure,
        cutoff,
    )


def test_a_rate_plan_may_cover_more_than_the_stay(client: TestClient, admin_key: str, hotel: int) -> None:
    long_plan = notif().replace(
        'Start="2027-10-14" End="2027-10-16">', 'Start="2027-01-01" End="2029-12-31">'
    )

    response = post(client, admin_key, long_plan)

    assert response.status_code == 200, response.text


def test_the_readme_example_books_a_block_with_its_pickup(
    client: TestClient, admin_key: str, hotel: int, session: Session
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    integration = readme[readme.index("## Integration") :]
    example = re.search(r"```xml\n(.*?)```", integration, re.DOTALL)
    assert example is not None

    response = post(client, admin_key, example.group(1))

    assert response.status_code == 200, response.text
    contract = client.get("/api/v1/properties/by-code/BERMIT/blocks/GRP1", headers=bearer(admin_key)).json()
    assert contract["reference"] == "grp1"
    terms = contract["contract"]
    assert (terms["arrival_date"], terms["departure_date"], terms["cutoff_date"]) == (
        "2027-10-14",
        "2027-10-16",
        "2027-09-14",
    )
    assert [(c["night"], c["room_type"], c["rooms"], c["rate"]["amount"]) for c in terms["block"]] == [
        ("2027-10-14", "king", 40, "150.00"),
        ("2027-10-15", "king", 40, "150.00"),
    ]
    rows = repo.pickup_history(session, contract["id"])
    assert [(r.as_of.isoformat(), r.night.isoformat(), r.room_type, r.room_nights) for r in rows] == [
        ("2027-09-01", "2027-10-14", "king", 12),
        ("2027-09-01", "2027-10-15", "king", 12),
    ]


def test_a_message_sent_again_adds_no_version(client: TestClient, admin_key: str, hotel: int) -> None:
    booked(client, admin_key)

    again = post(client, admin_key, notif())

    assert again.status_code == 200, again.text
    assert client.get(BY_CODE, headers=bearer(admin_key)).json()["current_version"] == 1
