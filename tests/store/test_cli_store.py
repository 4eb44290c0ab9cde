"""The store from the command line: voc score --store, voc report --store, voc export,
and the nightly job the README shows."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from voc.cli import app

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


def test_nightly_job(model_dir, make_input, tmp_path):
    """Score yesterday's export into the store, rebuild the report, export for other tools."""
    store = tmp_path / "voc.duckdb"
    src = make_input(20)
    res = invoke("score", src, "--model", model_dir, "--store", store, "--out", tmp_path / "scored-today")
    assert "20 new" in res.output and "0 unchanged" in res.output and "docs/s" in res.output
    out = tmp_path / "scored-today"
    assert len(pd.read_parquet(out / "documents.parquet")) == 20
    assert (out / "rejects.csv").is_file() and json.loads((out / "run.json").read_text())["new"] == 20

    again = invoke("score", src, "--model", model_dir, "--store", store)
    assert "0 new" in again.output and "20 unchanged (skipped)" in again.output

    since = str(pd.to_datetime(pd.read_csv(src)["date"]).min().date())
    rep = invoke("report", "--store", store, "--since", since, "--out", tmp_path / "report.html")
    assert "20 documents" in rep.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<html" in html.lower() and "http://" not in html.split("<script", 1)[0]

    exp = invoke("export", "--store", store, "--format", "csv", "--out", tmp_path / "export")
    assert "documents:" in exp.output
    assert len(pd.read_csv(tmp_path / "export" / "documents.csv")) == 20


def test_score_without_store_still_writes_an_output_directory(model_dir, make_input, tmp_path):
    frame = pd.read_csv(make_input(6)).drop(columns=["nps", "stars", "csat", "date"])  # new data lacks scores
    src = tmp_path / "new.csv"
    frame.to_csv(src, index=False)
    invoke("score", src, "--model", model_dir, "--out", tmp_path / "scored")
    assert len(pd.read_parquet(tmp_path / "scored" / "documents.parquet")) == 6


def test_cli_errors_are_one_line(model_dir, tmp_path):
    cases = [
        ["report", "--store", tmp_path / "missing.duckdb"],
        ["report"],
        ["export", "--store", tmp_path / "missing.duckdb", "--out", tmp_path / "x"],
        ["score", tmp_path / "missing.csv", "--model", model_dir, "--store", tmp_path / "s.duckdb"],
        ["score", tmp_path / "in.parquet", "--model", model_dir, "--engine", "spark", "--store", tmp_path / "s"],
        ["score", tmp_path / "in.csv", "--model", model_dir, "--engine", "ray"],
    ]
    for args in cases:
        res = runner.invoke(app, [str(a) for a in args])
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output and "error" in res.output, (args, res.output)


def test_every_store_command_has_help():
    for cmd in ("score", "report", "export"):
        res = runner.invoke(app, [cmd, "--help"])
        assert res.exit_code == 0 and "--store" in res.output


def test_a_run_that_rejects_every_row_still_reports_them(model_dir, tmp_path):
    src = tmp_path / "blank.csv"
    pd.DataFrame({"id": ["a", "b"], "text": ["", "   "]}).to_csv(src, index=False)
    res = invoke("score", src, "--model", model_dir, "--store", tmp_path / "s.duckdb", "--out", tmp_path / "o")
    assert "0 new" in res.output and "2 rejected" in res.output
    assert len(pd.read_csv(tmp_path / "o" / "rejects.csv")) == 2
