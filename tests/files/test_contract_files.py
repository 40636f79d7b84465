"""Reading contract and actuals files: valid files load, and every problem names file, line and field."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.contract_files import ContractFileError, FileProblem, load_actuals, load_document, problem_at
from app.engine import Money

# docs/rules.md W2. Line numbers below refer to this text: block cells on 9 and 10, attrition on 11.
W2_YAML = """\
contract:
  id: w2-sample
  property: {name: Hotel Example, locale: en}
  group: {name: Example Group}
  currency: USD
  arrival_date: 2026-05-10
  departure_date: 2026-05-12
  block:
    - {night: 2026-05-10, room_type: king, rooms: 50, rate: "189.00"}
    - {night: 2026-05-11, room_type: king, rooms: 50, rate: "189.00"}
  attrition: {performance_pct: 85, damages_pct: 80, evaluation_mode: per_night}
actuals:
  pickup:
    - {night: 2026-05-10, room_type: king, room_nights: 38}
    - {night: 2026-05-11, room_type: king, room_nights: 38}
as_of: 2026-06-01
"""

FIRST_RATE = 'rate: "189.00"}\n    - {night: 2026-05-11'


def w2_data() -> dict[str, Any]:
    """W2 as JSON-ready data (dates and money as strings)."""
    return {
        "contract": {
            "id": "w2-sample",
            "property": {"name": "Hotel Example", "locale": "en"},
            "group": {"name": "Example Group"},
            "currency": "USD",
            "arrival_date": "2026-05-10",
            "departure_date": "2026-05-12",
            "block": [
                {"night": "2026-05-10", "room_type": "king", "rooms": 50, "rate": "189.00"},
                {"night": "2026-05-11", "room_type": "king", "rooms": 50, "rate": "189.00"},
            ],
            "attrition": {"performance_pct": 85, "damages_pct": 80, "evaluation_mode": "per_night"},
        },
        "actuals": {
            "pickup": [
                {"night": "2026-05-10", "room_type": "king", "room_nights": 38},
                {"night": "2026-05-11", "room_type": "king", "room_nights": 38},
            ]
        },
        "as_of": "2026-06-01",
    }


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[FileProblem]:
    with pytest.raises(ContractFileError) as caught:
        load_document(path)
    return caught.value.problems


def only_problem(path: Path) -> FileProblem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


# --- valid files --------------------------------------------------------------------------------


def test_valid_yaml_document_loads_with_money_in_the_contract_currency(tmp_path: Path) -> None:
    document = load_document(write(tmp_path, "w2.yaml", W2_YAML))

    assert document.contract.id == "w2-sample"
    assert document.contract.block[0].rate == Money(Decimal("189.00"), "USD")
    assert document.contract.arrival_date == date(2026, 5, 10)
    assert document.as_of == date(2026, 6, 1)
    assert document.actuals is not None
    assert [entry.room_nights for entry in document.actuals.pickup] == [38, 38]


def test_valid_json_document_loads_the_same_as_yaml(tmp_path: Path) -> None:
    from_json = load_document(write(tmp_path, "w2.json", json.dumps(w2_data(), indent=2)))
    from_yaml = load_document(write(tmp_path, "w2.yaml", W2_YAML))

    assert from_json == from_yaml


def test_yaml_anchors_and_merge_keys_load_and_are_not_duplicates(tmp_path: Path) -> None:
    text = W2_YAML.replace(
        '    - {night: 2026-05-10, room_type: king, rooms: 50, rate: "189.00"}\n'
        '    - {night: 2026-05-11, room_type: king, rooms: 50, rate: "189.00"}\n',
        '    - &cell {night: 2026-05-10, room_type: king, rooms: 50, rate: "189.00"}\n'
        "    - {<<: *cell, night: 2026-05-11}\n",
    )

    document = load_document(write(tmp_path, "merge.yaml", text))

    assert [cell.night for cell in document.contract.block] == [date(2026, 5, 10), date(2026, 5, 11)]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    document = load_document(write(tmp_path, "bom.yaml", "\ufeff".encode() + W2_YAML.encode()))

    assert document.contract.id == "w2-sample"


# --- validation errors: line and field ------------------------------------------------------------


def test_yaml_validation_error_names_line_and_field_path(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", W2_YAML.replace("performance_pct: 85", "performance_pct: 185"))

    problem = only_problem(path)

    assert (problem.line, problem.field) == (11, "contract.attrition.performance_pct")
    assert problem.message == "Input should be less than or equal to 100"
    assert str(problem) == (
        f"{path}:11: contract.attrition.performance_pct: Input should be less than or equal to 100"
    )


def test_json_validation_error_names_line_and_field_path(tmp_path: Path) -> None:
    data = w2_data()
    data["contract"]["block"][1]["rooms"] = -5
    text = json.dumps(data, indent=2)
    expected_line = text.splitlines().index('        "rooms": -5,') + 1

    problem = only_problem(write(tmp_path, "bad.json", text))

    assert (problem.line, problem.field) == (expected_line, "contract.block[1].rooms")
    assert problem.message == "Input should be greater than or equal to 0"


def test_json_indented_with_tabs_still_gets_line_numbers(tmp_path: Path) -> None:
    data = w2_data()
    data["as_of"] = "not a date"
    text = json.dumps(data, indent="\t")

    problem = only_problem(write(tmp_path, "tabs.json", text))

    assert (problem.line, problem.field) == (len(text.splitlines()) - 1, "as_of")


def test_json_that_yaml_cannot_compose_reports_problems_without_lines(tmp_path: Path) -> None:
    # YAML refuses flow keys longer than 1024 characters; JSON does not.
    data = {**w2_data(), "k" * 1100: 1}

    problem = only_problem(write(tmp_path, "long.json", json.dumps(data)))

    assert (problem.line, problem.field) == (None, "k" * 1100)
    assert problem.message == "Extra inputs are not permitted"


def test_missing_required_field_points_at_its_parent_line(tmp_path: Path) -> None:
    text = W2_YAML.replace("{performance_pct: 85, damages_pct: 80", "{damages_pct: 80")

    problem = only_problem(write(tmp_path, "missing.yaml", text))

    assert (problem.line, problem.field, problem.message) == (
        11,
        "contract.attrition.performance_pct",
        "Field required",
    )


def test_missing_top_level_key_has_no_line(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "no-contract.yaml", "as_of: 2026-06-01\n"))

    assert (problem.line, problem.field, problem.message) == (None, "contract", "Field required")
    assert str(problem) == f"{tmp_path / 'no-contract.yaml'}: contract: Field required"


def test_rule_error_message_has_no_pydantic_prefix(tmp_path: Path) -> None:
    text = W2_YAML.replace("  attrition:", "  reduction_rights:\n    - {max_pct: 10}\n  attrition:")

    problem = only_problem(write(tmp_path, "right.yaml", text))

    assert (problem.line, problem.field) == (12, "contract.reduction_rights[0]")
    assert problem.message == "give exactly one of until_date and until_days_before_arrival"


def test_impossible_date_names_its_field_and_line(tmp_path: Path) -> None:
    problem = only_problem(
        write(tmp_path, "date.yaml", W2_YAML.replace("as_of: 2026-06-01", "as_of: 2026-02-30"))
    )

    assert (problem.line, problem.field) == (16, "as_of")
    assert "is not a calendar date" in problem.message


def test_problems_are_listed_in_file_order(tmp_path: Path) -> None:
    text = W2_YAML.replace("performance_pct: 85", "performance_pct: 185").replace("id: w2-sample", "id: W2!")

    problems = problems_of(write(tmp_path, "two.yaml", text))

    assert [(problem.line, problem.field) for problem in problems] == [
        (2, "contract.id"),
        (11, "contract.attrition.performance_pct"),
    ]


def test_error_lists_every_problem_one_per_line(tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", W2_YAML.replace('"189.00"', "189.00"))

    with pytest.raises(ContractFileError) as caught:
        load_document(path)

    assert str(caught.value).splitlines() == [str(problem) for problem in caught.value.problems]
    assert len(caught.value.problems) == 2


# --- money -------------------------------------------------------------------------------------


def test_unquoted_float_money_asks_to_quote_it_on_its_line(tmp_path: Path) -> None:
    text = W2_YAML.replace(FIRST_RATE, FIRST_RATE.replace('"189.00"', "189.00"))

    problem = only_problem(write(tmp_path, "float.yaml", text))

    assert (problem.line, problem.field) == (9, "contract.block[0].rate")
    assert 'money must be quoted: write the amount as a string, for example "189.00"' in problem.message


def test_unquoted_int_money_asks_to_quote_it_on_its_line(tmp_path: Path) -> None:
    text = W2_YAML.replace('rate: "189.00"}\n  attrition', "rate: 189}\n  attrition")

    problem = only_problem(write(tmp_path, "int.yaml", text))

    assert (problem.line, problem.field) == (10, "contract.block[1].rate")
    assert 'money must be quoted: write the amount as a string, for example "189.00"' in problem.message


def test_unquoted_json_number_money_asks_to_quote_it(tmp_path: Path) -> None:
    data = w2_data()
    data["contract"]["block"][0]["rate"] = 189.0

    problem = only_problem(write(tmp_path, "float.json", json.dumps(data, indent=2)))

    assert problem.field == "contract.block[0].rate"
    assert problem.line is not None
    assert "money must be quoted" in problem.message


def test_every_cell_failing_reports_the_cells_not_an_empty_block(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "floats.yaml", W2_YAML.replace('"189.00"', "189.00")))

    assert [problem.field for problem in problems] == ["contract.block[0].rate", "contract.block[1].rate"]


def test_empty_block_is_reported_as_too_short(tmp_path: Path) -> None:
    start = W2_YAML.index("  block:")
    end = W2_YAML.index("  attrition:")
    text = W2_YAML[:start] + "  block: []\n" + W2_YAML[end:]

    problem = only_problem(write(tmp_path, "empty-block.yaml", text))

    assert (problem.line, problem.field) == (8, "contract.block")
    assert "at least" in problem.message


def test_mixed_currency_money_names_the_field(tmp_path: Path) -> None:
    text = W2_YAML.replace('rate: "189.00"}\n  attrition', 'rate: "10.00 EUR"}\n  attrition')

    problem = only_problem(write(tmp_path, "mixed.yaml", text))

    assert (problem.line, problem.field) == (10, "contract.block[1].rate")
    assert problem.message == "mixed currencies: EUR amount in a USD document"


# --- file-level problems -------------------------------------------------------------------------


def test_duplicate_yaml_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path, "dup.yaml", W2_YAML.replace("  currency: USD\n", "  currency: USD\n  currency: EUR\n")
    )

    problem = only_problem(path)

    assert (problem.line, problem.field) == (6, "contract.currency")
    assert problem.message.startswith("duplicate key 'currency' (first on line 5)")


def test_duplicate_json_key_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.json", '{\n  "as_of": "2026-06-01",\n  "as_of": "2026-06-02"\n}\n')

    problem = only_problem(path)

    assert (problem.line, problem.field) == (3, "as_of")
    assert problem.message.startswith("duplicate key 'as_of' (first on line 2)")


def test_duplicate_json_key_is_refused_even_without_lines(tmp_path: Path) -> None:
    text = '{"as_of": "2026-06-01", "as_of": "2026-06-02", "' + "k" * 1100 + '": 1}'

    problem = only_problem(write(tmp_path, "dup-long.json", text))

    assert (problem.line, problem.field) == (None, "")
    assert problem.message.startswith("duplicate key 'as_of':")


def test_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    text = W2_YAML.replace("group: {name: Example Group}", "group: {name: Example Group")

    problem = only_problem(write(tmp_path, "syntax.yaml", text))

    assert (problem.line, problem.field) == (5, "")
    assert problem.message == (
        "YAML syntax error: expected ',' or '}', but got ':' (while parsing a flow mapping started on line 4)"
    )


def test_several_yaml_documents_in_one_file_are_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "two-docs.yaml", W2_YAML + "---\nas_of: 2026-06-02\n"))

    assert problem.line == 17
    assert problem.message == (
        "YAML syntax error: expected a single document in the stream on line 1, but found another document"
    )


def test_unknown_yaml_tag_is_refused_with_its_line(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "tag.yaml", W2_YAML.replace("id: w2-sample", "id: !secret x")))

    assert (problem.line, problem.message) == (
        2,
        "cannot read value: could not determine a constructor for the tag '!secret'",
    )


def test_yaml_value_that_its_tag_cannot_build_is_refused_with_its_line(tmp_path: Path) -> None:
    problem = only_problem(
        write(tmp_path, "int.yaml", W2_YAML.replace("rooms: 50, rate", "rooms: !!int many, rate", 1))
    )

    assert (problem.line, problem.message) == (
        9,
        "cannot read value: invalid literal for int() with base 10: 'many'",
    )


def test_control_character_in_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "ctrl.yaml", W2_YAML.replace("Example Group", "Example\x07Group")))

    assert (problem.line, problem.message) == (
        4,
        "unacceptable character #x0007: special characters are not allowed",
    )


def test_json_syntax_error_names_its_line(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "syntax.json", '{\n  "as_of": "2026-06-01",\n}\n'))

    assert (problem.line, problem.field) == (3, "")
    assert problem.message == "invalid JSON: Expecting property name enclosed in double quotes (column 1)"


@pytest.mark.parametrize("name", ["deep.yaml", "deep.json"])
def test_absurdly_nested_file_is_refused(tmp_path: Path, name: str) -> None:
    problem = only_problem(write(tmp_path, name, '{"a": ' + "[" * 5000 + "]" * 5000 + "}"))

    assert problem.message == "is nested too deeply"


def test_recursive_yaml_alias_does_not_hang(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "loop.yaml", W2_YAML + "loop: &loop [*loop]\n"))

    assert [(problem.line, problem.field) for problem in problems] == [(17, "loop")]


def test_missing_file_is_reported_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    problem = only_problem(path)

    assert str(problem) == f"{path}: no such file"


def test_directory_is_not_a_contract_file(tmp_path: Path) -> None:
    assert only_problem(tmp_path).message == "is a directory, not a contract file"


def test_unreadable_path_is_reported(tmp_path: Path) -> None:
    parent = write(tmp_path, "plain.yaml", W2_YAML)

    problem = only_problem(parent / "child.yaml")

    assert problem.message == "cannot be read: Not a directory"


def test_bytes_that_are_not_utf8_are_reported_with_their_line(tmp_path: Path) -> None:
    data = W2_YAML.replace("Hotel Example", "Hôtel Example").encode("latin-1")

    problem = only_problem(write(tmp_path, "latin1.yaml", data))

    assert problem.line == 3
    assert problem.message.startswith("is not UTF-8 text")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("  \n\n", "the file is empty"),
        ("# nothing yet\n", "the file is empty (it holds only comments)"),
    ],
)
def test_empty_file_is_reported(tmp_path: Path, text: str, message: str) -> None:
    problem = only_problem(write(tmp_path, "empty.yaml", text))

    assert (problem.line, problem.message) == (None, message)


@pytest.mark.parametrize(
    ("name", "text", "line", "kind"),
    [
        ("list.yaml", "# a list\n- contract\n", 2, "a list"),
        ("scalar.yaml", "contract\n", 1, "a single value"),
        ("list.json", "\n[1, 2]", 2, "a list"),
        ("null.json", "null", 1, "a single value"),
    ],
)
def test_top_level_that_is_not_a_mapping_is_refused(
    tmp_path: Path, name: str, text: str, line: int, kind: str
) -> None:
    problem = only_problem(write(tmp_path, name, text))

    assert (problem.line, problem.message) == (
        line,
        f"the top level must be a mapping (contract: ...), not {kind}",
    )


# --- actuals files -------------------------------------------------------------------------------


ACTUALS_YAML = """\
pickup:
  - {night: 2026-05-10, room_type: king, room_nights: 38}
  - {night: 2026-05-11, room_type: king, room_nights: 38}
