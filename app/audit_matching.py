"""Outside-block audit: match a group's registration list against the hotel's reservations (issue 17).

Pure: lists in, scored pairs out, no database. The service (``app/services/audit.py``) reads the files,
stores the pairs and credits the confirmed ones.

**Names** are normalised before they are compared (:func:`normalise_name`): accents folded
(``José`` -> ``jose``, ``Łukasz`` -> ``lukasz``), case folded, ``Last, First`` turned round,
honorifics and suffixes dropped (``Dr.``, ``Mrs``, ``Jr``), hyphens and dots made spaces, apostrophes
dropped (``O'Brien`` -> ``obrien``). The last word is taken as the surname and the rest as given names.

**A pair's confidence** (0-1, :func:`score_pair`) is

    0.75 x name + 0.25 x dates

then raised when both sides give the same email (and lowered when both give different ones), and
nudged by the company the same way, less strongly. ``name`` is the best of: given names and surname
compared separately, each weighing a half (so ``Jane Smith`` is not ``John Smith``), in both orders (a
list that writes ``Smith John`` without a comma); an initial (``J. Smith``) agreeing with the given
name, scoring 90 of 100 for the given-name half (an initial says less than a name); and 0.9 x the
similarity of a shortened name (first and last word, or first and last but one) with the other whole
name, for a middle name or a second surname on one side only (``María García López`` against ``Maria
Garcia``). ``dates`` is the nights the two stays share over the nights either covers (1 for the same
stay, 0 for none).

**One to one.** A reservation credits at most one registrant and a registrant at most one
reservation: the pairs at or above the threshold are taken greedily, highest confidence first (ties:
earlier registrant line, then earlier reservation line), each dropping the other pairs of its two
sides. Greedy is not the optimal assignment, but a pair it drops was scored below the one it kept on
the same side, and staff review every match.

**Blocking**, so that 5,000 registrants against 50,000 reservations stays quick: a reservation is
indexed by the first two letters of each word of its name (an initial by its letter), and a
registrant looked up by those of its surname (and of the first of two surnames). For each key, the
name and dates parts of the confidence of every pair are computed in bulk (``rapidfuzz.process.cdist``
and numpy); only the pairs that could reach the threshold with a company's help are scored one by
one, with the pairs of the same email wherever their names are. A reservation none of whose words
starts with the same two letters as the registrant's surname is not found.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rapidfuzz import fuzz, process

#: Confidence at or above which a pair is proposed to staff (bench/audit.py measures this choice).
DEFAULT_THRESHOLD = 0.87
#: Weights of the name and the dates in the confidence.
NAME_WEIGHT = 0.75
DATES_WEIGHT = 0.25
#: An initial or a token-set agreement is worth this share of a full name's.
PARTIAL_NAME_FACTOR = 0.9
#: An initial that agrees with a given name scores this (of 100): an initial says less than a name.
INITIAL_SCORE = 100.0 * PARTIAL_NAME_FACTOR
#: Emails that agree take this share of the way to 1; emails that differ take this much off.
EMAIL_BONUS, EMAIL_PENALTY = 0.6, 0.15
#: The same for companies, less strongly (a colleague works for the same company).
COMPANY_BONUS, COMPANY_PENALTY = 0.2, 0.05
#: Slack of the bulk screen against float rounding, in confidence.
SCREEN_MARGIN = 0.01

# Letters NFKD does not split into a base letter and a mark.
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
_HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "mx", "miss", "dr", "prof", "mme", "mlle", "mde", "herr", "frau", "sr", "sra"}
    | {"srta", "dona", "don", "sir", "dame", "rev", "fr", "hr"}
)
_STRICT_TITLES = _HONORIFICS - {"don", "dona", "sr"}
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md"})
_NOT_LETTERS = re.compile(r"[^a-z0-9 ]+")


def fold(text: str) -> str:
    """``text`` in lower case without accents (``Ångström`` -> ``angstrom``)."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return "".join(char for char in text if not unicodedata.combining(char))


def name_words(text: str) -> tuple[str, ...]:
    """The words of a person's name, given names first, surname last (see the module docstring)."""
    if text.count(",") == 1:
        last, first = text.split(",")
        text = f"{first} {last}"
    folded = fold(text).replace("'", "").replace("’", "")
    words = _NOT_LETTERS.sub(" ", folded.replace("-", " ").replace(".", " ").replace(",", " ")).split()
    # "Dr John Smith", "Smith, Dr John", "Mr Lee, M.": titles go wherever they stand, as long as a word
    # is left. "Don" and "Dona" are also given names, and "M" an initial unless a full name follows.
    untitled = [word for word in words if word not in _HONORIFICS]
    if len(words) > 2 and words[0] == "m" and len(words[1]) > 1:
        untitled = [word for word in untitled[1:] if word not in _HONORIFICS]
    if untitled and len(untitled) < len(words):
        words = untitled if len(untitled) > 1 else [word for word in words if word not in _STRICT_TITLES]
    while len(words) > 2 and words[-1] in _SUFFIXES:
        words = words[:-1]
    if len(words) >= 2 and len(words[-1]) == 1 and len(words[0]) > 1:
        # "Lewis H.": a surname is never one letter, so the initial is the given name.
        words = [words[-1], *words[:-1]]
    return tuple(words)


