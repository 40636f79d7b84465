"""create_app(): wiring only."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import TypeAdapter
from sqlmodel import Session

from app.api import (
    admin,
    batches,
    calendar,
    contracts,
    forecasts,
    invoices,
    ota,
    problems,
    properties,
    reports,
    webhooks,
)
from app.api.deps import BODY_SCHEMAS, refuse_nameless_query
from app.api.middleware import LimitBodySize, RetryDroppedReads
from app.engine import Assessment
from app.observability import RequestContextMiddleware
from app.persistence.db import make_engine
from app.settings import Settings
from app.web import (
    actuals_page,
    block_changes_page,
    calendar_page,
    contract_page,
    dashboard,
    editor,
    invoicing,
    login,
    parties_page,
    pickup_page,
    share,
    webhooks_page,
)
from app.web.deps import LoginRequiredError, login_redirect
from app.web.errors import error_page
from app.web.templating import STATIC_DIR

API_PREFIX = "/api/v1"
REF_TEMPLATE = "#/components/schemas/{model}"


def create_app(settings: Settings | None = None, engine: sa.Engine | None = None) -> FastAPI:
    settings = settings or Settings.from_environment()
    # FastAPIOffline serves the Swagger UI and ReDoc assets from the package, not from a CDN.
    app = FastAPIOffline(
        title="attrition",
        version="1",
        summary="Hotel group attrition and cancellation damages, explained",
        description=(
            "Authenticate with an API key (`Authorization: Bearer atk_...`). Errors are "
            "`application/problem+json` with the path of each invalid field. Updates need `If-Match`."
        ),
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.sessions = session_factory(app.state.engine)
    app.state.jobs = _job_queue(settings, app.state.engine)
    problems.install(app, error_page)
    app.add_exception_handler(LoginRequiredError, login_redirect)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(admin.health)
    for api in (properties, contracts, invoices, forecasts, reports, webhooks, batches, admin, calendar):
        app.include_router(
            api.router,
            prefix=API_PREFIX,
            responses=_PROBLEM_RESPONSES,
            dependencies=[Depends(refuse_nameless_query)],
        )
    # OpenTravel answers every error in XML itself: no problem+json responses, no query refusal.
    app.include_router(ota.router, prefix=API_PREFIX)
    # A calendar application reads the feed by its token alone (app.api.calendar).
    app.include_router(calendar.feed)
    # The editor first: its /contracts/new must not be read as /contracts/{contract_id}.
    for page in (
        login,
        editor,
        dashboard,
        contract_page,
        invoicing,
        pickup_page,
        actuals_page,
        block_changes_page,
        share,
        parties_page,
        webhooks_page,
        calendar_page,
    ):
        app.include_router(page.router)
    # The last added runs first: a body is limited before anything reads it; a dropped read is retried
    # whole, inside that limit.
    app.add_middleware(RetryDroppedReads)
    app.add_middleware(LimitBodySize, refusals={ota.PREFIX: ota.refusal})
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    app.add_middleware(RequestContextMiddleware, prefixes=(API_PREFIX,))
    return app


_frozen = False


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Once per process, on the first start: what start-up made (modules, schemas, templates) lives as
    long as the process, so it leaves the cyclic garbage collector's view. Otherwise every full pass
    walks it again, and a request that makes many objects (a long stay's rows) pays for it many times:
    a 400-night assessment took 0.20 s instead of 0.08 s (bench/scale.py)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
    jobs = app.state.jobs
    if app.state.settings.runs_jobs_in_process:
        jobs.start()  # the schedule, in a thread of this process (app/jobs.py)
    try:
        yield
    finally:
        jobs.close()


def _job_queue(settings: Settings, engine: sa.Engine) -> Any:
    """Where this process's requests enqueue background jobs (``app.jobs``): procrastinate on
    PostgreSQL, unless the jobs run in process (the embedded default), where the lifespan also starts
    the schedule's thread. Nothing connects or starts a thread before it is used."""
    from app.jobs import InProcessRunner, ProcrastinateQueue, Runtime

    if engine.dialect.name == "postgresql" and not settings.runs_jobs_in_process:
        return ProcrastinateQueue(engine)
    return InProcessRunner(Runtime(engine, settings.data_dir))


def session_factory(engine: sa.Engine) -> Callable[[], Session]:
    return lambda: Session(engine, expire_on_commit=False)


_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
_PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": _PROBLEM}
    for status, text in (
        (400, "Malformed request"),
        (401, "Credentials required"),
        (403, "Not allowed"),
        (404, "Not found"),
        (409, "Conflict"),
        (412, "Stale If-Match"),
        (415, "Unsupported media type"),
        (422, "Invalid input"),
        (413, "Body too large"),
        (428, "If-Match required"),
        (503, "Busy or unreachable database: retry after Retry-After seconds"),
    )
}


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the schemas of bodies read by ``read_json`` and of the assessment."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    extra: dict[str, tuple[Any, str]] = {name: (model, "validation") for name, model in BODY_SCHEMAS.items()}
    extra["Assessment"] = (Assessment, "serialization")
    extra["ProblemDetails"] = (problems.ProblemDetails, "serialization")
    for name, (model, mode) in extra.items():
        schema = TypeAdapter(model).json_schema(ref_template=REF_TEMPLATE, mode=mode)  # type: ignore[arg-type]
        components.update(schema.pop("$defs", {}))
        components[name] = schema
    terms = dict(components["Contract"])
    terms["required"] = [field for field in terms.get("required", []) if field != "property"]
    terms["description"] = "A Contract whose property section may be left out: the stored property fills it."
    components["ContractTerms"] = terms
    components["ContractWrite"]["properties"]["contract"] = {"$ref": "#/components/schemas/ContractTerms"}
    block_terms = dict(terms)
    block_terms["required"] = [field for field in terms["required"] if field != "id"]
    block_terms["description"] = "ContractTerms whose id may be left out: the block code makes a new one's."
    components["BlockTerms"] = block_terms
    components["BlockWrite"]["properties"]["contract"] = {"$ref": "#/components/schemas/BlockTerms"}
    security = {"apiKey": {"type": "http", "scheme": "bearer", "description": "An API key, atk_..."}}
    document["components"]["securitySchemes"] = security
    for path, operations in document["paths"].items():
        if path.startswith(API_PREFIX):
            for operation in operations.values():
                operation["security"] = [{"apiKey": []}]
    app.openapi_schema = document
    return document
