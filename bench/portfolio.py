"""Portfolio benchmark: what a page of the portfolio costs as the portfolio grows.

It loads the sample contracts, placed around today as the demo places them (pace history included),
into a fresh PostgreSQL database, then clones them in bulk into 10,000 contracts and later 100,000
(each clone of a sample moved by 0-19 days, with a copy of its latest pickup report; ``COPY`` for the
pickup rows). Snapshots are made by the refresh job's own code (``refresh_contracts``) for one clone
of each sample and shift, timed, and copied to the other clones of that sample and shift (their
figures are the same), which is the bulk path; the refresh rate measured says how long the nightly
job takes for the whole portfolio.

At each size it starts real servers (``attrition serve --workers 1`` and ``--workers 2``) and prints:

* p50 and p99 of ``GET /api/v1/exposure`` (first page, 50 rows) and of the dashboard's first page
  (``GET /``, 20 rows), over ``--requests`` sequential requests after a warm-up, with 1 worker;
* the growth ratio of the p50 from 10k to 100k contracts (10.0 would be linear);
* the servers' resident memory (all processes) after the requests;
* read throughput (requests per second, both pages alternating, ``--clients`` concurrent clients for
  ``--seconds``) with 2 workers over 1 worker.

Targets: p50 < 300 ms at 100k, growth well below linear, 2 workers at least 1.6 x 1 worker.

Run by hand: ``uv run python bench/portfolio.py [--sizes 10000,100000] [--requests 40]``. The
database is dropped at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.api.deps import SESSION_COOKIE
from app.contract_files import load_document
from app.persistence.db import make_engine, migrate
from app.persistence.records import (
    ContractRecord,
    ContractVersionRecord,
    ExposureSnapshotRecord,
    PickupSnapshotRecord,
)
from app.resources import sample_contracts
from app.services import auth, snapshots
from app.services.imports import _shifted, load_demo

POSTGRES = os.environ.get("ATTRITION_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
SHIFTS = 20
CHUNK = 5000
ATTRITION = str(Path(sys.executable).parent / "attrition")


@dataclass(frozen=True, slots=True)
class Template:
    record: ContractRecord
    terms: dict[str, Any]
    pickup: list[PickupSnapshotRecord]


@dataclass
class Portfolio:
    engine: sa.Engine
    url: str
    templates: list[Template]
    api_key: str
    cookie: str
    loaded: int = 0
    #: (template index, shift) -> the snapshot computed for its first clone
    snapshots: dict[tuple[int, int], ExposureSnapshotRecord] | None = None
    refresh_seconds: float = 0.0
    refreshed: int = 0


def _database() -> tuple[str, str]:
    name = f"attrition_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name, f"{POSTGRES}/{name}"


def _drop(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str) -> Portfolio:
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    migrate(engine)
    today = datetime.now(UTC).date()
    with Session(engine, expire_on_commit=False) as session:
        documents = [(path, load_document(path)) for path in sample_contracts()]
        credentials = load_demo(session, documents, today=today)
        session.commit()
        _, key = auth.create_api_key(session, "bench", auth.Access.ADMIN, frozenset())
        user = auth.create_staff_user(
            session, "bench@attrition.example", "a long enough password", is_admin=True
        )
        cookie = auth.open_staff_session(session, user)
        session.commit()
        templates = []
        for record in session.exec(select(ContractRecord).order_by(col(ContractRecord.id))).all():
            version = session.exec(
                select(ContractVersionRecord).where(
                    ContractVersionRecord.contract_id == record.id,
                    ContractVersionRecord.version == record.current_version,
                )
            ).one()
            rows = session.exec(
                select(PickupSnapshotRecord).where(PickupSnapshotRecord.contract_id == record.id)
            ).all()
            latest = max((row.as_of for row in rows), default=None)
            templates.append(Template(record, version.terms, [row for row in rows if row.as_of == latest]))
    del credentials
    portfolio = Portfolio(engine, url, templates, key, cookie)
    portfolio.loaded = len(templates)
    return portfolio


def _next_id(connection: sa.Connection, table: str) -> int:
    return int(connection.execute(sa.text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar_one())


def _shift_date(value: date, days: int) -> date:
    return value + timedelta(days=days)


def grow(portfolio: Portfolio, size: int) -> float:
    """Clone templates until the portfolio holds ``size`` contracts; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(size)
    shifted_terms: dict[tuple[int, int], dict[str, Any]] = {}
    with portfolio.engine.begin() as connection:
        contract_id = _next_id(connection, "contracts")
        version_id = _next_id(connection, "contract_versions")
        now = datetime.now(UTC)
        contracts, versions, pickup, clones = [], [], [], []
        for index in range(portfolio.loaded, size):
            t = index % len(portfolio.templates)
            shift = rng.randrange(SHIFTS)
            template = portfolio.templates[t]
            record = template.record
            if (t, shift) not in shifted_terms:
                shifted_terms[(t, shift)] = _shifted(template.terms, shift)
            contracts.append(
                {
                    "id": contract_id,
                    "property_id": record.property_id,
                    "account_id": record.account_id,
                    "reference": f"{record.reference}-{index}",
                    "name": record.name,
                    "status": record.status,
                    "currency": record.currency,
                    "arrival_date": _shift_date(record.arrival_date, shift),
                    "departure_date": _shift_date(record.departure_date, shift),
                    "current_version": 1,
                    "revision": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            versions.append(
                {
                    "id": version_id,
                    "contract_id": contract_id,
                    "version": 1,
                    "terms": shifted_terms[(t, shift)],
                    "note": "",
                    "created_by": "bench",
                    "created_at": now,
                }
            )
            for row in template.pickup:
                pickup.append(
                    (
                        contract_id,
                        _shift_date(row.as_of, shift),
                        _shift_date(row.night, shift),
                        row.room_type,
                        row.source,
                        row.room_nights,
                        now,
                        "bench",
                    )
                )
            clones.append((contract_id, t, shift, record.property_id))
            contract_id += 1
            version_id += 1
        contracts_table = ContractRecord.__table__  # type: ignore[attr-defined]
        versions_table = ContractVersionRecord.__table__  # type: ignore[attr-defined]
        for start in range(0, len(contracts), CHUNK):
            connection.execute(sa.insert(contracts_table), contracts[start : start + CHUNK])
            connection.execute(sa.insert(versions_table), versions[start : start + CHUNK])
        raw = connection.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cursor,
            cursor.copy(
                "COPY pickup_snapshots (contract_id, as_of, night, room_type, source, room_nights, "
                "recorded_at, recorded_by) FROM STDIN"
            ) as copy,
        ):
            for values in pickup:
                copy.write_row(values)
        for table in ("contracts", "contract_versions"):
            connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            )
    _snapshot_clones(portfolio, clones)
    portfolio.loaded = size
    # What autovacuum would have done by then: the planner needs the tables' statistics.
    with portfolio.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def _snapshot_clones(portfolio: Portfolio, clones: list[tuple[int, int, int, int]]) -> None:
    """One refresh per (template, shift) by the job's code, copied to the other clones of it."""
    if portfolio.snapshots is None:
        portfolio.snapshots = {}
        # The templates themselves, as the job would.
        with Session(portfolio.engine, expire_on_commit=False) as session:
            ids = [t.record.id for t in portfolio.templates if t.record.id is not None]
            snapshots.refresh_contracts(session, ids)
            session.commit()
    firsts: dict[tuple[int, int], int] = {}
    for contract_id, t, shift, _ in clones:
        if (t, shift) not in portfolio.snapshots:
            firsts.setdefault((t, shift), contract_id)
    if firsts:
        started = time.perf_counter()
        with Session(portfolio.engine, expire_on_commit=False) as session:
            snapshots.refresh_contracts(session, list(firsts.values()))
            session.commit()
        portfolio.refresh_seconds += time.perf_counter() - started
        portfolio.refreshed += len(firsts)
        with Session(portfolio.engine, expire_on_commit=False) as session:
            for key, contract_id in firsts.items():
                found = session.get(ExposureSnapshotRecord, contract_id)
                assert found is not None
                portfolio.snapshots[key] = found
    computed = set(firsts.values())
    rows = []
    for contract_id, t, shift, _ in clones:
        if contract_id in computed:
            continue
        model = portfolio.snapshots[(t, shift)]
        rows.append(
            {
                "contract_id": contract_id,
                "property_id": model.property_id,
                "contract_version": 1,
                "as_of": model.as_of,
                "status": model.status,
                "currency": model.currency,
                "expected_minor": model.expected_minor,
                "summary": model.summary,
                "computed_at": model.computed_at,
                "current_minor": model.current_minor,
                "pickup_permille": model.pickup_permille,
                "exposure_state": model.exposure_state,
            }
        )
    table = ExposureSnapshotRecord.__table__  # type: ignore[attr-defined]
    with portfolio.engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            connection.execute(sa.insert(table), rows[start : start + CHUNK])


