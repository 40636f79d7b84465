"""Structured explanations: every kind the engine says has one template naming exactly its values."""

from __future__ import annotations

import ast
import copy
import pickle
from datetime import date
from decimal import Decimal
from importlib import import_module
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

import app.engine
import app.engine.forecast
from app.engine.contract import DamagesKind
from app.engine.explain import TEMPLATES, Items, Percent, Say, from_structured, placeholders, say, templates
from app.engine.money import Money

ENGINE = Path(app.engine.__file__).parent
for _module in ENGINE.glob("*.py"):  # every module registers its templates when imported
    import_module(f"app.engine.{_module.stem}")


def _say_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(ENGINE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "say":
                calls.append((f"{path.stem}:{node.lineno}", node))
    return calls


def _kinds(node: ast.expr, module: str) -> list[str]:
    """The kinds a ``say`` call's first argument can name: a literal, either branch of a conditional,
    every value of a literal dict indexed, or every registered kind with an f-string's prefix."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _kinds(node.body, module) + _kinds(node.orelse, module)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Dict):
        return [kind for value in node.value.values for kind in _kinds(value, module)]
    if isinstance(node, ast.JoinedStr):
        first = node.values[0]
        assert isinstance(first, ast.Constant), ast.unparse(node)
        found = [kind for kind in TEMPLATES if kind.startswith(str(first.value))]
        assert found, f"no kind starts with {first.value!r}"
        return found
    if isinstance(node, ast.Name):
        # A loop over the module's table of kinds (``for topic in TOPICS``): every kind in it.
        return list(getattr(import_module(f"app.engine.{module}"), f"{node.id.upper()}S"))
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        # A module-level table of kinds (``_ROUNDING_KINDS[...]``): every kind it holds.
        return list(getattr(import_module(f"app.engine.{module}"), node.value.id).values())
    raise AssertionError(f"cannot tell the kind of {ast.unparse(node)}")


def test_every_kind_said_has_a_template_naming_exactly_its_values() -> None:
    calls = _say_calls()
    assert len(calls) > 150
    for where, call in calls:
        names = {keyword.arg for keyword in call.keywords}
        assert None not in names, f"{where}: say() takes named values"
        for kind in _kinds(call.args[0], where.split(":")[0]):
            assert kind in TEMPLATES, f"{where}: no template for {kind!r}"
            assert placeholders(TEMPLATES[kind]) == names, f"{where}: {kind!r} names {sorted(names)}"


def test_every_template_is_said_somewhere() -> None:
    said = {kind for where, call in _say_calls() for kind in _kinds(call.args[0], where.split(":")[0])}
    assert set(TEMPLATES) - said == set()


def test_a_say_is_its_plain_english_and_keeps_its_values() -> None:
    text = say(
        "tax.rule",
        name="VAT",
        pct=Percent(Decimal("20.0")),
        kinds=Items((DamagesKind.FNB_ATTRITION, DamagesKind.CANCELLATION)),
    )
    assert text == "VAT 20 % on food and beverage attrition, cancellation"
    assert text.kind == "tax.rule"
    assert text.param("name") == "VAT"
    step = say("deposit.step", amount=Money(Decimal("1500.00"), "EUR"), received=date(2026, 1, 5))
    assert step == "Deposit of 1,500.00 EUR received 2026-01-05."
    nested = say("tax.clause", source=say("tax.source.override"))
    assert nested == "Tax profile: the contract's tax override"
    assert (
        say("step.pool_share", share=Decimal("2.50"), night=date(2026, 1, 5)) == "2.5 credited to 2026-01-05."
    )


def test_a_say_survives_copy_and_pickle_with_its_structure() -> None:
    text = say("deposit.label_reference", reference="D-1", received=date(2026, 1, 5))
    for twin in (copy.deepcopy(text), pickle.loads(pickle.dumps(text))):
        assert isinstance(twin, Say)
        assert (twin, twin.kind, twin.params) == (text, text.kind, text.params)


def test_a_say_serialises_as_its_english_and_typed_text_validates_as_is() -> None:
    adapter = TypeAdapter(Say)
    text = say("fnb.term.tax")
    assert adapter.dump_python(text, mode="json") == "Tax is added to the F&B shortfall."
    assert adapter.validate_python(text) is text
    typed = adapter.validate_python("Group rate, agreed by phone")
    assert (typed.kind, typed, adapter.json_schema()) == (
        "as_typed",
        "Group rate, agreed by phone",
        {"type": "string"},
    )


def test_a_say_is_never_made_of_anything_but_text() -> None:
    with pytest.raises(ValidationError, match="an explanation is text"):
        TypeAdapter(Say).validate_python(12)


def test_a_kind_cannot_have_two_templates() -> None:
    templates({"fnb.term.tax": TEMPLATES["fnb.term.tax"]})  # the same again is harmless
    with pytest.raises(ValueError, match="two templates"):
        templates({"fnb.term.tax": "Something else."})


def test_the_structured_form_types_money_and_percentages_and_nests_explanations() -> None:
    text = say(
        "warning.only_one",
        chosen=DamagesKind.ROOM_ATTRITION,
        rule=say("tax.source.override"),
        dropped=Items((DamagesKind.FNB_ATTRITION, Percent(Decimal("12.5")))),
    )
    step = say("deposit.step", amount=Money(Decimal("1500.00"), "EUR"), received=date(2026, 1, 5))
    assert text.structured() == {
        "kind": "warning.only_one",
        "params": {
            "chosen": "room_attrition",
            "rule": {"kind": "tax.source.override", "params": {}},
            "dropped": ["fnb_attrition", {"percent": "12.5"}],
        },
    }
    assert step.structured()["params"] == {
        "amount": {"amount": "1500.00", "currency": "EUR"},
        "received": "2026-01-05",
    }
    assert (
        say("step.pool_share", share=Decimal("2.5"), night=date(2026, 1, 5)).structured()["params"]["share"]
        == "2.5"
    )


def test_an_assessment_serialises_each_text_beside_its_structured_form() -> None:
    from tests.engine.builders import actuals, cells, contract, departure, pickup

    terms = contract(
        cells(10, 10),
        attrition={"performance_pct": 80},
        deposits=[{"received_date": "2025-01-02", "amount": "100.00"}],
    )
    result = app.engine.assess(terms, actuals(pickup=pickup(5, 5)), departure(terms))
    dumped = TypeAdapter(app.engine.Assessment).dump_python(result, mode="json")

    line = dumped["lines"][0]
    assert line["label"] == "Room attrition (all nights together)"
    assert line["explained"]["label"] == {"kind": "label.cumulative", "params": {}}
    assert [step["kind"] for step in line["explained"]["steps"]][-1] == "step.damages"
    assert [t["explained"]["kind"] for t in dumped["terms"]] == [t.text.kind for t in result.terms]
    assert dumped["warnings_explained"] == [w.structured() for w in result.warnings]
    assert dumped["conditions_explained"] == []


def test_every_samples_explanations_read_back_from_their_structured_form_as_they_were() -> None:
    from app.contract_files import load_document

    samples = sorted((ENGINE.parents[1] / "contracts").glob("*.*"))
    adapter = TypeAdapter(app.engine.Assessment)
    for path in (p for p in samples if p.name != "schema.json"):
        document = load_document(path)
        result = app.engine.assess(
            document.contract, document.actuals or app.engine.Actuals(), document.as_of
        )
        dumped = adapter.dump_python(result, mode="json")
        for line, stored in zip(result.lines, dumped["lines"], strict=True):
            explained = stored["explained"]
            said = [from_structured(explained[part]) for part in ("label", "clause", "formula")]
            assert said == [line.label, line.clause, line.formula], path.name
            assert [from_structured(step) for step in explained["steps"]] == list(line.steps), path.name
        for term, stored in zip(result.terms, dumped["terms"], strict=True):
            assert from_structured(stored["explained"]) == term.text, path.name
        assert [from_structured(w) for w in dumped["warnings_explained"]] == list(result.warnings)


def test_stored_values_read_back_by_their_look() -> None:
    stored = {
        "kind": "tax.rule",
        "params": {
            "name": "VAT",
            "pct": {"percent": "20"},
            "kinds": {"items": ["fnb_attrition", "2027-01-05", "12.5"], "separator": "; ", "joined": True},
        },
    }
    assert from_structured(stored) == "VAT 20 % on food and beverage attrition; 2027-01-05 and 12.5"


def test_a_normalised_number_is_structured_without_an_exponent() -> None:
    normalised = say("step.revenue.damages", pct=Percent(Decimal(20).normalize()))
    assert normalised.structured()["params"]["pct"] == {"percent": "20"}
    assert say("step.credited", credited=Decimal(20).normalize()).structured()["params"]["credited"] == "20"
