"""Issued invoices, their per-property number sequence and the payments received against them (all their
SQL). Insert and read only: no statement here updates or deletes an invoice or a payment. Nothing
commits; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.persistence.records import InvoiceRecord, InvoiceSequenceRecord, PaymentRecord

_SEQUENCES = InvoiceSequenceRecord.__table__  # type: ignore[attr-defined]
_NUMBER_LENGTH: int = InvoiceRecord.__table__.c.number.type.length  # type: ignore[attr-defined]

# The JSON and the lists never need the PDF bytes (the largest column), and serving the PDF needs not
# the render model (decoding its JSON is most of the lookup's cost); either loads if touched.
_WITHOUT_PDF = defer(cast(Any, InvoiceRecord.pdf))
_WITHOUT_DOCUMENT = defer(cast(Any, InvoiceRecord.document))
# Built once, as serving an issued PDF is mostly this lookup (see bench/pdf.py).
_BY_NUMBER = select(InvoiceRecord).where(InvoiceRecord.number == sa.bindparam("number"))
_PDF_BY_NUMBER = _BY_NUMBER.options(_WITHOUT_DOCUMENT)
_JSON_BY_NUMBER = _BY_NUMBER.options(_WITHOUT_PDF)

_ADVANCE = (
    sa.update(_SEQUENCES)
    .where(_SEQUENCES.c.property_id == sa.bindparam("sequence_of"))
    .where(_SEQUENCES.c.period == sa.bindparam("series_period"))
    .values(next_number=_SEQUENCES.c.next_number + 1)
    .returning(_SEQUENCES.c.next_number)
)


def take_invoice_number(session: Session, property_id: int, period: str = "") -> int:
    """The next invoice number of the property's series ``period`` (a year, or "" for all time), taken
    under a lock on its sequence row until the transaction ends: commit with the invoice that uses it,
    or roll both back (gap-free).

    The ``UPDATE ... RETURNING`` locks the row as ``SELECT ... FOR UPDATE`` would, and advances it in
    the same statement: a concurrent issuer on PostgreSQL waits on the row and then reads the committed
    value (READ COMMITTED re-checks an updated row). On SQLite the caller's transaction is a write
    (``BEGIN IMMEDIATE``, ``app.persistence.db.begin_write``), so writers are already serialised. A
    property's first number creates the row with ``INSERT ... ON CONFLICT DO NOTHING``, so two first
    issuers do not collide either.
    """
    keys = {"sequence_of": property_id, "series_period": period}
    taken = session.execute(_ADVANCE, keys).scalar_one_or_none()
    if taken is None:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(
            insert(_SEQUENCES)
            .values(property_id=property_id, period=period, next_number=1)
            .on_conflict_do_nothing(index_elements=["property_id", "period"])
        )
        taken = session.execute(_ADVANCE, keys).scalar_one()
    return int(taken) - 1


def next_invoice_number(session: Session, property_id: int, period: str = "") -> int:
    """The number the next invoice of the property's series ``period`` would take now, read without a
    lock: a guess to render with, which ``take_invoice_number`` confirms or corrects under the lock."""
    value = session.execute(
        sa.select(_SEQUENCES.c.next_number).where(
            _SEQUENCES.c.property_id == property_id, _SEQUENCES.c.period == period
        )
    ).scalar_one_or_none()
    return 1 if value is None else int(value)


def add_invoice(session: Session, record: InvoiceRecord) -> InvoiceRecord:
    """Insert an issued invoice; the unique (property, sequence number) constraint is the last guard."""
    session.add(record)
    session.flush()
    return record


def _is_storable_number(number: str) -> bool:
    # Longer than the column, or with a NUL (which PostgreSQL text refuses), it names no invoice.
    return len(number) <= _NUMBER_LENGTH and "\x00" not in number


def invoice_by_number(session: Session, number: str, *, with_pdf: bool = True) -> InvoiceRecord | None:
    if not _is_storable_number(number):
        return None
    statement = _PDF_BY_NUMBER if with_pdf else _JSON_BY_NUMBER
    return session.exec(statement, params={"number": number}).first()


def invoices_of_contract(session: Session, contract_id: int) -> Sequence[InvoiceRecord]:
    """The contract's invoices and credit notes in issue order, without their PDF bytes."""
    return session.exec(
        select(InvoiceRecord)
        .where(InvoiceRecord.contract_id == contract_id)
        .options(_WITHOUT_PDF)
        .order_by(col(InvoiceRecord.sequence_number))
    ).all()