def normalise_name(text: str) -> str:
    """The name as compared: folded, given names first, honorifics dropped, words joined by spaces."""
    return " ".join(name_words(text))


@dataclass(frozen=True, slots=True)
class Stay:
    arrival: date
    departure: date

    @property
    def nights(self) -> int:
        return (self.departure - self.arrival).days

    def shared_nights(self, other: Stay) -> int:
        return max(0, (min(self.departure, other.departure) - max(self.arrival, other.arrival)).days)

    def nights_within(self, other: Stay) -> tuple[date, ...]:
        start, end = max(self.arrival, other.arrival), min(self.departure, other.departure)
        return tuple(start + timedelta(days=n) for n in range((end - start).days))


@dataclass(frozen=True, slots=True)
class Registrant:
    """A row of the group's registration list; ``line`` is its line in the file."""

    line: int
    name: str
    arrival: date
    departure: date
    email: str = ""
    company: str = ""


@dataclass(frozen=True, slots=True)
class Reservation:
    """A row of the hotel's reservation export. ``block_code`` is its rate, channel or block code."""

    line: int
    name: str
    arrival: date
    departure: date
    confirmation: str = ""
    email: str = ""
    company: str = ""
    room_type: str = ""
    block_code: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    """How well a registrant and a reservation agree, each part 0-1; ``None`` where a side is blank."""

    confidence: float
    name: float
    dates: float
    email: bool | None
    company: bool | None


@dataclass(frozen=True, slots=True)
class Match:
    """A proposed pair: indexes into the two lists, its score and the nights it would credit."""

    registrant: int
    reservation: int
    score: Score
    credited_nights: tuple[date, ...]


@dataclass(frozen=True, slots=True)
class _Name:
    given: str
    surname: str
    whole: str
    #: Of a name of three words or more: the first and last words ("john smith" of "john paul smith"),
    #: and the first and the last but one, the first of two surnames ("maria garcia" of "maria garcia
    #: lopez" and of "maria jose garcia lopez"); else the whole name.
    short: str
    leading: str
    #: The first two letters of the surname, and of the last word but one in a name of three or more
    #: (the first of two surnames): a registrant's blocking keys.
    keys: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> _Name:
        words = name_words(text)
        if not words:
            return _NO_NAME
        whole = " ".join(words)
        if len(words) < 3:
            return cls(" ".join(words[:-1]), words[-1], whole, whole, whole, (words[-1][:2],))
        return cls(
            " ".join(words[:-1]),
            words[-1],
            whole,
            f"{words[0]} {words[-1]}",
            f"{words[0]} {words[-2]}",
            (words[-1][:2], words[-2][:2]),
        )


_NO_NAME = _Name("", "", "", "", "", ())


def _given_similarity(a: str, b: str) -> float:
    """Given names 0-100; an initial (``j``, ``j p``) agrees with a name that starts with it."""
    if not a or not b:
        return 0.0
    a_initials = all(len(word) == 1 for word in a.split())
    b_initials = all(len(word) == 1 for word in b.split())
    if a_initials or b_initials:
        return INITIAL_SCORE if a[0] == b[0] else 0.0
    return fuzz.ratio(a, b)


def name_similarity(a: str, b: str) -> float:
    """How alike two names are, 0-1 (see the module docstring)."""
    return _name_similarity(_Name.of(a), _Name.of(b))


def _name_similarity(a: _Name, b: _Name) -> float:
    if not a.whole or not b.whole:
        return 0.0
    if not a.given or not b.given:
        return fuzz.ratio(a.whole, b.whole) / 100
    straight = (_given_similarity(a.given, b.given) + fuzz.ratio(a.surname, b.surname)) / 2
    # The other order: a list that wrote "Smith John" without a comma.
    swapped = 0.0
    if " " not in a.given:
        swapped = (_given_similarity(a.given, b.surname) + fuzz.ratio(a.surname, b.given)) / 2
    # A middle name or a second surname on one side only ("María García López", "Maria Garcia").
    partial = PARTIAL_NAME_FACTOR * max(
        fuzz.ratio(a.short, b.whole),
        fuzz.ratio(a.leading, b.whole),
        fuzz.ratio(a.whole, b.short),
        fuzz.ratio(a.whole, b.leading),
    )
    return max(straight, swapped, partial) / 100


