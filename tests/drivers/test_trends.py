import numpy as np
import pandas as pd

from voc.drivers.trends import assign_periods, period_table, trend_labels, trend_test


def test_trend_test_finds_rising_and_flat():
    totals = np.full(6, 400)
    counts = np.column_stack([[10, 20, 30, 40, 50, 60], [40, 42, 39, 41, 40, 38]])
    slope, z, p = trend_test(counts, totals)
    assert trend_labels(slope, p) == ["rising", "flat"]
    assert slope[0] > 0.02
    assert trend_labels(*trend_test(counts[:1], totals[:1])[::2]) == ["n/a", "n/a"]


def test_assign_periods_picks_weeks_for_short_spans():
    d = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-09", None]))
    per, freq = assign_periods(d)
    assert freq == "week" and per.isna().iloc[2]
    per, freq = assign_periods(pd.Series(pd.date_range("2024-01-01", periods=10, freq="30D")))
    assert freq == "month" and per.iloc[0] == pd.Timestamp("2024-01-01")


def test_new_and_spiking_themes_are_emerging():
    rng = np.random.default_rng(0)
    n = 4000
    month = rng.integers(0, 5, n)
    dates = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(month * 31, unit="D"))
    period = dates.dt.to_period("M").dt.start_time
    steady = rng.random(n) < 0.1
    new = (month == 4) & (rng.random(n) < 0.05)
    spike = rng.random(n) < np.where(month == 4, 0.25, 0.08)
    m = np.column_stack([steady, new, spike])
    sent = rng.normal(size=n)
    out = period_table(period, m, ["steady", "new", "spike"], ["s", "n", "x"], "theme", sent, sent < -1,
                       {"nps": rng.normal(size=n)})
    last = out[out["period"] == out["period"].max()].set_index("key")
    assert last.loc["new", "emerging_reason"] == "new"
    assert last.loc["spike", "emerging"] and "volume" in last.loc["spike", "emerging_reason"]
    assert not last.loc["steady", "emerging"] and not last.loc["all", "emerging"]
    assert not out[out["key"] == "steady"]["emerging"].any()
    assert {"score_nps", "share", "mean_sentiment", "negative_share"} <= set(out.columns)
