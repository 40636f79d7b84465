"""Invoice languages: gettext catalogs compiled from the committed ``.po`` files when first used.

The ``.po`` files under ``app/locale/<lang>/LC_MESSAGES/`` are the only source: there is no generated
``.mo`` in git and no build step a fresh clone could miss. Compiling one catalog takes a few
milliseconds, once per process and language.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError

if TYPE_CHECKING:
    from babel.support import Translations

from app.resources import resource

LOCALE_DIR = resource("locale")
DOMAIN = "messages"

#: The languages an invoice can be issued in (gettext catalog names). ``pt`` is Portugal's Portuguese;
#: ``pt_BR`` is Brazil's, its own catalog (indenização, aluguel) with Brazil's conventions (``R$ 13.927,60``).
LANGUAGES: tuple[str, ...] = ("en", "fr", "pt", "pt_BR", "ro", "ca", "ru")
DEFAULT_LANGUAGE = "en"


class UnsupportedLanguageError(ValueError):
    """A language with no invoice catalog."""

    def __init__(self, language: str) -> None:
        self.language = language
        super().__init__(f"no invoice language {language!r}: use one of {', '.join(LANGUAGES)}")


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> Translations:
    """The compiled catalog of ``language`` (English, the source language, translates to itself)."""
    from babel.messages.mofile import write_mo  # the catalog tools only when a catalog is compiled
    from babel.messages.pofile import read_po
    from babel.support import Translations

    if language not in LANGUAGES:
        raise UnsupportedLanguageError(language)
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    # Fuzzy entries are left out, as msgfmt does: a guess must not reach a client's invoice.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def catalog_language(locale: str | None) -> str | None:
    """The invoice language of a locale (``pt_BR``, ``pt-br`` -> ``pt_BR``; ``pt_PT``, ``pt`` -> ``pt``;
    ``fr_CA`` -> ``fr``), or None when no catalog is in its language."""
    if not locale:
        return None
    parts = locale.replace("-", "_").split("_")
    language = parts[0].lower()
    if len(parts) > 1 and f"{language}_{parts[1].upper()}" in LANGUAGES:
        return f"{language}_{parts[1].upper()}"  # a territory with its own catalog
    return language if language in LANGUAGES else None


def invoice_language(requested: str | None, account_locale: str | None) -> str:
    """The request's language if given, else the account's (its own catalog when its territory has one,
    as ``pt_BR`` does, else its language part), else English."""
    if requested:
        if requested not in LANGUAGES:
            raise UnsupportedLanguageError(requested)
        return requested
    return catalog_language(account_locale) or DEFAULT_LANGUAGE


#: The territory whose conventions a language follows when the account's locale names none of its
#: own: Portuguese is Portugal's (``13 927,60 €``), not Babel's default Brazil (``€ 13.927,60``).
DEFAULT_TERRITORIES = {"pt": "pt_PT"}


def number_locale(language: str, account_locale: str | None) -> Locale:
    """Babel locale for numbers, currencies and dates: the account's own (``fr_CA``, ``pt_AO``) when it is
    in ``language`` and names a territory, else the language's default territory
    (:data:`DEFAULT_TERRITORIES`). A language that
    names its territory (``pt_BR``) follows that territory; an account locale whose territory has its own
    catalog (``pt_BR``) is not taken for another catalog of the same language (``pt`` stays Portugal's)."""
    if "_" in language:
        return Locale.parse(language)
    if account_locale:
        try:
            locale = Locale.parse(account_locale.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            locale = None
        if (
            locale is not None
            and locale.territory  # "pt" alone is Portugal's, not Babel's default territory (Brazil)
            and locale.language == language
            and catalog_language(str(locale)) == language
        ):
            return locale
    return Locale.parse(DEFAULT_TERRITORIES.get(language, language))
