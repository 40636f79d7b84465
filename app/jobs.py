"""Background jobs: what runs on a schedule, and what a request asks for and fetches later.

The work (each a function of the engine and the time, in :data:`SCHEDULE` or :data:`ON_DEMAND`):

====================  ===============  =================================================================
job                   when             what
====================  ===============  =================================================================
refresh_snapshots     hourly, :05      exposure snapshots missing or out of date (each hotel's new day
                                       within the hour after its midnight: the nightly refresh), and on
                                       demand every snapshot (of one property)
prune_retention       daily, 03:17     ``app.services.retention.prune``
deliver_webhooks      every minute     ``app.services.webhooks.deliver_due`` (and on demand)
scan_deadlines        hourly, :00      ``app.services.webhooks.scan_deadlines``
produce_batch         on demand        a batch of PDFs (``app.services.batches``)
====================  ===============  =================================================================

Times are UTC. How they run depends on the database:

* **PostgreSQL**: on procrastinate's queue in the same database (its tables ``procrastinate_*``,
  applied by ``attrition migrate``). ``attrition worker`` runs the jobs and defers the periodic ones
  on their schedule (several workers may run: procrastinate defers each periodic job once, and
  ``lock`` keeps one of each running at a time). A request enqueues its job and answers at once.
* **SQLite** (the embedded default): no queue server. ``attrition serve`` runs the schedule in a
  background thread of the server process (:class:`InProcessRunner`, started by the app's lifespan
  when ``ATTRITION_JOBS_IN_PROCESS`` is on: by default on the embedded database), and a request's job
  runs in a thread of that process.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import procrastinate
import sqlalchemy as sa
from croniter import croniter
from sqlmodel import Session

from app.observability import JOBS

LOG = logging.getLogger("attrition.jobs")


# --- the work ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Runtime:
    """What the jobs of this process work on."""

    engine: sa.Engine
    data_dir: Path


_runtime: Runtime | None = None


def configure(engine: sa.Engine, data_dir: Path) -> Runtime:
    """Name the database and data directory the jobs of this process use (the worker, or serve)."""
    global _runtime
    _runtime = Runtime(engine, data_dir)
    return _runtime


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("app.jobs.configure() was not called in this process")
    return _runtime


def refresh_snapshots(
    work: Runtime, now: datetime, property_id: int | None = None, full: bool = False
) -> int:
    from app.services import snapshots

    if full or property_id is not None:
        return snapshots.refresh_snapshots(work.engine, property_id, now)
    return snapshots.refresh_stale_snapshots(work.engine, now)


def prune_retention(work: Runtime, now: datetime) -> int:
    from app.services.retention import prune

    with Session(work.engine, expire_on_commit=False) as session:
        pruned = prune(session, now)
        session.commit()
    return pruned.idempotency_records + pruned.staff_sessions + pruned.login_attempts


def _webhooks() -> Any:
    # The webhooks service is imported when its jobs run, so that the queue (and ``--help``) do not
    # load it before it is needed.
    return importlib.import_module("app.services.webhooks")


def deliver_webhooks(work: Runtime, now: datetime) -> object:
    return _webhooks().deliver_due(work.engine, now)


def scan_deadlines(work: Runtime, now: datetime) -> object:
    return _webhooks().scan_deadlines(work.engine, now)


def produce_batch(work: Runtime, now: datetime, batch_id: int) -> bool:
    """Make the batch's file and record the outcome; False if the batch was not waiting to be made."""
    from app.services import batches

    with Session(work.engine, expire_on_commit=False) as session:
        record = batches.start_batch(session, batch_id)
        session.commit()
        if record is None:
            return False
        try:
            produced = batches.produce_batch(session, record, work.data_dir)
        except Exception as error:
            session.rollback()
            batches.finish_batch(session, batch_id, file_name=None, detail=f"the batch failed: {error}")
            session.commit()
            raise
        session.rollback()  # the batch only read
        batches.finish_batch(
            session, batch_id, file_name=produced.path.name, detail=f"{produced.documents} documents"
        )
        session.commit()
    return True


@dataclass(frozen=True, slots=True)
class Scheduled:
    name: str
    cron: str
    run: Callable[[Runtime, datetime], object]


SCHEDULE: tuple[Scheduled, ...] = (
    Scheduled("refresh_snapshots", "5 * * * *", refresh_snapshots),
    Scheduled("prune_retention", "17 3 * * *", prune_retention),
    Scheduled("deliver_webhooks", "* * * * *", deliver_webhooks),
    Scheduled("scan_deadlines", "0 * * * *", scan_deadlines),
)
ON_DEMAND: dict[str, Callable[..., object]] = {
    "refresh_snapshots": refresh_snapshots,
    "deliver_webhooks": deliver_webhooks,
    "produce_batch": produce_batch,
}


def _counted(name: str, work: Callable[..., object], *args: Any, **kwargs: Any) -> object:
    try:
        result = work(runtime(), datetime.now(UTC), *args, **kwargs)
    except Exception:
        JOBS.labels(name, "failed").inc()
        LOG.exception("job %s failed", name)
        raise
    JOBS.labels(name, "done").inc()
    return result


# --- procrastinate (PostgreSQL) --------------------------------------------------------------------

#: On-demand jobs that may not run twice at once (a batch is one job per batch).
_EXCLUSIVE = {"refresh_snapshots", "deliver_webhooks"}


