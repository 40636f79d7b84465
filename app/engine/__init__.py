"""The pure rules engine: contract + actuals + as_of in, frozen assessment out
(docs/architecture.md, "Layers")."""

from app.engine.actuals import Actuals
from app.engine.assess import assess
from app.engine.contract import Contract
from app.engine.errors import ClauseNotComputableError, CurrencyMismatchError, EngineError
from app.engine.money import Money
from app.engine.results import Assessment, LineItem, LineKind

__all__ = [
    "Actuals",
    "Assessment",
    "ClauseNotComputableError",
    "Contract",
    "CurrencyMismatchError",
    "EngineError",
    "LineItem",
    "LineKind",
    "Money",
    "assess",
]
