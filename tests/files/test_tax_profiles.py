"""The shipped jurisdiction tax profiles (app/tax_profiles/*.yaml): every file validates, every rule
cites a dated source, and each profile's rules decide damages as its sources say (docs/taxes.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.contract_files import ContractFileError
from app.engine.contract import DamagesKind, TaxProfile, VatCategory
from app.engine.money import Money, Rounding
from app.engine.taxes import DamagesBase, TaxOutcome, TaxReason, decide_taxes
from app.resources import resource
from app.tax_profiles import JurisdictionProfile, TaxProfileFileError, load_tax_profile, load_tax_profiles

PROFILES = load_tax_profiles()
ARRIVAL = date(2027, 3, 29)
CANCELLATION = DamagesKind.CANCELLATION
ROOMS = DamagesKind.ROOM_ATTRITION


def decide(
    code: str, base: DamagesBase, *, rate: str | None = None, notice: date | None = None
) -> TaxOutcome:
    currency = PROFILES[code].currency
    return decide_taxes(
        PROFILES[code].profile,
        [base],
        nightly_rate=None if rate is None else Money(Decimal(rate), currency),
        arrival_date=ARRIVAL,
        notice_date=notice,
        method=Rounding.HALF_UP,
    )


def money(code: str, text: str) -> Money:
    return Money(Decimal(text), PROFILES[code].currency)


def test_every_file_in_the_folder_is_a_valid_profile_named_after_its_code() -> None:
    files = sorted(resource("tax_profiles").glob("*.yaml"))
    assert [path.stem for path in files] == [code.lower() for code in PROFILES]
    assert {"GB", "FR", "PT", "RO", "ES-CT"} <= set(PROFILES)
    assert len([code for code in PROFILES if code.startswith("US-")]) >= 5


@pytest.mark.parametrize("code", sorted(PROFILES))
def test_every_rule_cites_a_dated_source_and_every_doubt_is_explained(code: str) -> None:
    document = PROFILES[code]
    profile = document.profile
    assert document.jurisdiction
    assert document.reviewed_date <= date(2026, 12, 31)
    if not profile.taxes:
        assert profile.sources, f"{code}: a profile that taxes nothing still says why"
    for index, rule in enumerate(profile.taxes):
        assert any(source.published for source in rule.sources), f"{code} rule {index + 1}: no dated source"
        if rule.uncertain:
            assert rule.note, f"{code} rule {index + 1}: an uncertain rule says what is uncertain"
    if document.code.startswith("US-"):
        assert document.currency == "USD"
        assert profile.vat_category is None
    else:
        assert profile.vat_category is not None, f"{code}: an e-invoice needs the VAT category"


def test_the_us_states_cover_the_different_treatments() -> None:
    """A notice window (Texas), a threshold on the nightly rate (Louisiana), a tax inside the charge
    (Maryland), and no tax at all (Virginia, Minnesota)."""
    states = {code: PROFILES[code].profile for code in PROFILES if code.startswith("US-")}
    rules = [(code, rule) for code, profile in states.items() for rule in profile.taxes]
    assert any(rule.conditions.notice_window for _, rule in rules)
    assert any(rule.conditions.threshold for _, rule in rules)
    assert any(rule.inclusive for _, rule in rules)
    assert len([code for code, profile in states.items() if not profile.taxes]) >= 2


def test_uk_vat_is_extracted_from_a_retained_cancellation_deposit() -> None:
    """gb.yaml (HMRC VATSC05824): £1,000.00 retained, VAT 1,000 × 20 / 120 = 166.67, net 833.33."""
    (kind,) = decide("GB", DamagesBase(CANCELLATION, money("GB", "1000.00"))).kinds
    assert (kind.net, kind.included_tax, kind.gross) == (
        money("GB", "833.33"),
        money("GB", "166.67"),
        money("GB", "1000.00"),
    )


def test_uk_vat_on_a_catering_shortfall_is_applied_and_flagged_uncertain() -> None:
    (decision,) = [
        d
        for d in decide("GB", DamagesBase(DamagesKind.FNB_ATTRITION, money("GB", "600.00"))).decisions
        if d.applied
    ]
    assert decision.uncertain
    assert decision.amount is not None
    assert decision.amount.tax == money("GB", "100.00")


@pytest.mark.parametrize(
    ("notice", "tax"),
    [
        # 28 days before arrival: within 30, 6 % of $12,000.00 = $720.00 (hearing 24,654).
        pytest.param(date(2027, 3, 1), "720.00", id="within-thirty-days-taxed"),
        # 37 days before: the group never had the right to occupy; no tax.
        pytest.param(date(2027, 2, 20), "0.00", id="earlier-untaxed"),
    ],
)
def test_texas_taxes_a_cancellation_only_within_thirty_days_of_arrival(notice: date, tax: str) -> None:
    (kind,) = decide("US-TX", DamagesBase(CANCELLATION, money("US-TX", "12000.00")), notice=notice).kinds
    assert kind.added_tax == money("US-TX", tax)


@pytest.mark.parametrize(
    ("charged", "reason", "tax"),
    [
        # 10 room nights at $200: $2,000 is 100 % of the rate, taxed 5 % = $100 (Ruling 04-004).
        pytest.param("2000.00", TaxReason.THRESHOLD_MET, "100.00", id="full-rate-taxed"),
        # $1,600 is 80 % of the rate: less than the rate would have been, not taxed.
        pytest.param("1600.00", TaxReason.THRESHOLD_NOT_MET, "0.00", id="below-rate-untaxed"),
    ],
)
def test_louisiana_taxes_attrition_only_at_the_full_nightly_rate(
    charged: str, reason: TaxReason, tax: str
) -> None:
    base = DamagesBase(ROOMS, money("US-LA", charged), Decimal(10))
    (kind,) = decide("US-LA", base, rate="200.00").kinds
    (decision,) = kind.decisions
    assert decision.checks[1].reason is reason
    assert kind.added_tax == money("US-LA", tax)


def test_louisiana_leaves_group_cancellation_untaxed() -> None:
    (decision,) = decide("US-LA", DamagesBase(CANCELLATION, money("US-LA", "2000.00"))).decisions
    assert decision.checks[0].reason is TaxReason.KIND_NOT_COVERED


def test_maryland_splits_a_cancellation_charge_into_price_and_tax() -> None:
    """COMAR 03.06.01.23 B: $5,300.00 retained, tax 5,300 × 6 / 106 = $300.00, price $5,000.00."""
    (kind,) = decide("US-MD", DamagesBase(CANCELLATION, money("US-MD", "5300.00"))).kinds
    assert (kind.net, kind.included_tax) == (money("US-MD", "5000.00"), money("US-MD", "300.00"))


@pytest.mark.parametrize("code", ["US-VA", "US-MN", "ES-CT"])
def test_profiles_without_tax_on_damages_add_nothing(code: str) -> None:
    outcome = decide(code, DamagesBase(CANCELLATION, money(code, "1000.00")))
    assert outcome.decisions == ()
    assert outcome.gross == money(code, "1000.00")


def test_catalonia_states_outside_the_scope_for_the_e_invoice() -> None:
    profile = PROFILES["ES-CT"].profile
    assert profile.vat_category is VatCategory.OUTSIDE_SCOPE
    assert profile.exemption_reason_code == "VATEX-EU-O"
    assert "V0839-20" in profile.exemption_reason


@pytest.mark.parametrize(
    ("code", "charged", "tax"),
    [
        # 10 % inside €1,100.00: 1,100 × 10 / 110 = 100.00.
        pytest.param("FR", "1100.00", "100.00", id="france-10"),
        # 6 % inside €1,060.00: 1,060 × 6 / 106 = 60.00.
        pytest.param("PT", "1060.00", "60.00", id="portugal-6"),
        # 11 % inside 1,110.00 lei: 1,110 × 11 / 111 = 110.00.
        pytest.param("RO", "1110.00", "110.00", id="romania-11"),
    ],
)
def test_eu_profiles_extract_vat_from_room_damages_and_flag_the_doubt(
    code: str, charged: str, tax: str
) -> None:
    (kind,) = decide(code, DamagesBase(ROOMS, money(code, charged))).kinds
    assert kind.included_tax == money(code, tax)
    assert all(decision.uncertain for decision in kind.decisions if decision.applied)


def test_a_profile_with_a_bad_rate_names_the_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "gb.yaml"
    path.write_text(
        "code: GB\njurisdiction: United Kingdom\ncurrency: GBP\nreviewed_date: 2026-12-03\n"
        "profile:\n  taxes:\n    - name: VAT\n      rate_pct: 120\n      kinds: [cancellation]\n",
        encoding="utf-8",
    )
    with pytest.raises(ContractFileError) as caught:
        load_tax_profile(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (8, "profile.taxes[0].rate_pct")


def test_a_profile_in_a_file_not_named_after_its_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "uk.yaml"
    path.write_text(
        "code: GB\njurisdiction: United Kingdom\ncurrency: GBP\nreviewed_date: 2026-12-03\nprofile: {}\n",
        encoding="utf-8",
    )
    with pytest.raises(TaxProfileFileError, match=r"belongs in gb\.yaml"):
        load_tax_profile(path)


def test_a_shipped_profile_can_be_given_to_a_property_as_it_is() -> None:
    """The profile is the engine's own TaxProfile: it round-trips through JSON, as a property stores it."""
    for document in PROFILES.values():
        dumped = document.profile.model_dump(mode="json", exclude_unset=True)
        assert TaxProfile.model_validate(dumped, strict=False) == document.profile
        assert isinstance(document, JurisdictionProfile)
