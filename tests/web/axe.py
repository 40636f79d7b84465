"""axe-core in the browser tests: inject the vendored ``vendor/axe.min.js`` into a page and run it.

The script is axe-core from the npm registry (version and licence in ``vendor/README.md``); it is only
read by these tests and never served by the application.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every axe violation on the page as it is now, WCAG 2.x A and AA rules plus axe's best practices."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and offending element, for an assertion message a person can act on."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            lines.append(
                f"{violation['id']} ({violation['impact']}): {' '.join(node['target'])} — {violation['help']}"
            )
    return "\n".join(lines)
