"""PDF benchmark: the damages invoice rendered through the product, beside WeasyPrint alone.

For the sample invoice (``contracts/medical-congress-fnb-rental.yaml``, two pages) it times, in
alternating rounds,

* the product: ``assess`` -> ``build_invoice_document`` -> ``render_invoice_html`` -> ``render_pdf``
  (the template-folder URL fetcher included), and
* WeasyPrint alone: ``HTML(string=html, base_url=...).write_pdf()`` on the same final HTML, with
  WeasyPrint's own URL fetcher,

and prints the median time of each and the median of the per-round ratios product / WeasyPrint.
The target is a ratio of at most 1.20: the product adds at most 20 % to WeasyPrint's own render.
Alternating the two, and taking the ratio per round, spreads noise from other processes on a
shared machine over both sides alike.

Run by hand: ``uv run python bench/pdf.py`` (``--quick`` for a short run, ``--lang fr`` for another
language).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import weasyprint

from app.contract_files import load_document
from app.engine import Actuals, assess
from app.pdf import LANGUAGES, build_invoice_document, render_invoice_html, render_pdf
from app.pdf.render import BASE_URL

SAMPLE = Path(__file__).resolve().parent.parent / "contracts" / "medical-congress-fnb-rental.yaml"
TARGET_RATIO = 1.20


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 21")
    parser.add_argument("--lang", choices=LANGUAGES, default="en")
    args = parser.parse_args()
    rounds = 5 if args.quick else 21

    document = load_document(SAMPLE)
    assert document.as_of is not None
    contract, actuals, as_of = document.contract, document.actuals or Actuals(), document.as_of

    def product() -> bytes:
        assessment = assess(contract, actuals, as_of)
        invoice = build_invoice_document(
            assessment=assessment,
            contract=contract,
            invoice_number="INV-2027-0042",
            issue_date=as_of,
            language=args.lang,
        )
        return render_pdf(render_invoice_html(invoice))

    html = render_invoice_html(
        build_invoice_document(
            assessment=assess(contract, actuals, as_of),
            contract=contract,
            invoice_number="INV-2027-0042",
            issue_date=as_of,
            language=args.lang,
        )
    )

    def weasyprint_alone() -> bytes:
        pdf = weasyprint.HTML(string=html, base_url=BASE_URL).write_pdf()
        assert pdf is not None
        return pdf

    # Warm both paths: imports, catalog compilation, template compilation, font loading.
    sizes = (len(product()), len(weasyprint_alone()))
    product_times: list[float] = []
    alone_times: list[float] = []
    ratios: list[float] = []
    for index in range(rounds):
        # Alternate which side runs first, so neither always follows the other's garbage.
        pair = (product, weasyprint_alone) if index % 2 == 0 else (weasyprint_alone, product)
        timed = {call: _seconds(call) for call in pair}
        product_times.append(timed[product])
        alone_times.append(timed[weasyprint_alone])
        ratios.append(timed[product] / timed[weasyprint_alone])

    ratio = statistics.median(ratios)
    print(f"python {platform.python_version()}, weasyprint {weasyprint.__version__}, {platform.machine()}")
    print(f"sample invoice: {SAMPLE.name}, language {args.lang}, {rounds} rounds")
    product_ms = statistics.median(product_times) * 1000
    print(f"  product (assess + document + HTML + PDF)  median {product_ms:7.1f} ms")
    print(
        f"  WeasyPrint alone on the same HTML        median {statistics.median(alone_times) * 1000:7.1f} ms"
    )
    print(
        f"  ratio product / WeasyPrint (median of per-round ratios)  {ratio:.3f}  (target <= {TARGET_RATIO})"
    )
    print(f"  PDF sizes: product {sizes[0]} bytes, WeasyPrint alone {sizes[1]} bytes")
    return 0 if ratio <= TARGET_RATIO else 1


def _seconds(call: Callable[[], bytes]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
