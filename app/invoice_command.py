"""``attrition invoice``: the damages invoice of a contract file as a PDF, offline, from files only.

``add_invoice_parser`` adds the sub-command to the ``attrition`` parser; ``run_invoice`` runs it and
returns the exit code (0 written, 1 invalid input, as ``attrition assess``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.options import iso_date
from app.pdf.i18n import LANGUAGES

EXIT_OK = 0
EXIT_INVALID = 1


def add_invoice_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invoice = subparsers.add_parser(
        "invoice",
        help="write the damages invoice of a contract file as a PDF",
        description=(
            "Assess a contract file and write its damages invoice as a PDF, in the account's language\n"
            "(the property locale of the file) unless --lang says otherwise. Works offline."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    invoice.add_argument("file", metavar="FILE", help="contract file, YAML or JSON")
    invoice.add_argument(
        "--actuals", metavar="FILE", help="actuals file (default: the contract file's actuals, else none)"
    )
    invoice.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="assess as of this date (default: the contract file's as_of, else today)",
    )
    invoice.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=(
            "invoice language, pt Portugal's and pt_BR Brazil's Portuguese "
            "(default: the account's, else English)"
        ),
    )
    invoice.add_argument(
        "--number",
        metavar="N",
        help="invoice number (default: none: the PDF is marked DRAFT, as an invoice is numbered when issued)",
    )
    invoice.add_argument(
        "--issue-date",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="issue date; the due date follows from the payment terms (default: the as-of date)",
    )
    invoice.add_argument(
        "--bill-to",
        metavar="TEXT",
        help="bill-to block, one line per line of TEXT (default: the group and its account)",
    )
    invoice.add_argument("--out", metavar="FILE", required=True, help="where to write the PDF")
    invoice.set_defaults(command=run_invoice)


def run_invoice(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from app.contract_files import ContractFileError, FileProblem
    from app.file_assessment import assess_file, report
    from app.pdf import build_invoice_document, render_invoice_html, render_pdf  # WeasyPrint: only here
    from app.pdf.i18n import invoice_language, translations
    from app.pdf.invoice import DRAFT_NUMBER
    from app.pdf.parties import build_parties

    try:
        result = assess_file(Path(args.file), Path(args.actuals) if args.actuals else None, args.as_of)
    except ContractFileError as error:
        report(error.problems)
        return EXIT_INVALID
    contract, as_of, assessment = result.document.contract, result.as_of, result.assessment
    language = invoice_language(args.lang, contract.property.locale)
    # Unnumbered unless told: a number belongs to the hotel's gap-free series, which only issuing takes.
    number = args.number or translations(language).gettext(DRAFT_NUMBER)
    invoice = build_invoice_document(
        assessment=assessment,
        contract=contract,
        invoice_number=number,
        issue_date=args.issue_date or as_of,
        bill_to=args.bill_to.splitlines() if args.bill_to else None,
        language=language,
    )
    # --bill-to replaces the file's buyer; the file's seller still prints.
    buyer = None if args.bill_to else result.document.buyer
    parties = build_parties(
        seller=result.document.seller,
        buyer=buyer,
        account_code=contract.group.account,
        invoice_number=number,
        locale=invoice.locale,
    )
    invoice = replace(invoice, parties=parties)
    pdf = render_pdf(render_invoice_html(invoice))
    out = Path(args.out)
    try:
        out.write_bytes(pdf)
    except OSError as error:
        report([FileProblem(str(out), None, "", f"cannot be written: {error.strerror or error}")])
        return EXIT_INVALID
    numbered = f"invoice {args.number}" if args.number else "DRAFT, not numbered"
    print(f"wrote {out} ({numbered}, {invoice.language}, total due {invoice.total_due})")
    return EXIT_OK
