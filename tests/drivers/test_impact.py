import numpy as np
import pytest

from voc.drivers.impact import analytic_se, bh_qvalues, bootstrap, point_estimates, theme_effects
from voc.drivers.scores import metric, nps
from voc.io.mapping import ScoreSpec


def _data(n=800, t=5, seed=0):
    rng = np.random.default_rng(seed)
    m = rng.random((n, t)) < np.linspace(0.05, 0.4, t)
    latent = 8 + m @ np.linspace(-3, 1.5, t) + rng.normal(0, 2, n)
    x = np.clip(np.round(latent), 0, 10)
    x[rng.random(n) < 0.1] = np.nan  # unscored rows count for volume only
    return x, m


def test_impact_equals_independent_recomputation_to_1e9():
    x, m = _data()
    y = metric(ScoreSpec("nps", "nps")).values(x)
    eff = theme_effects(y, m)
    for j in range(m.shape[1]):
        without = x[~m[:, j]]
        expected = nps(x) - nps(without)
        assert eff["impact"][j] == pytest.approx(expected, abs=1e-9)
        scored = ~np.isnan(x)
        k, n = (m[:, j] & scored).sum(), scored.sum()
        nps_theme = nps(x[m[:, j]])
        assert eff["impact"][j] == pytest.approx(k * (nps_theme - nps(x)) / (n - k), abs=1e-9)
        assert eff["mention_delta"][j] == pytest.approx(nps_theme - nps(without), abs=1e-9)
        assert eff["k_scored"][j] == k and eff["n_scored"][j] == n


def test_analytic_se_agrees_with_bootstrap_sd():
    x, m = _data(n=2000, seed=3)
    y = metric(ScoreSpec("nps", "nps")).values(x)
    se_d, se_i = analytic_se(y, m)
    deltas, impacts = bootstrap(y, m, n_boot=400, random_state=0)
    assert np.allclose(deltas.std(axis=0), se_d, rtol=0.15)
    assert np.allclose(impacts.std(axis=0), se_i, rtol=0.15)


def test_bootstrap_is_seeded_and_intervals_contain_the_estimate():
    x, m = _data(seed=5)
    a = theme_effects(x, m, ci="bootstrap", n_boot=100, random_state=7)
    b = theme_effects(x, m, ci="bootstrap", n_boot=100, random_state=7)
    assert a.equals(b)
    assert (a["impact_ci_low"] <= a["impact"]).all() and (a["impact"] <= a["impact_ci_high"]).all()


def test_edge_cases_unmentioned_theme_and_everyone_mentions():
    x = np.array([10, 3, 8, 9, 0.0])
    m = np.array([[0, 1], [0, 1], [0, 1], [0, 1], [0, 1]], dtype=bool)
    est = point_estimates(x, m)
    assert est["impact"][0] == 0.0  # removing nobody changes nothing
    assert np.isnan(est["impact"][1]) and np.isnan(est["mention_delta"][1])
    eff = theme_effects(x, m)
    assert eff["impact_ci_low"][0] == 0.0
    single = theme_effects(x, np.array([[1], [0], [0], [0], [0]], dtype=bool))
    assert np.isfinite(single["impact_ci_low"][0])  # one respondent: wide interval, not none


def test_bh_qvalues_monotone_and_nan_kept():
    q = bh_qvalues(np.array([0.01, 0.04, np.nan, 0.03, 0.2]))
    assert np.isnan(q[2])
    assert q[0] == pytest.approx(0.04) and q[4] == pytest.approx(0.2)
    assert q[1] == pytest.approx(0.04 * 4 / 3) and q[3] == pytest.approx(0.04 * 4 / 3)  # step-up: min over later ranks
