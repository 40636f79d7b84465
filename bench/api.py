"""API benchmark: latency and throughput of the service over loopback, and what HTTP adds to the engine.

It fills a database (a fresh SQLite file unless ``--database-url`` names another, for example
PostgreSQL) with the sample contracts through ``app.services.imports``, starts the real service with
uvicorn (one worker, a process of its own) on 127.0.0.1, and times with httpx2 clients:

* ``GET /healthz``: the floor, a route that only touches the database with ``SELECT 1``;
* ``GET /api/v1/contracts/{id}/assessment``: load a stored contract and its actuals, assess, answer;
* ``POST /api/v1/assessments``: the stateless assessment of the sample contract sent in the body;
* ``POST /api/v1/validate``: the bare endpoint that only validates that same body (the issue's yardstick:
  the assessment endpoints should sustain at least half its throughput);
* ``POST /api/v1/contracts/{id}/pickup``: record a pickup report (JSON; each request writes rows);

each first by one client in sequence, then by ``--clients`` clients at once (threads, one keep-alive
connection each; 32 by default). It prints the median and 99th percentile latency and requests per
second, and ratios: each assessment route's throughput against the bare validation of the same body,
each route against the floor, and the stateless assessment against the same work done in-process
(``app.engine.assess`` alone, and the whole service call: validate the body, assess, dump the JSON).

The load runs on the same cores as the server, so absolute figures are noisy; read the ratios.

Run by hand: ``uv run python bench/api.py`` (under a minute; ``--seconds`` per measurement;
``--database-url postgresql://postgres@127.0.0.1:5432/NAME`` for PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pydantic
import sqlalchemy as sa
from sqlmodel import select

from app.contract_files import load_document
from app.engine import assess
from app.persistence.db import make_engine, migrate, session_scope
from app.persistence.records import ContractRecord
from app.services import assessments as assessment_service
from app.services import auth
from app.services.imports import is_empty, load_demo
from app.settings import normalise_database_url

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = REPO / "contracts"
SAMPLE = CONTRACTS / "corporate-sales-meeting-per-night.yaml"
TARGET_RATIO = 0.5


# --- set-up ----------------------------------------------------------------------------------------


def fill(url: str) -> str:
    """Migrate, load the samples into an empty database, and return an API key that sees them."""
    engine = make_engine(url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            if is_empty(session):
                paths = sorted(p for p in CONTRACTS.glob("*.*") if p.suffix in {".yaml", ".json"})
                documents = [(path, load_document(path)) for path in paths if path.name != "schema.json"]
                key = load_demo(session, documents).api_key
            else:  # a database filled before: a key of our own
                _, key = auth.create_api_key(session, "bench", auth.Access.ADMIN, frozenset())
            session.commit()
    finally:
        engine.dispose()
    return key


def contract_id(url: str, reference: str) -> int:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            found = session.exec(
                select(ContractRecord.id).where(ContractRecord.reference == reference)
            ).first()
    finally:
        engine.dispose()
    if found is None:
        raise SystemExit(f"the database holds no contract {reference!r}")
    return found


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(url: str) -> Iterator[str]:
    """uvicorn serving ``app.main:create_app`` on a free loopback port, in a process of its own."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, "ATTRITION_DATABASE_URL": url})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise SystemExit(f"uvicorn exited with {process.returncode}")
            try:
                if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("uvicorn did not answer /healthz within 30 s") from None
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- the requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    method: str
    path: str
    body: bytes | None = None
    expected: int = 200


def targets(stored_id: int) -> list[Target]:
    document = load_document(SAMPLE)
    assert document.actuals is not None
    assert document.as_of is not None
    as_of = document.as_of.isoformat()
    stateless = {
        "contract": document.contract.model_dump(mode="json"),
        "actuals": document.actuals.model_dump(mode="json", exclude={"currency"}),
        "as_of": as_of,
    }
    pickup = {
        "as_of": as_of,
        "entries": [
            {"night": row.night.isoformat(), "room_type": row.room_type, "room_nights": row.room_nights}
            for row in document.actuals.pickup
        ],
    }
    return [
        Target("GET /healthz", "GET", "/healthz"),
        Target("GET assessment", "GET", f"/api/v1/contracts/{stored_id}/assessment?as_of={as_of}"),
        Target("POST assessments", "POST", "/api/v1/assessments", json.dumps(stateless).encode()),
        Target("POST validate", "POST", "/api/v1/validate", json.dumps(stateless).encode()),
        Target(
            "POST pickup", "POST", f"/api/v1/contracts/{stored_id}/pickup", json.dumps(pickup).encode(), 201
        ),
    ]


@dataclass(frozen=True)
class Result:
    target: str
    clients: int
    latencies: list[float]  # seconds
    elapsed: float
    errors: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1e3

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98] * 1e3

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.elapsed


def client(base: str, key: str) -> httpx2.Client:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return httpx2.Client(base_url=base, headers=headers, timeout=30)


