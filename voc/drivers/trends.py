"""Volume, sentiment and score per period, trend tests and emerging themes.

A theme's trend is tested with the Cochran-Armitage test for a linear trend in its
share of documents across periods (the natural test for proportions over ordered
groups); its slope is the weighted least-squares change in share per period. A theme
is *emerging* in a period when it was absent from the previous ``window`` periods and
now has at least ``min_count`` mentions, or when its share of documents or its negative
share rose above its recent range (the max of the previous ``window`` periods) and a
one-sided two-proportion test against those periods pooled is significant after a
Benjamini-Hochberg correction over every test in the table.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from voc.drivers.impact import bh_qvalues

Freq = Literal["auto", "month", "week"]


def assign_periods(dates: pd.Series, freq: Freq = "auto") -> tuple[pd.Series, str]:
    """Period start per row (NaT where the date is missing) and the frequency used:
    months when the data span more than ~four months, otherwise weeks."""
    d = pd.to_datetime(dates, errors="coerce")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    if freq == "auto":
        span = (d.max() - d.min()) if d.notna().any() else pd.Timedelta(0)
        freq = "month" if span > pd.Timedelta(days=120) else "week"
    code = "M" if freq == "month" else "W-SUN"
    return d.dt.to_period(code).dt.start_time, freq


def trend_test(counts: np.ndarray, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cochran-Armitage trend test per column of ``counts`` (periods × themes) given
    ``totals`` docs per period: WLS slope of share per period, z and two-sided p."""
    counts = np.asarray(counts, dtype=float)
    totals = np.asarray(totals, dtype=float)
    use = totals > 0
    counts, totals = counts[use], totals[use]
    if counts.shape[0] < 2:
        nan = np.full(counts.shape[1], np.nan)
        return nan, nan, nan
    tpos = np.arange(counts.shape[0], dtype=float)
    big_n = totals.sum()
    tbar = (totals * tpos).sum() / big_n
    sxx = (totals * (tpos - tbar) ** 2).sum()
    num = ((tpos - tbar)[:, None] * counts).sum(axis=0)
    p = counts.sum(axis=0) / big_n
    with np.errstate(invalid="ignore", divide="ignore"):
        z = num / np.sqrt(p * (1 - p) * sxx)
    slope = num / sxx
    return slope, z, 2 * stats.norm.sf(np.abs(z))


def trend_labels(slope: np.ndarray, p: np.ndarray, alpha: float = 0.05) -> list[str]:
    """rising / falling / flat by the trend test, n/a without enough periods."""
    out = []
    for s, pv in zip(slope, p):
        if not np.isfinite(pv):
            out.append("n/a")
        elif pv < alpha:
            out.append("rising" if s > 0 else "falling")
        else:
            out.append("flat")
    return out


