"""The exposure report of a stored contract, as a PDF."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Query, Response

from app.api.deps import PrincipalDep, SessionDep
from app.engine.limits import IsoDate
from app.pdf import LANGUAGES
from app.services import reports as service

router = APIRouter(tags=["reports"])

Language = Literal["en", "fr", "pt", "pt_BR", "ro", "ca", "ru"]
assert set(get_args(Language)) == set(LANGUAGES), "the query's languages are the catalogs'"


# A sync route: FastAPI runs it in the threadpool, so rendering the PDF does not block the event loop.
@router.get(
    "/contracts/{contract_id}/report.pdf",
    response_class=Response,
    responses={
        200: {
            "description": "The exposure report",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    summary="The exposure report: what is owed today, pickup against block and minimum, the forecast",
    description=(
        "Rendered on request, nothing is stored. The language is `lang`, else the account's, else the "
        "property's locale's, else English. A contract that cannot be forecast (arrived, cancelled, "
        "completed) gets the report without the forecast, saying why."
    ),
)
def read_report_pdf(
    contract_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: Annotated[IsoDate | None, Query(description="Default: today at the hotel")] = None,
    lang: Annotated[Language | None, Query(description="The report's language")] = None,
) -> Response:
    pdf = service.exposure_report_pdf(session, principal, contract_id, as_of=as_of, language=lang)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="exposure-report-{contract_id}.pdf"',
            # The report reads the figures as they stand now: never reuse a stored copy.
            "Cache-Control": "private, no-store",
        },
    )
