"""``attrition serve`` and ``attrition migrate`` as a release step.

On the embedded default (no database configured: the SQLite file in ``$ATTRITION_DATA_DIR``) serve
migrates and loads the demo; on any other database it refuses a schema that is not at head, naming
``attrition migrate``, and loads the demo only with ``--demo``. Most tests run ``main`` in-process with
``uvicorn.run`` replaced, so that what serve loads, prints and hands to uvicorn is checked without a
server; one starts the real thing with two workers.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import httpx2
import psycopg
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.cli import main
from app.main import create_app
from app.persistence.db import make_engine, migrate, schema_is_current
from app.persistence.records import ContractRecord, PropertyRecord
from app.resources import sample_contracts

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sample_contracts()
POSTGRES = os.environ.get("ATTRITION_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data directory of the test's own, no database configured, and the environment restored after
    (serve exports its settings for the workers)."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("ATTRITION_") and name != "ATTRITION_TEST_POSTGRES":
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("ATTRITION_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)
    yield data
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What serve hands to ``uvicorn.run`` (the app's import string and the options), instead of running."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append({"app": app, **options}))
    return calls


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def credentials(out: str) -> dict[str, str]:
    return dict(re.findall(r"^(email|password|api key): (\S+)$", out, re.MULTILINE))


def count(url: str, record: type[Any]) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(record)).one()
    finally:
        engine.dispose()


def served_app_lists(key: str) -> int:
    """How many contracts the app serve would run (built, like each worker, from the environment) lists."""
    with TestClient(create_app()) as client:
        listed = client.get("/api/v1/contracts", headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 200, listed.text
    total: int = listed.json()["total"]
    return total


# --- the embedded default ----------------------------------------------------------------------


def test_first_start_on_the_embedded_default_migrates_loads_the_samples_and_prints_where_they_are(
    environment: Path, served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "serve", "--port", "8123")

    assert (code, err) == (0, "")
    database = environment / "attrition.sqlite3"
    assert f"Loaded {len(SAMPLES)} sample contracts." in out
    assert "attrition on http://127.0.0.1:8123" in out
    assert f"Data directory: {environment}" in out
    shown = credentials(out)
    assert shown.keys() == {"email", "password", "api key"}
    saved = environment / "demo-credentials.txt"
    assert credentials(saved.read_text()) == shown
    assert saved.stat().st_mode & 0o777 == 0o600
    assert (served[0]["app"], served[0]["factory"], served[0]["port"]) == ("app.main:create_app", True, 8123)
    assert os.environ["ATTRITION_DATABASE_URL"] == f"sqlite:///{database}"
    assert served_app_lists(shown["api key"]) == len(SAMPLES) == 17


def test_second_start_loads_nothing_more_and_prints_the_same_credentials(
    environment: Path, served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(capsys, "serve")[1]

    code, out, err = run(capsys, "serve")

    assert (code, err) == (0, "")
    assert "Loaded" not in out
    assert credentials(out) == credentials(first)
    assert count(f"sqlite:///{environment / 'attrition.sqlite3'}", ContractRecord) == len(SAMPLES)


def test_no_demo_on_the_embedded_default_starts_empty_and_writes_no_credentials(
    environment: Path, served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "serve", "--no-demo")

    assert (code, err) == (0, "")
    assert "Loaded" not in out
    assert "Demo credentials" not in out
    assert not (environment / "demo-credentials.txt").exists()
    assert count(f"sqlite:///{environment / 'attrition.sqlite3'}", PropertyRecord) == 0


# --- any other database: `attrition migrate` first, no demo unless asked --------------------------


def test_serve_refuses_an_unmigrated_database_and_names_the_command_that_migrates_it(
    tmp_path: Path, served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"

    code, out, err = run(capsys, "serve", "--database-url", url)

    assert (code, out, served) == (1, "", [])
    assert "is not up to date" in err
    assert f"attrition migrate --database-url {url}" in err
    assert sa.inspect(make_engine(url)).get_table_names() == []  # serve changed nothing


def test_after_migrate_serve_starts_on_another_database_without_the_demo_unless_asked(
    tmp_path: Path, environment: Path, served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert run(capsys, "migrate", "--database-url", url)[0] == 0

    plain = run(capsys, "serve", "--database-url", url)
    assert (plain[0], plain[2], count(url, PropertyRecord)) == (0, "", 0)
    assert "Demo credentials" not in plain[1]

    code, out, err = run(capsys, "serve", "--database-url", url, "--demo")

    assert (code, err) == (0, "")
    assert f"Loaded {len(SAMPLES)} sample contracts." in out
    assert "Demo credentials (shown once):" in out
    assert not (environment / "demo-credentials.txt").exists()  # kept only for the embedded default
    assert count(url, ContractRecord) == len(SAMPLES)
    assert served_app_lists(credentials(out)["api key"]) == len(SAMPLES)
    again = run(capsys, "serve", "--database-url", url, "--demo")[1]
    assert "Loaded" not in again
    assert credentials(again) == {}


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database of the test's own."""
    name = f"attrition_serve_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield f"postgresql://{POSTGRES.removeprefix('postgresql://')}/{name}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_on_postgresql_serve_refuses_an_unmigrated_schema_and_starts_once_migrated(
    postgres_url: str, served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    refused = run(capsys, "serve", "--database-url", postgres_url)
    assert refused[0] == 1
    assert "attrition migrate --database-url postgresql+psycopg://" in refused[2]

    assert run(capsys, "migrate", "--database-url", postgres_url)[0] == 0
    code, out, err = run(capsys, "serve", "--database-url", postgres_url)

    assert (code, err, len(served)) == (0, "", 1)
    assert "Loaded" not in out  # an empty PostgreSQL database gets no demo administrator or key