def invoices_of_properties(
    session: Session, property_ids: frozenset[int] | None, *, limit: int, offset: int
) -> tuple[Sequence[InvoiceRecord], int]:
    """Invoices and credit notes of the properties (every property when ``None``), newest first, a page
    of them without their PDF bytes or render model, and how many there are in all."""
    where = [] if property_ids is None else [col(InvoiceRecord.property_id).in_(property_ids)]
    total = session.exec(select(sa.func.count()).select_from(InvoiceRecord).where(*where)).one()
    records = session.exec(
        select(InvoiceRecord)
        .where(*where)
        .options(_WITHOUT_PDF, _WITHOUT_DOCUMENT)
        .order_by(col(InvoiceRecord.created_at).desc(), col(InvoiceRecord.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return records, int(total)


def open_invoice_of_contract(session: Session, contract_id: int) -> str | None:
    """The number of the contract's invoice that no credit note has credited, if there is one."""
    credit_notes = sa.select(col(InvoiceRecord.credits_invoice_id)).where(
        col(InvoiceRecord.credits_invoice_id).is_not(None)
    )
    return session.exec(
        select(InvoiceRecord.number).where(
            InvoiceRecord.contract_id == contract_id,
            InvoiceRecord.kind == "invoice",
            col(InvoiceRecord.id).not_in(credit_notes),
        )
    ).first()


def credit_note_of(session: Session, invoice_id: int) -> str | None:
    """The number of the credit note that credits the invoice, if one does."""
    return session.exec(
        select(InvoiceRecord.number).where(InvoiceRecord.credits_invoice_id == invoice_id)
    ).first()


def related_numbers(session: Session, records: Iterable[InvoiceRecord]) -> list[tuple[int, str, int | None]]:
    """(id, number, credits_invoice_id) of every invoice that credits one of ``records`` or that one of
    them credits: what "credits" and "credited by" are read from."""
    ids = {record.id for record in records}
    credited = {record.credits_invoice_id for record in records if record.credits_invoice_id is not None}
    if not ids:
        return []
    rows = session.exec(
        select(InvoiceRecord.id, InvoiceRecord.number, InvoiceRecord.credits_invoice_id).where(
            sa.or_(col(InvoiceRecord.id).in_(credited), col(InvoiceRecord.credits_invoice_id).in_(ids))
        )
    ).all()
    return [(row_id, number, credits) for row_id, number, credits in rows if row_id is not None]


# --- payments --------------------------------------------------------------------------------------


def lock_invoice(session: Session, invoice_id: int) -> None:
    """Hold the invoice's row until the transaction ends, so that payments to it are checked one after
    the other: ``SELECT ... FOR UPDATE`` on PostgreSQL (a second payer waits, then its next statement
    reads the first one's committed payment under READ COMMITTED; a credit note's insert, which
    references the row, waits too). On SQLite the caller's transaction is a write (``BEGIN IMMEDIATE``),
    which already serialises writers, and ``FOR UPDATE`` is left out."""
    session.execute(
        sa.select(InvoiceRecord.__table__.c.id)  # type: ignore[attr-defined]
        .where(InvoiceRecord.__table__.c.id == invoice_id)  # type: ignore[attr-defined]
        .with_for_update()
    ).scalar_one()


def add_payment(session: Session, record: PaymentRecord) -> PaymentRecord:
    session.add(record)
    session.flush()
    return record


def payments_of(session: Session, invoice_ids: Iterable[int]) -> dict[int, list[PaymentRecord]]:
    """The payments of each invoice, in the order they were recorded (every id is a key)."""
    ids = set(invoice_ids)
    found: dict[int, list[PaymentRecord]] = {invoice_id: [] for invoice_id in ids}
    if not ids:
        return found
    rows = session.exec(
        select(PaymentRecord)
        .where(col(PaymentRecord.invoice_id).in_(ids))
        .order_by(col(PaymentRecord.recorded_at), col(PaymentRecord.id))
    ).all()
    for row in rows:
        found[row.invoice_id].append(row)
    return found


def credit_note_totals(session: Session, invoice_ids: Iterable[int]) -> dict[int, list[str]]:
    """The totals (negative decimal text) of the credit notes against each invoice that has any."""
    ids = set(invoice_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(InvoiceRecord.credits_invoice_id, InvoiceRecord.total_amount).where(
            col(InvoiceRecord.credits_invoice_id).in_(ids)
        )
    ).all()
    found: dict[int, list[str]] = {}
    for credited, total in rows:
        if credited is not None:
            found.setdefault(credited, []).append(total)
    return found
