"""Web pages: HTTP-level tests on both databases (the API fixtures), and browser tests in real Chromium.

Browser tests drive Debian's ``/usr/bin/chromium`` through Playwright (never ``playwright install``,
which downloads a browser: the tests use no network) against a real uvicorn server on 127.0.0.1, started
once per session on a fresh SQLite file loaded exactly as ``attrition serve`` loads it on first start
(the samples, a demo administrator). Each page a test visits is saved as a screenshot under
``artifacts/screenshots/`` (git ignores it) so a reviewer can look at the pages.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlmodel import Session

from app.contract_files import load_document
from app.main import create_app
from app.persistence.db import make_engine, migrate
from app.services.imports import load_demo
from app.settings import Settings
from tests.api.conftest import (  # noqa: F401  (fixtures re-exported for the HTTP-level web tests)
    POSTGRES,
    admin_key,
    app,
    client,
    connection,
    create_postgres_database,
    drop_postgres_database,
    engine,
    make_key,
    sample_files,
    session,
    shared_app,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@dataclass(frozen=True, slots=True)
class LiveServer:
    url: str
    engine: sa.Engine
    email: str
    password: str
    api_key: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(url: str) -> Iterator[LiveServer]:
    """A uvicorn server on a free port over the database at ``url``, loaded as ``serve`` loads it."""
    live_engine = make_engine(url)
    migrate(live_engine)
    with Session(live_engine, expire_on_commit=False) as setup:
        credentials = load_demo(setup, [(file, load_document(file)) for file in sample_files()])
        setup.commit()
    port = _free_port()
    config = uvicorn.Config(
        create_app(Settings(database_url=url), live_engine),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        ws="none",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield LiveServer(
        f"http://127.0.0.1:{port}", live_engine, credentials.email, credentials.password, credentials.api_key
    )
    server.should_exit = True
    thread.join(timeout=10)
    live_engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("live") / "attrition.sqlite3"
    yield from _serve(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def live_server_postgres() -> Iterator[LiveServer]:
    """The same server over a PostgreSQL database of its own, for the walks that must hold on both."""
    name = create_postgres_database()
    try:
        yield from _serve(f"postgresql+psycopg://{POSTGRES.split('://', 1)[1]}/{name}")
    finally:
        drop_postgres_database(name)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page, 1280 px wide."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


def sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(server.email)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def signed_in(page: Page, live_server: LiveServer) -> Page:
    sign_in(page, live_server)
    return page
