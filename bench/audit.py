"""Outside-block audit benchmark: precision and recall of the matcher, and its time at full size.

A seeded generator writes a group's registration list and a hotel's reservation export for a 5-night
stay. Some attendees booked outside the block, and their reservation is written the way hotel systems
mangle names: typos (a letter dropped, doubled, swapped or replaced), given name and surname swapped
or written "Last, First", accents dropped, the given name cut to an initial, a title added, the email
sometimes given, arrival a night late or departure a night early now and then. Other attendees are
in the block (the block code: not candidates) or stayed elsewhere (no reservation). The rest of the
export is other guests: strangers, and near-duplicates of attendees (the same surname with another
given name, or the same name on other dates), all around the same dates.

It prints precision and recall at the default threshold and a small table over thresholds
(1,000 registrants against 10,000 reservations, five seeds pooled), then the median time of matching
5,000 registrants against 50,000 reservations, all of them around the stay.

Run by hand: ``uv run python bench/audit.py`` (``--quick`` for one seed and one timing run).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from app.audit_matching import DEFAULT_THRESHOLD, Registrant, Reservation, Stay, match

ARRIVAL = date(2027, 6, 14)
STAY = Stay(ARRIVAL, ARRIVAL + timedelta(days=5))
BLOCK_CODE = "GRP27"


def words(text: str) -> list[str]:
    return text.split()


FIRST = words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Mary Patricia Jennifer Linda "
    "Elizabeth Barbara Susan Jessica Sarah Karen Daniel Matthew Anthony Mark Paul Steven Andrew Joshua "
    "Kevin Brian George Edward Ronald Timothy Jason Jeffrey Ryan Nancy Lisa Betty Margaret Sandra Ashley "
    "Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Laura Helen Anna Anne Hanna "
    "José María Jesús Àngel Núria Joana Inês João Zoé Hélène Émilie François Jérôme Søren Björn Łukasz "
    "Małgorzata Zoë Chloé Renée André Noël Agnès Céline Mónica Iñaki Raúl Sebastián Tomás Lucía Ramón "
    "Olga Ivan Dmitri Natalia Yuki Hiroshi Wei Li Priya Arjun Fatima Omar Ahmed Aisha Kwame Ama Chidi "
    "Ngozi Pierre Camille Louis Jeanne Marta Pau Jordi Mireia Ion Elena Mihai Ioana Radu Andrei Sofia"
)
SURNAMES = words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Müller Schäfer Größe Dubois Lefèvre Girard Fontaine Müller-Lüdenscheidt O'Brien O'Connor McDonald "
    "García-López Fernández Pérez Gómez Martín Jiménez Ruíz Núñez Álvarez Muñoz Romero Puig Ferrer Vilà "
    "Sørensen Østergaard Kowalski Wiśniewski Wójcik Dąbrowski Popescu Ionescu Dumitrescu Stănescu Rădulescu "
    "Ivanov Petrov Smirnov Sokolov Tanaka Suzuki Watanabe Wang Zhang Chen Liu Patel Sharma Singh Okafor "
    "Mensah Diallo Nakamura Costa Silva Santos Oliveira Sousa Gonçalves Conceição Magalhães Araújo"
)
SYLLABLES = words("ka ro mi tel var lin dor sen bel tra vik mon sal per ost gra fen hol brun dal wes cor")
TITLES = ("Mr", "Mrs", "Ms", "Dr", "Prof")


def surname(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(SURNAMES)
    # Invented surnames keep the population from being a few hundred names, as a real city's is not.
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def strip_accents(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def mangled(rng: random.Random, first: str, last: str) -> str:
    """How a hotel system might have written the name: one or two of the usual damages."""
    for _ in range(rng.choice((0, 1, 1, 2))):
        damage = rng.random()
        if damage < 0.35:
            if rng.random() < 0.5:
                first = typo(rng, first)
            else:
                last = typo(rng, last)
        elif damage < 0.55:
            first, last = strip_accents(first), strip_accents(last)
        elif damage < 0.7:
            first = first[0] + "."
        else:
            pass
    form = rng.random()
    if form < 0.3:
        text = f"{last}, {first}"
    elif form < 0.45:
        text = f"{last} {first}"
    elif form < 0.55:
        text = f"{last.upper()}, {first}"
    else:
        text = f"{first} {last}"
    if rng.random() < 0.1:
        text = f"{rng.choice(TITLES)} {text}"
    return text


def a_stay(rng: random.Random) -> tuple[date, date]:
    start = rng.randrange(0, 3)
    end = rng.randrange(start + 1, 6)
    return ARRIVAL + timedelta(days=start), ARRIVAL + timedelta(days=end)


def around(rng: random.Random) -> tuple[date, date]:
    start = ARRIVAL + timedelta(days=rng.randrange(-6, 8))
    return start, start + timedelta(days=rng.randrange(1, 6))


def generate(
    seed: int, registrants: int, reservations: int
) -> tuple[list[Registrant], list[Reservation], set[tuple[int, int]]]:
    """The two lists and the true outside-block pairs (registrant index, reservation index)."""
    rng = random.Random(seed)
    people = []
    seen: set[tuple[str, str]] = set()
    while len(people) < registrants:
        person = (rng.choice(FIRST), surname(rng))
        if person not in seen:
            seen.add(person)
            people.append(person)
    regs: list[Registrant] = []
    ress: list[Reservation] = []
    truth: set[tuple[int, int]] = set()
    for index, (first, last) in enumerate(people):
        arrival, departure = a_stay(rng)
        email = f"{strip_accents(first).lower()}.{strip_accents(last).lower().replace(' ', '')}@example.org"
        has_email = rng.random() < 0.4
        regs.append(Registrant(index + 2, f"{first} {last}", arrival, departure, email if has_email else ""))
        fate = rng.random()
        if fate < 0.55:  # in the block
            ress.append(Reservation(0, f"{last}, {first}", arrival, departure, block_code=BLOCK_CODE))
        elif fate < 0.85:  # outside the block: the audit's catch
            res_arrival, res_departure = arrival, departure
            if rng.random() < 0.15 and res_departure - res_arrival > timedelta(days=1):
                if rng.random() < 0.5:
                    res_arrival += timedelta(days=1)
                else:
                    res_departure -= timedelta(days=1)
            truth.add((index, len(ress)))
            ress.append(
                Reservation(
                    0,
                    mangled(rng, first, last),
                    res_arrival,
                    res_departure,
                    email=email if rng.random() < 0.3 else "",
                    block_code=rng.choice(("BAR", "OTA", "CORP", "")),
                )
            )
        # else: stayed elsewhere
    while len(ress) < reservations:
        kind = rng.random()
        arrival, departure = around(rng)
        if kind < 0.15 and people:  # same surname, another given name
            first, last = rng.choice(people)
            other = rng.choice([name for name in FIRST if name != first])
            ress.append(Reservation(0, mangled(rng, other, last), arrival, departure, block_code="BAR"))
        elif kind < 0.2 and people:  # the same name on other nights
            reg_index = rng.randrange(len(people))
            first, last = people[reg_index]
            registrant = regs[reg_index]
            start = registrant.departure + timedelta(days=rng.randrange(0, 4))
            ress.append(Reservation(0, f"{first} {last}", start, start + timedelta(days=2), block_code="BAR"))
        else:
            stranger = (rng.choice(FIRST), surname(rng))
            if stranger in seen:
                continue  # a namesake on the same nights is no one's to tell apart
            ress.append(Reservation(0, f"{stranger[0]} {stranger[1]}", arrival, departure, block_code="BAR"))
    order = list(range(len(ress)))
    rng.shuffle(order)
    position = {old: new for new, old in enumerate(order)}
    shuffled = [ress[old] for old in order]
    shuffled = [
        Reservation(
            n + 2, r.name, r.arrival, r.departure, f"C{n:06d}", r.email, r.company, r.room_type, r.block_code
        )
        for n, r in enumerate(shuffled)
    ]
    return regs, shuffled, {(r, position[i]) for r, i in truth}


def quality(seeds: range, thresholds: list[float]) -> None:
    counts = {t: [0, 0, 0] for t in thresholds}  # found, right, true
    for seed in seeds:
        regs, ress, truth = generate(seed, 1_000, 10_000)
        for threshold in thresholds:
            found = {(m.registrant, m.reservation) for m in match(regs, ress, STAY, BLOCK_CODE, threshold)}
            counts[threshold][0] += len(found)
            counts[threshold][1] += len(found & truth)
            counts[threshold][2] += len(truth)
    print("| threshold | matches | precision | recall |")
    print("|---:|---:|---:|---:|")
    for threshold in thresholds:
        found, right, true = counts[threshold]
        mark = " (default)" if threshold == DEFAULT_THRESHOLD else ""
        print(f"| {threshold:.2f}{mark} | {found} | {right / found:.3f} | {right / true:.3f} |")


def timing(runs: int) -> None:
    regs, ress, _ = generate(99, 5_000, 50_000)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        found = match(regs, ress, STAY, BLOCK_CODE)
        times.append(time.perf_counter() - start)
    print(
        f"5,000 registrants x 50,000 reservations: median {statistics.median(times):.2f} s "
        f"over {runs} runs ({len(found)} matches)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    thresholds = sorted({0.75, 0.8, 0.83, 0.86, DEFAULT_THRESHOLD, 0.88, 0.9, 0.95})
    quality(range(1) if args.quick else range(5), thresholds)
    timing(1 if args.quick else 5)


if __name__ == "__main__":
    main()