def _rise_p(k: np.ndarray, n: np.ndarray, k0: np.ndarray, n0: np.ndarray) -> np.ndarray:
    """One-sided p of a two-proportion z test that k/n exceeds k0/n0 (pooled variance)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = k / n, k0 / n0
        pool = (k + k0) / (n + n0)
        z = (p1 - p0) / np.sqrt(pool * (1 - pool) * (1 / n + 1 / n0))
    return np.where(np.isfinite(z), stats.norm.sf(z), np.nan)


def period_table(period: pd.Series, members: np.ndarray, keys: list, labels: list[str], dimension: str,
                 sentiment: np.ndarray, negative: np.ndarray, scores: dict[str, np.ndarray],
                 window: int = 3, min_count: int = 5, alpha: float = 0.05) -> pd.DataFrame:
    """Period × key table (plus a ``dimension == "all"`` row per period): volume, share,
    mean sentiment, negative share, mean of each score's metric among mentioners, and the
    emerging flag with its reason and q-value."""
    has = period.notna().to_numpy()
    if not has.any():
        return pd.DataFrame()
    per = period[has].to_numpy()
    m = np.asarray(members, dtype=bool)[has]
    m = np.column_stack([np.ones(len(per), dtype=bool), m])
    keys_all = ["all", *keys]
    labels_all = ["all documents", *labels]
    uniq, inv = np.unique(per, return_inverse=True)
    onehot = (inv[:, None] == np.arange(uniq.size)[None, :]).astype(float)  # docs × periods
    mf = m.astype(float)
    vol = onehot.T @ mf  # periods × keys
    totals = onehot.sum(axis=0)
    sent = np.nan_to_num(np.asarray(sentiment, dtype=float)[has])
    neg = np.asarray(negative, dtype=float)[has]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_sent = (onehot.T @ (mf * sent[:, None])) / vol
        neg_k = onehot.T @ (mf * neg[:, None])
        neg_share = neg_k / vol
    frame: dict[str, np.ndarray] = {
        "period": np.repeat(uniq, len(keys_all)),
        "dimension": np.tile(np.array(["all", *[dimension] * len(keys)], dtype=object), uniq.size),
        "key": np.tile(np.array(keys_all, dtype=object), uniq.size),
        "label": np.tile(np.array(labels_all, dtype=object), uniq.size),
        "volume": vol.ravel().astype(int),
        "n_docs": np.repeat(totals, len(keys_all)).astype(int),
        "share": (vol / totals[:, None]).ravel(),
        "mean_sentiment": mean_sent.ravel(),
        "negative_share": neg_share.ravel(),
    }
    for name, yv in scores.items():
        yh = np.asarray(yv, dtype=float)[has]
        sc = ~np.isnan(yh)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame[f"score_{name}"] = ((onehot.T @ (mf * np.nan_to_num(yh)[:, None])) /
                                      (onehot.T @ (mf * sc[:, None]))).ravel()
    out = pd.DataFrame(frame)

    # emerging: new vs previous `window` periods, or share / negative share above recent range
    n_per = uniq.size
    new = np.zeros_like(vol, dtype=bool)
    p_vol = np.full(vol.shape, np.nan)
    p_neg = np.full(vol.shape, np.nan)
    above_vol = np.zeros_like(new)
    above_neg = np.zeros_like(new)
    share = vol / totals[:, None]
    for i in range(1, n_per):
        lo = max(0, i - window)
        hv, ht, hn = vol[lo:i], totals[lo:i], neg_k[lo:i]
        new[i] = (hv.sum(axis=0) == 0) & (vol[i] >= min_count)
        above_vol[i] = (share[i] > share[lo:i].max(axis=0)) & (vol[i] >= min_count)
        p_vol[i] = _rise_p(vol[i], np.full(vol.shape[1], totals[i]), hv.sum(axis=0), np.full(vol.shape[1], ht.sum()))
        with np.errstate(invalid="ignore", divide="ignore"):
            recent_max = np.nanmax(np.where(hv > 0, neg_k[lo:i] / hv, -1), axis=0)
            above_neg[i] = (neg_share[i] > recent_max) & (vol[i] >= min_count)
        p_neg[i] = _rise_p(neg_k[i], vol[i], hn.sum(axis=0), hv.sum(axis=0))
    p_vol[:, 0] = p_neg[:, 0] = np.nan  # the "all" row is the denominator, not a theme
    q = bh_qvalues(np.concatenate([np.where(above_vol, p_vol, np.nan).ravel(),
                                   np.where(above_neg, p_neg, np.nan).ravel()]))
    q_vol, q_neg = q[: vol.size].reshape(vol.shape), q[vol.size:].reshape(vol.shape)
    rise_vol = above_vol & (q_vol < alpha)
    rise_neg = above_neg & (q_neg < alpha)
    new[:, 0] = rise_vol[:, 0] = rise_neg[:, 0] = False
    reason = np.where(new, "new", np.where(rise_vol & rise_neg, "volume+negative",
                                           np.where(rise_vol, "volume", np.where(rise_neg, "negative", ""))))
    out["emerging"] = (new | rise_vol | rise_neg).ravel()
    out["emerging_reason"] = reason.ravel()
    out["emerging_q"] = np.fmin(q_vol, q_neg).ravel()
    return out
