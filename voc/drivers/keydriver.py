"""Key driver model: the score regressed on theme presence and theme × sentiment,
controlling for channel and segment, with Johnson's relative weights over the themes.

Why both a regression and relative weights: mention deltas are marginal, so a theme that
co-occurs with a bad one inherits its effect; the regression gives each theme's effect
holding the others (and the channel/segment mix) fixed. Its coefficients are unstable
when themes overlap, which is what relative weights are for: Johnson (2000) splits the
explained variance among correlated predictors via their best orthogonal approximation,
so weights are non-negative, sum to the R², and barely move under collinearity.

Controls are partialled out first (Frisch-Waugh), so a theme's weight is its share of the
variance the controls leave unexplained. Weights cover theme presence; the theme ×
sentiment terms are in the regression (``sentiment_coef``) but not in the weights.
Everything is computed from one weighted moment matrix, so a bootstrap replicate costs
one Gram product, not a refit per theme.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits


@dataclass
class KeyDriverResult:
    """Per-theme results (one row per input column of presence) and model diagnostics."""

    table: pd.DataFrame
    diagnostics: dict[str, Any] = field(default_factory=dict)


def control_matrix(controls: pd.DataFrame | None, max_levels: int = 30,
                   n_rows: int = 0) -> tuple[np.ndarray, list[str]]:
    """One-hot design of categorical controls (first level dropped, rare levels pooled);
    with no controls, an (``n_rows``, 0) design so it still stacks beside the themes."""
    if controls is None or controls.shape[1] == 0:
        return np.empty((n_rows if controls is None else len(controls), 0)), []
    parts: list[np.ndarray] = []
    names: list[str] = []
    for col in controls.columns:
        s = controls[col].astype("string").fillna("(missing)")
        top = s.value_counts().index[:max_levels]
        s = s.where(s.isin(top), "(other)")
        levels = sorted(s.unique())
        for lev in levels[1:]:
            parts.append((s == lev).to_numpy(dtype=float))
            names.append(f"{col}={lev}")
    if not parts:
        return np.empty((len(controls), 0)), []
    return np.column_stack(parts), names


def vif(x: np.ndarray) -> np.ndarray:
    """Variance inflation factors: the diagonal of the inverse correlation matrix."""
    if x.shape[1] == 0:
        return np.empty(0)
    if x.shape[1] == 1:
        return np.ones(1)
    r = np.corrcoef(x, rowvar=False)
    lam, vec = np.linalg.eigh(r)
    null = lam < 1e-10 * max(lam.max(), 1.0)
    if null.any():  # exact linear dependence: the columns involved have infinite VIF
        return np.where((np.abs(vec[:, null]) > 1e-6).any(axis=1), np.inf, np.diag(np.linalg.pinv(r)))
    return np.diag(vec @ np.diag(1 / lam) @ vec.T)


def condition_number(x: np.ndarray) -> float:
    """Condition number of the column-standardised design (> 30 signals trouble)."""
    if x.shape[1] == 0:
        return 1.0
    sd = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    s = np.linalg.svd(z, compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] > 0 else float("inf")


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's raw relative weights from predictor correlations ``rxx`` and
    predictor-criterion correlations ``rxy``; they sum to the model R²."""
    lam, vec = np.linalg.eigh(rxx)
    lam = np.clip(lam, 1e-12, None)
    half = (vec * np.sqrt(lam)) @ vec.T
    beta = (vec / np.sqrt(lam)) @ vec.T @ rxy
    return (half**2) @ (beta**2)