def hammer(base: str, key: str, target: Target, clients: int, seconds: float) -> Result:
    """``clients`` threads sending ``target`` back to back for ``seconds``, after a short warm-up."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def work(index: int) -> None:
        with client(base, key) as http:
            for _ in range(5):  # warm-up: connection, caches
                http.request(target.method, target.path, content=target.body)
            start.wait()
            mine = latencies[index]
            while True:
                began = time.perf_counter()
                if began >= stop_at[0]:
                    return
                response = http.request(target.method, target.path, content=target.body)
                mine.append(time.perf_counter() - began)
                if response.status_code != target.expected:
                    errors[index] += 1

    threads = [threading.Thread(target=work, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + 3600  # set for real once every client is warm
    start.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    merged = [value for values in latencies for value in values]
    return Result(target.name, clients, merged, elapsed, sum(errors))


def check(base: str, key: str, target: Target) -> None:
    """One request first: a benchmark of error answers would measure nothing."""
    with client(base, key) as http:
        response = http.request(target.method, target.path, content=target.body)
    if response.status_code != target.expected:
        raise SystemExit(f"{target.name}: {response.status_code} {response.text[:500]}")


# --- in-process ------------------------------------------------------------------------------------


def in_process_ms(func: Callable[[], object], seconds: float) -> float:
    """Median ms per call over 5 batches of about ``seconds`` / 5 each."""
    timer = timeit.Timer(func)
    number = 1
    while (elapsed := timer.timeit(number)) < seconds / 50:
        number *= 2
    batch = max(1, round(number * seconds / 5 / elapsed))
    return statistics.median(timer.timeit(batch) / batch for _ in range(5)) * 1e3


def in_process(stateless: bytes, seconds: float) -> tuple[float, float]:
    """(engine only, the whole service call) in ms for the stateless request's contract."""
    document = load_document(SAMPLE)
    assert document.actuals is not None
    assert document.as_of is not None
    contract, actuals, as_of = document.contract, document.actuals, document.as_of
    body = json.loads(stateless)

    def service() -> object:
        result = assessment_service.assess_request(json.loads(json.dumps(body)))
        return json.dumps(assessment_service.ASSESSMENT.dump_python(result, mode="json"))

    return in_process_ms(lambda: assess(contract, actuals, as_of), seconds), in_process_ms(service, seconds)


# --- report ----------------------------------------------------------------------------------------


def print_report(url: str, results: list[Result], engine_ms: float, service_ms: float, clients: int) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    backend = sa.make_url(url).get_backend_name()
    print(
        f"Python {platform.python_version()}, pydantic {pydantic.VERSION}, {os.cpu_count()} CPUs, "
        f"load average {load}; {backend}; uvicorn 1 worker; httpx2 clients on the same machine"
    )
    print()
    header = (
        f"{'request':<18} {'clients':>7} {'requests':>8} {'median ms':>9} {'p99 ms':>7} "
        f"{'req/s':>7} {'errors':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        print(
            f"{row.target:<18} {row.clients:>7} {len(row.latencies):>8} {row.median_ms:>9.2f} "
            f"{row.p99_ms:>7.2f} {row.per_second:>7,.0f} {row.errors:>6}"
        )
    print()
    print(f"in-process, same contract: engine assess {engine_ms:.3f} ms; service call {service_ms:.3f} ms")
    print("  (service call = validate the JSON body, assess, dump the assessment to JSON)")
    print()
    by = {(row.target, row.clients): row for row in results}
    floor = by["GET /healthz", 1]
    floor_many = by["GET /healthz", clients]
    print("ratios (sequential median latency; throughput with", clients, "clients):")
    for name in ("GET assessment", "POST assessments", "POST pickup"):
        one, many = by[name, 1], by[name, clients]
        print(
            f"  {name:<17} latency {one.median_ms / floor.median_ms:5.1f} × healthz, "
            f"throughput {many.per_second / floor_many.per_second:5.2f} × healthz"
        )
    stateless = by["POST assessments", 1]
    print(
        f"  POST assessments  latency {stateless.median_ms / engine_ms:5.1f} × the engine's assess in-process"
    )
    print(
        f"  POST assessments  latency {stateless.median_ms / service_ms:5.1f} × the service call in-process"
    )
    stored = by["GET assessment", 1]
    print(f"  GET assessment    latency {stored.median_ms / stateless.median_ms:5.2f} × POST assessments")
    bare = by["POST validate", clients]
    print()
    print(f"target: an assessment endpoint sustains ≥ {TARGET_RATIO} × the throughput of POST validate")
    for name in ("POST assessments", "GET assessment"):
        ratio = by[name, clients].per_second / bare.per_second
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"  {name:<17} {ratio:5.2f} × POST validate at {clients} clients: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url", metavar="URL", help="database to use (default: a fresh SQLite file)"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement (default 5)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="attrition-bench-") as folder:
        url = normalise_database_url(args.database_url or f"sqlite:///{Path(folder) / 'attrition.sqlite3'}")
        key = fill(url)
        stored_id = contract_id(url, load_document(SAMPLE).contract.id)
        plan = targets(stored_id)
        results = []
        with server(url) as base:
            for target in plan:
                check(base, key, target)
                for clients in (1, args.clients):
                    results.append(hammer(base, key, target, clients, args.seconds))
        stateless = next(target for target in plan if target.name == "POST assessments")
        assert stateless.body is not None
        engine_ms, service_ms = in_process(stateless.body, args.seconds / 2)
    print_report(url, results, engine_ms, service_ms, args.clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
