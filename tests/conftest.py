"""What every test file shares: collection refuses two tests with one id.

pytest-xdist sends tests to its workers by id, so tests that share one run only once, silently; a plugin
that names its items (schemathesis under pytest 9 did) can produce such ids.
"""

from __future__ import annotations

from collections import Counter

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    repeated = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1)
    if repeated:
        raise pytest.UsageError(f"{len(repeated)} test ids name more than one test, first {repeated[0]}")