def _email(text: str) -> str:
    return text.strip().casefold()


def _agrees(a: str, b: str, fuzzy: bool) -> bool | None:
    if not a or not b:
        return None
    if fuzzy:
        return fuzz.token_set_ratio(fold(a), fold(b)) >= 90
    return a == b


def _score(reg: Registrant, reg_name: _Name, res: Reservation, res_name: _Name) -> Score:
    name = _name_similarity(reg_name, res_name)
    reg_stay, res_stay = Stay(reg.arrival, reg.departure), Stay(res.arrival, res.departure)
    shared = reg_stay.shared_nights(res_stay)
    covered = max(reg_stay.departure, res_stay.departure) - min(reg_stay.arrival, res_stay.arrival)
    dates = shared / covered.days if covered.days > 0 else 0.0
    confidence = NAME_WEIGHT * name + DATES_WEIGHT * dates
    email = _agrees(_email(reg.email), _email(res.email), fuzzy=False)
    if email is True:
        confidence += (1 - confidence) * EMAIL_BONUS
    elif email is False:
        confidence -= EMAIL_PENALTY
    company = _agrees(reg.company, res.company, fuzzy=True)
    if company is True:
        confidence += (1 - confidence) * COMPANY_BONUS
    elif company is False:
        confidence -= COMPANY_PENALTY
    return Score(round(min(1.0, max(0.0, confidence)), 4), round(name, 4), round(dates, 4), email, company)


def score_pair(registrant: Registrant, reservation: Reservation) -> Score:
    """The confidence that ``reservation`` is ``registrant``'s room (see the module docstring)."""
    return _score(registrant, _Name.of(registrant.name), reservation, _Name.of(reservation.name))


def _keys(name: _Name) -> set[str]:
    """A reservation's keys: the first two letters of each word, since hotels write names in either
    order (an initial is a key of one letter)."""
    return {word[:2] for word in name.whole.split()}


@dataclass(frozen=True, slots=True)
class _Side:
    """One list's names and stays as arrays, for :func:`_name_matrix` and :func:`_dates_matrix`."""

    given: list[str]
    surname: list[str]
    whole: list[str]
    short: list[str]
    leading: list[str]
    given_initial: Any  # numpy arrays from here on
    given_first: Any
    surname_first: Any
    has_given: Any
    one_given_word: Any
    arrival: Any
    departure: Any

    @classmethod
    def of(cls, names: Sequence[_Name], rows: Sequence[Registrant] | Sequence[Reservation]) -> _Side:
        import numpy as np

        return cls(
            [name.given for name in names],
            [name.surname for name in names],
            [name.whole for name in names],
            [name.short for name in names],
            [name.leading for name in names],
            np.array([bool(n.given) and all(len(w) == 1 for w in n.given.split()) for n in names]),
            np.array([ord(n.given[0]) if n.given else -1 for n in names]),
            np.array([ord(n.surname[0]) if n.surname else -2 for n in names]),
            np.array([bool(n.given) for n in names]),
            np.array([bool(n.given) and " " not in n.given for n in names]),
            np.array([row.arrival.toordinal() for row in rows]),
            np.array([row.departure.toordinal() for row in rows]),
        )

    def take(self, index: list[int]) -> _Side:
        import numpy as np

        at = np.array(index)
        return _Side(
            [self.given[i] for i in index],
            [self.surname[i] for i in index],
            [self.whole[i] for i in index],
            [self.short[i] for i in index],
            [self.leading[i] for i in index],
            self.given_initial[at],
            self.given_first[at],
            self.surname_first[at],
            self.has_given[at],
            self.one_given_word[at],
            self.arrival[at],
            self.departure[at],
        )


def _name_matrix(a: _Side, b: _Side) -> Any:
    """:func:`name_similarity` of every pair of ``a`` x ``b`` (0-1)."""
    import numpy as np

    def ratio(left: list[str], right: list[str]) -> Any:
        return process.cdist(left, right, scorer=fuzz.ratio, dtype=np.float32)

    initials = np.logical_or.outer(a.given_initial, b.given_initial)
    given = np.where(
        initials, INITIAL_SCORE * np.equal.outer(a.given_first, b.given_first), ratio(a.given, b.given)
    )
    straight = (given + ratio(a.surname, b.surname)) / 2
    swapped_given = np.where(
        a.given_initial[:, None],
        INITIAL_SCORE * np.equal.outer(a.given_first, b.surname_first),
        ratio(a.given, b.surname),
    )
    swapped = np.where(a.one_given_word[:, None], (swapped_given + ratio(a.surname, b.given)) / 2, 0)
    partial = PARTIAL_NAME_FACTOR * np.maximum(
        np.maximum(ratio(a.short, b.whole), ratio(a.leading, b.whole)),
        np.maximum(ratio(a.whole, b.short), ratio(a.whole, b.leading)),
    )
    both = np.logical_and.outer(a.has_given, b.has_given)
    named = np.where(both, np.maximum(np.maximum(straight, swapped), partial), ratio(a.whole, b.whole))
    return named / 100


