"""Settings read from the environment, once, at the edge (the engine never sees them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_PATH = Path("var") / "attrition.sqlite3"


def default_database_url() -> str:
    """The embedded default: a SQLite file under ``./var``, created on first use."""
    return f"sqlite:///{DEFAULT_DATABASE_PATH}"


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` and ``postgres://`` spellings and drive them with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    secure_cookies: bool = False

    @classmethod
    def from_environment(cls, database_url: str | None = None) -> Settings:
        url = database_url or os.environ.get("ATTRITION_DATABASE_URL") or default_database_url()
        return cls(
            database_url=normalise_database_url(url),
            secure_cookies=os.environ.get("ATTRITION_SECURE_COOKIES", "") == "1",
        )