fnb_spend:
  - {category: banquet_food, amount: "70000.00"}
"""


def test_actuals_file_bare_amounts_take_the_given_currency(tmp_path: Path) -> None:
    actuals = load_actuals(write(tmp_path, "actuals.yaml", ACTUALS_YAML), "USD")

    assert actuals.fnb_spend[0].amount == Money(Decimal("70000.00"), "USD")
    assert [entry.room_nights for entry in actuals.pickup] == [38, 38]


def test_actuals_file_amount_in_another_currency_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "actuals.yaml", ACTUALS_YAML.replace('"70000.00"', '"70000.00 EUR"'))

    with pytest.raises(ContractFileError) as caught:
        load_actuals(path, "USD")

    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (5, "fnb_spend[0].amount")
    assert problem.message == "mixed currencies: EUR amount in a USD document"


def test_actuals_file_declaring_another_currency_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "actuals.yaml", "currency: EUR\n" + ACTUALS_YAML)

    with pytest.raises(ContractFileError) as caught:
        load_actuals(path, "USD")

    assert [problem.message for problem in caught.value.problems] == [
        "mixed currencies: EUR actuals for a USD contract"
    ]


def test_actuals_file_that_is_a_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContractFileError) as caught:
        load_actuals(write(tmp_path, "actuals.yaml", "- 38\n"), "USD")

    assert caught.value.problems[0].message == "the top level must be a mapping (pickup: ...), not a list"


# --- locating a field named elsewhere (engine errors) ---------------------------------------------


def test_problem_at_finds_the_line_of_a_dotted_field(tmp_path: Path) -> None:
    path = write(tmp_path, "w2.yaml", W2_YAML)

    problem = problem_at(path, "actuals.pickup[1].night", "not a night of the block")

    assert str(problem) == f"{path}:15: actuals.pickup[1].night: not a night of the block"


def test_problem_at_a_field_the_file_does_not_write_points_at_its_parent(tmp_path: Path) -> None:
    problem = problem_at(write(tmp_path, "w2.yaml", W2_YAML), "actuals.inventory", "needed")

    assert problem.line == 12


def test_problem_at_a_field_under_no_written_key_has_no_line(tmp_path: Path) -> None:
    text = W2_YAML[: W2_YAML.index("actuals:")]

    problem = problem_at(write(tmp_path, "no-actuals.yaml", text), "actuals.inventory", "needed")

    assert problem.line is None


def test_problem_at_in_a_file_that_no_longer_reads_has_no_line(tmp_path: Path) -> None:
    problem = problem_at(tmp_path / "gone.yaml", "actuals.inventory", "needed")

    assert (problem.line, problem.field) == (None, "actuals.inventory")


def test_problem_without_a_field_prints_file_and_message(tmp_path: Path) -> None:
    assert str(problem_at(tmp_path / "gone.yaml", "", "boom")) == f"{tmp_path / 'gone.yaml'}: boom"


_COMPONENT_TIERS = """\
  cancellation:
    tiers:
      - {min_days: 120, pct: 80, component_pct: {fnb_minimum: PCT}}
      - {min_days: 0, max_days: 119, pct: 100}
    base:
      - {kind: room_revenue}
