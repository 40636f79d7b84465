"""The browser harness itself: Chromium starts, reaches the test server and renders the sign-in page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.conftest import LiveServer, screenshot


def test_sign_in_page_renders_in_chromium_with_labelled_fields(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/login")

    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    screenshot(page, "login")
