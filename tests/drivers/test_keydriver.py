import numpy as np
import pandas as pd
import pytest

from voc.drivers.keydriver import condition_number, key_drivers, relative_weights, vif


def _design(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    m = rng.random((n, 4)) < [0.1, 0.2, 0.3, 0.15]
    channel = rng.choice(["email", "web"], n)
    y = 5 + m @ np.array([-2.0, -1.0, 0.5, 0.0]) + (channel == "web") * 1.0 + rng.normal(0, 1, n)
    return y, m, pd.DataFrame({"channel": channel})


def test_relative_weights_sum_to_r2_and_rank_planted_effects():
    y, m, _ = _design()
    x = m.astype(float)
    r = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    w = relative_weights(r[:-1, :-1], r[:-1, -1])
    design = np.column_stack([np.ones(len(y)), x])
    resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r2 = 1 - resid.var() / y.var()
    assert w.sum() == pytest.approx(r2, rel=1e-9)
    assert np.argsort(-w)[:2].tolist() == [0, 1]


def test_key_drivers_recovers_controlled_coefficients_with_intervals():
    y, m, ctrl = _design(n=4000, seed=1)
    res = key_drivers(y, m, controls=ctrl, n_boot=30)
    t = res.table
    truth = [-2.0, -1.0, 0.5, 0.0]
    assert ((t["coef_ci_low"] < truth) & (truth < t["coef_ci_high"])).all()
    assert t["relative_weight"].sum() == pytest.approx(res.diagnostics["partial_r2_themes"])
    assert (t["relative_weight_ci_low"] <= t["relative_weight"]).all()
    assert res.diagnostics["controls"] == ["channel=web"]
    assert res.diagnostics["max_vif"] < 2


def test_duplicate_theme_is_dropped_and_reported():
    y, m, ctrl = _design(seed=2)
    dup = np.column_stack([m, m[:, 0]])  # a theme that always co-occurs with theme 0
    res = key_drivers(y, dup, controls=ctrl)
    assert len(res.diagnostics["dropped"]) == 1
    assert res.table["kd_note"].str.contains("VIF").sum() == 1
    assert res.diagnostics["max_vif"] <= 10


def test_collinearity_diagnostics():
    rng = np.random.default_rng(0)
    a = rng.normal(size=500)
    x = np.column_stack([a, a + rng.normal(scale=0.01, size=500), rng.normal(size=500)])
    v = vif(x)
    assert v[0] > 100 and v[2] < 1.1
    assert condition_number(x) > 30


def test_too_little_data_is_skipped_not_raised():
    res = key_drivers(np.array([1.0, 2, 3]), np.array([[1], [0], [1]], dtype=bool))
    assert "skipped" in res.diagnostics and res.table["coef"].isna().all()


def test_no_controls_at_all():
    """Regression: with a score but no channel or segment column, `voc analyze` crashed at
    the VIF step (an empty control design had 0 rows instead of n)."""
    y, m, _ = _design(n=800, seed=2)
    res = key_drivers(y, m, controls=None, sentiment=np.zeros(len(y)))
    assert len(res.table) == 4
    assert res.diagnostics["controls"] == []
