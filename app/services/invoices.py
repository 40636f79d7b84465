"""Issued invoices and credit notes: numbered without gaps per property, kept as issued, never changed.

An invoice keeps the assessment it billed (an ``AssessmentRecord``), the contract version that assessment
used, the render model (``InvoiceDocument`` as JSON) and the PDF bytes with their SHA-256. Nothing here
updates or deletes an issued row: a correction is a credit note for the whole invoice, which references
it; a new invoice can then be issued.

Numbers follow the property's format (``"{prefix}-{year}-{seq:06}"`` gives ``"RWC-2027-000042"``,
app/identity.py) over its own gap-free sequence (``invoice_sequences``): one series per property, and
one per year of the issue date when the format shows the year. A property without a prefix keeps the
original ``"{property_id}-{sequence:06d}"`` (``"3-000042"``) in one series for all time. Prefixes are
unique and start with a letter, and a format starts with its prefix, so a number is unique across
properties and safe in a URL. Invoices and credit notes take their numbers from the same series (one
document series per property, as most tax authorities require).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.einvoice.model import EInvoice, from_invoice
from app.engine import Assessment
from app.engine.contract import Contract
from app.engine.explain import from_structured
from app.engine.limits import CONTROL_EXCEPT_NEWLINES, MAX_NOTE_CHARS, IsoDate, MultiLine
from app.identity import number_period, render_number
from app.invoice_requirements import Gap, invoice_gaps
from app.observability import count_after_commit
from app.pdf import LANGUAGES, invoice_language, render_invoice_html, render_pdf
from app.pdf.i18n import translations
from app.pdf.invoice import (
    DRAFT_NUMBER,
    InvoiceDocument,
    build_credit_note_document,
    build_invoice_document,
)
from app.pdf.parties import Parties, build_parties
from app.pdf.render import render_issued_pdf
from app.persistence import db, invoice_repository
from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, AssessmentRecord, InvoiceRecord, PropertyRecord
from app.services.actuals import night_shares
from app.services.assessments import (
    ASSESSMENT,
    ContractAssessment,
    assess_contract,
    hotel_today,
    keep_assessment,
)
from app.services.auth import Principal
from app.services.changes import Change, contract_changed
from app.services.contracts import StoredContract, get_contract, load_contract
from app.services.einvoices import (
    XmlBuilder,
    credit_note_xml,
    invoice_xml,
    seller_identifier,
    seller_party,
)
from app.services.errors import ConflictError, InvalidInputError, NotFoundError, Problem
from app.services.properties import buyer_identity, numbering, seller_identity

REASON_MAX_LENGTH = MAX_NOTE_CHARS


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceIssue(BaseModel):
    """Issue an invoice for a stored contract (every field may be left out)."""

    model_config = ConfigDict(extra="forbid")

    as_of: IsoDate | None = Field(
        default=None, description="Assess as of this date (default: today at the hotel)"
    )
    language: str | None = Field(
        default=None,
        description=(
            f"One of {', '.join(LANGUAGES)} (default: the account's language, else the property's, "
            "else English)"
        ),
    )
    issue_date: IsoDate | None = Field(
        default=None, description="Default: today at the hotel; not before as_of"
    )


class CreditNoteIssue(BaseModel):
    """Credit the whole of an invoice."""

    model_config = ConfigDict(extra="forbid")

    reason: MultiLine = Field(
        min_length=1, max_length=REASON_MAX_LENGTH, description="Printed on the credit note"
    )
    issue_date: IsoDate | None = Field(
        default=None, description="Default: today at the hotel; not before the invoice's issue date"
    )


@dataclass(frozen=True, slots=True)
class Related:
    """The number of the invoice a credit note credits, and of the credit note that credits an invoice."""

    credits: str | None = None
    credited_by: str | None = None


def invoice_number(property_id: int, sequence_number: int) -> str:
    """The original numbers, of a property without an invoice prefix."""
    return f"{property_id}-{sequence_number:06d}"


@dataclass(frozen=True, slots=True)
class Series:
    """Where a document's number comes from: the property's series for the issue date, and its format."""

    property_id: int
    period: str
    number_format: str
    prefix: str

    @classmethod
    def of(cls, prop: PropertyRecord, issue_date: date) -> Series:
        assert prop.id is not None
        chosen = numbering(prop)
        number_format = chosen.effective_format()
        return cls(
            prop.id, number_period(number_format, issue_date.year), number_format, chosen.invoice_prefix or ""
        )

    def number(self, sequence: int) -> str:
        if not self.number_format:
            return invoice_number(self.property_id, sequence)
        return render_number(self.number_format, self.prefix, int(self.period or 0), sequence)


def issue_invoice(
    session: Session,
    principal: Principal,
    contract_id: int,
    *,
    as_of: date | None = None,
    language: str | None = None,
    issue_date: date | None = None,
    interim_confirmed: bool = True,
) -> InvoiceRecord:
    """Assess the stored contract as of ``as_of`` (default: today at the hotel), keep the assessment, and
    issue its damages invoice under the property's next number. The caller commits; this ends the
    session's transaction before it (see ``_issue_numbered``), so the caller may not have written.

    - The language is ``language`` if given, else the account's, else the property's locale's, else
      English; numbers and dates follow that locale when it is in the chosen language.
    - The letterhead is the property as it is now; the bill-to is the account (name, contact), else the
      group as the contract names it; the parties blocks (app/pdf/parties.py) print the property's and
      the account's legal identities as they are now. What they lack for the hotel's country
      (app/invoice_requirements.py) is kept with the document as warnings; it does not refuse.
    - Refused, as an accountant expects (422 unless said): a total of zero (nothing is owed; the engine
      never gives a negative total, since credits beyond the damages are carried, not refunded, and a
      refund is a credit note's job); an issue date before ``as_of`` (an invoice cannot state figures it
      could not know); and, 409, a second invoice for a contract while one is outstanding (it would
      bill the same damages twice: credit the first, then issue again).
    """
    prepared = _prepare_invoice(session, principal, contract_id, as_of, language, issue_date)
    result, assessment, property_id = prepared.result, prepared.assessment, prepared.property_id
    if not assessment.is_final and not interim_confirmed:
        raise InvalidInputError(
            "an interim invoice needs confirming",
            [Problem("interim", INTERIM_REFUSAL)],
        )
    issued_on, due_date, draft, gaps = prepared.issue_date, prepared.due_date, prepared.draft, prepared.gaps

    def refuse_if_billed() -> None:
        outstanding = invoice_repository.open_invoice_of_contract(session, contract_id)
        if outstanding is not None:
            raise ConflictError(
                f"invoice {outstanding} of this contract is outstanding: credit it before issuing another",
                [Problem("contract_id", f"invoice {outstanding} already bills this contract")],
            )

    def store(document: InvoiceDocument, pdf: bytes, sequence: int) -> InvoiceRecord:
        saved = keep_assessment(session, principal, result)
        assert saved.id is not None
        invoice = _insert(
            session,
            principal,
            document,
            pdf,
            kind=InvoiceKind.INVOICE,
            property_id=property_id,
            period=prepared.series.period,
            sequence_number=sequence,
            contract_id=contract_id,
            contract_version=result.contract_version,
            assessment_id=saved.id,
            issue_date=issued_on,
            due_date=due_date,
            as_of=result.as_of,
            total=assessment.total.amount,
            currency=assessment.currency,
            warnings=gaps,
        )
        # The shares of the hotel's unsold rooms the invoice billed, to tell when later ones differ.
        shares = night_shares(session, prepared.stored, result.as_of, as_invoiced=True)
        if shares:
            invoice.room_shares = {night.isoformat(): str(s.share) for night, s in shares.items()}
            session.add(invoice)
            session.flush()
        contract_changed(session, prepared.stored, Change.INVOICE_ISSUED, principal.label, invoice=invoice)
        return invoice

    return _issue_numbered(session, prepared.series, draft, refuse_if_billed, store, prepared.xml)


#: Why a provisional assessment is not invoiced without an explicit choice (the staff pages ask).
INTERIM_REFUSAL = (
    "the stay is not over and no cancellation notice has come, so pickup to date is taken as final: "
    "confirm that this is an interim invoice"
)


@dataclass(frozen=True, slots=True)
class _Prepared:
    stored: StoredContract
    property_id: int
    result: ContractAssessment
    assessment: Assessment
    issue_date: date
    due_date: date
    language: str
    draft: Callable[[str], InvoiceDocument]
    xml: XmlBuilder
    series: Series
    gaps: tuple[Gap, ...]


def _prepare_invoice(
    session: Session,
    principal: Principal,
    contract_id: int,
    as_of: date | None,
    language: str | None,
    issue_date: date | None,
) -> _Prepared:
    """Everything an invoice of the contract needs but its number: the assessment, dates, language,
    and a builder of its document for a number. Refuses a total of zero (see ``issue_invoice``)."""
    db.end_reads(session)  # the caller's authentication; what follows reads in a transaction of its own
    db.begin_read(session)
    record = get_contract(session, principal, contract_id)
    principal.require_write(record.property_id, f"contract {contract_id}")
    prop = repo.get(session, PropertyRecord, record.property_id)
    assert prop is not None
    assert prop.id is not None
    property_id = prop.id
    account = None if record.account_id is None else repo.get(session, AccountRecord, record.account_id)
    chosen, locale = _language(language, account, prop)
    today = hotel_today(prop.timezone)
    result = assess_contract(session, principal, contract_id, as_of or today, as_invoiced=True)
    stored = load_contract(session, principal, contract_id, result.contract_version)
    terms = stored.terms
    issued_on = issue_date or today
    due_date = _due_date(issued_on, result.as_of, "the date it assesses", terms.payment_terms_days)
    assessment = result.assessment
    if assessment.total.amount <= 0:
        raise InvalidInputError(
            "nothing is owed",
            [
                Problem(
                    "as_of", f"nothing is owed under the contract as of {result.as_of}: no invoice is issued"
                )
            ],
        )
    contract = _with_letterhead(terms, prop.name, prop.address, locale or prop.locale)
    bill_to = None if account is None else [account.name, account.contact_name, account.contact_email]
    seller, buyer = seller_identity(prop), buyer_identity(account)
    account_code = account.name if account is not None else terms.group.account

    def draft(number: str) -> InvoiceDocument:
        document = build_invoice_document(
            assessment=assessment,
            contract=contract,
            invoice_number=number,
            issue_date=issued_on,
            bill_to=bill_to,
            language=chosen,
        )
        parties = build_parties(
            seller=seller,
            buyer=buyer,
            account_code=account_code,
            invoice_number=number,
            locale=document.locale,
        )
        return replace(document, parties=parties)

    xml = invoice_xml(
        assessment=assessment,
        contract=contract,
        prop=prop,
        account=account,
        seller_identity=seller,
        buyer_identity=buyer,
        issue_date=issued_on,
        due_date=due_date,
    )
    return _Prepared(
        stored,
        property_id,
        result,
        assessment,
        issued_on,
        due_date,
        chosen,
        draft,
        xml,
        Series.of(prop, issued_on),
        invoice_gaps(seller, buyer),
    )


@dataclass(frozen=True, slots=True)
class InvoicePreview:
    """An invoice as it would be issued now, marked as a draft: nothing is stored and no number taken."""

    document: InvoiceDocument
    is_final: bool
    outstanding: str | None
    #: What the invoice lacks for the hotel's country (docs/invoice-requirements.md); empty if nothing.
    gaps: tuple[Gap, ...] = ()

    def pdf(self) -> bytes:
        return render_pdf(render_invoice_html(self.document))


def preview_invoice(
    session: Session,
    principal: Principal,
    contract_id: int,
    *,
    as_of: date | None = None,
    language: str | None = None,
    issue_date: date | None = None,
) -> InvoicePreview:
    """The invoice ``issue_invoice`` would issue with the same inputs, numbered as a draft (in its
    language), with whether its assessment is final and the number of an outstanding invoice that would
    refuse it. Refused as ``issue_invoice`` refuses a total of zero."""
    prepared = _prepare_invoice(session, principal, contract_id, as_of, language, issue_date)
    draft_word = translations(prepared.language).gettext(DRAFT_NUMBER)
    return InvoicePreview(
        document=prepared.draft(draft_word),
        is_final=prepared.assessment.is_final,
        outstanding=invoice_repository.open_invoice_of_contract(session, contract_id),
        gaps=prepared.gaps,
    )


def invoices_of_hotels(
    session: Session, principal: Principal, property_id: int | None, *, limit: int, offset: int
) -> tuple[Sequence[InvoiceRecord], int]:
    """A page of the invoices and credit notes the principal may see (of one property, if given)."""
    if property_id is not None:
        principal.require_read(property_id, f"property {property_id}")
        scope: frozenset[int] | None = frozenset({property_id})
    else:
        scope = principal.property_ids
    return invoice_repository.invoices_of_properties(session, scope, limit=limit, offset=offset)


def credit_invoice(
    session: Session, principal: Principal, number: str, *, reason: str, issue_date: date | None = None
) -> InvoiceRecord:
    """Issue a credit note for the whole of invoice ``number``: its lines and total with the opposite
    sign, in the invoice's language, to the same bill-to under the same letterhead as issued, with the
    reason. An invoice is credited once (409 after); a credit note is not credited (409). The credit
    note takes the property's next number as an invoice does (``_issue_numbered``). The caller commits;
    this ends the session's transaction before it, so the caller may not have written."""
    db.end_reads(session)
    db.begin_read(session)
    original = get_invoice(session, principal, number)
    principal.require_write(original.property_id, f"invoice {number}")
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise InvalidInputError(
            "give the reason for the credit",
            [Problem("reason", f"give the reason for the credit, at most {REASON_MAX_LENGTH} characters")],
        )
    if CONTROL_EXCEPT_NEWLINES.search(reason):  # whatever the caller (API, page, command) checked
        raise InvalidInputError(
            "the reason has a control character",
            [Problem("reason", "write the reason without control characters (line breaks are fine)")],
        )
    if original.kind != InvoiceKind.INVOICE:
        raise ConflictError(f"{number} is a credit note: only an invoice can be credited")
    prop = repo.get(session, PropertyRecord, original.property_id)
    assert prop is not None
    assert original.id is not None
    original_id = original.id
    property_id = original.property_id
    credited_contract = load_contract(session, principal, original.contract_id, original.contract_version)
    terms = credited_contract.terms
    issued_on = issue_date or hotel_today(prop.timezone)
    _due_date(issued_on, original.issue_date, "the invoice it credits", terms.payment_terms_days)
    billed = repo.get(session, AssessmentRecord, original.assessment_id)
    assert billed is not None
    billed_assessment = stored_assessment(billed)
    shown = original.document
    contract = _with_letterhead(
        terms, shown["property_name"], "\n".join(shown["property_address"]), shown["locale"]
    )
    columns: dict[str, Any] = {
        "contract_id": original.contract_id,
        "contract_version": original.contract_version,
        "assessment_id": original.assessment_id,
        "credits_invoice_id": original_id,
        "issue_date": issued_on,
        "due_date": issued_on,
        "as_of": original.as_of,
        "currency": original.currency,
    }
    credited = (original.number, original.issue_date, original.language, -Decimal(original.total_amount))
    parties = Parties.from_stored(shown.get("parties"))  # the parties as the invoice named them
    series = Series.of(prop, issued_on)

    def draft(credit_note_number: str) -> InvoiceDocument:
        document = build_credit_note_document(
            assessment=billed_assessment,
            contract=contract,
            credit_note_number=credit_note_number,
            issue_date=issued_on,
            credited_number=credited[0],
            credited_issue_date=credited[1],
            reason=reason,
            bill_to=shown["bill_to"],
            language=credited[2],
        )
        return replace(document, parties=parties)

    def refuse_if_credited() -> None:
        credited_by = invoice_repository.credit_note_of(session, original_id)
        if credited_by is not None:
            raise ConflictError(f"invoice {number} has already been credited by {credited_by}")

    def store(document: InvoiceDocument, pdf: bytes, sequence: int) -> InvoiceRecord:
        note = _insert(
            session,
            principal,
            document,
            pdf,
            kind=InvoiceKind.CREDIT_NOTE,
            property_id=property_id,
            period=series.period,
            sequence_number=sequence,
            total=credited[3],
            **columns,
        )
        contract_changed(session, credited_contract, Change.INVOICE_CREDITED, principal.label, invoice=note)
        return note

    # read now: rendering is outside
    seller, identifier = seller_party(prop, seller_identity(prop)), seller_identifier(prop)

    def rebuild() -> EInvoice:  # an invoice issued before e-invoices: as it would be issued now
        return from_invoice(
            assessment=billed_assessment,
            contract=contract,
            number=original_number,
            issue_date=original_issued_on,
            due_date=original_due_date,
            seller=seller,
            buyer=None,
            seller_identifier=identifier,
        )

    original_number, original_issued_on, original_due_date = (
        original.number,
        original.issue_date,
        original.due_date,
    )
    xml = credit_note_xml(original.pdf, rebuild, issued_on)
    return _issue_numbered(session, series, draft, refuse_if_credited, store, xml)


