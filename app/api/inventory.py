"""The hotel's inventory per night: capacity, out of order, rooms sold and unsold (issue 17)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api.contracts import read_report
from app.api.deps import Limit, Offset, OnceDep, PrincipalDep, SessionDep, body_schema
from app.api.middleware import CSV_LIMIT
from app.api.schemas import Page
from app.engine.limits import IsoDate
from app.persistence.records import HotelInventoryRecord
from app.services import hotel_inventory as service
from app.services import pickup_files
from app.services.assessments import hotel_today
from app.services.errors import MalformedInputError
from app.services.idempotency import Outcome
from app.services.properties import get_property

router = APIRouter(tags=["hotel inventory"])


class HotelNightPublic(BaseModel):
    """One night of the hotel as reported on ``as_of`` (the latest report as of the list's date)."""

    night: date
    capacity: int | None = Field(description="Rooms the hotel has (null when only unsold was reported)")
    out_of_order: int | None = Field(description="Rooms out of order that night")
    rooms_sold: int | None = Field(description="Rooms sold that night")
    unsold_rooms: int = Field(description="Sellable rooms left unsold: given, or derived and never below 0")
    as_of: date = Field(description="The date of the report these figures come from")
    recorded_at: datetime
    recorded_by: str = Field(description="Who entered the report (user:ID or key:NAME)")


class InventorySaved(BaseModel):
    property_id: int
    as_of: date
    nights: int = Field(description="Nights the report held")


def _public(row: HotelInventoryRecord) -> HotelNightPublic:
    return HotelNightPublic.model_validate(row, from_attributes=True)


@router.get(
    "/properties/{property_id}/inventory",
    response_model=Page[HotelNightPublic],
    summary="The hotel's inventory per night, as it stood on a date",
    description=(
        f"Nights from night_from to night_to (at most {service.MAX_RANGE_NIGHTS} nights; default: today at "
        "the hotel and the 30 nights after), each as last reported on or before as_of (default: today "
        "at the hotel). Nights without a report are left out."
    ),
)
def list_inventory(
    property_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    night_from: Annotated[IsoDate | None, Query(description="The first night")] = None,
    night_to: Annotated[IsoDate | None, Query(description="The last night (inclusive)")] = None,
    as_of: Annotated[IsoDate | None, Query(description="Default: today at the hotel")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[HotelNightPublic]:
    prop = get_property(session, principal, property_id)
    today = hotel_today(prop.timezone)
    first, last = service.default_range(today)
    first = night_from or first
    last = night_to or (first + (last - today))
    rows = service.list_nights(session, principal, property_id, first, last, as_of or today)
    return Page[HotelNightPublic](
        items=[_public(row) for row in rows[offset : offset + limit]],
        total=len(rows),
        limit=limit,
        offset=offset,
    )


async def read_inventory(request: Request) -> tuple[str, Any, bytes]:
    return await read_report(request, "inventory")


INVENTORY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HotelInventoryReport"}},
            "text/csv": {"schema": {"type": "string", "pattern": r"\S", "maxLength": CSV_LIMIT.max_bytes}},
            pickup_files.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                    "additionalProperties": False,
                }
            },
        },
    }
}
body_schema(service.HotelInventoryReport, "HotelInventoryReport")


@router.post(
    "/properties/{property_id}/inventory",
    status_code=201,
    response_model=InventorySaved,
    openapi_extra=INVENTORY_BODY,
    summary="Record the hotel's inventory for some nights (JSON, or CSV or .xlsx with ?as_of= or a column)",
    description=(
        f"At most {service.MAX_REPORT_NIGHTS} nights, each once. Per night: unsold_rooms, or capacity and "
        "rooms_sold (and out_of_order) from which unsold = capacity - out_of_order - rooms_sold, never below "
        "0; both must agree. CSV and .xlsx take the same columns (night, capacity, out_of_order, rooms_sold, "
        "unsold_rooms, as_of; headers matched case-insensitively), dates YYYY-MM-DD. A report with any bad "
        "night saves nothing; each problem names its line. Nights left out keep their earlier figures."
    ),
)
def record_inventory(
    property_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    upload: Annotated[tuple[str, Any, bytes], Depends(read_inventory)],
    once: OnceDep,
    as_of: Annotated[
        IsoDate | None, Query(description="The report date of a CSV without an as_of column")
    ] = None,
) -> JSONResponse:
    kind, data, raw = upload
    get_property(session, principal, property_id)

    def write() -> Outcome:
        if kind == "xlsx" and len(raw) > pickup_files.MAX_FILE_BYTES:
            raise MalformedInputError(f"the file is larger than {pickup_files.MAX_FILE_BYTES:,} bytes")
        if kind in ("csv", "xlsx"):
            saved = service.record_inventory_file(session, principal, property_id, kind, data, as_of)
        else:
            saved = service.record_inventory(session, principal, property_id, data)
        body = InventorySaved(property_id=saved.property_id, as_of=saved.as_of, nights=saved.nights)
        return Outcome(201, body.model_dump(mode="json"))

    return once.answer(session, principal, write, content=(kind, raw))
