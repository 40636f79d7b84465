"""Settings read from the environment (``ATTRITION_*``), once, at the edge (the engine never sees them).

Every setting is a field of :class:`Settings`, read by pydantic-settings; README.md lists them in one
table. Command-line options override the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATABASE_FILE = "attrition.sqlite3"
DEMO_CREDENTIALS_FILE = "demo-credentials.txt"
DATABASE_HELP = (
    "database (default: $ATTRITION_DATABASE_URL, else the embedded SQLite file attrition.sqlite3 in the "
    "data directory, $ATTRITION_DATA_DIR)"
)


def default_data_dir() -> Path:
    """The per-user data directory (``$XDG_DATA_HOME/attrition``, usually ``~/.local/share/attrition``)."""
    return Path(user_data_dir("attrition", appauthor=False))


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` and ``postgres://`` spellings and drive them with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    """The service's settings; ``ATTRITION_<NAME>`` in the environment sets ``<name>``."""

    model_config = SettingsConfigDict(env_prefix="ATTRITION_", frozen=True, extra="forbid")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="holds the embedded SQLite database and the demo credentials",
    )
    database_url: str = Field(
        default="",
        validate_default=True,
        description="the database; empty: the embedded SQLite file in the data directory",
    )
    secure_cookies: bool = Field(default=False, description="mark session cookies Secure (behind HTTPS)")
    host: str = Field(default="127.0.0.1", description="address `serve` listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="port `serve` listens on")
    workers: int = Field(default=1, ge=1, le=64, description="worker processes of `serve`")
    forwarded_allow_ips: str = Field(
        default="",
        description="proxies trusted for X-Forwarded-For/-Proto, comma-separated; empty: none",
    )
    root_path: str = Field(default="", description="path prefix when served under a proxy's sub-path")
    log_format: Literal["json", "text"] = Field(
        default="json", description="`serve`'s log lines: one JSON object each, or plain text"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="the least severe log records `serve` writes"
    )
    forecast_priors: Path | None = Field(
        default=None, description="segment priors file for forecasts; unset: the bundled defaults"
    )
    jobs_in_process: bool | None = Field(
        default=None,
        description="run the background jobs inside `serve` (the schedule in a thread); unset: on the "
        "embedded SQLite database only (on PostgreSQL `attrition worker` runs them)",
    )

    @model_validator(mode="before")
    @classmethod
    def _embedded_default(cls, data: Any) -> Any:
        """No database configured: the embedded SQLite file in the (configured or default) data directory."""
        if isinstance(data, dict) and not str(data.get("database_url") or "").strip():
            folder = Path(data.get("data_dir") or default_data_dir()).expanduser().absolute()
            data = {**data, "database_url": f"sqlite:///{folder / DATABASE_FILE}"}
        return data

    @field_validator("database_url")
    @classmethod
    def _normalise(cls, url: str) -> str:
        return normalise_database_url(url.strip())

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        return path.expanduser().absolute()

    @property
    def is_embedded(self) -> bool:
        """Whether the database is the embedded default: the SQLite file in the data directory."""
        return self.database_url == f"sqlite:///{self.data_dir / DATABASE_FILE}"

    @property
    def runs_jobs_in_process(self) -> bool:
        """Whether ``serve`` runs the background jobs itself (``app.jobs``)."""
        return self.is_embedded if self.jobs_in_process is None else self.jobs_in_process

    @property
    def demo_credentials(self) -> Path:
        return self.data_dir / DEMO_CREDENTIALS_FILE

    @classmethod
    def from_environment(cls, database_url: str | None = None) -> Settings:
        """The environment's settings, with ``database_url`` (a command-line option) taking precedence."""
        return cls(database_url=database_url) if database_url else cls()