#: How often an issuer renders again with a number corrected under the lock before it renders once
#: more while holding the lock (see ``_issue_numbered``).
OPTIMISTIC_RENDERS = 3


def _issue_numbered(
    session: Session,
    series: Series,
    draft: Callable[[str], InvoiceDocument],
    refuse: Callable[[], None],
    store: Callable[[InvoiceDocument, bytes, int], InvoiceRecord],
    xml: XmlBuilder,
) -> InvoiceRecord:
    """Number, render and store a document with a short write transaction and no gap in the numbers.

    The number is printed in the PDF, and gap-free numbering needs the number taken in the same
    transaction as the row that uses it, so it cannot be taken first and committed. Rendering (hundreds
    of milliseconds, the slow part) under the number's lock would make every other writer wait, and on
    SQLite that lock is the whole database's. So the PDF is rendered outside any transaction with the
    number the property's sequence says comes next; then one short write transaction takes the number
    under the lock (``take_invoice_number``), runs ``refuse`` (the checks that must see every committed
    document), and stores the row when the guess was right. When another issuer took that number in
    the meantime, the transaction is rolled back (the number is given back) and the document rendered
    again with the number just seen, up to ``OPTIMISTIC_RENDERS`` times; after that it is rendered
    inside the lock, as before, which always ends. Measured by ``tests/api/test_invoice_concurrency``:
    twenty parallel issuers of one property all end with consecutive numbers.

    The PDF is PDF/A-3b with the document's Factur-X XML (``xml``) embedded (docs/e-invoicing.md).
    """

    def render(document: InvoiceDocument) -> bytes:
        return render_issued_pdf(render_invoice_html(document), xml(document), language=document.language)

    property_id, period = series.property_id, series.period
    guess = invoice_repository.next_invoice_number(session, property_id, period)
    db.end_reads(session)  # no snapshot or lock is held while rendering
    for _ in range(OPTIMISTIC_RENDERS):
        document = draft(series.number(guess))
        pdf = render(document)
        db.begin_write(session)
        sequence = invoice_repository.take_invoice_number(session, property_id, period)
        refuse()
        if sequence == guess:
            return _stored(session, store, document, pdf, sequence)
        session.rollback()
        guess = sequence
    db.begin_write(session)
    sequence = invoice_repository.take_invoice_number(session, property_id, period)
    refuse()
    document = draft(series.number(sequence))
    return _stored(session, store, document, render(document), sequence)


