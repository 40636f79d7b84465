"""``attrition import-history FILE --property ID``: a history file into a property's forecast history.

Each test has a SQLite file of its own; the property is made by ``attrition import`` of a sample."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.cli import main
from app.persistence.db import make_engine
from app.persistence.records import AccountRecord, BlockHistoryRecord

CORPORATE = Path(__file__).resolve().parents[2] / "contracts" / "corporate-sales-meeting-per-night.yaml"

HISTORY = """\
# Two past blocks of the hotel
blocks:
  - id: acme-2025
    segment: corporate
    account: ACME
    arrival_date: 2025-05-01
    block_room_nights: 40
    final_room_nights: 30
    on_the_books:
      - {days_before_arrival: 30, room_nights: 20}
      - {days_before_arrival: 0, room_nights: 31}
  - segment: wedding
    block_room_nights: 20
    final_room_nights: 15
    on_the_books: [{days_before_arrival: 30, room_nights: 12}]
"""


@pytest.fixture
def url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A database holding one property (id 1), from a sample contract."""
    url = f"sqlite:///{tmp_path / 'attrition.sqlite3'}"
    assert main(["import", str(CORPORATE), "--database-url", url]) == 0
    capsys.readouterr()
    return url


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    engine = make_engine(url)
    yield engine
    engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def blocks(engine: sa.Engine) -> list[BlockHistoryRecord]:
    with Session(engine) as session:
        return list(session.exec(select(BlockHistoryRecord).order_by(BlockHistoryRecord.reference)).all())


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_import_history_stores_every_block_of_the_file(
    tmp_path: Path, url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.yaml"
    path.write_text(HISTORY)

    code, out, err = run(capsys, "import-history", path, "--property", "1", "--database-url", url)

    assert (code, err) == (0, "")
    assert out == f"imported 2 blocks from {path} into the history of property 1\n"
    acme, wedding = blocks(engine)
    assert (acme.reference, acme.segment, acme.arrival_date.isoformat()) == (
        "acme-2025",
        "corporate",
        "2025-05-01",
    )
    assert (acme.block_room_nights, acme.final_room_nights) == (40, 30)
    assert acme.on_the_books == [
        {"days_before_arrival": 30, "room_nights": 20},
        {"days_before_arrival": 0, "room_nights": 31},
    ]
    assert acme.contract_id is None
    with Session(engine) as session:
        account = session.get(AccountRecord, acme.account_id)
    assert account is not None
    assert (account.name, account.property_id) == ("ACME", 1)
    assert wedding.segment == "wedding"
    assert wedding.account_id is None


def test_importing_the_same_file_again_is_refused_naming_each_block_and_its_line(
    tmp_path: Path, url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.yaml"
    path.write_text(HISTORY)
    assert run(capsys, "import-history", path, "--property", "1", "--database-url", url)[0] == 0

    code, out, err = run(capsys, "import-history", path, "--property", "1", "--database-url", url)

    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{path}:{line_of(path, 'id: acme-2025')}: blocks[0].id: "
        "the history already holds a block 'acme-2025'",
        f"{path}:{line_of(path, 'segment: wedding')}: blocks[1].id: the history already holds a block "
        f"{blocks(engine)[1].reference!r}",
    ]
    assert len(blocks(engine)) == 2


@pytest.mark.parametrize(
    ("change", "field", "where"),
    [
        (
            ("block_room_nights: 20", "block_room_nights: 0"),
            "blocks[1].block_room_nights",
            "block_room_nights: 0",
        ),
        (("segment: wedding", "segment: funeral"), "blocks[1].segment", "segment: funeral"),
        (("arrival_date: 2025-05-01", "arrival_date: 2025-02-30"), "blocks[0].arrival_date", "2025-02-30"),
    ],
)
def test_a_bad_history_file_names_file_line_and_field_and_stores_nothing(
    tmp_path: Path,
    url: str,
    engine: sa.Engine,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    field: str,
    where: str,
) -> None:
    path = tmp_path / "history.yaml"
    path.write_text(HISTORY.replace(*change))

    code, out, err = run(capsys, "import-history", path, "--property", "1", "--database-url", url)

    assert (code, out) == (1, "")
    assert err.startswith(f"{path}:{line_of(path, where)}: {field}: ")
    assert blocks(engine) == []


def test_an_unknown_property_or_a_missing_file_is_invalid_input(
    tmp_path: Path, url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.yaml"
    path.write_text(HISTORY)

    assert run(capsys, "import-history", path, "--property", "7", "--database-url", url) == (
        1,
        "",
        f"{path}: property 7 not found\n",
    )
    missing = tmp_path / "missing.yaml"
    assert run(capsys, "import-history", missing, "--property", "1", "--database-url", url) == (
        1,
        "",
        f"{missing}: no such file\n",
    )
    assert blocks(engine) == []


def test_the_property_is_required(tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import-history", tmp_path / "history.yaml", "--database-url", url)
    assert code == 2
    assert "--property" in err