def _dates_matrix(a: _Side, b: _Side) -> Any:
    """The dates part of the confidence for every pair of ``a`` x ``b``: shared nights over covered."""
    import numpy as np

    shared = np.minimum.outer(a.departure, b.departure) - np.maximum.outer(a.arrival, b.arrival)
    covered = np.maximum.outer(a.departure, b.departure) - np.minimum.outer(a.arrival, b.arrival)
    return np.where(shared > 0, shared / np.maximum(covered, 1), 0.0)


def is_candidate(reservation: Reservation, stay: Stay, block_code: str | None) -> bool:
    """A reservation can credit the block when it is not already in it (its code is not the block's)
    and it shares a night with the contract's stay."""
    if block_code and reservation.block_code.strip().casefold() == block_code.strip().casefold():
        return False
    return Stay(reservation.arrival, reservation.departure).shared_nights(stay) > 0


def match(
    registrants: Sequence[Registrant],
    reservations: Sequence[Reservation],
    stay: Stay,
    block_code: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Match]:
    """The one-to-one pairs at or above ``threshold``, highest confidence first. Only reservations that
    :func:`is_candidate` keeps are considered; each match credits the nights its reservation shares
    with ``stay``."""
    import numpy as np

    reg_names = [_Name.of(reg.name) for reg in registrants]
    candidates = [i for i, res in enumerate(reservations) if is_candidate(res, stay, block_code)]
    res_names = {i: _Name.of(reservations[i].name) for i in candidates}
    by_key: dict[str, list[int]] = defaultdict(list)
    for i in candidates:
        for key in _keys(res_names[i]):
            by_key[key].append(i)
    regs_by_key: dict[str, list[int]] = defaultdict(list)
    for r, name in enumerate(reg_names):
        # A registrant is looked up by its surname alone (and the first of two): the group's own list
        # puts it last (or first, before a comma), and the reservation is indexed by every word, so
        # either order is found.
        for key in set(name.keys):
            regs_by_key[key].append(r)
    # The screen, in bulk: the name and dates parts of the confidence for every pair of a key at once
    # (the same rapidfuzz measures as :func:`score_pair`, with numpy), so that only the pairs that could
    # reach the threshold once the company is counted are scored one by one.
    floor = (threshold - COMPANY_BONUS) / (1 - COMPANY_BONUS) - SCREEN_MARGIN
    reg_side = _Side.of(reg_names, registrants)
    res_side = _Side.of([res_names.get(i, _NO_NAME) for i in range(len(reservations))], reservations)
    pairs: set[tuple[int, int]] = set()
    for key, regs in regs_by_key.items():
        ress = by_key.get(key)
        if not ress:
            continue
        a, b = reg_side.take(regs), res_side.take(ress)
        base = NAME_WEIGHT * _name_matrix(a, b) + DATES_WEIGHT * _dates_matrix(a, b)
        for row, column in zip(*np.nonzero(base >= floor), strict=True):
            pairs.add((regs[row], ress[column]))
    # The same email is strong evidence whatever the names say.
    by_email: dict[str, list[int]] = defaultdict(list)
    for i in candidates:
        if email := _email(reservations[i].email):
            by_email[email].append(i)
    for r, reg in enumerate(registrants):
        if email := _email(reg.email):
            pairs.update((r, i) for i in by_email.get(email, ()))
    scored: list[tuple[float, int, int, Score]] = []
    for r, i in pairs:
        score = _score(registrants[r], reg_names[r], reservations[i], res_names[i])
        if score.confidence >= threshold:
            scored.append((score.confidence, r, i, score))
    scored.sort(key=lambda item: (-item[0], registrants[item[1]].line, reservations[item[2]].line))
    taken_regs: set[int] = set()
    taken_res: set[int] = set()
    result = []
    for _, r, i, score in scored:
        if r in taken_regs or i in taken_res:
            continue
        taken_regs.add(r)
        taken_res.add(i)
        res = reservations[i]
        nights = Stay(res.arrival, res.departure).nights_within(stay)
        result.append(Match(r, i, score, nights))
    return result
