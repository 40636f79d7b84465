"""create_app(): wiring only."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlmodel import Session

from app.api import (
    admin,
    audits,
    batches,
    calendar,
    contracts,
    conventions,
    forecasts,
    inventory,
    invoices,
    ota,
    problems,
    properties,
    reports,
    webhooks,
)
from app.api.deps import refuse_nameless_query
from app.api.middleware import HeadWhereGet, LimitBodySize, RetryDroppedReads
from app.api.openapi import openapi_document
from app.observability import RequestContextMiddleware
from app.persistence.db import make_engine
from app.settings import Settings
from app.web import (
    actuals_page,
    audit_page,
    block_changes_page,
    calendar_page,
    contract_page,
    dashboard,
    editor,
    inventory_page,
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


def create_app(settings: Settings | None = None, engine: sa.Engine | None = None) -> FastAPI:
    settings = settings or Settings.from_environment()
    # FastAPIOffline serves the Swagger UI and ReDoc assets from the package, not from a CDN.
    app = FastAPIOffline(
        title="attrition",
        version="1",
        summary="Hotel group attrition and cancellation damages, explained",
        description=(
            "Authenticate with an API key (`Authorization: Bearer atk_...`). Errors are "
            "`application/problem+json` with the path of each invalid field. Updates need `If-Match`. "
            "Every list answers `{items, total, limit, offset}`; lists a client syncs from take "
            "`updated_since`. Every POST takes `Idempotency-Key`. HEAD is answered wherever GET is."
        ),
        lifespan=_lifespan,
        generate_unique_id_function=conventions.operation_id,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.sessions = session_factory(app.state.engine)
    app.state.jobs = _job_queue(settings, app.state.engine)
    problems.install(app, error_page)
    app.add_exception_handler(LoginRequiredError, login_redirect)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(admin.health)
    for api in (
        properties,
        contracts,
        audits,
        invoices,
        forecasts,
        reports,
        webhooks,
        batches,
        admin,
        calendar,
        inventory,
    ):
        conventions.apply_all(api.router)
        app.include_router(
            api.router,
            prefix=API_PREFIX,
            dependencies=[Depends(refuse_nameless_query)],
            generate_unique_id_function=conventions.operation_id,
        )
    # OpenTravel answers every error in XML itself: no problem+json responses, no query refusal.
    app.include_router(ota.router, prefix=API_PREFIX, generate_unique_id_function=conventions.operation_id)
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
        audit_page,
        block_changes_page,
        share,
        parties_page,
        webhooks_page,
        calendar_page,
        inventory_page,
    ):
        app.include_router(page.router)
    # The last added runs first: a body is limited before anything reads it; a dropped read is retried
    # whole, inside that limit.
    app.add_middleware(RetryDroppedReads)
    app.add_middleware(HeadWhereGet, prefix=API_PREFIX)
    app.add_middleware(LimitBodySize, refusals={ota.PREFIX: ota.refusal})
    app.openapi = lambda: openapi_document(app, API_PREFIX)  # type: ignore[method-assign]
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
