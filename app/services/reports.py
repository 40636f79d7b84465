"""The exposure report of a stored contract: what it owes today and what it is forecast to owe, as a PDF."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.engine import Contract
from app.engine.forecast import Exposure
from app.pdf import LANGUAGES, invoice_language, render_pdf
from app.pdf.report import NoForecast, build_report_document, render_report_html
from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, PropertyRecord
from app.services.assessments import assess_contract, hotel_today
from app.services.auth import Principal
from app.services.contracts import get_contract, load_contract
from app.services.errors import ConflictError, InvalidInputError, Problem
from app.services.forecasts import forecast_contract

#: Why a contract has no forecast, by the field the forecast's refusal names (app.services.forecasts).
_REFUSALS: dict[str, NoForecast] = {
    "status": NoForecast.CLOSED,
    "cancellation_notice_date": NoForecast.CANCELLED,
    "block": NoForecast.NO_ROOMS,
}


def exposure_report_pdf(
    session: Session,
    principal: Principal,
    contract_id: int,
    *,
    as_of: date | None = None,
    language: str | None = None,
) -> bytes:
    """The exposure report of a stored contract as of ``as_of`` (default: today at the hotel), as PDF.

    - What is owed is the assessment as of that date; the forecast is the contract's exposure then
      (:func:`app.services.forecasts.forecast_contract`). A contract the forecast refuses (arrived,
      cancelled, completed, no rooms left) gets the report without a forecast, saying why.
    - The language is ``language`` if given, else the account's, else the property's locale's, else
      English; numbers and dates follow that locale when it is in the chosen language.
    - Read access suffices: nothing is stored.
    """
    record = get_contract(session, principal, contract_id)
    prop = repo.get(session, PropertyRecord, record.property_id)
    assert prop is not None
    account = None if record.account_id is None else repo.get(session, AccountRecord, record.account_id)
    chosen, locale = _language(language, account, prop)
    day = as_of or hotel_today(prop.timezone)
    result = assess_contract(session, principal, contract_id, day)
    terms = load_contract(session, principal, contract_id, result.contract_version).terms
    exposure, missing = _exposure(session, principal, contract_id, day, terms)
    document = build_report_document(
        contract=_with_letterhead(terms, prop, locale),
        assessment=result.assessment,
        exposure=exposure,
        no_forecast=missing,
        language=chosen,
    )
    return render_pdf(render_report_html(document))


def _exposure(
    session: Session, principal: Principal, contract_id: int, day: date, terms: Contract
) -> tuple[Exposure | None, NoForecast | None]:
    try:
        return forecast_contract(session, principal, contract_id, day).exposure, None
    except (ConflictError, InvalidInputError) as error:
        field = error.problems[0].field if error.problems else ""
        if field == "as_of":
            return None, NoForecast.STARTED if day > terms.arrival_date else NoForecast.OUT_OF_RANGE
        if field in _REFUSALS:
            return None, _REFUSALS[field]
        raise


def _language_of(locale: str) -> str | None:
    language = locale.replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else None


def _language(
    requested: str | None, account: AccountRecord | None, prop: PropertyRecord
) -> tuple[str, str | None]:
    """The report language (the request's, else the account's, else the property's locale's, else English)
    and the locale its numbers and dates follow."""
    if requested is not None and requested not in LANGUAGES:
        raise InvalidInputError(
            "unsupported language",
            [Problem("lang", f"no report language {requested!r}: use one of {', '.join(LANGUAGES)}")],
        )
    sources = [
        source for source in ([account.language] if account else []) + [prop.locale] if _language_of(source)
    ]
    chosen = invoice_language(requested, sources[0] if sources else None)
    # Numbers and dates follow the first of those locales that is in the chosen language (a property in
    # pt_PT writes 1 234,50 € where Portuguese without a territory writes € 1.234,50).
    locale = next((source for source in sources if _language_of(source) == chosen), None)
    return chosen, locale


def _with_letterhead(terms: Contract, prop: PropertyRecord, locale: str | None) -> Contract:
    """The terms with the property as it is now for the letterhead, and the locale numbers and dates
    follow (the engine's figures depend on neither)."""
    info = terms.property.model_copy(
        update={"name": prop.name, "address": prop.address, "locale": locale or prop.locale}
    )
    return terms.model_copy(update={"property": info})
