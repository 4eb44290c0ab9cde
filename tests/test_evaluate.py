"""voc evaluate: a saved model against the user's own labels, figures equal to sklearn's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, v_measure_score

from voc.errors import ConfigError
from voc.evaluate import evaluate, sentiment_labels, touchpoint_labels


#: the generator's touchpoint keys, in the default taxonomy's names (what a user's label map does)
TRUTH = {"website_app": "website & app", "checkout": "purchase & checkout", "billing": "pricing & billing",
         "delivery": "delivery", "product": "product quality & use", "support": "customer support",
         "returns": "returns & refunds", "account": "account & login", "loyalty": "loyalty & renewal"}


@pytest.fixture(scope="module")
def labeled(fitted, tmp_path_factory):  # type: ignore[no-untyped-def]
    """120 generated documents the model never saw, with their answer key as labels."""
    from voc.datasets import make_feedback

    frame, truth = make_feedback(n=120, random_state=11, return_truth=True)
    frame = frame.merge(truth[["id", "themes", "touchpoints", "sentiment"]].rename(
        columns={"themes": "theme", "touchpoints": "touchpoint"}), on="id")
    frame["theme"] = [t[0] if len(t) else "" for t in frame["theme"]]
    frame["touchpoint"] = [";".join(TRUTH[x] for x in t) if len(t) else "none" for t in frame["touchpoint"]]
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    frame[["id", "text", "sentiment", "touchpoint", "theme"]].to_csv(path, index=False)
    return path, fitted[2] / "model"


def test_figures_equal_sklearn_on_the_same_predictions(labeled, tmp_path) -> None:  # noqa: ANN001
    path, model = labeled
    ev = evaluate(path, model, n_boot=50)
    ev.write(tmp_path)
    p = pd.read_csv(tmp_path / "predictions.csv")
    s = p.dropna(subset=["sentiment_label", "sentiment_voc"])
    assert ev.sentiment["n"] == len(s) > 100
    assert ev.sentiment["accuracy"] == round(accuracy_score(s["sentiment_label"], s["sentiment_voc"]), 4)
    assert ev.sentiment["macro_f1"] == round(f1_score(s["sentiment_label"], s["sentiment_voc"], average="macro",
                                                      labels=["negative", "neutral", "positive"]), 4)
    assert ev.sentiment["confusion"]["matrix"] == confusion_matrix(
        s["sentiment_label"], s["sentiment_voc"], labels=["negative", "neutral", "positive"]).tolist()
    lo, hi = ev.sentiment["accuracy_interval"]
    assert lo <= ev.sentiment["accuracy"] <= hi
    t = p[p["theme_label"].notna()]
    assert ev.themes["v_measure"] == round(v_measure_score(t["theme_label"], t["theme_voc"]), 4)
    lo, hi = ev.themes["v_measure_interval"]
    assert lo <= ev.themes["v_measure"] <= hi  # the resamples' bias is taken out
    # touchpoints: micro-F1 over the label matrix, as sklearn computes it
    names = sorted({n for col in ("touchpoints_label", "touchpoints_voc") for v in p[col].fillna("")
                    for n in v.split(";") if n})
    y = np.asarray([[n in str(v).split(";") for n in names] for v in p["touchpoints_label"].fillna("")])
    yp = np.asarray([[n in str(v).split(";") for n in names] for v in p["touchpoints_voc"].fillna("")])
    assert ev.touchpoints["micro_f1"] == round(f1_score(y, yp, average="micro"), 4)
    saved = json.loads((tmp_path / "evaluation.json").read_text())
    assert saved["sentiment"]["accuracy"] == ev.sentiment["accuracy"]
    page = (tmp_path / "evaluation.md").read_text()
    assert "## Sentiment" in page and "## Touchpoints" in page and "## Themes" in page


def test_unknown_label_names_are_listed_and_a_label_map_fixes_them(labeled, tmp_path) -> None:  # noqa: ANN001
    path, model = labeled
    frame = pd.read_csv(path)
    frame["sentiment"] = frame["sentiment"].map({"negative": "bad", "neutral": "meh", "positive": "good"})
    frame["touchpoint"] = frame["touchpoint"].str.replace("delivery", "Shipping")
    assert frame["touchpoint"].str.contains("Shipping").any()
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    with pytest.raises(ConfigError, match=r"'bad', 'good', 'meh'.*negative, neutral, positive"):
        evaluate(bad, model, touchpoints="touchpoint", theme="theme", n_boot=0)
    lm = tmp_path / "map.yaml"
    lm.write_text("sentiment: {bad: negative, meh: neutral, good: positive}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'Shipping'.*delivery"):
        evaluate(bad, model, label_map=lm, n_boot=0)
    lm.write_text("sentiment: {bad: negative, meh: neutral, good: positive}\ntouchpoints: {shipping: delivery}\n",
                  encoding="utf-8")
    mapped = evaluate(bad, model, label_map=lm, n_boot=0)
    plain = evaluate(path, model, n_boot=0)
    assert mapped.sentiment["accuracy"] == plain.sentiment["accuracy"]
    assert mapped.touchpoints["micro_f1"] == plain.touchpoints["micro_f1"]


def test_label_readers() -> None:
    got = sentiment_labels(pd.Series(["pos", "Negative", "0", None, "1"]))
    assert got.tolist()[:3] == ["positive", "negative", "neutral"] and pd.isna(got.iat[3])
    assert sentiment_labels(pd.Series([1, 3, 5, 2])).tolist() == ["negative", "neutral", "positive", "negative"]
    sets = touchpoint_labels(pd.Series(["delivery; Returns", "none", "", "Delivery|billing"]),
                             ["delivery", "returns", "billing"])
    assert sets == [frozenset({"delivery", "returns"}), frozenset(), None, frozenset({"delivery", "billing"})]


def test_cli_evaluate_writes_the_page_and_errors_clearly(labeled, tmp_path) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from voc.cli import app

    path, model = labeled
    res = CliRunner().invoke(app, ["evaluate", str(path), "--model", str(model), "--out", str(tmp_path / "ev"),
                                   "--bootstrap", "20"])
    assert res.exit_code == 0, res.output
    assert "sentiment (" in res.output and "micro-F1" in res.output and "V-measure" in res.output
    assert (tmp_path / "ev" / "evaluation.md").is_file() and (tmp_path / "ev" / "predictions.csv").is_file()
    res = CliRunner().invoke(app, ["evaluate", str(path), "--model", str(model), "--sentiment-col", "stars_label",
                                   "--out", str(tmp_path / "ev2")])
    assert res.exit_code != 0 and "stars_label" in res.output
