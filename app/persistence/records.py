"""The tables. Money is kept as its exact decimal text beside a currency column, never as a float.

History is appended, never overwritten: contract versions, pickup snapshots, F&B and inventory reports,
notices and assessments are insert-only; "the current value" is always the latest row as of a date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite keeps no zone, so it is put back on read)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: *_at columns hold aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal: ``NUMERIC`` on PostgreSQL, its decimal text on SQLite, which has no decimal type
    (SQLAlchemy would go through a binary float there, and warn)."""

    impl = sa.Numeric(16, 3)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(40))
        return dialect.type_descriptor(sa.Numeric(16, 3, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if type(value) is not Decimal or not value.is_finite():
            raise ValueError("an exact decimal column takes a finite Decimal")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


def utc_now() -> datetime:
    return datetime.now(UTC)


def _at() -> Any:
    return Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)


def _json(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.JSON, nullable=nullable))


class PropertyRecord(SQLModel, table=True):
    __tablename__ = "properties"
    __table_args__ = (
        sa.Index("uq_properties_invoice_prefix", "invoice_prefix", unique=True),
        sa.Index(
            "uq_properties_hotel_code",
            "hotel_code",
            unique=True,
            sqlite_where=sa.text("hotel_code IS NOT NULL"),
            postgresql_where=sa.text("hotel_code IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=500)
    currency: str = Field(max_length=3)
    locale: str = Field(default="en", max_length=10)
    timezone: str = Field(default="UTC", max_length=60)
    tax_profile: dict[str, Any] | None = _json(nullable=True)
    #: The legal identity invoices print (app.identity.SellerIdentity as JSON); None until set (0005).
    identity: dict[str, Any] | None = _json(nullable=True)
    #: Invoice numbering (app.identity.InvoiceNumbering): None and "" keep the original "3-000042".
    invoice_prefix: str | None = Field(default=None, max_length=10)
    invoice_number_format: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    revision: int = Field(default=1)
    created_at: datetime = _at()
    updated_at: datetime = _at()
    # The property's code in booking systems (OpenTravel HotelCode), unique where set (0006).
    hotel_code: str | None = Field(default=None, max_length=32)
    #: How a night's unsold rooms are shared among the groups short that night (0010;
    #: app.engine.sharing.SharingRule): "invoice_order" or "pro_rata".
    last_room_sold_sharing: str = Field(
        default="invoice_order", max_length=20, sa_column_kwargs={"server_default": "invoice_order"}
    )


class RoomTypeCodeRecord(SQLModel, table=True):
    """A booking-system room-type code of a property (``KNG``) and the block room type it names (``king``)."""

    __tablename__ = "room_type_codes"

    property_id: int = Field(foreign_key="properties.id", primary_key=True)
    code: str = Field(max_length=32, primary_key=True)
    room_type: str = Field(max_length=40)


class AccountRecord(SQLModel, table=True):
    """The organisation that books, as one hotel knows it (its history feeds later forecasts)."""

    __tablename__ = "accounts"
    __table_args__ = (sa.UniqueConstraint("property_id", "name", name="uq_accounts_property_name"),)

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="properties.id", index=True)
    name: str = Field(max_length=200)
    contact_name: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=320)
    language: str = Field(default="en", max_length=10)
    segment: str = Field(default="other", max_length=20)
    #: The legal identity invoices bill (app.identity.BuyerIdentity as JSON); None until set (0005).
    identity: dict[str, Any] | None = _json(nullable=True)
    revision: int = Field(default=1)
    created_at: datetime = _at()
    updated_at: datetime = _at()


class ContractRecord(SQLModel, table=True):
    """A contract; its terms live in immutable versions, ``current_version`` names the one in force."""

    __tablename__ = "contracts"
    __table_args__ = (
        sa.UniqueConstraint("property_id", "reference", name="uq_contracts_property_reference"),
        sa.Index("ix_contracts_property_arrival", "property_id", "arrival_date"),
        # The dashboard's first page of every hotel (0008).
        sa.Index("ix_contracts_arrival", "arrival_date", "id"),
        sa.Index(
            "uq_contracts_property_block_code",
            "property_id",
            "block_code",
            unique=True,
            sqlite_where=sa.text("block_code IS NOT NULL"),
            postgresql_where=sa.text("block_code IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="properties.id")
    account_id: int | None = Field(default=None, foreign_key="accounts.id", index=True)
    reference: str = Field(max_length=80)
    name: str = Field(default="", max_length=200)
    status: str = Field(default="definite", max_length=20)
    currency: str = Field(max_length=3)
    arrival_date: date
    departure_date: date
    current_version: int = Field(default=1)
    revision: int = Field(default=1)
    created_at: datetime = _at()
    updated_at: datetime = _at()
    # The block's code in booking systems (OpenTravel InvBlockCode), unique per property where set (0006).
    block_code: str | None = Field(default=None, max_length=32)


class ContractVersionRecord(SQLModel, table=True):
    __tablename__ = "contract_versions"
    __table_args__ = (sa.UniqueConstraint("contract_id", "version", name="uq_contract_versions_version"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracts.id")
    version: int
    terms: dict[str, Any] = _json()
    note: str = Field(default="", max_length=500)
    created_by: str = Field(max_length=120)
    created_at: datetime = _at()


class PickupSnapshotRecord(SQLModel, table=True):
    """Room nights on the books as of a date, for one night × room type × source."""

    __tablename__ = "pickup_snapshots"
    __table_args__ = (sa.Index("ix_pickup_snapshots_contract_as_of", "contract_id", "as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracts.id")
    as_of: date
    night: date
    room_type: str = Field(max_length=40)
    source: str = Field(max_length=30)
    room_nights: int
    rate_amount: str | None = Field(default=None, max_length=40)
    recorded_at: datetime = _at()
    # Who entered the row (a principal's label such as ``user:3``); empty for rows from before 0003.
    recorded_by: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})


class FnbActualRecord(SQLModel, table=True):
    __tablename__ = "fnb_actuals"
    __table_args__ = (sa.Index("ix_fnb_actuals_contract_as_of", "contract_id", "as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracts.id")
    as_of: date
    category: str = Field(max_length=30)
    amount: str = Field(max_length=40)
    recorded_at: datetime = _at()
    # Who entered the row (a principal's label such as ``user:3``); empty for rows from before 0003.
    recorded_by: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})


class InventoryReportRecord(SQLModel, table=True):
    __tablename__ = "inventory_reports"
    __table_args__ = (sa.Index("ix_inventory_reports_contract_as_of", "contract_id", "as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracts.id")
    as_of: date
    night: date
    unsold_rooms: int | None = None
    resold_rooms: int = 0
    resold_rate: str | None = Field(default=None, max_length=40)
    other_groups_charged_rooms: int = 0
    recorded_at: datetime = _at()
    # Who entered the row (a principal's label such as ``user:3``); empty for rows from before 0003.
    recorded_by: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})


class HotelInventoryRecord(SQLModel, table=True):
    """The hotel's rooms on one night, as reported on ``as_of``: one fact of the hotel's night, read by
    every contract's last-room-sold and resale terms on that night (docs/rules.md §3.6). Appended, never
    overwritten: the latest report as of a date wins. ``unsold_rooms`` is stored as given, or derived as
    ``capacity - out_of_order - rooms_sold`` (never below 0)."""

    __tablename__ = "hotel_inventory"
    __table_args__ = (sa.Index("ix_hotel_inventory_property_night", "property_id", "night", "as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="properties.id")
    as_of: date
    night: date
    capacity: int | None = None
    out_of_order: int | None = None
    rooms_sold: int | None = None
    unsold_rooms: int
    recorded_at: datetime = _at()
    # Who entered the row (a principal's label such as ``user:3``).
    recorded_by: str = Field(default="", max_length=120)


class NoticeRecord(SQLModel, table=True):
    """A dated notice from the group: cancellation, or a lowered F&B minimum (kind)."""

    __tablename__ = "notices"
    __table_args__ = (sa.Index("ix_notices_contract_as_of", "contract_id", "as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracts.id")
    as_of: date
    kind: str = Field(max_length=20)
    notice_date: date
    resold_revenue: str | None = Field(default=None, max_length=40)
    recorded_at: datetime = _at()
    # Who entered the row (a principal's label such as ``user:3``); empty for rows from before 0003.
    recorded_by: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})


class IngestionRecord(SQLModel, table=True):
    """A write made under an ``Idempotency-Key``: a retry with the same key gets the same answer."""

    __tablename__ = "ingestions"
    __table_args__ = (sa.UniqueConstraint("principal", "idempotency_key", name="uq_ingestions_key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=120)
    idempotency_key: str = Field(max_length=200)
    fingerprint: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = _json()
    created_at: datetime = _at()


class AssessmentRecord(SQLModel, table=True):
    __tablename__ = "assessments"
    __table_args__ = (sa.Index("ix_assessments_contract", "contract_id", "as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracts.id")
    contract_version: int
    as_of: date
    total_amount: str = Field(max_length=40)
    currency: str = Field(max_length=3)
    result: dict[str, Any] = _json()
    created_by: str = Field(max_length=120)
    created_at: datetime = _at()


class StaffUserRecord(SQLModel, table=True):
    __tablename__ = "staff_users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)
    is_admin: bool = False
    is_active: bool = True
    created_at: datetime = _at()


class StaffUserPropertyRecord(SQLModel, table=True):
    __tablename__ = "staff_user_properties"

    user_id: int = Field(foreign_key="staff_users.id", primary_key=True)
    property_id: int = Field(foreign_key="properties.id", primary_key=True)


class StaffSessionRecord(SQLModel, table=True):
    __tablename__ = "staff_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    csrf_token: str = Field(max_length=64)
    user_id: int = Field(foreign_key="staff_users.id", index=True)
    created_at: datetime = _at()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ApiKeyRecord(SQLModel, table=True):
    """An API key, kept as the SHA-256 of its secret: keys are long random strings, not passwords."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=64)
    access: str = Field(max_length=20)
    created_at: datetime = _at()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class ApiKeyPropertyRecord(SQLModel, table=True):
    __tablename__ = "api_key_properties"

    key_id: int = Field(foreign_key="api_keys.id", primary_key=True)
    property_id: int = Field(foreign_key="properties.id", primary_key=True)


class InvoiceSequenceRecord(SQLModel, table=True):
    """The next invoice number of a property's series: one row per property and period, advanced under a
    row lock, so the numbers stay gap-free when requests race (a failed issue rolls its increment back
    with it). The period is the year when the property's number format shows it, else "" (0005)."""

    __tablename__ = "invoice_sequences"

    property_id: int = Field(foreign_key="properties.id", primary_key=True)
    period: str = Field(default="", max_length=4, primary_key=True, sa_column_kwargs={"server_default": ""})
    next_number: int = Field(default=1)


class InvoiceRecord(SQLModel, table=True):
    """An issued invoice or credit note. Immutable: its PDF bytes, the assessment it billed and the contract
    version are kept as issued; a correction is a credit note that references it (``credits_invoice_id``)."""

    __tablename__ = "invoices"
    __table_args__ = (
        sa.UniqueConstraint(
            "property_id", "number_period", "sequence_number", name="uq_invoices_property_period_sequence"
        ),
        sa.UniqueConstraint("number", name="uq_invoices_number"),
        sa.Index("ix_invoices_contract", "contract_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="properties.id")
    #: The series the number counts in (InvoiceSequenceRecord.period); "" for one series (0005).
    number_period: str = Field(default="", max_length=4, sa_column_kwargs={"server_default": ""})
    sequence_number: int
    number: str = Field(max_length=40)
    kind: str = Field(default="invoice", max_length=20)
    contract_id: int = Field(foreign_key="contracts.id")
    contract_version: int
    assessment_id: int = Field(foreign_key="assessments.id")
    credits_invoice_id: int | None = Field(default=None, foreign_key="invoices.id")
    language: str = Field(max_length=10)
    issue_date: date
    due_date: date
    as_of: date
    #: The contract's shares of the hotel's unsold rooms the invoice billed, by night (0010): the night's
    #: ISO date to the room nights as decimal text; None when no night was shared.
    room_shares: dict[str, str] | None = _json(nullable=True)
    total_amount: str = Field(max_length=40)
    currency: str = Field(max_length=3)
    document: dict[str, Any] = _json()
    pdf: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    pdf_sha256: str = Field(max_length=64)
    created_by: str = Field(max_length=120)
    created_at: datetime = _at()


class PaymentRecord(SQLModel, table=True):
    """A payment received against an issued invoice, in the invoice's currency. Insert-only: a payment
    recorded in error is not edited away (there is no route that changes one)."""

    __tablename__ = "invoice_payments"
    __table_args__ = (sa.Index("ix_invoice_payments_invoice", "invoice_id"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoices.id")
    paid_on: date
    # NUMERIC(16, 3): the largest amount accepted (10^12) with the most minor-unit places (3, KWD).
    amount: Decimal = Field(sa_column=sa.Column(ExactDecimal(), nullable=False))
    currency: str = Field(max_length=3)
    reference: str = Field(default="", max_length=120)
    recorded_by: str = Field(max_length=120)
    recorded_at: datetime = _at()


class ShareLinkRecord(SQLModel, table=True):
    """A read-only link a hotel sends a planner for one contract. Only the token's SHA-256 is kept."""

    __tablename__ = "share_links"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracts.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=200)
    created_by: str = Field(max_length=120)
    created_at: datetime = _at()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class LoginAttemptRecord(SQLModel, table=True):
    """A failed sign-in, by email and by client address: recent ones rate-limit further attempts."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email", "attempted_at"),
        sa.Index("ix_login_attempts_client_at", "client", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320)
    client: str = Field(max_length=64)
    attempted_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)


class BlockHistoryRecord(SQLModel, table=True):
    """A finished block as later forecasts see it: its size, its on-the-books curve and its final pickup.

    Written when a contract is completed (from its pickup snapshots) or imported from a history file;
    kept per property and account, with the account's segment at the time."""

    __tablename__ = "block_histories"
    __table_args__ = (
        sa.UniqueConstraint("property_id", "reference", name="uq_block_histories_property_reference"),
        sa.Index("ix_block_histories_property_segment", "property_id", "segment"),
    )

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="properties.id")
    account_id: int | None = Field(default=None, foreign_key="accounts.id", index=True)
    contract_id: int | None = Field(default=None, foreign_key="contracts.id", unique=True)
    reference: str = Field(max_length=80)
    segment: str = Field(max_length=20)
    arrival_date: date
    block_room_nights: int
    final_room_nights: int
    on_the_books: list[dict[str, int]] = _json()
    recorded_at: datetime = _at()


class PropertyAlertLevelsRecord(SQLModel, table=True):
    """The levels at which a hotel wants ``threshold.crossed`` (0007): pickup below the minimum this many
    days before cut-off, or a probability of damages at or above this percentage. Unset means never."""

    __tablename__ = "property_alert_levels"

    property_id: int = Field(foreign_key="properties.id", primary_key=True)
    days_before_cutoff: int | None = Field(default=None)
    damages_probability_pct: Decimal | None = Field(default=None, sa_type=ExactDecimal, nullable=True)
    updated_by: str = Field(max_length=120)
    updated_at: datetime = _at()


class WebhookEndpointRecord(SQLModel, table=True):
    """Where a property's events are sent (0007). The secret signs each message (Standard Webhooks), so it
    is kept as issued; ``revoked_at`` stops deliveries while the delivery log stays readable."""

    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="properties.id", index=True)
    url: str = Field(max_length=2000)
    #: The event types it receives, such as ["pickup.recorded", "invoice.issued"].
    events: list[str] = _json()
    secret: str = Field(max_length=120)
    description: str = Field(default="", max_length=200)
    created_by: str = Field(max_length=120)
    created_at: datetime = _at()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class WebhookEventRecord(SQLModel, table=True):
    """The outbox: an event, written in the same transaction as the change it reports (0007).

    ``event_key`` makes an event happen once (a deadline scan run twice emits nothing new)."""

    __tablename__ = "webhook_events"
    __table_args__ = (sa.Index("ix_webhook_events_property_created", "property_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="properties.id")
    contract_id: int | None = Field(default=None, foreign_key="contracts.id", index=True)
    event_type: str = Field(max_length=60)
    event_key: str = Field(max_length=200, unique=True)
    payload: dict[str, Any] = _json()
    created_at: datetime = _at()


class WebhookDeliveryRecord(SQLModel, table=True):
    """One event to one endpoint (0007): pending until delivered, or failed after the last retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_deliveries_event_endpoint"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="webhook_events.id")
    endpoint_id: int = Field(foreign_key="webhook_endpoints.id", index=True)
    status: str = Field(default="pending", max_length=20)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _at()
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = _at()


class WebhookAttemptRecord(SQLModel, table=True):
    """One try of a delivery (0007): the delivery log."""

    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_deliveries.id", index=True)
    attempted_at: datetime = _at()
    status_code: int | None = Field(default=None)
    error: str = Field(default="", max_length=500)
    duration_ms: int = Field(default=0)


class CalendarFeedRecord(SQLModel, table=True):
    """A revocable iCalendar feed URL for a property, or for one contract of it (0007). Only the token's
    SHA-256 is kept, as for share links."""

    __tablename__ = "calendar_feeds"

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="properties.id", index=True)
    contract_id: int | None = Field(default=None, foreign_key="contracts.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=200)
    created_by: str = Field(max_length=120)
    created_at: datetime = _at()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class ExposureSnapshotRecord(SQLModel, table=True):
    """A contract's assessment and forecast summary as of ``as_of`` (0007), which the dashboard and
    ``GET /exposure`` read instead of assessing every contract on each request. ``expected_minor`` is
    the expected damages in minor units, so that the portfolio sorts in SQL."""

    __tablename__ = "exposure_snapshots"
    __table_args__ = (
        sa.Index("ix_exposure_snapshots_property_expected", "property_id", "expected_minor"),
        sa.Index(
            "ix_exposure_snapshots_state_expected",
            "exposure_state",
            "expected_minor",
            "arrival_date",
            "contract_id",
        ),
    )

    contract_id: int = Field(foreign_key="contracts.id", primary_key=True)
    property_id: int = Field(foreign_key="properties.id")
    contract_version: int
    as_of: date
    status: str = Field(max_length=20)
    currency: str = Field(max_length=3)
    expected_minor: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    summary: dict[str, Any] = _json()
    computed_at: datetime = _at()
    # The dashboard's sort keys (0008): the assessment's total today in minor units, and pickup to
    # date in tenths of a percent; None where there is no figure (such rows sort last).
    current_minor: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    pickup_permille: int | None = Field(default=None, nullable=True)
    #: ``forecast`` (listed by GET /exposure), ``refused`` (open but not forecast, with the reason in
    #: the summary) or ``closed`` (not open, or departed: not in the portfolio).
    exposure_state: str = Field(
        default="closed", max_length=10, sa_column_kwargs={"server_default": "closed"}
    )
    #: The contract's arrival (0008), for ``GET /exposure``'s filter and order on the index above.
    arrival_date: date | None = Field(default=None, nullable=True)


class BatchJobRecord(SQLModel, table=True):
    """A batch of documents asked for through the API (0008): the queue runs it, the row says how far
    it got and names the file it wrote into the data directory."""

    __tablename__ = "batch_jobs"
    __table_args__ = (sa.Index("ix_batch_jobs_property_created", "property_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="properties.id")
    kind: str = Field(max_length=40)
    #: queued, running, done or failed.
    state: str = Field(default="queued", max_length=12)
    requested_by: str = Field(max_length=120)
    file_name: str | None = Field(default=None, max_length=200, nullable=True)
    detail: str | None = Field(default=None, max_length=500, nullable=True)
    created_at: datetime = _at()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class AuditRunRecord(SQLModel, table=True):
    """An outside-block audit of a contract (0009): who uploaded which two files when, and what the
    matcher made of them. Its proposed pairs are :class:`AuditMatchRecord` rows."""

    __tablename__ = "audit_runs"
    __table_args__ = (sa.Index("ix_audit_runs_contract_created", "contract_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracts.id")
    created_by: str = Field(max_length=120)
    created_at: datetime = _at()
    registrations_file: str = Field(max_length=200)
    reservations_file: str = Field(max_length=200)
    #: The block code whose reservations were taken as already in the block (none: every row counted).
    block_code: str | None = Field(default=None, max_length=64, nullable=True)
    registrant_count: int
    reservation_count: int
    #: Reservations not in the block that share a night with the stay: the ones the matcher weighed.
    candidate_count: int
    match_count: int
    #: Confidences are kept in thousandths (0-1000), so both databases store the same integers.
    threshold_permille: int


class AuditMatchRecord(SQLModel, table=True):
    """A registrant and a reservation the matcher paired, both sides as the files gave them, and what
    staff decided. A confirmed match credits ``credited_nights`` nights of ``credited_room_type`` from
    ``credited_from`` as outside-block pickup, written as of ``credited_as_of`` (the pickup snapshots
    keep every change, so a later rejection is a new entry, not a deletion)."""

    __tablename__ = "audit_matches"
    __table_args__ = (
        sa.Index("ix_audit_matches_audit", "audit_id", "id"),
        sa.Index("ix_audit_matches_contract_status", "contract_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_runs.id")
    contract_id: int = Field(foreign_key="contracts.id")
    registrant_line: int
    registrant_name: str = Field(max_length=200)
    registrant_arrival: date
    registrant_departure: date
    registrant_email: str = Field(default="", max_length=200)
    registrant_company: str = Field(default="", max_length=200)
    reservation_line: int
    confirmation: str = Field(default="", max_length=64)
    reservation_name: str = Field(max_length=200)
    reservation_arrival: date
    reservation_departure: date
    reservation_email: str = Field(default="", max_length=200)
    reservation_company: str = Field(default="", max_length=200)
    reservation_room_type: str = Field(default="", max_length=64)
    reservation_block_code: str = Field(default="", max_length=64)
    credited_room_type: str = Field(max_length=40)
    credited_from: date
    credited_nights: int
    confidence_permille: int
    name_permille: int
    dates_permille: int
    email_agrees: bool | None = Field(default=None, nullable=True)
    company_agrees: bool | None = Field(default=None, nullable=True)
    #: pending, confirmed or rejected.
    status: str = Field(default="pending", max_length=12)
    decided_by: str | None = Field(default=None, max_length=120, nullable=True)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    #: The as-of date of the pickup entry the last decision wrote (none while nothing was credited).
    credited_as_of: date | None = Field(default=None, nullable=True)
