"""Every sample in ``contracts/`` carries its expected assessment, worked out by hand
(docs/architecture.md, "Tests").

Adding a file to the folder adds a test. The expected figures come from ``docs/rules.md``, not from the
engine: a failure here means either the sample's arithmetic or the engine is wrong, and the note in
the sample's ``expected.note`` shows the working to check against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import pytest

from app.contract_files import load_document
from app.documents import ContractDocument
from app.engine import Assessment, LineKind, Money, assess
from app.engine.contract import (
    BaselineMode,
    CreditAllocation,
    DamageRateRule,
    EvaluationMode,
    MinimumRounding,
    PerformanceStacking,
    ResaleMode,
    ThresholdSemantics,
)

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
SAMPLES = sorted(
    path for path in CONTRACTS.iterdir() if path.suffix in {".yaml", ".json"} and path.name != "schema.json"
)


def _lines_text(assessment: Assessment) -> str:
    return "\n".join(
        f"  {line.kind.value:<20} {line.night or '':<10} {line.amount.amount:>12}  {line.label}"
        for line in assessment.lines
    )


def _sums(
    items: Iterable[tuple[LineKind, date | None, Decimal]],
) -> dict[tuple[LineKind, date | None], Decimal]:
    sums: dict[tuple[LineKind, date | None], Decimal] = defaultdict(Decimal)
    for kind, night, amount in items:
        sums[(kind, night)] += amount
    return dict(sums)


def test_the_folder_holds_the_samples() -> None:
    assert len(SAMPLES) >= 10
    assert sum(path.suffix == ".json" for path in SAMPLES) >= 2


@pytest.mark.parametrize("path", SAMPLES, ids=[path.name for path in SAMPLES])
def test_sample_assessment_matches_its_hand_worked_expected_result(path: Path) -> None:
    document = load_document(path)
    assert document.actuals is not None, f"{path.name}: a sample needs actuals"
    assert document.as_of is not None, f"{path.name}: a sample needs as_of"
    assert document.expected is not None, f"{path.name}: a sample needs an expected result"
    expected = document.expected

    assessment = assess(document.contract, document.actuals, document.as_of)
    shown = f"{path.name}: engine lines\n{_lines_text(assessment)}\nhand working:\n{expected.note}"

    assert assessment.total == expected.total, shown
    if expected.remedy is not None:
        assert assessment.remedy == expected.remedy, shown
    # Lines of one kind and night are compared by their sum: a kind may have several lines without a
    # night (two taxes, two deposits), and a sample lists each of them.
    actual = _sums((line.kind, line.night, line.amount.amount) for line in assessment.lines)
    for (kind, night), amount in _sums(
        (line.kind, line.night, line.amount.amount) for line in expected.lines
    ).items():
        where = f"{kind.value}" + (f" on {night.isoformat()}" if night else "")
        assert (kind, night) in actual, f"{path.name}: no {where} line\n{shown}"
        assert actual[(kind, night)] == amount, (
            f"{path.name}: {where} is {actual[(kind, night)]}, expected {amount}\n{shown}"
        )
    assert (
        sum((line.amount for line in assessment.lines), Money.zero(assessment.currency)) == assessment.total
    )


def _terms_in_use(documents: Iterable[ContractDocument]) -> dict[str, set[str]]:
    """The value each sample's contract puts in effect, counted only where the term decides something."""
    used: dict[str, set[str]] = defaultdict(set)
    for document in documents:
        contract = document.contract
        used["performance_stacking"].add(contract.performance_stacking.value)
        clause = contract.attrition
        if clause is None:
            continue
        mode = clause.evaluation_mode
        used["evaluation_mode"].add(mode.value)
        used["baseline_mode"].add(clause.baseline_mode.value)
        if mode is not EvaluationMode.TIERED:
            used["threshold_semantics"].add(clause.threshold_semantics.value)
            used["minimum_rounding"].add(clause.minimum_rounding.value)
            used["damage_rate_rule"].add(clause.damage_rate_rule.value)
            used["resale_mode"].add(clause.resale_mode.value)
        if mode is EvaluationMode.PER_NIGHT_WITH_CREDIT:
            used["credit_allocation"].add(clause.credit_allocation.value)
    return used


COVERED: list[tuple[str, type[StrEnum]]] = [
    ("evaluation_mode", EvaluationMode),
    ("threshold_semantics", ThresholdSemantics),
    ("minimum_rounding", MinimumRounding),
    ("baseline_mode", BaselineMode),
    ("damage_rate_rule", DamageRateRule),
    ("resale_mode", ResaleMode),
    ("credit_allocation", CreditAllocation),
    ("performance_stacking", PerformanceStacking),
]


@pytest.mark.parametrize(("term", "values"), COVERED, ids=[term for term, _ in COVERED])
def test_the_samples_together_use_every_value_of_the_term(term: str, values: type[StrEnum]) -> None:
    used = _terms_in_use(load_document(path) for path in SAMPLES)
    missing = sorted({value.value for value in values} - used[term])
    assert not missing, f"no sample in contracts/ uses {term} = {', '.join(missing)}"
