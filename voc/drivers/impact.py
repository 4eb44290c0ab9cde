"""Mention delta and remove-theme impact of many themes on one score, with intervals.

For a score whose metric is the mean of a per-row value ``y`` (see :mod:`voc.drivers.scores`),
a theme mentioned by ``k`` of the ``n`` scored respondents has

* mention delta ``D = mean(y | mention) - mean(y | no mention)``, and
* remove-theme impact ``I = score(all) - score(all without the theme's documents)``
  ``= (k/n)·D``; for NPS that is ``k·(NPS_theme - NPS_all)/(n - k)``. Negative means the
  theme drags the score down (it would rise if the theme's respondents were absent).

Intervals are analytic by default: Welch's variance for ``D`` and the delta method for
``I`` (its influence function is ``π·IF_D + D·(m - π)`` with uncorrelated terms, so
``Var(I) = π²·Var(D) + D²·π(1-π)/n``), which treats respondents as a random sample of the
population, the same assumption a bootstrap over respondents makes. A seeded bootstrap
(multinomial weights, all themes at once) is available for checking or for small groups.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))

COLUMNS = ["n_scored", "k_scored", "all_mean", "mention_mean", "non_mention_mean", "mention_delta", "delta_se",
           "mention_delta_ci_low", "mention_delta_ci_high", "impact", "impact_se", "impact_ci_low",
           "impact_ci_high", "p_value"]


def _scored(y: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    ok = ~np.isnan(y)
    return y[ok], np.asarray(members, dtype=bool)[ok]


def point_estimates(y: np.ndarray, members: np.ndarray) -> dict[str, np.ndarray]:
    """Group means, mention delta and impact per column of ``members`` (n × T booleans).

    Rows where ``y`` is NaN are left out (they count for volume, not for the score).
    """
    y, m = _scored(y, members)
    n = y.size
    k = m.sum(axis=0).astype(float)
    total = y.sum()
    sum_t = y @ m.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        all_mean = np.full(k.shape, total / n if n else np.nan)
        mean_t = np.where(k > 0, sum_t / k, np.nan)
        mean_n = np.where(n - k > 0, (total - sum_t) / (n - k), np.nan)
    impact = all_mean - mean_n
    return {"n_scored": np.full(k.shape, n, dtype=float), "k_scored": k, "all_mean": all_mean,
            "mention_mean": mean_t, "non_mention_mean": mean_n, "mention_delta": mean_t - mean_n, "impact": impact}


def analytic_se(y: np.ndarray, members: np.ndarray,
                bounds: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors of mention delta (Welch) and impact (delta method), per theme.

    With ``bounds`` (the range of ``y``), each group's variance is computed as if it had
    one extra respondent at each end of the range, as Agresti and Caffo do for a
    difference of proportions: a small theme whose mentioners are nearly all detractors
    otherwise gets a variance near zero and an interval that is too short. The point
    estimates are unchanged. A group with fewer than two scored rows borrows the overall
    variance so that a theme of one respondent gets a wide interval rather than none.
    """
    y, m = _scored(y, members)
    n = y.size
    est = point_estimates(y, m)
    k = est["k_scored"]
    if n < 2:
        nan = np.full(k.shape, np.nan)
        return nan, nan
    var_all = y.var(ddof=1)
    # within-group sums of squares from sums (no n × T temporaries); centring y first
    # keeps the subtraction well conditioned
    mf = m.astype(float)
    yc = y - y.mean()
    sq_t = (yc**2) @ mf
    sum_t = yc @ mf
    mean_t = np.where(k > 0, sum_t / np.maximum(k, 1), 0.0)
    mean_n = np.where(n - k > 0, (yc.sum() - sum_t) / np.maximum(n - k, 1), 0.0)
    ss_t = np.clip(sq_t - k * mean_t**2, 0, None)
    ss_n = np.clip((yc**2).sum() - sq_t - (n - k) * mean_n**2, 0, None)
    k_t, k_n = k.copy(), n - k
    if bounds is not None:
        lo, hi = bounds
        c = y.mean()
        ss_t, k_t = _with_pseudo(ss_t, k_t, mean_t, lo - c, hi - c)
        ss_n, k_n = _with_pseudo(ss_n, k_n, mean_n, lo - c, hi - c)
    with np.errstate(invalid="ignore", divide="ignore"):
        var_t = np.where(k >= 2, ss_t / (k_t - 1), var_all)
        var_n = np.where(n - k >= 2, ss_n / (k_n - 1), var_all)
        var_d = np.where((k > 0) & (k < n), var_t / k + var_n / (n - k), np.nan)
        pi = k / n
        var_i = pi**2 * var_d + est["mention_delta"] ** 2 * pi * (1 - pi) / n
    var_i = np.where(k == 0, 0.0, var_i)
    return np.sqrt(var_d), np.sqrt(var_i)


