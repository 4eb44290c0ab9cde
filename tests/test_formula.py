"""CSV injection: every CSV voc writes defuses cells a spreadsheet would run; Parquet stays raw."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from voc._formula import guard, unguard
from voc.cli import app

FORMULA = '=HYPERLINK("http://x","y")'
REJECTED = "@SUM(1)"
SAVED = '=HYPERLINK("[URL]","y") the delivery was late'  # the text as stored: the URL redacted, "=" kept


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "'=x", "''@x", "'plain", "plain", ""])
def test_guard_round_trips(value: str) -> None:
    assert unguard(guard(value)) == value
    assert not guard(value).lstrip("'").startswith(("=", "+", "-", "@", "\t", "\r")) or guard(value)[0] == "'"


def test_guard_leaves_safe_values_and_numbers_alone() -> None:
    assert guard("great service") == "great service"
    assert guard(-3.5) == -3.5 and guard(None) is None


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [c for row in csv.reader(fh) for c in row]


@pytest.fixture
def hostile_csv(tmp_path: Path) -> Path:
    p = tmp_path / "hostile.csv"
    p.write_text("id,text\nh1,\"" + FORMULA.replace('"', '""') + " the delivery was late\"\n"
                 f"{REJECTED},one field,too many\nh3,Great support from the team\n", encoding="utf-8")
    return p


def _is_number(c: str) -> bool:
    try:
        float(c)
    except ValueError:
        return False
    return True


def _no_raw_trigger(path: Path) -> None:
    """No text cell starts with a trigger (a negative number is a number, not a formula)."""
    bad = [c for c in _cells(path) if c.startswith(("=", "+", "-", "@", "\t", "\r")) and not _is_number(c)]
    assert not bad, f"{path.name}: {bad}"


def test_analysis_csvs_quote_formulas_and_parquet_keeps_them(fitted, hostile_csv: Path, tmp_path: Path) -> None:
    from voc.io import read_feedback
    from voc.io.mapping import ColumnMapping
    from voc.outputs import load_analysis

    analyzer = fitted[0]
    analysis = analyzer.transform(read_feedback(hostile_csv, ColumnMapping(text="text", id="id")))
    analysis.themes = analysis.themes.copy()
    analysis.themes["label"] = analysis.themes["label"].astype(object)
    analysis.themes.loc[analysis.themes.index[0], "label"] = FORMULA
    out = analysis.write(tmp_path / "out", report=False)

    rejects = _cells(out / "rejects.csv")
    assert any(c.startswith("'" + REJECTED) for c in rejects), rejects
    assert "'" + FORMULA in _cells(out / "themes.csv")
    for p in out.glob("*.csv"):
        _no_raw_trigger(p)
    assert SAVED in pd.read_parquet(out / "documents.parquet")["text"].tolist()
    back = load_analysis(out)  # voc report reads its own CSVs back unquoted
    assert FORMULA in back.themes["label"].tolist()
    assert back.rejects["record"].str.startswith(REJECTED).any()


def test_store_rejects_and_csv_export_quote_formulas(fitted, hostile_csv: Path, tmp_path: Path) -> None:
    runner, model_dir = CliRunner(), fitted[2] / "model"
    store, out = tmp_path / "s.duckdb", tmp_path / "scored"
    res = runner.invoke(app, ["score", str(hostile_csv), "--model", str(model_dir), "--store", str(store),
                              "--out", str(out), "--id-col", "id"])
    assert res.exit_code == 0, res.output
    assert any(c.startswith("'" + REJECTED) for c in _cells(out / "rejects.csv"))
    _no_raw_trigger(out / "rejects.csv")

    res = runner.invoke(app, ["export", "--store", str(store), "--format", "csv", "--out", str(tmp_path / "csv")])
    assert res.exit_code == 0, res.output
    assert "'" + SAVED in _cells(tmp_path / "csv" / "documents.csv")
    for p in (tmp_path / "csv").glob("*.csv"):
        _no_raw_trigger(p)
    res = runner.invoke(app, ["export", "--store", str(store), "--out", str(tmp_path / "pq")])
    assert res.exit_code == 0, res.output
    assert SAVED in pd.read_parquet(tmp_path / "pq" / "documents.parquet")["text"].tolist()
