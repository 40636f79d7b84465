"""The database commands of ``attrition``: migrate, import, add-user and add-key (``serve``: test_serve.py).

Each test has a SQLite file of its own (``--database-url sqlite:///<tmp>``). The commands run in-process
through ``main``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
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
