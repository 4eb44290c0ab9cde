"""Interval coverage and ranking against known truth (the fast version of benchmarks/drivers.py)."""

import numpy as np
import pytest
from scipy import stats

from voc.drivers.impact import theme_effects
from voc.drivers.keydriver import key_drivers
from voc.drivers.scores import metric
from voc.drivers.simulate import PopulationModel
from voc.io.mapping import ScoreSpec


def test_population_truth_is_consistent_with_a_large_sample():
    pm = PopulationModel()
    met = metric(ScoreSpec("x", "nps"))
    truth = pm.truth(met.transform)
    x, m, _ = pm.sample(200_000, np.random.default_rng(0))
    eff = theme_effects(met.values(x), m)
    assert np.allclose(eff["impact"], truth["impact"], atol=4 * eff["impact_se"].max())
    assert np.allclose(truth["impact"], truth["prevalence"] * truth["mention_delta"])  # I = π·D


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nps", "top2box"])
def test_95pct_intervals_cover_the_true_effect_in_200_simulations(name):
    pm = PopulationModel()
    met = metric(ScoreSpec("x", "custom", 0, 10), name) if name == "top2box" else metric(ScoreSpec("x", "nps"))
    truth = pm.truth(met.transform)
    rng = np.random.default_rng(2024)
    hits = {"mention_delta": [], "impact": [], "coef": []}
    rho = []
    for _ in range(200):
        x, m, ctrl = pm.sample(1500, rng)
        y = met.values(x)
        e = theme_effects(y, m, bounds=met.bounds)
        for k in ("mention_delta", "impact"):
            hits[k].append((e[f"{k}_ci_low"] <= truth[k]) & (truth[k] <= e[f"{k}_ci_high"]))
        kd = key_drivers(y, m, controls=ctrl).table
        hits["coef"].append((kd["coef_ci_low"] <= truth["coef"]) & (truth["coef"] <= kd["coef_ci_high"]))
        rho.append(stats.spearmanr(truth["coef"], kd["coef"])[0])
    for k, v in hits.items():
        assert np.mean(v) >= 0.93, (k, np.mean(v))
    assert np.mean(rho) >= 0.9


@pytest.mark.slow
def test_planted_ranking_in_make_feedback_is_recovered():
    datasets = pytest.importorskip("voc.datasets")
    keys = list(datasets.PLANTED_THEMES)
    planted = {s: np.array([datasets.PLANTED_THEMES[k][f"{s}_effect"] for k in keys]) for s in ("nps", "stars", "csat")}
    rho = {s: [] for s in planted}
    for seed in range(20):
        frame, truth = datasets.make_feedback(5000, random_state=seed, return_truth=True)
        m = np.array([[k in row for k in keys] for row in truth["themes"]])
        for s in planted:
            y = metric(ScoreSpec(s, s)).values(frame[s].astype("Float64").to_numpy(dtype=float, na_value=np.nan))
            kd = key_drivers(y, m, controls=frame[["segment"]]).table
            ok = kd["coef"].notna().to_numpy()  # a rare theme may have too few scored mentions
            assert ok.sum() >= 18
            rho[s].append(stats.spearmanr(planted[s][ok], kd["coef"].to_numpy()[ok])[0])
    for s, r in rho.items():
        assert np.mean(r) >= 0.9, (s, np.mean(r))
