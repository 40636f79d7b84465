"""The OpenAPI document: FastAPI's, plus the schemas of bodies read by ``read_json`` and of the
assessment, with one name per schema so that a client generator makes one class per name.

- Money in an answer is the ``Amount`` object; money in a body keeps its input forms (a quoted decimal,
  "189.00 USD", or the object), so input and output schemas are distinct.
- A schema generated in both modes that differs between them gets ``Input``/``Output`` in its name.
- Every schema's title is its name: two titled alike would be two classes of one name.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema

from app.api import problems
from app.api.deps import BODY_SCHEMAS
from app.api.schemas import REF_MARK, Amount, refers_to
from app.engine import Assessment
from app.engine.money import Money

REF_TEMPLATE = "#/components/schemas/{model}"
_MONEY_VALIDATOR = TypeAdapter(Money).core_schema


class ApiSchemas(GenerateJsonSchema):
    """Pydantic's generator, but Money in an answer is ``Amount``: Money serializes as that object
    (``app.engine.money``), while its own schema states every form it accepts."""

    def generate_inner(self, schema: Any) -> JsonSchemaValue:
        if self.mode == "serialization" and _is_money(schema):
            return refers_to("Amount")
        return super().generate_inner(schema)


def _is_money(schema: CoreSchema) -> bool:
    function = schema.get("function")
    return (
        schema.get("type") == "function-plain"
        and isinstance(function, dict)
        and function.get("function") is _MONEY_VALIDATOR.get("function", {}).get("function")
    )


class SchemaNameError(RuntimeError):
    """Two different schemas would have one name."""


def openapi_document(app: FastAPI, api_prefix: str) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    inputs: list[tuple[str, Any, TypeAdapter[Any]]] = [
        (name, "validation", TypeAdapter(model)) for name, model in BODY_SCHEMAS.items()
    ]
    inputs.append(("Assessment", "serialization", TypeAdapter(Assessment)))
    inputs.append(("ProblemDetails", "serialization", TypeAdapter(problems.ProblemDetails)))
    inputs.append(("Amount", "serialization", TypeAdapter(Amount)))
    top, definitions = TypeAdapter.json_schemas(
        inputs, ref_template=REF_TEMPLATE, schema_generator=ApiSchemas
    )
    extra: dict[str, Any] = dict(definitions.get("$defs", {}))
    for (name, _), schema in top.items():
        if schema.get("$ref", "").removeprefix(REF_TEMPLATE.format(model="")) != name:
            extra[name] = schema
    _add_terms(extra)
    for name, schema in extra.items():
        if name in components and _without_title(components[name]) != _without_title(schema):
            raise SchemaNameError(f"two different schemas are named {name}")
        components[name] = schema
    _rename(document, {name: name.replace("-", "") for name in components if "-" in name})
    _refer(document)
    _loosen_self_lists(document["components"]["schemas"])
    for name, schema in document["components"]["schemas"].items():
        schema["title"] = name
    security = {"apiKey": {"type": "http", "scheme": "bearer", "description": "An API key, atk_..."}}
    document["components"]["securitySchemes"] = security
    for path, operations in document["paths"].items():
        if path.startswith(api_prefix):
            for operation in operations.values():
                operation["security"] = [{"apiKey": []}]
    app.openapi_schema = document
    return document


def _add_terms(components: dict[str, Any]) -> None:
    """A contract written through the API may leave out what its address or stored property fills."""
    terms = dict(components["Contract"])
    terms["required"] = [field for field in terms.get("required", []) if field != "property"]
    terms["description"] = "A Contract whose property section may be left out: the stored property fills it."
    components["ContractTerms"] = terms
    components["ContractWrite"]["properties"]["contract"] = {
        "$ref": REF_TEMPLATE.format(model="ContractTerms")
    }
    block_terms = dict(terms)
    block_terms["required"] = [field for field in terms["required"] if field != "id"]
    block_terms["description"] = "ContractTerms whose id may be left out: the block code makes a new one's."
    components["BlockTerms"] = block_terms
    components["BlockWrite"]["properties"]["contract"] = {"$ref": REF_TEMPLATE.format(model="BlockTerms")}


def _without_title(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "title"}


def _loosen_self_lists(schemas: dict[str, Any]) -> None:
    """A union holding a list of itself (``ExplainedParam``) says only "a list" of that member: client
    generators cannot build a type that contains itself through an anonymous list."""
    for name, schema in schemas.items():
        own = REF_TEMPLATE.format(model=name)
        for option in schema.get("anyOf", []):
            if option.get("type") == "array" and option.get("items") == {"$ref": own}:
                option["items"] = {}
                option["description"] = f"A list of {name} values"


def _refer(node: Any) -> None:
    """Each schema marked by ``refers_to`` becomes the reference to its component."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(children):
        if isinstance(value, dict) and REF_MARK in value:
            node[key] = {"$ref": REF_TEMPLATE.format(model=value[REF_MARK])}
        else:
            _refer(value)


def _rename(document: dict[str, Any], names: dict[str, str]) -> None:
    """Rename components (``Money-Input`` -> ``MoneyInput``) and every reference to them."""
    if not names:
        return
    schemas = document["components"]["schemas"]
    for old, new in names.items():
        if new in schemas:
            raise SchemaNameError(f"two different schemas are named {new}")
        schemas[new] = schemas.pop(old)
    refs = {REF_TEMPLATE.format(model=old): REF_TEMPLATE.format(model=new) for old, new in names.items()}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in refs:
                node["$ref"] = refs[ref]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