def _register(app: procrastinate.App) -> None:
    """Every job as a task of ``app``: ``attrition.scheduled_<name>`` on the ``scheduled`` queue, deferred
    by the worker on :data:`SCHEDULE`, and ``attrition.<name>`` on the ``on_demand`` queue."""
    for entry in SCHEDULE:
        task = app.task(name=f"attrition.scheduled_{entry.name}", queue="scheduled", lock=entry.name)(
            _scheduled(entry)
        )
        app.periodic(cron=entry.cron, periodic_id=entry.name)(task)
    for name, work in ON_DEMAND.items():
        app.task(name=f"attrition.{name}", queue="on_demand", lock=name if name in _EXCLUSIVE else None)(
            _on_demand(name, work)
        )


def _scheduled(entry: Scheduled) -> Callable[[int], None]:
    def run_scheduled(timestamp: int) -> None:
        JOBS.labels(entry.name, "queued").inc()
        _counted(entry.name, lambda work, _now: entry.run(work, datetime.fromtimestamp(timestamp, UTC)))

    return run_scheduled


def _on_demand(name: str, work: Callable[..., object]) -> Callable[..., None]:
    def run_on_demand(**arguments: Any) -> None:
        _counted(name, work, **arguments)

    return run_on_demand


def conninfo(engine: sa.Engine) -> str:
    """The libpq connection string of a PostgreSQL engine (procrastinate connects with psycopg 3)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def queue_app(engine: sa.Engine) -> procrastinate.App:
    """The procrastinate app on ``engine``'s PostgreSQL database, with every task of this module."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(engine)))
    _register(app)
    return app


def run_worker(
    engine: sa.Engine, data_dir: Path, *, wait: bool = True, queues: list[str] | None = None
) -> None:
    """Run procrastinate's worker on ``engine``'s database (of ``queues``, default all): the jobs, and
    the schedule's deferrals. ``wait=False`` returns once the queue is empty (tests, one-off runs).
    Finished jobs are deleted; failed ones are kept for inspection (``procrastinate_jobs``)."""
    configure(engine, data_dir)

    def run() -> None:
        queue_app(engine).run_worker(
            wait=wait, install_signal_handlers=wait, delete_jobs="successful", queues=queues
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        run()
        return
    # Called where an event loop already runs in this thread (an async caller; a test process that
    # Playwright's synchronous API shares): procrastinate's run_worker starts a loop of its own, which
    # needs a thread without one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()


# --- enqueueing -------------------------------------------------------------------------------------


class JobQueue(Protocol):
    def enqueue(self, name: str, **arguments: Any) -> str:
        """Run the on-demand job ``name`` with ``arguments`` in the background; returns the job's id."""
        ...


class ProcrastinateQueue:
    """Enqueues on procrastinate (PostgreSQL): ``attrition worker`` runs the job."""

    def __init__(self, engine: sa.Engine) -> None:
        self._app = queue_app(engine)
        self._lock = threading.Lock()
        self._opened = False

    def enqueue(self, name: str, **arguments: Any) -> str:
        if name not in ON_DEMAND:
            raise ValueError(f"no on-demand job {name!r}")
        with self._lock:
            if not self._opened:
                self._app.open()
                self._opened = True
        job_id = self._app.configure_task(f"attrition.{name}", allow_unknown=False).defer(**arguments)
        JOBS.labels(name, "queued").inc()
        return str(job_id)

    def close(self) -> None:
        with self._lock:
            if self._opened:
                self._app.close()
                self._opened = False


class InProcessRunner:
    """The jobs without a queue server (SQLite): the schedule in a background thread, and each
    on-demand job in a worker thread of this process. Jobs in progress when the process stops are
    lost; a batch left ``running`` is made again when asked again."""

    def __init__(self, work: Runtime, *, schedule: tuple[Scheduled, ...] = SCHEDULE) -> None:
        self.work = work
        self.schedule = schedule
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._count = 0

    def enqueue(self, name: str, **arguments: Any) -> str:
        if name not in ON_DEMAND:
            raise ValueError(f"no on-demand job {name!r}")
        self._count += 1
        JOBS.labels(name, "queued").inc()
        self.submit(name, ON_DEMAND[name], **arguments)
        return f"in-process-{self._count}"

    def submit(self, name: str, work: Callable[..., object], **arguments: Any) -> Future[object]:
        def run() -> object:
            try:
                result = work(self.work, datetime.now(UTC), **arguments)
            except Exception:
                JOBS.labels(name, "failed").inc()
                LOG.exception("job %s failed", name)
                return None
            JOBS.labels(name, "done").inc()
            return result

        with self._lock:
            if self._pool is None:  # made on first use, and again after a stop
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attrition-job")
            return self._pool.submit(run)

    def start(self) -> None:
        """Run the schedule in a daemon thread until :meth:`stop`."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="attrition-schedule", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        now = datetime.now(UTC)
        upcoming = {entry.name: croniter(entry.cron, now).get_next(datetime) for entry in self.schedule}
        while not self._stop.is_set():
            due_at = min(upcoming.values())
            if self._stop.wait(max(0.0, (due_at - datetime.now(UTC)).total_seconds())):
                return
            for entry in self.schedule:
                if upcoming[entry.name] <= datetime.now(UTC):
                    JOBS.labels(entry.name, "queued").inc()
                    self.submit(entry.name, entry.run).result()
                    upcoming[entry.name] = croniter(entry.cron, datetime.now(UTC)).get_next(datetime)

    def stop(self) -> None:
        """Stop the schedule and wait for the jobs submitted (the scheduled job running included)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def close(self) -> None:
        self.stop()
