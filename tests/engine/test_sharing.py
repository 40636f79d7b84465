"""Last room sold across groups (docs/rules.md §3.6): a night's unsold rooms shared among the groups short
that night. Worked examples from issue 17, and the properties every sharing keeps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.contract_files import load_document
from app.engine.actuals import Actuals
from app.engine.assess import assess
from app.engine.contract import Contract, EvaluationMode, ResaleMode, ThresholdSemantics
from app.engine.sharing import Claim, SharingRule, night_claims, others_take, share_unsold

D = Decimal
CONTRACTS = Path(__file__).parents[2] / "contracts"


def test_invoice_order_gives_the_issues_two_groups_10_and_10_of_20_unsold() -> None:
    """Short 10 and 20 on a night with 20 unsold, neither invoiced (so by contract id): the first takes
    min(10, 20) = 10, the second min(20, 20 − 10) = 10. The hotel collects 20, not 30."""
    claims = [Claim(1, D(10)), Claim(2, D(20))]

    shares = share_unsold(20, claims, SharingRule.INVOICE_ORDER)

    assert shares == {1: D(10), 2: D(10)}
    assert (others_take(shares, 1), others_take(shares, 2)) == (10, 10)


def test_invoice_order_serves_the_group_invoiced_first_before_a_smaller_contract_id() -> None:
    """Contract 2 was invoiced first: it takes min(20, 20) = 20 and contract 1 gets nothing."""
    claims = [Claim(1, D(10)), Claim(2, D(20), invoice_order=0)]

    assert share_unsold(20, claims, SharingRule.INVOICE_ORDER) == {2: D(20), 1: D(0)}


def test_pro_rata_gives_the_issues_two_groups_7_and_13_by_largest_remainder() -> None:
    """20 × 10 / 30 = 6.67 and 20 × 20 / 30 = 13.33; rounded down 6 + 13 = 19; the one room left goes to
    the larger remainder (.67): 7 and 13."""
    claims = [Claim(1, D(10)), Claim(2, D(20))]

    assert share_unsold(20, claims, SharingRule.PRO_RATA) == {1: D(7), 2: D(13)}


def test_pro_rata_breaks_a_tie_of_remainders_by_contract_id() -> None:
    """3 unsold, three groups short 1 each... 4 each: 3 × 4 / 12 = 1 each, exact. Short 2 and 2 on 3
    unsold: 1.5 and 1.5, rounded down 1 and 1, the room left to the smaller contract id."""
    assert share_unsold(3, [Claim(8, D(2)), Claim(5, D(2))], SharingRule.PRO_RATA) == {5: D(2), 8: D(1)}


def test_claims_that_fit_in_the_unsold_rooms_are_each_met_whole() -> None:
    claims = [Claim(1, D(10)), Claim(2, D("8.8"))]

    for rule in SharingRule:
        assert share_unsold(40, claims, rule) == {1: D(10), 2: D("8.8")}


@given(
    unsold=st.integers(min_value=0, max_value=500),
    claims=st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=300, places=1, allow_nan=False, allow_infinity=False),
            st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
        ),
        max_size=6,
    ),
    rule=st.sampled_from(list(SharingRule)),
)
def test_shares_never_pass_the_unsold_rooms_nor_a_claim(
    unsold: int, claims: list[tuple[Decimal, int | None]], rule: SharingRule
) -> None:
    given_claims = [Claim(index + 1, amount, order) for index, (amount, order) in enumerate(claims)]

    shares = share_unsold(unsold, given_claims, rule)

    assert sum(shares.values(), D(0)) <= unsold
    for claim in given_claims:
        assert D(0) <= shares[claim.contract_id] <= claim.room_nights
        # What each group may be charged: U less what the others take, in whole rooms.
        assert unsold - others_take(shares, claim.contract_id) <= unsold
    if (
        sum((c.room_nights for c in given_claims), D(0)) >= unsold
        and given_claims
        and rule is SharingRule.INVOICE_ORDER
    ):
        assert sum(shares.values(), D(0)) == unsold  # invoice order hands out every room when claims cover U


def test_negative_unsold_rooms_are_refused() -> None:
    with pytest.raises(ValueError, match="never negative"):
        share_unsold(-1, [], SharingRule.PRO_RATA)


def test_the_convention_samples_claims_are_its_nightly_shortfalls() -> None:
    """The last-room-sold sample (per night, exact minimum): 7th min 132.8, pickup 124 → 8.8; 8th passes;
    9th min 332, pickup 324 → 8; 10th min 99.6, pickup 88 → 11.6."""
    document = load_document(CONTRACTS / "convention-last-room-sold.yaml")
    assert document.actuals is not None
    assert document.as_of is not None

    claims = night_claims(document.contract, document.actuals, document.as_of)

    assert {night.isoformat(): claim for night, claim in claims.items()} == {
        "2027-03-07": D("8.8"),
        "2027-03-09": D(8),
        "2027-03-10": D("11.6"),
    }


def test_the_explanation_says_the_hotels_whole_unsold_count_and_what_others_took() -> None:
    """The sample's 9th: 40 unsold, 30 charged to other groups. The step says both, not "10 unsold"."""
    document = load_document(CONTRACTS / "convention-last-room-sold.yaml")
    assert document.actuals is not None
    assert document.as_of is not None

    result = assess(document.contract, document.actuals, document.as_of)

    line = next(
        item for item in result.lines if item.night is not None and item.night.isoformat() == "2027-03-09"
    )
    assert any(
        "the hotel had 40 unsold rooms, 30 of them charged to other groups" in step for step in line.steps
    ), line.steps
    reports = tuple(
        r.model_copy(update={"other_groups_charged_rooms": 0}) for r in document.actuals.inventory
    )
    no_others = document.actuals.model_copy(update={"inventory": reports})
    plain = assess(document.contract, no_others, document.as_of)
    line = next(
        item for item in plain.lines if item.night is not None and item.night.isoformat() == "2027-03-09"
    )
    assert any("the hotel had 40 unsold rooms the group's" in step for step in line.steps), line.steps


