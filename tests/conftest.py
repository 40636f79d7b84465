"""What every test file shares: collection refuses two tests with one id, and the run goes database by
database.

pytest-xdist sends tests to its workers by id, so tests that share one run only once, silently; a plugin
that names its items (schemathesis under pytest 9 did) can produce such ids.
"""

from __future__ import annotations

from collections import Counter

import pytest


def _database(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return str(callspec.params.get("engine", "")) if callspec is not None else ""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    repeated = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1)
    if repeated:
        raise pytest.UsageError(f"{len(repeated)} test ids name more than one test, first {repeated[0]}")
    # A file that picks each test's database itself (the access matrix) gets its tests in the order of its
    # parameters, switching database from one test to the next; the database and the file's data built on
    # it would be made again at each switch. So the whole run goes database by database (a stable sort:
    # within each database, the order pytest chose), and each file's tests switch at most once.
    items.sort(key=_database)
