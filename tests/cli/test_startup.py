"""The file commands start light: ``attrition --help``, ``check`` and ``assess`` import no database, web,
template, chart or PDF library (those cost seconds and the commands never use them).

Each command runs in a fresh interpreter, which then lists the heavy top-level modules it had loaded.
Timings are measured by ``bench/cli.py``, not here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import ACCESS_LEVELS
from app.services.auth import Access

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "contracts" / "wedding-block-cliff.yaml"
HEAVY = (
    "weasyprint",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "matplotlib",
    "jinja2",
    "psycopg",
    "pydantic_settings",
)
PROBE = """
import contextlib, io, json, sys
from app.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted({name.split(".")[0] for name in sys.modules})}))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["check", str(SAMPLE)],
        ["assess", str(SAMPLE)],
        ["assess", str(SAMPLE), "--format", "json"],
    ],
)
def test_the_file_commands_import_no_database_web_or_pdf_library(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)

    assert result["code"] == 0
    assert sorted(set(HEAVY) & set(result["loaded"])) == []


def test_the_access_levels_the_parser_offers_are_those_of_the_service() -> None:
    assert tuple(access.value for access in Access) == ACCESS_LEVELS