def test_one_claim_per_contract() -> None:
    with pytest.raises(ValueError, match="one claim per contract"):
        share_unsold(5, [Claim(1, D(1)), Claim(1, D(2))], SharingRule.PRO_RATA)


def _convention(**clause: object) -> tuple[Contract, Actuals, date]:
    document = load_document(CONTRACTS / "convention-last-room-sold.yaml")
    assert document.actuals is not None
    assert document.as_of is not None
    assert document.contract.attrition is not None
    changed = document.contract.attrition.model_copy(update=clause)
    return document.contract.model_copy(update={"attrition": changed}), document.actuals, document.as_of


def test_a_clause_tested_over_the_stay_claims_each_nights_unused_rooms() -> None:
    """Cumulative: each night's block less credited pickup: 7th 160 − 124 = 36, 8th 400 − 334 = 66,
    9th 400 − 324 = 76, 10th 120 − 88 = 32."""
    contract, actuals, as_of = _convention(evaluation_mode=EvaluationMode.CUMULATIVE)

    claims = night_claims(contract, actuals, as_of)

    assert [claims[night] for night in sorted(claims)] == [D(36), D(66), D(76), D(32)]


def test_a_cliff_claims_every_unused_room_of_a_short_night() -> None:
    """Cliff: the 7th is short (124 < 132.8), so all 160 − 124 = 36 unused rooms are claimed."""
    contract, actuals, as_of = _convention(threshold_semantics=ThresholdSemantics.CLIFF)

    assert night_claims(contract, actuals, as_of)[date(2027, 3, 7)] == D(36)


def test_a_night_exactly_at_the_minimum_that_fails_on_equality_claims_nothing() -> None:
    """At 100 % with pass_if_equal false, the 8th (block 400, pickup 334) is short 66; a night whose
    pickup equals the minimum fails but is short 0 room nights, so it claims nothing."""
    contract, actuals, as_of = _convention(performance_pct=Decimal("77.5"), pass_if_equal=False)

    claims = night_claims(contract, actuals, as_of)

    # 10th: 77.5 % × 120 = 93; pickup 88 → 5. 7th: 77.5 % × 160 = 124 = pickup → fails, short 0.
    assert date(2027, 3, 7) not in claims
    assert claims[date(2027, 3, 10)] == D(5)


def test_a_contract_without_last_room_sold_claims_nothing() -> None:
    contract, actuals, as_of = _convention(resale_mode=ResaleMode.NONE)

    assert night_claims(contract, actuals, as_of) == {}