def _stored(
    session: Session,
    store: Callable[[InvoiceDocument, bytes, int], InvoiceRecord],
    document: InvoiceDocument,
    pdf: bytes,
    sequence: int,
) -> InvoiceRecord:
    """Store the document; a number another series already printed (a format changed so that two
    series render alike) is a 409 naming the format, not a 500."""
    try:
        with session.begin_nested():
            return store(document, pdf, sequence)
    except IntegrityError:
        raise ConflictError(
            f"the number {document.invoice_number} is already used by another invoice",
            [
                Problem(
                    "invoice_number_format",
                    f"the property's number format gives {document.invoice_number}, which an earlier "
                    "invoice has: change the format (or the prefix) so that its numbers are new",
                )
            ],
        ) from None


def get_invoice(
    session: Session, principal: Principal, number: str, *, with_pdf: bool = True
) -> InvoiceRecord:
    """An invoice or credit note by number; "not found" for one of a property the caller cannot see."""
    record = invoice_repository.invoice_by_number(session, number, with_pdf=with_pdf)
    if record is None or not principal.can_see(record.property_id):
        raise NotFoundError(f"invoice {number} not found")
    return record


def list_invoices(session: Session, principal: Principal, contract_id: int) -> Sequence[InvoiceRecord]:
    """The contract's invoices and credit notes in the order issued (their PDF bytes are not loaded)."""
    get_contract(session, principal, contract_id)
    return invoice_repository.invoices_of_contract(session, contract_id)


