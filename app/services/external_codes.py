"""The codes booking systems (PMS, CRS) use for what we store: a property's HotelCode, a contract's
InvBlockCode, and a property's room-type codes (``KNG``) with the block room types they stand for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.engine.contract import RoomType
from app.persistence import repositories as repo
from app.persistence.records import PropertyRecord
from app.services.auth import Principal
from app.services.errors import ConflictError, NotFoundError

#: The longest code: booking systems use short codes (SynXis hotel codes, OpenTravel block codes).
MAX_CODE_CHARS = 32
#: Room-type codes of one property: a hotel's PMS rarely has more than a few dozen room types.
MAX_ROOM_TYPE_CODES = 200
#: Letters, digits and ``-_./``, case kept, as booking systems write them (``GRP1``, ``EU.CONG_25``).
CODE_PATTERN = r"^[A-Za-z0-9_./-]+$"

ExternalCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_CODE_CHARS,
        pattern=CODE_PATTERN,
        description="1 to 32 letters, digits and - _ . / (case kept)",
    ),
]


class RoomTypeCodes(BaseModel):
    """A property's booking-system room-type codes and the block room type each stands for. Pickup that
    names a code (``KNG``) is recorded against its room type (``king``); a name the block itself uses
    wins over a code of the same spelling."""

    model_config = ConfigDict(extra="forbid")

    codes: dict[ExternalCode, RoomType] = Field(
        max_length=MAX_ROOM_TYPE_CODES, description='code -> room type, for example {"KNG": "king"}'
    )

    @field_validator("codes", mode="before")
    @classmethod
    def _at_most(cls, value: Any) -> Any:
        # Counted before the codes are validated, so that an oversized mapping costs no more to refuse.
        if isinstance(value, dict) and len(value) > MAX_ROOM_TYPE_CODES:
            raise ValueError(f"at most {MAX_ROOM_TYPE_CODES} room-type codes ({len(value):,} given)")
        return value


def map_room_type(codes: Mapping[str, str], known: tuple[str, ...], room_type: str) -> str:
    """The block room type ``room_type`` stands for: itself when the block holds it, else its code's."""
    if room_type in known:
        return room_type
    return codes.get(room_type, room_type)


def property_by_hotel_code(session: Session, principal: Principal, hotel_code: str) -> PropertyRecord:
    record = repo.property_by_hotel_code(session, hotel_code)
    if record is None or record.id is None or not principal.can_see(record.id):
        raise NotFoundError(f"no property has the hotel code {hotel_code}")
    return record


def _visible_property(session: Session, principal: Principal, property_id: int) -> PropertyRecord:
    # properties.get_property, repeated: that module imports this one's code type.
    record = repo.get(session, PropertyRecord, property_id)
    if record is None or not principal.can_see(property_id):
        raise NotFoundError(f"property {property_id} not found")
    return record


def room_type_codes(session: Session, principal: Principal, property_id: int) -> dict[str, str]:
    _visible_property(session, principal, property_id)
    return repo.room_type_codes(session, property_id)


def replace_room_type_codes(
    session: Session, principal: Principal, property_id: int, data: RoomTypeCodes
) -> dict[str, str]:
    """Replace the property's whole mapping (an empty one removes every code)."""
    _visible_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")
    try:
        with session.begin_nested():
            repo.replace_room_type_codes(session, property_id, dict(data.codes))
    except IntegrityError:  # another request replaced it at the same moment
        raise ConflictError("the room-type codes were changed at the same moment: send them again") from None
    return repo.room_type_codes(session, property_id)