# --- servers and requests ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(url: str, workers: int) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = _free_port()
    data = tempfile.mkdtemp(prefix="attrition-bench-")
    env = {
        **os.environ,
        "ATTRITION_DATA_DIR": data,
        "ATTRITION_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            ATTRITION,
            "serve",
            "--no-demo",
            "--database-url",
            url,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("the server did not start")
        yield port, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def _rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MiB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending += [int(child) for child in children]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def _headers(portfolio: Portfolio, page: str) -> dict[str, str]:
    if page == "exposure":
        return {"Authorization": f"Bearer {portfolio.api_key}"}
    return {"Cookie": f"{SESSION_COOKIE}={portfolio.cookie}", "Accept": "text/html"}


PATHS = {"exposure": "/api/v1/exposure", "dashboard": "/"}


def _get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status}")
    return time.perf_counter() - started


def latencies(portfolio: Portfolio, port: int, page: str, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(3):
        _get(connection, PATHS[page], _headers(portfolio, page))
    return [_get(connection, PATHS[page], _headers(portfolio, page)) for _ in range(count)]


def throughput(portfolio: Portfolio, port: int, clients: int, seconds: float) -> float:
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        pages = ("exposure", "dashboard")
        turn = index
        while time.monotonic() < stop:
            page = pages[turn % 2]
            _get(connection, PATHS[page], _headers(portfolio, page))
            done[index] += 1
            turn += 1

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    name, url = _database()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"database {name}"
    )
    results: dict[int, dict[str, float]] = {}
    try:
        portfolio = prepare(url)
        for size in sizes:
            took = grow(portfolio, size)
            print(f"loaded {size:,} contracts in {took:.0f} s", flush=True)
            row: dict[str, float] = {"load_s": took}
            with server(url, 1) as (port, process):
                for page in PATHS:
                    times = latencies(portfolio, port, page, args.requests)
                    row[f"{page}_p50"] = statistics.median(times) * 1000
                    row[f"{page}_p99"] = _pct(times, 0.99) * 1000
                row["rss_1"] = _rss_mib(process.pid)
                row["rps_1"] = throughput(portfolio, port, args.clients, args.seconds)
            with server(url, 2) as (port, process):
                latencies(portfolio, port, "exposure", 4)
                latencies(portfolio, port, "dashboard", 4)
                row["rps_2"] = throughput(portfolio, port, args.clients, args.seconds)
                row["rss_2"] = _rss_mib(process.pid)
            results[size] = row
            print(
                f"{size:>7,} contracts (loaded in {took:.0f} s): "
                f"exposure p50 {row['exposure_p50']:.0f} ms p99 {row['exposure_p99']:.0f} ms; "
                f"dashboard p50 {row['dashboard_p50']:.0f} ms p99 {row['dashboard_p99']:.0f} ms; "
                f"RSS {row['rss_1']:.0f} MiB (1 worker), {row['rss_2']:.0f} MiB (2 workers); "
                f"{row['rps_1']:.1f} req/s with 1 worker, {row['rps_2']:.1f} with 2 "
                f"({row['rps_2'] / row['rps_1']:.2f} x)",
                flush=True,
            )
        if portfolio.refreshed:
            rate = portfolio.refreshed / portfolio.refresh_seconds
            print(
                f"refresh job: {rate:.1f} contracts/s on one core "
                f"({sizes[-1] / rate / 60:.0f} min for a full refresh of {sizes[-1]:,})"
            )
        if len(sizes) > 1:
            first, last = sizes[0], sizes[-1]
            for page in PATHS:
                ratio = results[last][f"{page}_p50"] / results[first][f"{page}_p50"]
                print(
                    f"{page}: p50 grows {ratio:.2f} x from {first:,} to {last:,} "
                    f"({last / first:.0f} x contracts)"
                )
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            _drop(name)


if __name__ == "__main__":
    main()