def related(session: Session, records: Iterable[InvoiceRecord]) -> dict[int, Related]:
    """For each record's id: the invoice it credits and the credit note that credits it, by number."""
    records = list(records)
    rows = invoice_repository.related_numbers(session, records)
    numbers = {row_id: number for row_id, number, _ in rows}
    credited_by = {credits: number for _, number, credits in rows if credits is not None}
    result = {}
    for record in records:
        assert record.id is not None
        credits = None if record.credits_invoice_id is None else numbers.get(record.credits_invoice_id)
        result[record.id] = Related(credits, credited_by.get(record.id))
    return result


def stored_assessment(record: AssessmentRecord) -> Assessment:
    """The engine's assessment from its stored JSON (a line's inputs are stored as an object); its
    explanations are read back from their structured form where it was stored, so that an invoice or a
    credit note built from it reads in its own language."""
    result = record.result
    data: dict[str, Any] = {
        **result,
        "lines": [_line(line) for line in result["lines"]],
        "terms": [_explained(term, "text") for term in result["terms"]],
        "assumptions": [_explained(term, "text") for term in result["assumptions"]],
    }
    for field in ("warnings", "conditions"):
        if f"{field}_explained" in result:
            data[field] = [from_structured(item) for item in result[f"{field}_explained"]]
    return ASSESSMENT.validate_python(data)


