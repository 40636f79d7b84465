"""Engine errors: one root, each naming what could not be computed and where
(docs/architecture.md, "Explanations")."""

from __future__ import annotations


class EngineError(Exception):
    """Root of every error the engine raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class CurrencyMismatchError(EngineError):
    """Two amounts in different currencies were combined."""


class ClauseNotComputableError(EngineError):
    """A clause needs an input that the actuals do not give (for example unsold inventory)."""
