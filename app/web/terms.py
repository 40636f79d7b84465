"""A contract's terms as plain sentences, for staff and planners (issue 4).

The sentences are the engine's own (:func:`app.engine.terms.contract_terms`), the same explanations an
assessment lists, rendered by :mod:`app.wording` with numbers, money and dates in the property's locale.
Each names the contract term behind it (``field``, e.g. ``attrition.performance_pct``) and says whether
the contract set it or left it to the default ``docs/rules.md`` documents, so a reader sees which parts
were agreed and which were assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale

from app.engine.contract import Contract
from app.engine.explain import TEMPLATES
from app.engine.terms import TOPICS as TOPIC_KINDS
from app.engine.terms import contract_terms
from app.web.templating import babel_locale
from app.web.views import PAGE_LANGUAGE
from app.wording import wording


@dataclass(frozen=True, slots=True)
class TermSentence:
    """One term in words. ``is_default``: the contract left it unset and the documented default applies."""

    topic: str
    field: str
    text: str
    is_default: bool = False


#: The topics, in the order the pages show them.
TOPICS = tuple(TEMPLATES[kind] for kind in TOPIC_KINDS)


def plain_terms(contract: Contract, locale: Locale | str | None) -> tuple[TermSentence, ...]:
    """The contract's terms in plain English sentences, grouped by ``topic`` in the order of ``TOPICS``."""
    said = wording(PAGE_LANGUAGE, locale if isinstance(locale, Locale) else babel_locale(locale))
    return tuple(
        TermSentence(said.say(term.topic), term.field, said.say(term.text), term.is_default)
        for term in contract_terms(contract)
    )