def _with_pseudo(ss: np.ndarray, k: np.ndarray, mean: np.ndarray, lo: float,
                 hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Sum of squares about the new mean and count after adding one value at ``lo`` and
    one at ``hi`` to a group of ``k`` values with mean ``mean`` and sum of squares ``ss``."""
    k2 = k + 2
    mean2 = (k * mean + lo + hi) / k2
    ss2 = ss + k * (mean - mean2) ** 2 + (lo - mean2) ** 2 + (hi - mean2) ** 2
    return ss2, k2


def bootstrap(y: np.ndarray, members: np.ndarray, n_boot: int = 1000, random_state: int = 0,
              chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap replicates of mention delta and impact, shape (n_boot, T) each.

    Resamples respondents with multinomial weights so every theme is computed from the
    same replicate in one matrix product; ``chunk`` replicates at a time bound memory.
    """
    y, m = _scored(y, members)
    n, t = m.shape
    rng = np.random.default_rng(random_state)
    deltas = np.empty((n_boot, t))
    impacts = np.empty((n_boot, t))
    if n == 0:
        deltas[:] = np.nan
        impacts[:] = np.nan
        return deltas, impacts
    mf = m.astype(float)
    my = mf * y[:, None]
    p = np.full(n, 1.0 / n)
    for start in range(0, n_boot, chunk):
        w = rng.multinomial(n, p, size=min(chunk, n_boot - start)).astype(float)
        total = w @ y
        k = w @ mf
        sum_t = w @ my
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_t = sum_t / k
            mean_n = (total[:, None] - sum_t) / (n - k)
        mean_n = np.where(n - k > 0, mean_n, np.nan)
        sl = slice(start, start + w.shape[0])
        deltas[sl] = mean_t - mean_n
        impacts[sl] = np.where(k > 0, total[:, None] / n - mean_n, 0.0)
    return deltas, impacts


def theme_effects(y: np.ndarray, members: np.ndarray, ci: Literal["analytic", "bootstrap"] = "analytic",
                  n_boot: int = 1000, random_state: int = 0, level: float = 0.95,
                  bounds: tuple[float, float] | None = None) -> pd.DataFrame:
    """One row per column of ``members``: means, delta, impact, their ``level`` intervals
    and the p-value of "no difference" (mention delta = 0, hence impact = 0).
    ``bounds`` is the range of ``y`` (see :func:`analytic_se`)."""
    est = point_estimates(y, members)
    se_d, se_i = analytic_se(y, members, bounds)
    z = float(stats.norm.ppf(0.5 + level / 2))
    out = pd.DataFrame(est)
    out["delta_se"] = se_d
    out["impact_se"] = se_i
    with np.errstate(invalid="ignore", divide="ignore"):
        out["p_value"] = 2 * stats.norm.sf(np.abs(est["mention_delta"] / se_d))
    if ci == "bootstrap" and members.shape[1]:
        deltas, impacts = bootstrap(y, members, n_boot=n_boot, random_state=random_state)
        a = (1 - level) / 2 * 100
        with np.errstate(invalid="ignore"):
            out["mention_delta_ci_low"], out["mention_delta_ci_high"] = np.nanpercentile(deltas, [a, 100 - a], axis=0)
            out["impact_ci_low"], out["impact_ci_high"] = np.nanpercentile(impacts, [a, 100 - a], axis=0)
    else:
        out["mention_delta_ci_low"] = est["mention_delta"] - z * se_d
        out["mention_delta_ci_high"] = est["mention_delta"] + z * se_d
        out["impact_ci_low"] = est["impact"] - z * se_i
        out["impact_ci_high"] = est["impact"] + z * se_i
    out["n_scored"] = out["n_scored"].astype(int)
    out["k_scored"] = out["k_scored"].astype(int)
    return out[COLUMNS]


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN kept), so "significant" survives many themes."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return q
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * pv.size / np.arange(1, pv.size + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty_like(pv)
    res[order] = np.minimum(ranked, 1.0)
    q[ok] = res
    return q
