"""The CLI as a user meets it: help everywhere, one-line errors, real files."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.cli import app
from tests.conftest import shared_path

runner = CliRunner()


@pytest.mark.parametrize("command", [[], ["analyze"], ["score"], ["report"], ["demo"], ["train", "sentiment"],
                                     ["taxonomy", "check"]])
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def _one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for n in needles:
        assert n in result.output, result.output


def test_missing_file(tmp_path):
    result = runner.invoke(app, ["analyze", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")])
    _one_line_error(result, "nope.csv")


def test_unknown_column_lists_columns(tmp_path):
    f = tmp_path / "f.csv"
    pd.DataFrame({"comment": ["a b c"], "score": [5]}).to_csv(f, index=False)
    result = runner.invoke(app, ["analyze", str(f), "--text-col", "body", "--out", str(tmp_path / "o")])
    _one_line_error(result, "body", "comment", "score")


def test_empty_file(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("")
    _one_line_error(runner.invoke(app, ["analyze", str(f), "--out", str(tmp_path / "o")]), "empty.csv")


def test_bad_score_spec(tmp_path):
    f = tmp_path / "f.csv"
    pd.DataFrame({"text": ["good stuff here"]}).to_csv(f, index=False)
    _one_line_error(runner.invoke(app, ["analyze", str(f), "--score", "foo=bar", "--out", str(tmp_path / "o")]),
                    "unknown kind")


def test_unreadable_model_dir(tmp_path):
    f = tmp_path / "f.csv"
    pd.DataFrame({"text": ["good stuff here"]}).to_csv(f, index=False)
    _one_line_error(runner.invoke(app, ["score", str(f), "--model", str(tmp_path), "--out", str(tmp_path / "o")]),
                    "not a voc model directory")


def test_report_on_a_non_output_dir(tmp_path):
    _one_line_error(runner.invoke(app, ["report", str(tmp_path)]), "not a voc output directory")


def test_analyze_score_report_round_trip(tmp_path, sample_frame):
    """A user's session: analyze a CSV with bad rows, score new rows, rebuild the report."""
    data = sample_frame.head(120).copy()
    data.loc[data.index[3], "nps"] = 11  # out of range → rejected, not dropped
    data.loc[data.index[5], "text"] = "   "  # empty → rejected
    f = tmp_path / "feedback.csv"
    data.to_csv(f, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(f), "--out", str(out), "--id-col", "id", "--date-col", "date",
                                 "--channel-col", "channel", "--score", "nps=nps", "--score", "stars=stars", "-q"])
    assert result.exit_code == 0, result.output
    assert "report:" in result.output
    rejects = pd.read_csv(out / "rejects.csv")
    assert len(rejects) == 2
    assert set(rejects["line"]) == {3 + 2, 5 + 2}  # header is line 1
    run = json.loads((out / "run.json").read_text())
    assert run["counts"]["accepted"] + run["counts"]["rejected"] == run["counts"]["rows_read"] == 120

    new = tmp_path / "new.csv"
    sample_frame.tail(20).to_csv(new, index=False)
    scored = tmp_path / "scored"
    result = runner.invoke(app, ["score", str(new), "--model", str(out / "model"), "--out", str(scored), "-q"])
    assert result.exit_code == 0, result.output
    docs = pd.read_parquet(scored / "documents.parquet")
    assert len(docs) == 20

    (out / "report.html").unlink()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").stat().st_size > 10_000


def test_refit_with_previous_keeps_theme_ids(tmp_path, sample_frame):
    """Refitting on next month's data with --previous maps persisting themes to their old ids."""
    f1, f2 = tmp_path / "m1.csv", tmp_path / "m2.csv"
    sample_frame.head(120).to_csv(f1, index=False)
    sample_frame.tail(120).to_csv(f2, index=False)
    out1, out2 = tmp_path / "m1", tmp_path / "m2"
    assert runner.invoke(app, ["analyze", str(f1), "--out", str(out1), "--id-col", "id", "-q"]).exit_code == 0
    result = runner.invoke(app, ["analyze", str(f2), "--out", str(out2), "--id-col", "id", "-q",
                                 "--previous", str(out1 / "model")])
    assert result.exit_code == 0, result.output
    changes = json.loads((out2 / "run.json").read_text())["stages"]["themes"]["changes"]["issues"]
    old = pd.read_csv(out1 / "themes.csv").set_index("theme_id")["label"]
    new = pd.read_csv(out2 / "themes.csv").set_index("theme_id")["label"]
    assert changes["kept"], changes
    assert set(changes["kept"]) <= set(old.index) & set(new.index)
    assert not set(changes["new"]) & set(old.index)  # a fresh theme never reuses an old id
    bad = runner.invoke(app, ["analyze", str(f2), "--out", str(tmp_path / "x"), "-q", "--previous", str(tmp_path)])
    _one_line_error(bad, "no saved theme stage")


def test_module_entry_point_runs_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "voc", "analyze", str(tmp_path / "missing.csv")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "missing.csv" in proc.stderr


@pytest.mark.slow
def test_airline_tweets_follow_the_contract(tmp_path):
    """Done-when of the foundation issue: `voc analyze Tweets.csv --text-col text` on real data."""
    tweets = shared_path("twitter_us_airline_sentiment", "Tweets.csv")
    out = tmp_path / "tweets"
    result = runner.invoke(app, ["analyze", str(tweets), "--text-col", "text", "--id-col", "tweet_id",
                                 "--date-col", "tweet_created", "--channel-col", "airline", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    docs = pd.read_parquet(out / "documents.parquet")
    run = json.loads((out / "run.json").read_text())
    assert run["counts"]["accepted"] + run["counts"]["rejected"] == run["counts"]["rows_read"] == 14640
    assert len(docs) == run["counts"]["accepted"]
    s = pd.read_parquet(out / "sentences.parquet")
    assert (s["theme_id"] == -1).mean() <= 0.10
    themes = pd.read_csv(out / "themes.csv")
    assert len(themes) >= 10 and themes["label"].is_unique
    # sentiment agrees with the human labels far better than chance
    truth = pd.read_csv(tweets, usecols=["tweet_id", "airline_sentiment"]).astype({"tweet_id": str})
    merged = docs.merge(truth, left_on="doc_id", right_on="tweet_id")
    assert (merged["sentiment"] == merged["airline_sentiment"]).mean() > 0.6


def test_progress_names_the_running_stage_and_follows_the_encoder():
    """On a terminal the CLI shows which stage runs and the encoding bar; the pipeline's
    start (stage, 0, 0) and end (stage, 1, 1) ticks must not reset the bar."""
    import io

    from rich.console import Console

    from voc.cli import _Progress

    progress = _Progress(Console(file=io.StringIO(), force_terminal=True))
    with progress:
        progress("segment", 0, 0)
        assert progress.bar.tasks[0].description == "segment"
        progress("embed", 0, 0)
        progress("embed", 64, 200)
        progress("embed", 200, 200)
        progress("embed", 1, 1)
        task = progress.bar.tasks[0]
        assert (task.description, task.completed, task.total) == ("encoding sentences", 200, 200)
        progress("themes", 0, 0)
        assert progress.bar.tasks[0].description == "themes"
    assert not _Progress(Console(file=io.StringIO(), force_terminal=False)).enabled
