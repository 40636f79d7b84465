"""Background jobs (app/jobs.py): the real procrastinate worker on PostgreSQL runs each task and its
effect is checked in the database and the data directory; on SQLite the in-process runner does the
same work without a queue server."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import jobs
from app.contract_files import load_document
from app.main import create_app
from app.persistence.db import apply_queue_schema, make_engine, migrate
from app.persistence.records import BatchJobRecord, ContractRecord, ExposureSnapshotRecord, IngestionRecord
from app.services import auth, batches, invoices, snapshots
from app.services.imports import import_document, import_placed, place_demo
from app.settings import Settings
from tests.api.conftest import CONTRACTS, POSTGRES, bearer, create_postgres_database, drop_postgres_database

ATTRITION = str(Path(sys.executable).parent / "attrition")
ADMIN = auth.Principal("test", None, can_write=True, is_admin=True)
SAMPLES = ("corporate-sales-meeting-per-night.yaml", "wedding-block-cliff.yaml")


@pytest.fixture
def queue_engine() -> Iterator[sa.Engine]:
    """A PostgreSQL database of its own, with the job queue's schema: the worker commits for real."""
    name = create_postgres_database()
    engine = make_engine(f"postgresql+psycopg://{POSTGRES.split('://', 1)[1]}/{name}")
    migrate(engine)
    yield engine
    engine.dispose()
    drop_postgres_database(name)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    migrate(engine)
    yield engine
    engine.dispose()


def _fill(engine: sa.Engine) -> tuple[list[int], int, str]:
    """Two sample contracts (no snapshots yet), an invoice still to be paid, and two idempotency
    records, one older than its 24 hours; returns the contract ids, the invoice's property and number."""
    with Session(engine, expire_on_commit=False) as session:
        ids = [import_document(session, load_document(CONTRACTS / sample)).contract_id for sample in SAMPLES]
        session.commit()
        invoice = invoices.issue_invoice(session, ADMIN, ids[0])
        session.commit()
        for key, age in (("old", timedelta(days=2)), ("fresh", timedelta(hours=1))):
            session.add(
                IngestionRecord(
                    principal="test",
                    idempotency_key=key,
                    fingerprint="0" * 64,
                    status_code=201,
                    response={},
                    created_at=datetime.now(UTC) - age,
                )
            )
        session.commit()
    return ids, invoice.property_id, invoice.number


def _snapshots(engine: sa.Engine) -> set[int]:
    with Session(engine) as session:
        return {row.contract_id for row in session.exec(select(ExposureSnapshotRecord)).all()}


def _keys(engine: sa.Engine) -> set[str]:
    with Session(engine) as session:
        return {row.idempotency_key for row in session.exec(select(IngestionRecord)).all()}


def _zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return archive.namelist()


def test_migrate_applies_the_queue_schema_once(queue_engine: sa.Engine) -> None:
    with queue_engine.begin() as connection:
        assert connection.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None
        assert not apply_queue_schema(connection)  # migrate made it: a second run changes nothing
    migrate(queue_engine)


def test_the_worker_refreshes_snapshots_prunes_and_makes_a_batch_on_postgresql(
    queue_engine: sa.Engine, tmp_path: Path
) -> None:
    ids, property_id, number = _fill(queue_engine)
    with Session(queue_engine, expire_on_commit=False) as session:
        batch = batches.request_batch(session, ADMIN, property_id, batches.BatchKind.INVOICES_DUE)
        session.commit()
    assert batch.id is not None
    queue = jobs.ProcrastinateQueue(queue_engine)
    queue.enqueue("refresh_snapshots", full=True)
    queue.enqueue("produce_batch", batch_id=batch.id)
    queue.close()
    scheduled = jobs.queue_app(queue_engine)
    with scheduled.open():
        # The periodic task itself, as the schedule defers it.
        scheduled.configure_task("attrition.scheduled_prune_retention").defer(
            timestamp=int(datetime.now(UTC).timestamp())
        )
    # A write refreshes its contract's snapshot: start from none, as a database from before snapshots.
    with queue_engine.begin() as connection:
        connection.execute(sa.delete(ExposureSnapshotRecord))
    assert _snapshots(queue_engine) == set()

    jobs.run_worker(queue_engine, tmp_path, wait=False, queues=["on_demand", "scheduled"])

    assert _snapshots(queue_engine) == set(ids)
    assert _keys(queue_engine) == {"fresh"}
    with Session(queue_engine) as session:
        done = session.get(BatchJobRecord, batch.id)
        assert done is not None
        assert done.state == "done", done.detail
        path = batches.batch_file(tmp_path, done)
    assert path is not None
    assert _zip_names(path) == [f"{number}.pdf"]
    with queue_engine.connect() as connection:
        left = connection.execute(sa.text("SELECT task_name, status FROM procrastinate_jobs")).all()
    # The webhooks service is another branch's; its scheduled jobs are checked after the merge.
    webhooks = {"attrition.scheduled_deliver_webhooks", "attrition.scheduled_scan_deadlines"}
    assert [row for row in left if row.status != "succeeded" and row.task_name not in webhooks] == []