def _partial_correlations(gram: np.ndarray, n_ctrl: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlations of [X, y] after partialling out the first ``n_ctrl`` columns
    (intercept included) of a Gram matrix over [C, X, y], via the Schur complement."""
    c = slice(0, n_ctrl)
    rest = slice(n_ctrl, gram.shape[0])
    s = gram[rest, rest] - gram[rest, c] @ np.linalg.pinv(gram[c, c]) @ gram[c, rest]
    d = np.sqrt(np.clip(np.diag(s), 1e-300, None))
    r = s / np.outer(d, d)
    return r[:-1, :-1], r[:-1, -1]


def _ols_hc3(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS coefficients, HC3 robust standard errors (scores are bounded and skewed, so
    homoscedastic errors are the wrong default) and R²."""
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    h = ((x @ xtx_inv) * x).sum(axis=1)
    u = resid / np.clip(1 - h, 1e-8, None)
    meat = (x * u[:, None] ** 2).T @ x
    cov = xtx_inv @ meat @ xtx_inv
    tss = ((y - y.mean()) ** 2).sum()
    r2 = 1 - (resid**2).sum() / tss if tss > 0 else np.nan
    return beta, np.sqrt(np.clip(np.diag(cov), 0, None)), float(r2)


def bc_interval(reps: np.ndarray, estimate: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected percentile bootstrap interval per column. Relative weights are
    sums of squares, biased upwards in resamples, so plain percentiles sit too high."""
    frac = np.clip((reps < estimate[None, :]).mean(axis=0) + 0.5 * (reps == estimate[None, :]).mean(axis=0),
                   1 / (2 * len(reps)), 1 - 1 / (2 * len(reps)))
    z0 = stats.norm.ppf(frac)
    z = stats.norm.ppf(0.5 + level / 2)
    q_lo, q_hi = stats.norm.cdf(2 * z0 - z), stats.norm.cdf(2 * z0 + z)
    lo = np.array([np.quantile(reps[:, j], q_lo[j]) for j in range(reps.shape[1])])
    hi = np.array([np.quantile(reps[:, j], q_hi[j]) for j in range(reps.shape[1])])
    return lo, hi


def key_drivers(y: np.ndarray, presence: np.ndarray, sentiment: np.ndarray | None = None,
                controls: pd.DataFrame | None = None, min_count: int = 5, max_vif: float = 10.0,
                n_boot: int = 0, random_state: int = 0, level: float = 0.95) -> KeyDriverResult:
    """Fit the key driver model of ``y`` (NaN = unscored, left out) on ``presence`` (n × T).

    ``sentiment`` is per document (n,) or, better, the sentiment of each theme's own
    clauses (n × T); it is centred among each theme's mentioners, so ``coef`` is the
    effect of a mention of average tone.

    Themes mentioned by fewer than ``min_count`` scored rows (or by all) are left out;
    the theme-related column with the largest VIF is dropped while any exceeds
    ``max_vif``. Returns per theme: ``coef`` (controlled effect of a mention at average
    sentiment) with HC3 interval, ``sentiment_coef`` (how much more a mention moves the
    score per unit of sentiment), ``vif``, ``relative_weight`` (share of R², 0-1) and
    ``relative_weight_pct`` with a bias-corrected bootstrap interval when ``n_boot`` > 0.
    """
    # Products here are narrow (p <= ~60 columns): BLAS threads only contend, badly so on a
    # busy machine, so the fit runs single-threaded.
    with threadpool_limits(limits=1, user_api="blas"):
        return _key_drivers(y, presence, sentiment, controls, min_count, max_vif, n_boot, random_state, level)


def _key_drivers(y: np.ndarray, presence: np.ndarray, sentiment: np.ndarray | None,
                 controls: pd.DataFrame | None, min_count: int, max_vif: float,
                 n_boot: int, random_state: int, level: float) -> KeyDriverResult:
    """The body of :func:`key_drivers`."""
    y = np.asarray(y, dtype=float)
    ok = ~np.isnan(y)
    ys = y[ok]
    pres = np.asarray(presence, dtype=bool)[ok]
    n, t = pres.shape
    cols = ["coef", "coef_ci_low", "coef_ci_high", "sentiment_coef", "vif", "relative_weight",
            "relative_weight_pct", "relative_weight_ci_low", "relative_weight_ci_high"]
    res = {c: np.full(t, np.nan) for c in cols}
    note = np.full(t, "", dtype=object)

    def result(diag: dict[str, Any]) -> KeyDriverResult:
        return KeyDriverResult(pd.DataFrame({**res, "kd_note": note}), diag)

    diag: dict[str, Any] = {"n": int(n), "dropped": []}
    k = pres.sum(axis=0)
    keep = np.flatnonzero((k >= min_count) & (k < n))
    note[k < min_count] = f"fewer than {min_count} scored mentions"
    if n < 10 or keep.size == 0 or np.nanvar(ys) == 0:
        diag["skipped"] = "too few scored rows, themes or no score variance"
        return result(diag)

    # design: theme presence, theme × centred sentiment, controls
    xs = [pres[:, keep].astype(float)]
    names = [("presence", int(j)) for j in keep]
    if sentiment is not None:
        s = np.asarray(sentiment, dtype=float)[ok]
        s = s[:, keep] if s.ndim == 2 else np.repeat(s[:, None], keep.size, axis=1)
        among = np.where(xs[0] > 0, s, np.nan)
        counts = np.sum(~np.isnan(among), axis=0)
        # centred among mentioners (a theme no scored row mentions keeps its raw sentiment)
        means = np.divide(np.nansum(among, axis=0), counts, out=np.zeros(among.shape[1]), where=counts > 0)
        centred = s - means
        inter = xs[0] * np.nan_to_num(centred)
        var_ok = inter.std(axis=0) > 1e-9
        xs.append(inter[:, var_ok])
        names += [("sentiment", int(j)) for j in keep[var_ok]]
    x = np.column_stack(xs)
    cm, cnames = control_matrix(None if controls is None else controls.loc[ok].reset_index(drop=True),
                                n_rows=x.shape[0])
    cm = cm[:, cm.std(axis=0) > 0] if cm.shape[1] else cm
    # multicollinearity: drop the worst theme column until every VIF <= max_vif
    while x.shape[1] > 1:
        v = vif(np.column_stack([x, cm]))[: x.shape[1]]
        worst = int(np.argmax(v))
        if not np.isfinite(v[worst]) or v[worst] > max_vif:
            diag["dropped"].append({"term": names[worst][0], "theme": names[worst][1], "vif": float(v[worst])})
            note[names[worst][1]] = f"{names[worst][0]} term dropped (VIF {v[worst]:.1f})"
            x = np.delete(x, worst, axis=1)
            names.pop(worst)
            continue
        break
    v = vif(np.column_stack([x, cm]))[: x.shape[1]]
    diag["condition_number"] = condition_number(np.column_stack([x, cm]))
    diag["max_vif"] = float(v.max()) if v.size else 1.0
    diag["controls"] = cnames

    design = np.column_stack([np.ones(n), cm, x])
    beta, se, r2 = _ols_hc3(design, ys)
    z = float(stats.norm.ppf(0.5 + level / 2))
    off = 1 + cm.shape[1]
    diag["r2"] = r2
    term = np.array([nm[0] for nm in names])
    owner_all = np.array([nm[1] for nm in names], dtype=int)
    b, e = beta[off:], se[off:]
    pr, st = term == "presence", term == "sentiment"
    res["coef"][owner_all[pr]] = b[pr]
    res["coef_ci_low"][owner_all[pr]] = b[pr] - z * e[pr]
    res["coef_ci_high"][owner_all[pr]] = b[pr] + z * e[pr]
    res["vif"][owner_all[pr]] = v[pr]
    res["sentiment_coef"][owner_all[st]] = b[st]

    # relative weights over theme presence, controls partialled out. Interactions stay
    # out: with document-level sentiment they mostly re-measure overall sentiment, which
    # would hand weight to any frequent theme whatever its own effect.
    full = np.column_stack([np.ones(n), cm, x[:, pr], ys])
    owner = owner_all[pr]
    group = (owner[:, None] == np.arange(t)[None, :]).astype(float)  # columns → themes

    def weights(w: np.ndarray) -> np.ndarray:
        gram = (full * w[:, None]).T @ full
        rxx, rxy = _partial_correlations(gram, off)
        return relative_weights(rxx, rxy) @ group

    raw = weights(np.ones(n))
    diag["partial_r2_themes"] = float(raw.sum())
    used = np.isin(np.arange(t), owner)
    res["relative_weight"][used] = raw[used]
    res["relative_weight_pct"][used] = 100 * raw[used] / raw.sum() if raw.sum() > 0 else np.nan
    if n_boot > 0:
        rng = np.random.default_rng(random_state)
        p = np.full(n, 1.0 / n)
        reps = np.array([weights(w) for start in range(0, n_boot, 32)
                         for w in rng.multinomial(n, p, size=min(32, n_boot - start)).astype(float)])
        lo, hi = bc_interval(reps, raw, level)
        res["relative_weight_ci_low"][used] = lo[used]
        res["relative_weight_ci_high"][used] = hi[used]
    return result(diag)
