import numpy as np
import pytest

from voc.drivers.scores import mean_and_se, metric, nps, nps_variance, out_of_range, summarize
from voc.errors import ConfigError
from voc.io.mapping import ScoreSpec


def test_nps_counts_promoters_minus_detractors():
    x = np.array([10, 9, 8, 7, 6, 0, np.nan])
    assert nps(x) == pytest.approx(100 * (2 / 6 - 2 / 6))
    assert nps(np.array([10, 10, 3])) == pytest.approx(100 * (2 / 3 - 1 / 3))
    assert np.isnan(nps(np.array([np.nan])))


def test_nps_metric_mean_is_nps_and_variance_matches_textbook_formula():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 11, 500).astype(float)
    y = metric(ScoreSpec("nps", "nps")).values(x)
    value, se, n = mean_and_se(y)
    p, d = np.mean(x >= 9), np.mean(x <= 6)
    assert value == pytest.approx(nps(x), abs=1e-9)
    assert se**2 == pytest.approx(1e4 * (p * (1 - p) + d * (1 - d) + 2 * p * d) / n, rel=1e-12)
    assert nps_variance(x) == pytest.approx(se**2, rel=1e-12)


def test_box_metrics_use_the_declared_range():
    x = np.array([1, 2, 3, 4, 5, np.nan])
    stars = ScoreSpec("stars", "stars")
    assert np.nanmean(metric(stars, "top2box").values(x)) == pytest.approx(40.0)
    low = metric(stars, "bottom2box")
    assert np.nanmean(low.values(x)) == pytest.approx(40.0)
    assert low.higher_is_better is False
    assert np.isnan(metric(stars, "mean").values(x)[-1])


def test_custom_score_direction_and_missing_range():
    spec = ScoreSpec("wait", "custom", 0, 60, higher_is_better=False)
    assert metric(spec).higher_is_better is False
    with pytest.raises(ConfigError):
        metric(ScoreSpec("x", "custom"), "top2box")
    assert out_of_range(spec, np.array([-1, 0, 60, 61, np.nan])).tolist() == [True, False, False, True, False]


def test_summarize_reports_every_metric_of_the_kind():
    rows = summarize(ScoreSpec("csat", "csat"), np.array([1, 5, 4, 3, 5.0]))
    assert {r["metric"] for r in rows} == {"top2box", "mean"}
    top = next(r for r in rows if r["metric"] == "top2box")
    assert top["value"] == pytest.approx(60.0) and top["ci_low"] < 60 < top["ci_high"]


def test_score_column_reads_the_renamed_or_raw_column_and_blanks_out_of_range_values():
    """Drivers and sentiment.adapt read scores through score_column: a value outside the
    declared range (an NPS of 11, a typo) is missing for both, never an extreme label."""
    import pandas as pd

    from voc.drivers.scores import score_column

    spec = ScoreSpec.parse("nps=Likelihood")
    raw = pd.DataFrame({"Likelihood": ["10", "11", "x", 0]})
    x, n_bad = score_column(raw, spec)
    assert n_bad == 1 and x[0] == 10 and np.isnan(x[1]) and np.isnan(x[2]) and x[3] == 0
    renamed = pd.DataFrame({"nps": [3.0], "Likelihood": [9.0]})
    assert score_column(renamed, spec)[0].tolist() == [3.0]
    assert score_column(pd.DataFrame({"other": [1]}), spec) is None