def test_on_sqlite_the_in_process_runner_does_the_same_work(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    ids, property_id, number = _fill(sqlite_engine)
    runner = jobs.InProcessRunner(jobs.Runtime(sqlite_engine, tmp_path))
    with Session(sqlite_engine, expire_on_commit=False) as session:
        batch = batches.request_batch(session, ADMIN, property_id, batches.BatchKind.INVOICES_DUE)
        session.commit()
    assert batch.id is not None

    runner.enqueue("refresh_snapshots", full=True)
    runner.enqueue("produce_batch", batch_id=batch.id)
    runner.submit("prune_retention", jobs.prune_retention)
    runner.stop()  # waits for the jobs submitted

    assert _snapshots(sqlite_engine) == set(ids)
    assert _keys(sqlite_engine) == {"fresh"}
    with Session(sqlite_engine) as session:
        done = session.get(BatchJobRecord, batch.id)
        assert done is not None
        path = batches.batch_file(tmp_path, done)
    assert path is not None
    assert _zip_names(path) == [f"{number}.pdf"]


def test_the_batch_api_answers_202_then_the_zip_on_sqlite(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    _, property_id, number = _fill(sqlite_engine)
    with Session(sqlite_engine, expire_on_commit=False) as session:
        _, key = auth.create_api_key(session, "batches", auth.Access.ADMIN, frozenset())
        session.commit()
    settings = Settings(
        database_url=sqlite_engine.url.render_as_string(), data_dir=tmp_path, jobs_in_process=False
    )
    with TestClient(create_app(settings, sqlite_engine)) as client:
        asked = client.post(f"/api/v1/properties/{property_id}/batches/invoices-due", headers=bearer(key))
        assert asked.status_code == 202, asked.text
        assert asked.json()["state"] == "queued"
        client.app.state.jobs.stop()  # type: ignore[attr-defined]  # let the job finish
        status = client.get(asked.headers["Location"], headers=bearer(key))
        assert status.json()["state"] == "done", status.text
        download = client.get(status.json()["file_url"], headers=bearer(key))
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            assert archive.namelist() == [f"{number}.pdf"]
        unknown = client.get(f"/api/v1/properties/{property_id}/batches/999999", headers=bearer(key))
        assert unknown.status_code == 404


@pytest.mark.slow
def test_attrition_migrate_twice_then_the_worker_until_empty(tmp_path: Path) -> None:
    name = create_postgres_database()
    url = f"{POSTGRES}/{name}"
    env = {**os.environ, "ATTRITION_DATA_DIR": str(tmp_path)}
    try:
        for _ in range(2):
            migrated = subprocess.run(
                [ATTRITION, "migrate", "--database-url", url],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
                check=False,
            )
            assert migrated.returncode == 0, migrated.stderr
        worker = subprocess.run(
            [ATTRITION, "worker", "--until-empty", "--database-url", url],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert worker.returncode == 0, worker.stderr
        assert "attrition worker on" in worker.stdout
    finally:
        drop_postgres_database(name)


def test_the_in_process_schedule_runs_its_jobs_on_their_cron(
    sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    _fill(sqlite_engine)
    # Every second (croniter's sixth field) instead of daily, so that the test need not wait for 03:17.
    every_second = (jobs.Scheduled("prune_retention", "* * * * * *", jobs.prune_retention),)
    runner = jobs.InProcessRunner(jobs.Runtime(sqlite_engine, tmp_path), schedule=every_second)

    runner.start()
    try:
        deadline = time.monotonic() + 120  # a bound on a busy machine, not a duration under test
        while _keys(sqlite_engine) != {"fresh"} and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        runner.stop()

    assert _keys(sqlite_engine) == {"fresh"}


def test_exposure_reports_batch_zips_a_report_per_open_contract(
    sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    with Session(sqlite_engine, expire_on_commit=False) as session:
        path = CONTRACTS / SAMPLES[0]
        imported = import_placed(session, *place_demo(path, load_document(path), today))
        session.commit()
        snapshots.refresh_contracts(session, [imported.contract_id])
        session.commit()
        prop = session.get(ContractRecord, imported.contract_id)
        assert prop is not None
        batch = batches.request_batch(session, ADMIN, prop.property_id, batches.BatchKind.EXPOSURE_REPORTS)
        session.commit()
    assert batch.id is not None

    assert jobs.produce_batch(jobs.Runtime(sqlite_engine, tmp_path), datetime.now(UTC), batch.id)

    with Session(sqlite_engine) as session:
        done = session.get(BatchJobRecord, batch.id)
        assert done is not None
        assert done.state == "done", done.detail
        made = batches.batch_file(tmp_path, done)
    assert made is not None
    [name] = _zip_names(made)
    assert name.startswith("exposure-")
    with zipfile.ZipFile(made) as archive:
        assert archive.read(name).startswith(b"%PDF")
