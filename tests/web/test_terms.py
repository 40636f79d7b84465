"""Plain-language terms over every sample contract: each default the engine assumes is marked as one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.contract_files import load_document
from app.engine import Actuals, assess
from app.engine.contract import Contract
from app.web.terms import TOPICS, TermSentence, plain_terms
from tests.api.conftest import sample_files

SAMPLES = sample_files()


def _sample(path: Path) -> tuple[Contract, Actuals, date]:
    document = load_document(path)
    contract = document.contract
    actuals = document.actuals or Actuals(currency=contract.currency)
    return contract, actuals, document.as_of or contract.departure_date


def _by_field(sentences: tuple[TermSentence, ...]) -> dict[str, list[TermSentence]]:
    found: dict[str, list[TermSentence]] = {}
    for sentence in sentences:
        found.setdefault(sentence.field, []).append(sentence)
    return found


@pytest.mark.parametrize("path", SAMPLES, ids=[path.stem for path in SAMPLES])
def test_every_assumption_of_the_assessment_is_a_sentence_marked_default(path: Path) -> None:
    contract, actuals, as_of = _sample(path)
    assessment = assess(contract, actuals, as_of)

    sentences = _by_field(plain_terms(contract, contract.property.locale))

    for assumption in assessment.assumptions:
        assert assumption.name in sentences, assumption.name
        assert all(sentence.is_default for sentence in sentences[assumption.name]), assumption.name
    for term in assessment.terms:
        if not term.is_default and term.name in sentences:
            assert not any(sentence.is_default for sentence in sentences[term.name]), term.name


@pytest.mark.parametrize("path", SAMPLES, ids=[path.stem for path in SAMPLES])
def test_sentences_cover_each_clause_the_contract_has_in_topic_order(path: Path) -> None:
    contract, _, _ = _sample(path)

    sentences = plain_terms(contract, contract.property.locale)

    fields = {sentence.field for sentence in sentences}
    topics = [TOPICS.index(sentence.topic) for sentence in sentences]
    assert topics == sorted(topics)
    assert all(sentence.text.strip().endswith(".") for sentence in sentences)
    assert {"block", "block.rate", "cutoff_date", "tax", "payment_terms_days"} <= fields
    if contract.attrition is not None:
        assert {"attrition.performance_pct", "attrition.evaluation_mode", "damages_cap"} <= fields
        if contract.attrition.evaluation_mode != "tiered":
            assert {"attrition.damages_pct", "attrition.resale_mode", "attrition.damage_rate_rule"} <= fields
    else:
        assert "attrition" in fields
    assert ("fnb.minimum" in fields) is (contract.fnb is not None)
    assert ("rental_scale" in fields) is (contract.rental_scale is not None)
    assert ("cancellation.tiers" in fields) is (contract.cancellation is not None)
    assert ("comps" in fields) is (contract.comps is not None)
    assert ("rebates" in fields) is (contract.rebates is not None)
    assert sum(sentence.field == "deposits" for sentence in sentences) == len(contract.deposits)
    rights = [sentence for sentence in sentences if sentence.field == "reduction_rights"]
    assert len(rights) == max(1, len(contract.reduction_rights))


def test_block_sentence_counts_the_room_nights_and_formats_in_the_property_locale() -> None:
    path = next(path for path in SAMPLES if path.name.startswith("paris-seminar"))
    contract, _, _ = _sample(path)
    total = sum(cell.rooms for cell in contract.block)

    french = {sentence.field: sentence.text for sentence in plain_terms(contract, "fr")}
    english = {sentence.field: sentence.text for sentence in plain_terms(contract, "en")}

    assert f"{total} room nights" in english["block"].replace(",", "")
    assert "€" in french["block.rate"]
    assert "," in french["block.rate"].split("€")[0] or "," in french["block.rate"]
    assert french["block.rate"] != english["block.rate"]


def test_unset_terms_are_marked_default_and_set_ones_are_not() -> None:
    path = next(path for path in SAMPLES if path.name.startswith("convention-last-room-sold"))
    contract, _, _ = _sample(path)
    assert contract.attrition is not None
    bare = contract.model_copy(
        update={"attrition": type(contract.attrition).model_validate({"performance_pct": 80}, strict=False)}
    )

    sentences = {sentence.field: sentence for sentence in plain_terms(bare, "en")}

    assert not sentences["attrition.performance_pct"].is_default
    assert "80%" in sentences["attrition.performance_pct"].text
    assert "20%" in sentences["attrition.performance_pct"].text
    for name in ("evaluation_mode", "damages_pct", "resale_mode", "threshold_semantics", "baseline_mode"):
        assert sentences[f"attrition.{name}"].is_default, name
