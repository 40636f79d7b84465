"""What an operator sees of the running service: a request id, JSON logs and Prometheus metrics.

- **Request id.** Every HTTP request gets one: the caller's ``X-Request-ID`` when it is a short token
  (letters, digits, ``.``, ``_``, ``-``; at most 64), else a new random one. It is sent back in the
  response's ``X-Request-ID`` header and put on every log record written while the request runs.
- **Logs.** ``logging_config()`` is the ``logging.config.dictConfig`` that ``attrition serve`` hands to
  uvicorn: one JSON object a line (python-json-logger) with ``request_id``, or plain text. Each request
  is logged once, by this module, with its method, route template, status and duration.
- **Metrics.** prometheus-client counters and histograms, served at ``/metrics``. Routes are labelled by
  their template (``/api/v1/contracts/{contract_id}``), never the raw path, so that ids cannot make the
  label set grow. With several workers, set ``PROMETHEUS_MULTIPROC_DIR`` (``attrition serve --workers``
  does) and ``/metrics`` adds up every worker's figures.
- **Counted after commit.** Services note what they did in ``session.info`` (``count_after_commit``);
  the counters move only when that transaction commits, so a request that fails counts nothing.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.orm import Session

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

ACCESS_LOG = logging.getLogger("attrition.access")

HTTP_REQUESTS = Counter(
    "attrition_http_requests_total",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "attrition_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ASSESSMENTS = Counter(
    "attrition_assessments_total",
    "Contracts assessed by the engine (outcome: computed, or refused as invalid input)",
    ["outcome"],
)
INVOICES = Counter(
    "attrition_invoices_issued_total", "Invoices and credit notes issued (committed)", ["kind"]
)

JOBS = Counter(
    "attrition_jobs_total",
    "Background jobs by task and event: queued (enqueued or started by the schedule), done, failed",
    ["task", "event"],
)

_COUNTERS: dict[str, Counter] = {"invoices": INVOICES}
_PENDING = "attrition.metrics"


def count_after_commit(session: Session, counter: str, **labels: str) -> None:
    """Count one of ``counter`` (``"invoices"``) when ``session``'s transaction commits."""
    session.info.setdefault(_PENDING, []).append((counter, labels))


@sa.event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for counter, labels in session.info.pop(_PENDING, []):
        _COUNTERS[counter].labels(**labels).inc()


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def metrics_text() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format: this process's, or every worker's when
    ``PROMETHEUS_MULTIPROC_DIR`` is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestContextMiddleware:
    """Pure ASGI middleware (no body buffering): request id, one access log line, request metrics."""

    def __init__(self, app: ASGIApp, prefixes: Sequence[str] = ()) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        rid = given if given is not None and _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_label(scope, self.prefixes)
            method = str(scope.get("method", ""))
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(elapsed)
            ACCESS_LOG.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                    "client": (scope.get("client") or ("", 0))[0],
                },
            )
            request_id.reset(token)


def route_label(scope: Scope, prefixes: Sequence[str] = ()) -> str:
    """The template of the route the request matched (``/api/v1/contracts/{contract_id}``; a mount's
    path, ``/static``), else ``unmatched``. The router records the route as its module declared it, so
    the prefix it was included under (one of ``prefixes``) is put back."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str) or not template:
        return "unmatched"
    path = str(scope.get("path", ""))
    for prefix in prefixes:
        if path.startswith(prefix + "/") and not template.startswith(prefix + "/"):
            return prefix + template
    return template


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or ``None`` outside a request) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def logging_config(log_format: str = "json", level: str = "INFO") -> dict[str, Any]:
    """The ``dictConfig`` for the service: JSON lines (or ``text``), uvicorn's loggers included.

    uvicorn's own access log is replaced by ours (it knows neither the route template nor the id)."""
    if log_format not in {"json", "text"}:
        raise ValueError("the log format is json or text")
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "attrition": {"handlers": ["default"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