def test_concurrent_migrations_on_postgresql_wait_for_each_other_and_all_succeed(postgres_url: str) -> None:
    url = postgres_url.replace("postgresql://", "postgresql+psycopg://")
    engines = [make_engine(url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            list(pool.map(migrate, engines))  # re-raises the first failure
        assert schema_is_current(engines[0])
    finally:
        for engine in engines:
            engine.dispose()


# --- uvicorn options ------------------------------------------------------------------------------


def test_by_default_no_proxy_is_trusted_and_one_worker_serves_at_the_root(
    served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "serve", "--no-demo")[0] == 0

    options = served[0]
    assert (options["proxy_headers"], options["forwarded_allow_ips"]) == (False, None)
    assert (options["workers"], options["root_path"], options["host"]) == (1, "", "127.0.0.1")


def test_workers_trusted_proxies_and_root_path_reach_uvicorn_from_options_or_the_environment(
    served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["serve", "--no-demo", "--workers", "3", "--proxy-headers", "--forwarded-allow-ips", "10.0.0.7"]
    assert run(capsys, *argv, "--root-path", "/attrition")[0] == 0
    monkeypatch.setenv("ATTRITION_FORWARDED_ALLOW_IPS", "10.0.0.8,10.0.0.9")
    monkeypatch.setenv("ATTRITION_WORKERS", "2")
    assert run(capsys, "serve", "--no-demo")[0] == 0

    first, second = served
    assert (first["workers"], first["proxy_headers"], first["forwarded_allow_ips"]) == (3, True, "10.0.0.7")
    assert first["root_path"] == "/attrition"
    assert (second["workers"], second["forwarded_allow_ips"]) == (2, "10.0.0.8,10.0.0.9")


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--proxy-headers"], {}, "--proxy-headers needs --forwarded-allow-ips"),
        (["--workers", "0"], {}, "workers (--workers or ATTRITION_WORKERS): Input should be greater than"),
        (
            [],
            {"ATTRITION_PORT": "eighty"},
            "port (--port or ATTRITION_PORT): Input should be a valid integer",
        ),
    ],
)
def test_unusable_options_and_settings_are_usage_errors_naming_them(
    argv: list[str],
    env: dict[str, str],
    message: str,
    served: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    code, out, err = run(capsys, "serve", *argv)

    assert (code, out, served) == (2, "", [])
    assert err.startswith("attrition: ")
    assert message in err
    assert "Traceback" not in err


async def _client_seen(options: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> str:
    """The client address an app run with uvicorn ``options`` sees for a request from 127.0.0.1."""
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])

    keep = {name: options[name] for name in ("proxy_headers", "forwarded_allow_ips")}
    config = uvicorn.Config(app, **keep)
    config.load()
    scope = {"type": "http", "client": ("127.0.0.1", 5000), "headers": headers, "scheme": "http"}
    await config.loaded_app(scope, None, None)
    return seen[0]


def test_a_forwarded_address_from_this_machine_is_ignored_unless_it_is_a_trusted_proxy(
    served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    """uvicorn's own default trusts 127.0.0.1: anyone on the machine could pick the address the login
    limit counts. serve's default trusts no one."""
    import asyncio

    run(capsys, "serve", "--no-demo")
    run(capsys, "serve", "--no-demo", "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1")
    forwarded = [(b"x-forwarded-for", b"203.0.113.9")]

    # In a thread of its own: a browser test earlier in this worker may have left an event loop running
    # in the main thread (Playwright's sync API), where asyncio.run refuses to start another.
    with ThreadPoolExecutor(1) as pool:
        untrusted = pool.submit(asyncio.run, _client_seen(served[0], forwarded)).result()
        trusted = pool.submit(asyncio.run, _client_seen(served[1], forwarded)).result()
    assert untrusted == "127.0.0.1"
    assert trusted == "203.0.113.9"


# --- the real thing ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


@pytest.mark.slow
def test_serve_runs_two_workers_on_the_embedded_default_with_the_printed_demo_key(
    tmp_path: Path, environment: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = ["uv", "run", "--frozen", "--project", str(REPO), "attrition", "serve", "--port", str(port)]
    log = tmp_path / "server.log"
    with log.open("w") as errors:
        # A session of its own, so that the server uv starts is stopped with it.
        server = subprocess.Popen(
            [*command, "--workers", "2"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
    try:
        assert server.stdout is not None
        output: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(server.stdout, output), daemon=True).start()
        key = wait_for_key(output, server, log)
        wait_until_healthy(base, server, log)

        listed = httpx2.get(
            f"{base}/api/v1/contracts", headers={"Authorization": f"Bearer {key}"}, timeout=10
        )

        assert listed.status_code == 200
        assert listed.json()["total"] == len(SAMPLES) == 17
        assert credentials((environment / "demo-credentials.txt").read_text())["api key"] == key
        wait_for(lambda: log.read_text().count("Application startup complete") == 2, server, log)  # 2 workers

        # Logs are JSON lines carrying the caller's request id; /metrics adds up both workers.
        for _ in range(5):
            httpx2.get(f"{base}/api/v1/contracts", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        traced = httpx2.get(f"{base}/healthz", headers={"X-Request-ID": "support-ticket-7"}, timeout=10)
        assert traced.headers["x-request-id"] == "support-ticket-7"
        wait_for(lambda: "support-ticket-7" in log.read_text(), server, log)
        records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        access = next(record for record in records if record.get("request_id") == "support-ticket-7")
        assert (access["route"], access["status"], access["logger"]) == ("/healthz", 200, "attrition.access")
        for _ in range(3):  # whichever worker answers the scrape, it counts every worker's requests
            scraped = httpx2.get(f"{base}/metrics", timeout=10).text
            line = 'attrition_http_requests_total{method="GET",route="/api/v1/contracts",status="200"}'
            assert f"{line} 6.0" in scraped
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def wait_for_key(output: queue.Queue[str], server: subprocess.Popen[str], log: Path) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            line = output.get(timeout=1)
        except queue.Empty:
            if server.poll() is not None:
                pytest.fail(f"serve exited with {server.returncode}:\n{log.read_text()}")
            continue
        if line.startswith("api key: "):
            return line.removeprefix("api key: ").strip()
    pytest.fail(f"serve printed no API key:\n{log.read_text()}")


def wait_for(condition: Callable[[], bool], server: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline or server.poll() is not None:
            pytest.fail(f"serve did not get there:\n{log.read_text()}")
        time.sleep(0.2)


def wait_until_healthy(base: str, server: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx2.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"no answer on {base}/healthz:\n{log.read_text()}")