BASE_MORE
"""


@pytest.mark.parametrize(
    ("pct", "base_more", "field", "message"),
    [
        pytest.param(
            "100",
            "",
            "contract.cancellation.tiers[0].component_pct.fnb_minimum",
            "'fnb_minimum' is not a component of the cancellation base: add it to base or remove it here",
            id="component-not-in-the-base",
        ),
        pytest.param(
            "120",
            "      - {kind: fnb_minimum}",
            "contract.cancellation.tiers[0].component_pct.fnb_minimum",
            "Input should be less than or equal to 100",
            id="pct-above-100",
        ),
    ],
)
def test_a_bad_per_component_tier_pct_names_its_line_and_path(
    tmp_path: Path, pct: str, base_more: str, field: str, message: str
) -> None:
    clause = _COMPONENT_TIERS.replace("PCT", pct).replace(
        "BASE_MORE\n", base_more + "\n" if base_more else ""
    )
    text = W2_YAML.replace("actuals:\n", f'  fnb: {{minimum: "5000.00"}}\n{clause}actuals:\n')

    problem = only_problem(write(tmp_path, "tiers.yaml", text))

    assert (problem.line, problem.field, problem.message) == (15, field, message)  # the tier's own line


def test_a_per_component_tier_loads_from_yaml(tmp_path: Path) -> None:
    clause = _COMPONENT_TIERS.replace("PCT", "100").replace("BASE_MORE", "      - {kind: fnb_minimum}")
    text = W2_YAML.replace("actuals:\n", f'  fnb: {{minimum: "5000.00"}}\n{clause}actuals:\n')

    contract = load_document(write(tmp_path, "tiers.yaml", text)).contract

    assert contract.cancellation is not None
    assert contract.cancellation.tiers[0].pct_for(contract.cancellation.base[1].kind) == Decimal(100)
    assert contract.cancellation.tiers[0].pct_for(contract.cancellation.base[0].kind) == Decimal(80)
