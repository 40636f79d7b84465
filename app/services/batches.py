"""Batches of documents made in the background (``app.jobs``) and fetched when done.

Two kinds, each written as one zip file into ``<data directory>/batches/``:

* ``invoices-due``: the PDF of every invoice of a hotel still to be paid (issued or partly paid, with
  an amount outstanding), as issued (the stored PDF/A-3 bytes, not a new rendering), at most
  :data:`MAX_INVOICES`, oldest first;
* ``exposure-reports``: the exposure report (``app.services.reports``) of the hotel's open contracts
  with the largest expected damages, at most :data:`MAX_REPORTS`, read from the exposure snapshots.

A request makes a ``batch_jobs`` row (``queued``); the job marks it ``running``, then ``done`` with its
file, or ``failed`` with the reason. A hotel has at most :data:`MAX_PENDING` batches queued or running.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.persistence import repositories as repo
from app.persistence import snapshot_repository as snapshot_repo
from app.persistence.records import BatchJobRecord, InvoiceRecord, utc_now
from app.services import payments
from app.services.auth import Principal
from app.services.errors import ConflictError, NotFoundError, Problem, ServiceError
from app.services.properties import get_property
from app.services.reports import exposure_report_pdf

MAX_INVOICES = 1000
MAX_REPORTS = 50
MAX_PENDING = 3
FOLDER = "batches"

_SYSTEM = Principal("batches", None, can_write=False, is_admin=True)


class BatchKind(StrEnum):
    INVOICES_DUE = "invoices-due"
    EXPOSURE_REPORTS = "exposure-reports"


class BatchState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def request_batch(
    session: Session, principal: Principal, property_id: int, kind: BatchKind
) -> BatchJobRecord:
    """A new batch of ``kind`` for the property, queued; the caller commits and then enqueues its job."""
    get_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")
    pending = session.exec(
        select(sa.func.count())
        .select_from(BatchJobRecord)
        .where(
            BatchJobRecord.property_id == property_id,
            col(BatchJobRecord.state).in_((BatchState.QUEUED, BatchState.RUNNING)),
        )
    ).one()
    if pending >= MAX_PENDING:
        raise ConflictError(
            f"the property already has {pending} batches in progress",
            [Problem("property_id", f"at most {MAX_PENDING} batches in progress per property: wait for one")],
        )
    return repo.add(
        session, BatchJobRecord(property_id=property_id, kind=kind.value, requested_by=principal.label)
    )


def get_batch(session: Session, principal: Principal, property_id: int, batch_id: int) -> BatchJobRecord:
    record = repo.get(session, BatchJobRecord, batch_id)
    if record is None or record.property_id != property_id or not principal.can_see(property_id):
        raise NotFoundError(f"batch {batch_id} not found")
    return record


def batch_file(data_dir: Path, record: BatchJobRecord) -> Path | None:
    """The batch's file once it is done (None before, or if the file was removed)."""
    if record.state != BatchState.DONE or not record.file_name:
        return None
    path = data_dir / FOLDER / record.file_name
    return path if path.is_file() else None


@dataclass(frozen=True, slots=True)
class Produced:
    path: Path
    documents: int


def start_batch(session: Session, batch_id: int) -> BatchJobRecord | None:
    """Mark a queued batch running (None if there is none such: done already, or unknown)."""
    record = repo.get(session, BatchJobRecord, batch_id)
    if record is None or record.state not in (BatchState.QUEUED, BatchState.RUNNING):
        return None
    record.state = BatchState.RUNNING
    session.add(record)
    session.flush()
    return record


def produce_batch(session: Session, record: BatchJobRecord, data_dir: Path) -> Produced:
    """Write the batch's zip file into the data directory (reads only; the caller records the outcome)."""
    assert record.id is not None
    folder = data_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{record.kind}-{record.property_id}-{record.id}.zip"
    partial = folder / (name + ".part")
    if record.kind == BatchKind.INVOICES_DUE:
        files = _invoices_due(session, record.property_id)
    elif record.kind == BatchKind.EXPOSURE_REPORTS:
        files = _exposure_reports(session, record.property_id)
    else:
        raise ServiceError(f"unknown batch kind {record.kind!r}")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for file_name, content in files:
            archive.writestr(file_name, content)
    path = folder / name
    partial.replace(path)  # readers never see a half-written zip
    return Produced(path, len(files))


def finish_batch(session: Session, batch_id: int, *, file_name: str | None, detail: str) -> None:
    record = repo.get(session, BatchJobRecord, batch_id)
    if record is None:
        return
    record.state = BatchState.DONE if file_name else BatchState.FAILED
    record.file_name = file_name
    record.detail = detail[:500]
    record.finished_at = utc_now()
    session.add(record)
    session.flush()


def _invoices_due(session: Session, property_id: int) -> list[tuple[str, bytes]]:
    invoices = session.exec(
        select(InvoiceRecord)
        .where(InvoiceRecord.property_id == property_id, InvoiceRecord.kind == "invoice")
        .order_by(col(InvoiceRecord.issue_date), col(InvoiceRecord.id))
    ).all()
    owed = payments.balances(session, invoices)
    due = [
        record
        for record in invoices
        if record.id in owed
        and owed[record.id].status in (payments.PaymentStatus.ISSUED, payments.PaymentStatus.PARTLY_PAID)
        and owed[record.id].outstanding.amount > 0
    ]
    return [(_file_name(f"{record.number}.pdf"), record.pdf) for record in due[:MAX_INVOICES]]


def _file_name(text: str) -> str:
    """A name safe in any zip tool: references and numbers are typed by people."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:120]


def _exposure_reports(session: Session, property_id: int) -> list[tuple[str, bytes]]:
    where = snapshot_repo.Selection(visible=None, property_id=property_id)
    rows, _ = snapshot_repo.exposure_page(session, where, repo.Page(limit=MAX_REPORTS, offset=0))
    files = []
    for record, _snapshot in rows:
        assert record.id is not None
        try:
            pdf = exposure_report_pdf(session, _SYSTEM, record.id)
        except ServiceError:
            continue  # a contract that can no longer be reported on is left out; the batch stands
        files.append((_file_name(f"exposure-{record.reference}-{record.id}.pdf"), pdf))
    return files