def _explained(term: dict[str, Any], field: str) -> dict[str, Any]:
    return {**term, field: from_structured(term["explained"])} if "explained" in term else term


def _line(line: dict[str, Any]) -> dict[str, Any]:
    read = {**line, "inputs": list(line["inputs"].items())}
    explained = line.get("explained")
    if explained is not None:
        read |= {
            "label": from_structured(explained["label"]),
            "clause": from_structured(explained["clause"]),
            "formula": from_structured(explained["formula"]),
            "steps": [from_structured(step) for step in explained["steps"]],
        }
    return read


# --- helpers ----------------------------------------------------------------------------------------


def _language_of(locale: str) -> str | None:
    language = locale.replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else None


def _language(
    requested: str | None, account: AccountRecord | None, prop: PropertyRecord
) -> tuple[str, str | None]:
    """The invoice language, and the locale (the account's, else the property's) it was chosen from."""
    if requested is not None and requested not in LANGUAGES:
        raise InvalidInputError(
            "unsupported language",
            [Problem("language", f"no invoice language {requested!r}: use one of {', '.join(LANGUAGES)}")],
        )
    sources = ([account.language] if account is not None else []) + [prop.locale]
    locale = next((source for source in sources if _language_of(source)), None)
    return invoice_language(requested, locale), locale


