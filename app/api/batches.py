"""Batches of documents made in the background (``app.services.batches``, run by ``app.jobs``):
ask for one (202 with its id), read its state, and download its zip once done."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from app.api.conventions import conflict
from app.api.deps import Once, OnceDep, PrincipalDep, SessionDep
from app.persistence.records import BatchJobRecord
from app.services import batches as service
from app.services.errors import ConflictError, Problem, UnavailableError
from app.services.idempotency import Outcome

router = APIRouter(tags=["batches"])

Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


class BatchPublic(BaseModel):
    id: int
    property_id: int
    kind: str = Field(description="invoices-due or exposure-reports")
    state: str = Field(description="queued, running, done or failed")
    detail: str | None = Field(description="When done, how many documents; when failed, why")
    created_at: datetime
    finished_at: datetime | None
    file_url: str | None = Field(description="Where the zip is downloaded once the batch is done")


def _public(request: Request, record: BatchJobRecord) -> BatchPublic:
    assert record.id is not None
    done = record.state == service.BatchState.DONE
    return BatchPublic(
        id=record.id,
        property_id=record.property_id,
        kind=record.kind,
        state=record.state,
        detail=record.detail,
        created_at=record.created_at,
        finished_at=record.finished_at,
        file_url=str(request.url_for("download_batch", property_id=record.property_id, batch_id=record.id))
        if done
        else None,
    )


def _request(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    property_id: int,
    kind: service.BatchKind,
    once: Once,
) -> JSONResponse:
    """Record the batch (once per Idempotency-Key), then enqueue it once it is committed; a replay
    enqueues nothing again."""

    def write() -> Outcome:
        record = service.request_batch(session, principal, property_id, kind)
        session.flush()
        return Outcome(202, _public(request, record).model_dump(mode="json"))

    def location(body: dict[str, Any]) -> dict[str, str]:
        return {"Location": str(request.url_for("read_batch", property_id=property_id, batch_id=body["id"]))}

    answer = once.answer(session, principal, write, location)
    if answer.headers.get("Idempotent-Replayed") == "true":
        return answer
    batch_id = json.loads(bytes(answer.body))["id"]
    try:
        request.app.state.jobs.enqueue("produce_batch", batch_id=batch_id)
    except Exception as error:
        service.finish_batch(session, batch_id, file_name=None, detail="the job queue could not take it")
        session.commit()
        raise UnavailableError(
            "the job queue is not available: try again later", [Problem("", str(error)[:200])]
        ) from None
    return answer


_ZIP: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}
}
_DESCRIPTION = (
    "Answers 202 at once; the batch is made in the background. Poll the Location until its state is "
    "done (then download file_url) or failed. At most 3 batches in progress per property (409)."
)


@router.post(
    "/properties/{property_id}/batches/invoices-due",
    status_code=202,
    response_model=BatchPublic,
    summary="Zip the PDF of every invoice of the hotel still to be paid (at most 1,000), in the background",
    responses=conflict("the property already has 3 batches in progress"),
    description=_DESCRIPTION,
)
def request_invoices_due(
    property_id: Id, request: Request, session: SessionDep, principal: PrincipalDep, once: OnceDep
) -> JSONResponse:
    return _request(request, session, principal, property_id, service.BatchKind.INVOICES_DUE, once)


@router.post(
    "/properties/{property_id}/batches/exposure-reports",
    status_code=202,
    response_model=BatchPublic,
    summary="Zip the exposure reports of the hotel's 50 open contracts most exposed, in the background",
    responses=conflict("the property already has 3 batches in progress"),
    description=_DESCRIPTION,
)
def request_exposure_reports(
    property_id: Id, request: Request, session: SessionDep, principal: PrincipalDep, once: OnceDep
) -> JSONResponse:
    return _request(request, session, principal, property_id, service.BatchKind.EXPOSURE_REPORTS, once)


@router.get(
    "/properties/{property_id}/batches/{batch_id:int}",
    response_model=BatchPublic,
    summary="A batch's state, and where to download it once done",
)
def read_batch(
    property_id: Id, batch_id: Id, request: Request, session: SessionDep, principal: PrincipalDep
) -> BatchPublic:
    return _public(request, service.get_batch(session, principal, property_id, batch_id))


@router.get(
    "/properties/{property_id}/batches/{batch_id:int}/file",
    response_class=FileResponse,
    responses=_ZIP | conflict("the batch is not done yet"),
    summary="Download a finished batch (a zip of PDFs); 409 while it is not done",
)
def download_batch(
    property_id: Id, batch_id: Id, request: Request, session: SessionDep, principal: PrincipalDep
) -> FileResponse:
    record = service.get_batch(session, principal, property_id, batch_id)
    path = service.batch_file(request.app.state.settings.data_dir, record)
    if path is None:
        raise ConflictError(
            f"batch {batch_id} is {record.state}, not done",
            [Problem("state", f"the batch is {record.state}")],
        )
    return FileResponse(path, media_type="application/zip", filename=path.name)
