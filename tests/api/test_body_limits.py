"""Request bodies are limited while they stream: 100 MB sent to a real server costs it no memory.

The server is uvicorn in a subprocess of its own (so that its resident memory, read from
``/proc/<pid>/status``, is the app's alone), on a migrated SQLite file of this test's own. The client is
a raw socket that sends the body in 64 KB pieces from a generator (never 100 MB in memory) and stops
when the server answers or closes; the server must answer 413 problem+json having read no more than the
limit, and its memory must not grow by more than 50 MB.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from sqlmodel import Session

from app.api.middleware import CSV_LIMIT, FORM_LIMIT, JSON_LIMIT, UPLOAD_LIMIT, BodyLimit
from app.persistence.db import make_engine, migrate
from app.services import auth

MB = 1024 * 1024
HUNDRED_MB = 100 * MB
PIECE = 64 * 1024
MAX_GROWTH_KB = 50 * 1024


@dataclass
class Server:
    url: str
    port: int
    pid: int
    key: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path_factory.mktemp('limits') / 'limits.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        _, key = auth.create_api_key(session, "limits", auth.Access.ADMIN, frozenset())
        session.commit()
    engine.dispose()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "ATTRITION_DATABASE_URL": url},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start within 30 s"
        try:
            if httpx2.get(f"{base}/healthz").status_code == 200:
                break
        except httpx2.TransportError:
            time.sleep(0.1)
    yield Server(base, port, process.pid, key)
    process.terminate()
    process.wait(timeout=10)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def zeros(total: int) -> Iterator[bytes]:
    piece = b"0" * PIECE
    for _ in range(total // PIECE):
        yield piece


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int


def stream(server: Server, path: str, head: dict[str, str], pieces: Iterator[bytes]) -> Answer:
    """POST ``pieces`` chunked (no Content-Length) until the server answers; what it said, and how
    many body bytes went out before it did."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Transfer-Encoding: chunked"]
    lines += [f"{name}: {value}" for name, value in head.items()]
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sock.setblocking(False)
    sent = 0
    received = b""
    deadline = time.monotonic() + 120
    pending = b""
    try:
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if pending or pieces else [], [], 1)
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                received += data
                if b"\r\n\r\n" in received and _complete(received):
                    break
                continue
            if writable:
                if not pending:
                    piece = next(pieces, None)
                    if piece is None:
                        pending = b"0\r\n\r\n"
                        pieces = iter(())
                    else:
                        pending = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
                        sent += len(piece)
                try:
                    pending = pending[sock.send(pending) :]
                except (BrokenPipeError, ConnectionResetError):
                    pending = b""
                    pieces = iter(())
    finally:
        sock.close()
    return _parse(received, sent)


def _complete(raw: bytes) -> bool:
    head, _, body = raw.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def _parse(raw: bytes, sent: int) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    assert status_line.startswith("HTTP/1.1 "), f"no answer: {raw[:200]!r}"
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body, sent)


def assert_refused(answer: Answer, limit: BodyLimit) -> None:
    assert answer.status == 413, answer
    assert answer.headers["content-type"] == "application/problem+json"
    problem = json.loads(answer.body)
    assert problem["status"] == 413
    assert f"{limit.max_bytes} bytes" in problem["detail"]
    # What the client got out before the answer: the limit, plus what the kernel's socket buffers took
    # in without the server reading it (on loopback up to tcp_wmem's and tcp_rmem's maxima, 4 + 32 MB
    # here; about 3 MB in practice), and far from the whole 100 MB.
    assert answer.sent < limit.max_bytes + 40 * MB, answer.sent


def test_a_100_mb_csv_pickup_is_refused_with_413_while_streaming_and_the_server_stays_flat(
    server: Server,
) -> None:
    before = rss_kb(server.pid)
    answer = stream(
        server,
        "/api/v1/contracts/1/pickup?as_of=2027-01-01",
        {"Authorization": f"Bearer {server.key}", "Content-Type": "text/csv"},
        zeros(HUNDRED_MB),
    )
    assert_refused(answer, CSV_LIMIT)
    assert rss_kb(server.pid) - before < MAX_GROWTH_KB


def test_a_100_mb_multipart_upload_is_refused_before_the_form_parser_spools_it(server: Server) -> None:
    boundary = uuid.uuid4().hex

    def upload() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="pickup.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        yield from zeros(HUNDRED_MB)
        yield f"\r\n--{boundary}--\r\n".encode()

    before = rss_kb(server.pid)
    answer = stream(
        server,
        "/api/v1/contracts/1/pickup",
        {
            "Authorization": f"Bearer {server.key}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
        upload(),
    )
    assert_refused(answer, UPLOAD_LIMIT)
    assert rss_kb(server.pid) - before < MAX_GROWTH_KB


def test_a_100_mb_json_body_is_refused_with_413_while_streaming(server: Server) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"contract": "'
        yield from zeros(HUNDRED_MB)

    before = rss_kb(server.pid)
    answer = stream(
        server,
        "/api/v1/assessments",
        {"Authorization": f"Bearer {server.key}", "Content-Type": "application/json"},
        body(),
    )
    assert_refused(answer, JSON_LIMIT)
    assert rss_kb(server.pid) - before < MAX_GROWTH_KB


def test_a_declared_length_over_the_limit_is_refused_before_any_body_is_sent(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            (
                "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {HUNDRED_MB}\r\n\r\n"
            ).encode()
        )
        received = b""
        while not (b"\r\n\r\n" in received and _complete(received)):
            data = sock.recv(65536)
            assert data, "the server closed without answering"
            received += data
    answer = _parse(received, 0)
    assert answer.status == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert f"{FORM_LIMIT.max_bytes} bytes" in json.loads(answer.body)["detail"]


def test_a_body_within_its_limit_still_reaches_the_route(server: Server) -> None:
    response = httpx2.post(
        f"{server.url}/api/v1/assessments",
        content=b"[" + b" " * (JSON_LIMIT.max_bytes - 10) + b"]",
        headers={"Authorization": f"Bearer {server.key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text  # read whole and parsed: a list is not a contract
