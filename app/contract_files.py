"""Contract files (YAML or JSON) into engine models, every problem located by file, line and field.

The engine models are strict inside and validated with ``strict=False`` here, at the file boundary.
A ``.json`` file is parsed by :mod:`json` (so its syntax errors are JSON's), anything else as YAML.
Line numbers come from PyYAML's node tree, which JSON also composes into.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.documents import ContractDocument
from app.engine.actuals import Actuals
from app.engine.money import currency_scope
from app.validation import error_message, field_text

DataPath = tuple[Hashable, ...]
Model = TypeVar("Model", bound=BaseModel)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class FileProblem:
    """One thing wrong with a file; ``field`` is empty for problems with the file as a whole."""

    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ContractFileError(Exception):
    """A contract or actuals file that cannot be read or does not validate."""

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def load_document(path: Path) -> ContractDocument:
    """Read and validate a contract file: ``contract`` and optionally ``actuals``, ``as_of``, ``expected``."""
    return _validate(path, _parse(path), ContractDocument, "contract: ...")


def load_actuals(path: Path, currency: str) -> Actuals:
    """Read and validate an actuals file; bare amounts such as ``"70000.00"`` take ``currency``."""
    parsed = _parse(path)
    with currency_scope(currency):
        return _validate(path, parsed, Actuals, "pickup: ...")


def load_file(path: Path, model: type[Model], example: str) -> Model:
    """Read and validate any YAML or JSON file into ``model``, problems located by line and field."""
    return _validate(path, _parse(path), model, example)


def problem_at(path: Path, field: str, message: str) -> FileProblem:
    """A problem at ``field`` (``"actuals.pickup[3].night"``) of ``path``, with its line if it has one."""
    try:
        lines = _parse(path).lines
    except ContractFileError:
        lines = {}
    return FileProblem(str(path), _line_of(lines, _field_path(field)), field, message)


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parsed:
    data: object
    root_line: int | None
    lines: dict[DataPath, int]


def _parse(path: Path) -> _Parsed:
    shown = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _file_error(shown, None, "no such file") from None
    except IsADirectoryError:
        raise _file_error(shown, None, "is a directory, not a contract file") from None
    except OSError as error:
        raise _file_error(shown, None, f"cannot be read: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise _file_error(shown, line, f"is not UTF-8 text ({error.reason} at byte {error.start})") from None
    if not text.strip():
        raise _file_error(shown, None, "the file is empty")
    if path.suffix.lower() == ".json":
        return _parse_json(shown, text)
    return _parse_yaml(shown, text)


def _parse_yaml(shown: str, text: str) -> _Parsed:
    try:
        loader = _Loader(text)
    except yaml.YAMLError as error:
        raise ContractFileError([_yaml_problem(shown, text, error)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise _file_error(shown, None, "the file is empty (it holds only comments)")
        lines, duplicates = _map_lines(loader, node, shown)
        data = loader.construct_document(node)
    except yaml.YAMLError as error:
        raise ContractFileError([_yaml_problem(shown, text, error)]) from None
    except RecursionError:
        raise _file_error(shown, None, "is nested too deeply") from None
    finally:
        loader.dispose()
    if duplicates:
        raise ContractFileError(duplicates)
    return _Parsed(data, node.start_mark.line + 1, lines)


def _parse_json(shown: str, text: str) -> _Parsed:
    repeated: list[str] = []

    def keep_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        for key, value in pairs:
            if key in mapping:
                repeated.append(key)
            mapping[key] = value
        return mapping

    try:
        data = json.loads(text, object_pairs_hook=keep_pairs)
    except json.JSONDecodeError as error:
        raise _file_error(shown, error.lineno, f"invalid JSON: {error.msg} (column {error.colno})") from None
    except RecursionError:
        raise _file_error(shown, None, "is nested too deeply") from None
    # JSON strings cannot hold a raw tab, so tabs are whitespace, which YAML's flow syntax refuses.
    try:
        lines, duplicates, root_line = _json_lines(shown, text.replace("\t", " "))
    except (yaml.YAMLError, RecursionError):
        lines, root_line = {}, None
        duplicates = [_duplicate(shown, None, "", key, None) for key in repeated]
    if duplicates:
        raise ContractFileError(duplicates)
    return _Parsed(data, root_line, lines)


def _json_lines(shown: str, text: str) -> tuple[dict[DataPath, int], list[FileProblem], int]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        assert node is not None  # json.loads accepted a text that is not blank
        lines, duplicates = _map_lines(loader, node, shown)
        return lines, duplicates, node.start_mark.line + 1
    finally:
        loader.dispose()


class _Loader(yaml.SafeLoader):
    """SafeLoader whose construction errors carry the line of the node that caused them."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as error:
            # e.g. `!!int abc`: PyYAML raises a bare ValueError that names no line.
            raise yaml.constructor.ConstructorError(None, None, str(error), node.start_mark) from None


