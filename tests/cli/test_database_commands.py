"""The database commands of ``attrition``: migrate, import, add-user, add-key and serve.

Each test has a SQLite file of its own (``--database-url sqlite:///<tmp>``). The commands run in-process
through ``main``; ``serve`` runs once for real, as ``uv run attrition serve`` in a working directory of
its own (it reads ``./contracts`` and writes ``./var/demo-credentials.txt``), and otherwise with
``uvicorn.run`` replaced, so that what it loads and prints is checked without a server.
"""

from __future__ import annotations

import io
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx2
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.cli import main
from app.contract_files import load_document
from app.persistence.db import make_engine
from app.persistence.records import AccountRecord, ContractRecord, PropertyRecord
from app.services import auth
from app.services.errors import NotAuthenticatedError

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"
CORPORATE = CONTRACTS / "corporate-sales-meeting-per-night.yaml"
WEDDING = CONTRACTS / "wedding-block-cliff.yaml"
SAMPLES = sorted(
    path for path in CONTRACTS.glob("*.*") if path.suffix in {".yaml", ".json"} and path.name != "schema.json"
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'attrition.sqlite3'}"


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    """An engine on the commands' database, for looking at what they stored."""
    engine = make_engine(url)
    yield engine
    engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def count(engine: sa.Engine, record: type[Any]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(record)).one()


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# --- migrate -----------------------------------------------------------------------------------


def test_migrate_builds_the_schema_and_a_second_run_changes_nothing(
    url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(capsys, "migrate", "--database-url", url)
    tables = set(sa.inspect(engine).get_table_names())
    second = run(capsys, "migrate", "--database-url", url)

    assert first == (0, f"database at the latest migration: {url}\n", "")
    assert second == first
    assert {"alembic_version", "properties", "contracts", "api_keys", "staff_users"} <= tables


# --- import ------------------------------------------------------------------------------------


def test_import_stores_each_contract_with_its_property_and_account(
    url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "import", CORPORATE, WEDDING, "--database-url", url)

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"imported {CORPORATE} as contract 1 (property 1)",
        f"imported {WEDDING} as contract 2 (property 2)",
    ]
    with Session(engine) as session:
        contract = session.exec(select(ContractRecord).where(ContractRecord.id == 1)).one()
        hotel = session.exec(select(PropertyRecord).where(PropertyRecord.id == 1)).one()
        account = session.exec(select(AccountRecord).where(AccountRecord.id == contract.account_id)).one()
    terms = load_document(CORPORATE).contract
    assert (contract.reference, contract.property_id) == (terms.id, 1)
    assert (hotel.name, hotel.timezone) == (terms.property.name, terms.property.timezone)
    assert account.name == terms.group.account
    assert count(engine, ContractRecord) == 2


