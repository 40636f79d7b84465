"""Forecast shell: priors and history files, the synthetic history, and the backtest acceptance criteria."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from app.backtest_command import add_parser, run_backtest
from app.contract_files import ContractFileError
from app.engine.contract import Segment
from app.engine.projection import backtest
from app.forecasting import DEFAULT_PRIORS_PATH, load_history, load_priors
from app.synthetic import _curve, synthetic_history, synthetic_portfolio

LEADS = (60, 30, 14, 0)


def test_the_default_priors_cover_every_segment_with_the_domain_band() -> None:
    priors = load_priors()
    assert set(priors.segments) == set(Segment)
    assert priors.band_coverage_pct == 80
    for prior in priors.segments.values():
        band = {p.days_before_arrival: p.pct for p in prior.band}
        assert band == {60: 40, 30: 30, 0: 12.5}  # docs/rules.md §6
        assert prior.source


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "segments:\n  other:\n    wash_pct: 150\n    booking_curve: []\n    band: []\n",
            3,
            "less than or equal to 100",
        ),
        (
            "min_history_blocks: 10\nsegments:\n  association:\n    wash_pct: 10\n",
            3,
            "Field required",
        ),
        (
            "segments: {other: {wash_pct: 10, booking_curve: [{days_before_arrival: 30}], band: []}}\n",
            1,
            "Field required",
        ),
        ("segments:\n  other: [1\n", 3, "YAML syntax error"),
        ("min_history_blocks: 10\nsegments: {}\n", 2, "segments must include 'other'"),
    ],
)
def test_priors_file_problems_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "priors.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContractFileError) as caught:
        load_priors(path)
    assert any(p.line == line and message in p.message for p in caught.value.problems), caught.value.problems


def test_history_files_load_and_locate_problems(tmp_path: Path) -> None:
    good = tmp_path / "history.yaml"
    good.write_text(
        "blocks:\n  - {segment: wedding, block_room_nights: 40, final_room_nights: 30,\n"
        "     on_the_books: [{days_before_arrival: 30, room_nights: 20}]}\n",
        encoding="utf-8",
    )
    (block,) = load_history(good)
    assert block.segment is Segment.WEDDING
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "blocks:\n  - {block_room_nights: 0, final_room_nights: 1, on_the_books: []}\n", encoding="utf-8"
    )
    with pytest.raises(ContractFileError) as caught:
        load_history(bad)
    assert {p.line for p in caught.value.problems} == {2}


def test_the_synthetic_history_is_deterministic_by_seed() -> None:
    assert synthetic_history(50, 4) == synthetic_history(50, 4)
    assert synthetic_history(50, 4) != synthetic_history(50, 5)
    for block in synthetic_history(200, 4):
        assert block.final_room_nights <= block.block_room_nights * 1.1
        assert {p.days_before_arrival for p in block.on_the_books} >= set(LEADS)
    portfolio = synthetic_portfolio(20, 1)
    assert [c.id for c, _ in portfolio] == [c.id for c, _ in synthetic_portfolio(20, 1)]
    assert all(snapshot.days_before_arrival == 30 for _, snapshot in portfolio)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_backtest_band_holds_75_to_85_pct_and_beats_final_equals_block(seed: int) -> None:
    """The acceptance criteria: coverage 75-85 % at 60/30/14/0 days, and better than final = block."""
    report = backtest(synthetic_history(1000, seed), load_priors(DEFAULT_PRIORS_PATH), LEADS)
    for lead in report.leads:
        assert lead.blocks == 1000
        assert 75 <= lead.coverage_pct <= 85, lead
        assert lead.mape_pct < lead.block_mape_pct, lead


def test_backtest_command_prints_the_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run_backtest(["--synthetic", "300", "--seed", "2", "--lead-times", "30,0"]) == 0
    out = capsys.readouterr().out
    assert "300 synthetic blocks (seed 2)" in out
    assert "band coverage" in out
    assert "MAPE final=block" in out
    assert "has the lowest leave-one-out error" in out
    assert "MAE / block revenue" in out
    assert "Brier" in out
    assert "booking_curve" not in out
    assert "historical_wash" not in out
    cheaper = run_backtest(["--synthetic", "300", "--seed", "2", "--lead-times", "30", "--rate", "100"])
    assert cheaper == 0
    history = tmp_path / "history.json"
    history.write_text(
        '{"blocks": [{"block_room_nights": 40, "final_room_nights": 30,'
        ' "on_the_books": [{"days_before_arrival": 30, "room_nights": 20}]}]}',
        encoding="utf-8",
    )
    assert run_backtest([str(history), "--folds", "2"]) == 0
    assert "1 blocks from" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "code", "error"),
    [
        (["--synthetic", "0"], 2, "--synthetic needs at least 1 block"),
        (["--synthetic", "5", "--folds", "1"], 2, "--folds needs at least 2"),
        (["--synthetic", "5", "--lead-times", "a,b"], 2, "not a list of days"),
        (["--synthetic", "5", "--lead-times", "-3"], 2, "never negative"),
        (["--synthetic", "5", "--rate", "0"], 2, "outside 0.01-100000"),
        (["--synthetic", "5", "--performance", "abc"], 2, "not a number"),
        (["missing.yaml"], 1, "missing.yaml: no such file"),
        ([], 2, "required"),
    ],
)
def test_backtest_command_refuses_bad_input(
    capsys: pytest.CaptureFixture[str], argv: list[str], code: int, error: str
) -> None:
    assert run_backtest(argv) == code
    assert error in capsys.readouterr().err


def test_backtest_wires_into_a_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="attrition")
    commands = parser.add_subparsers()
    add_parser(commands)
    args = parser.parse_args(["backtest", "--synthetic", "40", "--lead-times", "14"])
    assert args.command(args) == 0
    assert "40 synthetic blocks" in capsys.readouterr().out


def test_synthetic_curves_are_flat_beyond_their_points() -> None:
    assert _curve({0: 100, 60: 50}, 400) == 50
    assert _curve({0: 100, 60: 50}, 30) == 75


def test_attrition_command_runs_the_backtest(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    assert main(["backtest", "--synthetic", "200", "--seed", "3", "--lead-times", "30"]) == 0
    out = capsys.readouterr().out
    assert "MAPE chosen" in out
    assert "band coverage" in out