# Dates stay text, so pydantic parses them and reports a bad one (2026-02-30) with its field and line;
# PyYAML's own date constructor raises a ValueError that names neither.
def _timestamp_as_text(loader: _Loader, node: yaml.Node) -> str:
    return loader.construct_yaml_str(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _map_lines(loader: _Loader, root: yaml.Node, shown: str) -> tuple[dict[DataPath, int], list[FileProblem]]:
    """The 1-based line of every mapping key and list item, and the keys a mapping repeats."""
    lines: dict[DataPath, int] = {}
    duplicates: list[FileProblem] = []
    visited: set[int] = set()

    def walk(node: yaml.Node, path: DataPath) -> None:
        # An alias shares its anchor's node: map it once, and never loop on a recursive one.
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Hashable, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = loader.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in first_line:
                    duplicates.append(_duplicate(shown, line, field_text((*path, key)), key, first_line[key]))
                    continue
                first_line[key] = line
                lines[(*path, key)] = line
                walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[(*path, index)] = item.start_mark.line + 1
                walk(item, (*path, index))

    walk(root, ())
    return lines, duplicates


def _duplicate(shown: str, line: int | None, field: str, key: object, first: int | None) -> FileProblem:
    # Refused because YAML and JSON parsers silently keep the last value, hiding the first.
    where = f" (first on line {first})" if first is not None else ""
    return FileProblem(shown, line, field, f"duplicate key {key!r}{where}: each key may appear only once")


def _yaml_problem(shown: str, text: str, error: yaml.YAMLError) -> FileProblem:
    if isinstance(error, yaml.reader.ReaderError):
        line = text[: error.position].count("\n") + 1
        return FileProblem(shown, line, "", f"unacceptable character #x{error.character:04x}: {error.reason}")
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        kind = (
            "cannot read value"
            if isinstance(error, yaml.constructor.ConstructorError)
            else "YAML syntax error"
        )
        message = error.problem or error.context
        if error.problem and error.context:
            started = f" on line {error.context_mark.line + 1}" if error.context_mark else ""
            if error.context.startswith("while "):
                message = f"{error.problem} ({error.context} started{started})"
            else:
                message = f"{error.context}{started}, {error.problem}"
        return FileProblem(shown, mark.line + 1 if mark else None, "", f"{kind}: {message}")
    return FileProblem(shown, None, "", f"YAML error: {error}")  # pragma: no cover - PyYAML raises the above


# --- validating --------------------------------------------------------------------------------


def _validate(path: Path, parsed: _Parsed, model: type[Model], example: str) -> Model:
    shown = str(path)
    if not isinstance(parsed.data, dict):
        kind = "a list" if isinstance(parsed.data, list) else "a single value"
        raise _file_error(shown, parsed.root_line, f"the top level must be a mapping ({example}), not {kind}")
    try:
        return model.model_validate(parsed.data, strict=False)
    except ValidationError as error:
        problems = [_validation_problem(shown, parsed.lines, detail) for detail in error.errors()]
        problems.sort(key=lambda problem: (problem.line is None, problem.line or 0))
        raise ContractFileError(problems) from None


def _validation_problem(shown: str, lines: dict[DataPath, int], detail: ErrorDetails) -> FileProblem:
    loc = tuple(detail["loc"])
    return FileProblem(shown, _line_of(lines, loc), field_text(loc), error_message(detail))


def _line_of(lines: dict[DataPath, int], loc: DataPath) -> int | None:
    """The line of the deepest part of ``loc`` written in the file (a missing key: its parent's)."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _field_path(text: str) -> DataPath:
    return tuple(int(index) if index else name for name, index in _FIELD_PART.findall(text))


def _file_error(shown: str, line: int | None, message: str) -> ContractFileError:
    return ContractFileError([FileProblem(shown, line, "", message)])