def test_import_with_a_bad_file_reports_file_line_field_and_stores_none_of_the_files(
    tmp_path: Path, url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(CORPORATE.read_text().replace('rate: "219.00"', "rate: 219.00"))
    assert run(capsys, "migrate", "--database-url", url)[0] == 0

    code, out, err = run(capsys, "import", WEDDING, bad, "--database-url", url)

    assert (code, out) == (1, "")
    line = line_of(bad, "rate: 219.00")
    assert re.fullmatch(
        rf"{re.escape(str(bad))}:{line}: contract\.block\[0\]\.rate: money must be quoted.*\n", err
    )
    assert count(engine, ContractRecord) == 0
    assert count(engine, PropertyRecord) == 0


def test_import_refused_by_the_database_rolls_back_the_whole_batch(
    url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", CORPORATE, "--database-url", url)[0] == 0

    # The wedding file is fine, but the corporate contract's id is taken in its property by now.
    code, out, err = run(capsys, "import", WEDDING, CORPORATE, "--database-url", url)

    assert (code, out) == (1, "")
    line = line_of(CORPORATE, "id: northwind-sko-2027")
    assert err == f"{CORPORATE}:{line}: contract.id: already used by another contract of this property\n"
    assert count(engine, ContractRecord) == 1
    assert count(engine, PropertyRecord) == 1


def test_import_of_a_missing_file_exits_1_without_touching_the_database(
    tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.yaml"

    code, out, err = run(capsys, "import", missing, "--database-url", url)

    assert (code, out) == (1, "")
    assert err.startswith(f"{missing}: ")
    assert not (tmp_path / "attrition.sqlite3").exists()


# --- add-user ----------------------------------------------------------------------------------


def test_add_user_reads_the_password_from_stdin_and_it_signs_in(
    url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))

    code, out, err = run(capsys, "add-user", "Ops@Example.com", "--name", "Ops", "--database-url", url)

    assert (code, out, err) == (0, "added ops@example.com\n", "")
    with Session(engine) as session:
        user = auth.verify_password(session, "ops@example.com", "correct horse battery")
        assert (user.name, user.is_admin) == ("Ops", False)
        with pytest.raises(NotAuthenticatedError):
            auth.verify_password(session, "ops@example.com", "correct horse battery\n")


def test_add_user_with_a_short_password_names_the_problem_and_adds_no_one(
    url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))

    code, out, err = run(capsys, "add-user", "ops@example.com", "--admin", "--database-url", url)

    assert (code, out, err) == (1, "", "add-user: password: use at least 10 characters\n")
    with Session(engine) as session, pytest.raises(NotAuthenticatedError):
        auth.verify_password(session, "ops@example.com", "short")


# --- add-key -----------------------------------------------------------------------------------


def test_add_key_prints_a_key_that_authenticates_with_its_access_and_property(
    url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", CORPORATE, "--database-url", url)[0] == 0

    code, out, err = run(
        capsys, "add-key", "reporting", "--access", "read", "--property", "1", "--database-url", url
    )

    assert (code, err) == (0, "")
    key = out.strip()
    assert out == f"{key}\n"
    assert key.startswith("atk_")
    with Session(engine) as session:
        principal = auth.authenticate_api_key(session, key)
    assert (principal.property_ids, principal.can_write, principal.is_admin) == (frozenset({1}), False, False)


def test_add_key_for_an_unknown_property_exits_1_and_prints_no_key(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "add-key", "reporting", "--property", "99", "--database-url", url)

    assert (code, out, err) == (1, "", "add-key: property_ids: property 99 does not exist\n")


# --- serve -------------------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a copy of the sample contracts, as ``serve`` expects."""
    directory = tmp_path / "work"
    shutil.copytree(CONTRACTS, directory / "contracts")
    monkeypatch.chdir(directory)
    return directory


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[FastAPI]:
    """The apps ``serve`` would have run, with ``uvicorn.run`` replaced so that it returns at once."""
    apps: list[FastAPI] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: apps.append(app))
    return apps


def credentials(out: str) -> dict[str, str]:
    return dict(re.findall(r"^(email|password|api key): (\S+)$", out, re.MULTILINE))


def test_serve_first_start_loads_the_samples_and_prints_the_demo_credentials(
    workdir: Path, url: str, served: list[FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "serve", "--database-url", url, "--port", "8123")

    assert (code, err) == (0, "")
    assert f"Loaded {len(SAMPLES)} sample contracts." in out
    assert "attrition on http://127.0.0.1:8123" in out
    shown = credentials(out)
    assert shown.keys() == {"email", "password", "api key"}
    saved = workdir / "var" / "demo-credentials.txt"
    assert credentials(saved.read_text()) == shown
    assert saved.stat().st_mode & 0o777 == 0o600
    with TestClient(served[0]) as client:
        listed = client.get("/api/v1/contracts", headers={"Authorization": f"Bearer {shown['api key']}"})
    assert listed.json()["total"] == len(SAMPLES)


def test_serve_second_start_loads_nothing_more_and_prints_the_same_credentials(
    workdir: Path, url: str, engine: sa.Engine, served: list[FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(capsys, "serve", "--database-url", url)[1]

    code, out, err = run(capsys, "serve", "--database-url", url)

    assert (code, err) == (0, "")
    assert "Loaded" not in out
    assert credentials(out) == credentials(first)
    assert count(engine, ContractRecord) == len(SAMPLES)


def test_serve_no_demo_loads_nothing_and_writes_no_credentials(
    workdir: Path, url: str, engine: sa.Engine, served: list[FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "serve", "--database-url", url, "--no-demo")

    assert (code, err) == (0, "")
    assert "Loaded" not in out
    assert "Demo credentials" not in out
    assert not (workdir / "var").exists()
    assert count(engine, PropertyRecord) == 0
    key = run(capsys, "add-key", "admin", "--access", "admin", "--database-url", url)[1].strip()
    with TestClient(served[0]) as client:
        listed = client.get("/api/v1/contracts", headers={"Authorization": f"Bearer {key}"})
    assert (listed.status_code, listed.json()["total"]) == (200, 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def test_serve_runs_the_service_with_the_printed_demo_key(tmp_path: Path) -> None:
    directory = tmp_path / "work"
    shutil.copytree(CONTRACTS, directory / "contracts")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = ["uv", "run", "--project", str(REPO), "attrition", "serve", "--port", str(port)]
    command += ["--database-url", f"sqlite:///{tmp_path / 'attrition.sqlite3'}"]
    with (tmp_path / "server.log").open("w") as log:
        # A session of its own, so that the server uv starts is stopped with it.
        server = subprocess.Popen(
            command, cwd=directory, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
        )
    try:
        assert server.stdout is not None
        output: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(server.stdout, output), daemon=True).start()
        key = _wait_for_key(output, server, tmp_path / "server.log")
        _wait_until_healthy(base, server, tmp_path / "server.log")

        listed = httpx2.get(
            f"{base}/api/v1/contracts", headers={"Authorization": f"Bearer {key}"}, timeout=10
        )

        assert listed.status_code == 200
        assert listed.json()["total"] == len(SAMPLES) == 16
        assert credentials((directory / "var" / "demo-credentials.txt").read_text())["api key"] == key
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def _wait_for_key(output: queue.Queue[str], server: subprocess.Popen[str], log: Path) -> str:
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


def _wait_until_healthy(base: str, server: subprocess.Popen[str], log: Path) -> None:
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
