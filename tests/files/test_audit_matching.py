"""The outside-block audit matcher (app/audit_matching.py), without a database: names normalised, pairs
scored, near-duplicates kept apart, one to one, the threshold, and which reservations can count."""

from __future__ import annotations

from datetime import date

import pytest

from app.audit_matching import (
    DEFAULT_THRESHOLD,
    Registrant,
    Reservation,
    Stay,
    is_candidate,
    match,
    name_similarity,
    normalise_name,
    score_pair,
)

STAY = Stay(date(2027, 6, 14), date(2027, 6, 18))  # 4 nights: 14, 15, 16, 17 June


def registrant(name: str, arrival: int = 14, departure: int = 18, line: int = 2, **more: str) -> Registrant:
    return Registrant(line, name, date(2027, 6, arrival), date(2027, 6, departure), **more)


def reservation(name: str, arrival: int = 14, departure: int = 18, line: int = 2, **more: str) -> Reservation:
    return Reservation(line, name, date(2027, 6, arrival), date(2027, 6, departure), **more)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("José García", "jose garcia"),  # accents folded
        ("ŁUKASZ Wiśniewski", "lukasz wisniewski"),  # letters NFKD does not split, and case
        ("García López, María", "maria garcia lopez"),  # "Last, First" turned round
        ("Dr. John Smith", "john smith"),  # a title dropped
        ("Smith, Dr John", "john smith"),
        ("Mr Smith", "smith"),  # a title before a surname alone
        ("Don Smith", "don smith"),  # Don is also a given name
        ("J. Smith", "j smith"),  # an initial kept as a word
        ("Lewis H.", "h lewis"),  # a trailing initial is the given name
        ("Anne-Marie O'Brien", "anne marie obrien"),  # hyphens, apostrophes
        ("John Smith Jr.", "john smith"),  # a suffix dropped
    ],
)
def test_names_are_normalised_before_they_are_compared(written: str, normalised: str) -> None:
    assert normalise_name(written) == normalised


@pytest.mark.parametrize(
    ("a", "b", "at_least"),
    [
        ("José García", "GARCIA, Jose", 1.0),  # accents, case and order
        ("John Smith", "Smith John", 1.0),  # swapped without a comma
        ("John Smith", "J. Smith", 0.95),  # an initial agreeing with the given name
        ("Jonh Smith", "John Smith", 0.87),  # a typo
        ("María García López", "Maria Garcia", 0.9),  # a second surname on one side only
        ("María José García López", "Garcia, Maria", 0.9),
    ],
)
def test_the_same_person_written_differently_scores_high(a: str, b: str, at_least: float) -> None:
    assert name_similarity(a, b) >= at_least


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("John Smith", "Jane Smith"),  # same surname, another given name
        ("John Smith", "K. Smith"),  # an initial that does not agree
        ("John Smith", "John Brown"),
    ],
)
def test_near_duplicates_score_below_the_threshold_even_on_the_same_nights(a: str, b: str) -> None:
    assert score_pair(registrant(a), reservation(b)).confidence < DEFAULT_THRESHOLD


def test_the_confidence_weighs_the_name_three_to_one_against_the_nights_shared() -> None:
    """Same name (1.0); the reservation covers 15-17 of the registrant's 14-17: 2 nights shared of the 4
    either covers, 0.5. Confidence 0.75 x 1 + 0.25 x 0.5 = 0.875."""
    score = score_pair(registrant("Ana Souza"), reservation("Ana Souza", 15, 17))

    assert (score.name, score.dates, score.confidence) == (1.0, 0.5, 0.875)


def test_the_same_email_raises_the_confidence_and_different_emails_lower_it() -> None:
    """Name 0.75 x 0.75 (given names 0.5 alike) + 0.25 x 1 = 0.8125; the same email takes it 60 % of the
    way to 1 (0.925), different emails take 0.15 off (0.6625)."""
    base = score_pair(registrant("Jane Smith"), reservation("John Smith"))
    same = score_pair(registrant("Jane Smith", email="j@x.org"), reservation("John Smith", email="J@X.org"))
    other = score_pair(registrant("Jane Smith", email="j@x.org"), reservation("John Smith", email="k@x.org"))

    assert (base.confidence, base.email) == (0.8125, None)
    assert (same.confidence, same.email) == (0.925, True)
    assert (other.confidence, other.email) == (0.6625, False)


def test_each_reservation_credits_one_registrant_and_each_registrant_one_reservation() -> None:
    """John Smith (14-18) against "Smith, J." (14-18): name 0.95 (an initial), dates 1, confidence 0.9625;
    against "John Smith" (14-16): name 1, 2 of 4 nights, 0.875. Jane Smith (15-17) against "Smith, J.":
    name 0.95, 2 of 4 nights, 0.8375, below the threshold. John takes "Smith, J." (the highest), so his
    other reservation is left for no one, and Jane has none."""
    registrants = [registrant("Jane Smith", 15, 17, line=2), registrant("John Smith", line=3)]
    reservations = [
        reservation("Smith, J.", line=2, confirmation="A"),
        reservation("John Smith", 14, 16, line=3, confirmation="B"),
    ]

    found = match(registrants, reservations, STAY)

    assert [(m.registrant, m.reservation, m.score.confidence) for m in found] == [(1, 0, 0.9625)]
    assert score_pair(registrants[1], reservations[1]).confidence == 0.875
    assert score_pair(registrants[0], reservations[0]).confidence == 0.8375


def test_greedy_assignment_takes_the_highest_confidence_first() -> None:
    registrants = [registrant("John Smith", line=2), registrant("Jon Smith", line=3)]
    reservations = [reservation("John Smith", line=2)]

    found = match(registrants, reservations, STAY)

    assert [(m.registrant, m.reservation, m.score.confidence) for m in found] == [(0, 0, 1.0)]


def test_the_threshold_decides_what_is_proposed() -> None:
    registrants = [registrant("Jane Smith")]
    reservations = [reservation("John Smith")]  # 0.8125

    assert match(registrants, reservations, STAY) == []
    assert len(match(registrants, reservations, STAY, threshold=0.8)) == 1


def test_a_match_credits_the_nights_its_reservation_shares_with_the_stay() -> None:
    found = match([registrant("Ana Souza", 12, 16)], [reservation("Ana Souza", 12, 16)], STAY)

    assert [m.credited_nights for m in found] == [(date(2027, 6, 14), date(2027, 6, 15))]


@pytest.mark.parametrize(
    ("row", "block_code", "counts"),
    [
        (reservation("A", block_code="GRP27"), "GRP27", False),  # already in the block
        (reservation("A", block_code="grp27 "), "GRP27", False),  # codes compared without case or spaces
        (reservation("A", block_code="BAR"), "GRP27", True),
        (reservation("A", block_code="GRP27"), None, True),  # no block code: every row counts
        (reservation("A", 18, 20), "GRP27", False),  # after the stay
        (reservation("A", 10, 14), "GRP27", False),  # departs on arrival day: no night shared
    ],
)
def test_only_reservations_outside_the_block_during_the_stay_are_candidates(
    row: Reservation, block_code: str | None, counts: bool
) -> None:
    assert is_candidate(row, STAY, block_code) is counts


def test_blocking_still_finds_a_swapped_name_and_a_second_surname() -> None:
    registrants = [registrant("María José García López", line=2), registrant("Wei Li", line=3)]
    reservations = [reservation("Garcia, Maria", line=2), reservation("Li Wei", line=3)]

    found = match(registrants, reservations, STAY)

    assert sorted((m.registrant, m.reservation) for m in found) == [(0, 0), (1, 1)]