def _due_date(issued_on: date, earliest: date, what: str, payment_terms_days: int) -> date:
    """The due date of a document issued on ``issued_on``, which may not be before ``earliest``."""
    if issued_on < earliest:
        raise InvalidInputError(
            f"the issue date is before {what}",
            [Problem("issue_date", f"the document cannot be dated before {what} ({earliest})")],
        )
    try:
        return issued_on + timedelta(days=payment_terms_days)
    except OverflowError:
        raise InvalidInputError(
            "the issue date is out of range",
            [Problem("issue_date", "the due date would be after 9999-12-31")],
        ) from None


def _with_letterhead(terms: Contract, name: str, address: str, locale: str) -> Contract:
    """The terms with the letterhead to print and the locale numbers and dates follow (the engine's
    figures do not depend on either)."""
    info = terms.property.model_copy(update={"name": name, "address": address, "locale": locale})
    return terms.model_copy(update={"property": info})


def _insert(
    session: Session,
    principal: Principal,
    document: InvoiceDocument,
    pdf: bytes,
    *,
    kind: InvoiceKind,
    total: Decimal,
    period: str,
    warnings: tuple[Gap, ...] = (),
    **columns: Any,
) -> InvoiceRecord:
    count_after_commit(session, "invoices", kind=str(kind))
    kept = [{"code": str(gap.code), "message": gap.message, "party": gap.party} for gap in warnings]
    return invoice_repository.add_invoice(
        session,
        InvoiceRecord(
            number=document.invoice_number,
            number_period=period,
            kind=kind,
            language=document.language,
            total_amount=str(total),
            document={**asdict(document), "warnings": kept},
            pdf=pdf,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            created_by=principal.label,
            **columns,
        ),
    )
