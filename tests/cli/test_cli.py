"""The ``attrition`` command, run in-process through ``main`` (and once as the installed script)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.cli import main, schema_text
from app.documents import ContractDocument

REPO = Path(__file__).resolve().parents[2]

# docs/rules.md W2: 50 rooms × 2 nights at 189.00, 85 % performance, 80 % damages, per night, 38 picked up
# each night. Minimum ceil(42.5) = 43, 5 short each night: 2 × 5 × 189.00 × 80 % = 1,512.00.
W2_CONTRACT = """\
contract:
  id: w2-sample
  name: Example sales meeting
  property: {name: Hotel Example, locale: en}
  group: {name: Example Group}
  currency: USD
  arrival_date: 2026-05-10
  departure_date: 2026-05-12
  block:
    - {night: 2026-05-10, room_type: king, rooms: 50, rate: "189.00"}
    - {night: 2026-05-11, room_type: king, rooms: 50, rate: "189.00"}
  attrition: {performance_pct: 85, damages_pct: 80, evaluation_mode: per_night}
"""
W2_ACTUALS = """\
pickup:
  - {night: 2026-05-10, room_type: king, room_nights: 38}
  - {night: 2026-05-11, room_type: king, room_nights: 38}
"""
W2_DOCUMENT = W2_CONTRACT + "actuals:\n" + textwrap.indent(W2_ACTUALS, "  ") + "as_of: 2026-06-01\n"
PICKUP_LINE = 16  # the second pickup entry in W2_DOCUMENT


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assess_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Any:
    code, out, err = run(capsys, "assess", *argv, "--format", "json")
    assert (code, err) == (0, "")
    return json.loads(out)


# --- check -------------------------------------------------------------------------------------


def test_check_valid_files_prints_ok_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml_file = write(tmp_path, "w2.yaml", W2_DOCUMENT)
    contract_only = write(tmp_path, "contract.yaml", W2_CONTRACT)

    code, out, err = run(capsys, "check", yaml_file, contract_only)

    assert (code, err) == (0, "")
    assert out == f"ok {yaml_file}\nok {contract_only}\n"


def test_check_invalid_file_prints_each_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, "good.yaml", W2_DOCUMENT)
    bad = write(
        tmp_path,
        "bad.yaml",
        W2_DOCUMENT.replace("performance_pct: 85", "performance_pct: 185").replace('"189.00"}', "189.00}", 1),
    )

    code, out, err = run(capsys, "check", bad, good)

    assert code == 1
    assert out == f"ok {good}\n"
    assert err.splitlines() == [
        f"{bad}:10: contract.block[0].rate: money must be quoted: write the amount as a string, for example "
        '"189.00"; unquoted numbers in YAML and JSON files are read as binary floats, which are not exact',
        f"{bad}:12: contract.attrition.performance_pct: Input should be less than or equal to 100",
    ]


def test_check_missing_file_exits_1_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "check", tmp_path / "missing.yaml")

    assert (code, out) == (1, "")
    assert err == f"{tmp_path / 'missing.yaml'}: no such file\n"


def test_check_reports_a_clause_the_engine_cannot_compute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = W2_DOCUMENT.replace(
        "{night: 2026-05-11, room_type: king, room_nights: 38}",
        "{night: 2026-05-20, room_type: king, room_nights: 38}",
    )
    path = write(tmp_path, "stray-night.yaml", text)

    code, out, err = run(capsys, "check", path)

    assert (code, out) == (1, "")
    assert err.startswith(
        f"{path}:{PICKUP_LINE}: actuals.pickup[1].night: 2026-05-20 is not a night of the block"
    )


def test_check_reports_a_locale_babel_does_not_know(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "locale.yaml", W2_DOCUMENT.replace("locale: en", "locale: xx"))

    code, _, err = run(capsys, "check", path)

    assert code == 1
    assert err.startswith(f"{path}:4: contract.property.locale: unknown locale 'xx'")


def test_check_without_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check")

    assert code == 2
    assert "the following arguments are required: FILE" in err


# --- assess ------------------------------------------------------------------------------------


def test_assess_json_total_is_the_hand_computed_w2_damages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = assess_json(capsys, write(tmp_path, "w2.yaml", W2_DOCUMENT))

    assert result["total"] == {"amount": "1512.00", "currency": "USD"}
    assert [line["amount"] for line in result["lines"]] == [
        {"amount": "756.00", "currency": "USD"},
        {"amount": "756.00", "currency": "USD"},
    ]
    assert (result["contract_id"], result["as_of"], result["remedy"]) == (
        "w2-sample",
        "2026-06-01",
        "attrition",
    )
    # 5 short each night (43 − 38), priced at 189.00, 80 % damages: named inputs as a JSON object.
    assert result["lines"][0]["inputs"] == {"room_nights": "5", "damage_rate": "189.00", "damages_pct": "80"}


def test_assess_json_contract_file_gives_the_same_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cell = {"room_type": "king", "rooms": 50, "rate": "189.00"}
    document = {
        "contract": {
            "id": "w2-sample",
            "property": {"name": "Hotel Example"},
            "group": {"name": "Example Group"},
            "currency": "USD",
            "arrival_date": "2026-05-10",
            "departure_date": "2026-05-12",
            "block": [{"night": "2026-05-10", **cell}, {"night": "2026-05-11", **cell}],
            "attrition": {"performance_pct": 85, "damages_pct": 80, "evaluation_mode": "per_night"},
        },
        "actuals": {
            "pickup": [
                {"night": night, "room_type": "king", "room_nights": 38}
                for night in ("2026-05-10", "2026-05-11")
            ]
        },
        "as_of": "2026-06-01",
    }
    path = write(tmp_path, "w2.json", json.dumps(document, indent=2))

    assert assess_json(capsys, path)["total"] == {"amount": "1512.00", "currency": "USD"}


def test_assess_text_shows_lines_steps_total_and_terms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "assess", write(tmp_path, "w2.yaml", W2_DOCUMENT))

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:5] == [
        "Contract  Example sales meeting (w2-sample)",
        "Property  Hotel Example",
        "Group     Example Group",
        "As of     2026-06-01 (final)",
        "Remedy    attrition",
    ]
    assert "Room attrition, night of May 10, 2026    $756.00" in lines
    assert "    Minimum = 85% × 50 = 42.5, rounded up: 43 room nights." in lines
    assert "Total                                  $1,512.00" in lines
    assert "  - The minimum is rounded up to a whole room night. (default)" in lines
    assert "  - The group pays 80% of the lost rate per unused room night." in lines
    # An assumption reads as its sentence, never as the term's identifier and value.
    assumptions = lines[lines.index("Assumptions (terms the contract left to the default)") :]
    assert "  - The minimum is rounded up to a whole room night." in assumptions
    assert not any("attrition.minimum_rounding" in line for line in lines)
    for title in ("Terms that decided it", "Warnings", "Conditions"):
        assert title in lines
    assert lines[-1] == "  (none)"  # no conditions


def test_assess_text_formats_money_in_the_property_locale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = W2_DOCUMENT.replace("locale: en", "locale: fr").replace("  name: Example sales meeting\n", "")

    code, out, _ = run(capsys, "assess", write(tmp_path, "fr.yaml", text))

    assert code == 0
    assert out.startswith("Contract  w2-sample\n")
    assert "Total                                 1\u202f512,00\xa0$US" in out.splitlines()


def test_assess_with_separate_actuals_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contract = write(tmp_path, "contract.yaml", W2_CONTRACT + "as_of: 2026-06-01\n")
    actuals = write(tmp_path, "actuals.yaml", W2_ACTUALS.replace("38}", "40}", 1))

    result = assess_json(capsys, contract, "--actuals", actuals)

    # Night 1 is 3 short, night 2 is 5 short: 8 × 189.00 × 80 % = 1,209.60.
    assert result["total"] == {"amount": "1209.60", "currency": "USD"}


def test_assess_actuals_file_replaces_the_document_actuals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full_pickup = W2_ACTUALS.replace("38}", "50}")
    actuals = write(tmp_path, "actuals.yaml", full_pickup)

    result = assess_json(capsys, write(tmp_path, "w2.yaml", W2_DOCUMENT), "--actuals", actuals)

    assert result["total"] == {"amount": "0.00", "currency": "USD"}


def test_assess_without_actuals_assumes_no_pickup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = assess_json(capsys, write(tmp_path, "contract.yaml", W2_CONTRACT + "as_of: 2026-06-01\n"))

    # Nothing picked up: 43 short each night, 86 × 189.00 × 80 % = 13,003.20.
    assert result["total"] == {"amount": "13003.20", "currency": "USD"}


def test_assess_as_of_option_overrides_the_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = assess_json(capsys, write(tmp_path, "w2.yaml", W2_DOCUMENT), "--as-of", "2026-05-11")

    assert (result["as_of"], result["is_final"]) == ("2026-05-11", False)
    assert any(warning.startswith("Provisional: 2026-05-11") for warning in result["warnings"])


def test_assess_without_any_as_of_uses_today(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = date.today()
    result = assess_json(capsys, write(tmp_path, "contract.yaml", W2_CONTRACT))

    assert result["as_of"] in {before.isoformat(), date.today().isoformat()}


def test_assess_malformed_as_of_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "assess", write(tmp_path, "w2.yaml", W2_DOCUMENT), "--as-of", "2026-13-01")

    assert (code, out) == (2, "")
    assert "argument --as-of: '2026-13-01' is not a date (YYYY-MM-DD)" in err


def test_assess_invalid_file_prints_problems_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, "dup.yaml", W2_DOCUMENT.replace("  currency: USD\n", "  currency: USD\n  currency: EUR\n")
    )

    code, out, err = run(capsys, "assess", path)

    assert (code, out) == (1, "")
    assert err.startswith(f"{path}:7: contract.currency: duplicate key 'currency' (first on line 6)")


def test_assess_invalid_actuals_file_names_that_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    actuals = write(tmp_path, "actuals.yaml", W2_ACTUALS.replace("room_nights: 38}", "room_nights: -1}", 1))

    code, _, err = run(capsys, "assess", write(tmp_path, "w2.yaml", W2_DOCUMENT), "--actuals", actuals)

    assert code == 1
    assert err == f"{actuals}:2: pickup[0].room_nights: Input should be greater than or equal to 0\n"


def test_assess_engine_error_in_document_actuals_names_field_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = W2_DOCUMENT.replace(
        "{night: 2026-05-11, room_type: king, room_nights: 38}",
        "{night: 2026-05-20, room_type: king, room_nights: 38}",
    )
    path = write(tmp_path, "stray.yaml", text)

    code, out, err = run(capsys, "assess", path)

    assert (code, out) == (1, "")
    assert err.startswith(f"{path}:{PICKUP_LINE}: actuals.pickup[1].night: 2026-05-20 is not a night")
    assert "Traceback" not in err


def test_assess_engine_error_in_actuals_file_names_that_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    actuals = write(tmp_path, "actuals.yaml", W2_ACTUALS.replace("2026-05-11", "2026-05-20"))

    code, _, err = run(capsys, "assess", write(tmp_path, "w2.yaml", W2_DOCUMENT), "--actuals", actuals)

    assert code == 1
    assert err.startswith(f"{actuals}:3: pickup[1].night: 2026-05-20 is not a night of the block")


def test_assess_engine_error_about_missing_actuals_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = W2_CONTRACT.replace(
        "evaluation_mode: per_night}", "evaluation_mode: per_night, resale_mode: last_room_sold}"
    )
    path = write(tmp_path, "lrs.yaml", text + "as_of: 2026-06-01\n")

    code, _, err = run(capsys, "assess", path)

    assert code == 1
    assert err.startswith(f"{path}: actuals.inventory: last-room-sold resale needs the hotel's unsold rooms")


def test_assess_text_with_unknown_locale_exits_1_but_json_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "locale.yaml", W2_DOCUMENT.replace("locale: en", "locale: xx"))

    code, out, err = run(capsys, "assess", path)
    assert (code, out) == (1, "")
    assert err.startswith(f"{path}:4: contract.property.locale: unknown locale 'xx'")

    assert assess_json(capsys, path)["total"] == {"amount": "1512.00", "currency": "USD"}


def test_assess_with_no_line_items_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = W2_DOCUMENT.replace(
        "  attrition: {performance_pct: 85, damages_pct: 80, evaluation_mode: per_night}\n", ""
    )

    code, out, _ = run(capsys, "assess", write(tmp_path, "no-clause.yaml", text))

    assert code == 0
    assert "No line items." in out.splitlines()
    assert "Total  $0.00" in out.splitlines()
    assert any(line.startswith("  - The contract has no attrition clause") for line in out.splitlines())


def test_assess_text_shows_conditions_and_unapplied_credit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = W2_DOCUMENT.replace(
        "evaluation_mode: per_night}",
        "evaluation_mode: per_night, rebooking_waiver: {within_months: 24}}\n"
        '  deposits:\n    - {received_date: 2026-01-15, amount: "2000.00"}',
    )

    code, out, _ = run(capsys, "assess", write(tmp_path, "deposit.yaml", text))

    assert code == 0
    lines = out.splitlines()
    assert any(
        line.startswith("Deposit received Jan 15, 2026") and line.endswith("-$1,512.00") for line in lines
    )
    assert "Credit not applied                        $488.00" in lines
    conditions = lines[lines.index("Conditions") + 1 :]
    assert conditions[0].startswith("  - 100% of the room attrition damages is credited if the group books")


# --- schema, help and the installed script -------------------------------------------------------


def test_schema_prints_the_models_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")

    assert code == 0
    assert json.loads(out) == ContractDocument.model_json_schema()


def test_committed_schema_matches_the_models() -> None:
    committed = (REPO / "contracts" / "schema.json").read_text(encoding="utf-8")

    assert committed == schema_text(), "regenerate it: uv run attrition schema > contracts/schema.json"


def test_help_lists_commands_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")

    assert code == 0
    for text in (
        "check",
        "assess",
        "schema",
        "exit codes:",
        "0  success",
        "1  invalid input",
        "2  usage error",
    ):
        assert text in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "bill")

    assert code == 2
    assert "invalid choice: 'bill'" in err


def test_installed_console_script_checks_a_file(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "attrition"
    good = write(tmp_path, "w2.yaml", W2_DOCUMENT)
    bad = write(tmp_path, "bad.yaml", W2_DOCUMENT.replace('"189.00"', "189"))

    passed = subprocess.run([script, "check", good], capture_output=True, text=True, check=False)
    failed = subprocess.run([script, "check", bad], capture_output=True, text=True, check=False)

    assert (passed.returncode, passed.stdout) == (0, f"ok {good}\n")
    assert failed.returncode == 1
    assert "money must be quoted" in failed.stderr
    assert "Traceback" not in failed.stderr
