"""The priority list: what to fix first and what to protect.

A pain point is a theme whose remove-theme impact interval lies wholly on the harmful
side of zero; it is ranked by the interval bound nearest zero, i.e. the smallest harm
the data support at 95%. Impact already equals volume share × mention delta, so this is
the "conservative effect × volume" ranking: a small theme with a large, noisy delta does
not outrank a large theme with a solid one, and nothing without evidence is listed.
Strengths are the mirror image. Impacts are oriented by the score's direction first, so
for a lower-is-better score "harmful" means it pushes the score up. Where themes carry a
polarity (issues do), a pain point must be a negative issue and a strength a positive
one: "good quality" is never listed as a pain because its documents happen to score low.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["score", "score_kind", "metric", "kind", "rank", "dimension", "key", "label", "volume", "share", "impact",
           "impact_ci_low", "impact_ci_high", "conservative_impact", "mention_delta", "mention_delta_ci_low",
           "mention_delta_ci_high", "relative_weight_pct", "mean_sentiment", "negative_share", "trend", "emerging",
           "touchpoint", "aspect", "polarity"]


def priority_list(drivers: pd.DataFrame, top_n: int = 10, dimensions: tuple[str, ...] = ("theme",),
                  hidden: list[int] | tuple[int, ...] = ()) -> pd.DataFrame:
    """Top ``top_n`` pain points and strengths per score (and metric) from a drivers table;
    ``kind`` is ``pain`` or ``strength``, ``score_kind`` the score's kind (nps, csat...).
    Themes an analyst ``hidden`` are never listed."""
    keep = drivers["dimension"].isin(dimensions) & drivers["score"].notna()
    keep &= ~(drivers["dimension"].eq("theme") & drivers["key"].astype(str).isin([str(h) for h in hidden]))
    if "segment" in drivers.columns:  # the list is for the whole population
        keep &= drivers["segment"].fillna("all").eq("all")
    d = drivers[keep].rename(columns={"kind": "score_kind"})  # "kind" here is pain / strength
    if d.empty:
        return pd.DataFrame(columns=COLUMNS)
    sign = np.where(d["higher_is_better"].astype(bool), 1.0, -1.0)
    lo = np.where(sign > 0, d["impact_ci_low"], -d["impact_ci_high"])
    hi = np.where(sign > 0, d["impact_ci_high"], -d["impact_ci_low"])
    pol = d["polarity"].astype("string") if "polarity" in d.columns else pd.Series(pd.NA, index=d.index,
                                                                                    dtype="string")
    can_pain = (pol.isna() | pol.eq("negative")).to_numpy(dtype=bool)
    can_strength = (pol.isna() | pol.eq("positive")).to_numpy(dtype=bool)
    d["_pain"] = np.where((hi < 0) & can_pain, hi, np.nan)  # oriented bound nearest zero, negative
    d["_strength"] = np.where((lo > 0) & can_strength, lo, np.nan)
    parts = []
    for _, g in d.groupby(["score", "metric"], sort=False):
        for kind, col, asc in (("pain", "_pain", True), ("strength", "_strength", False)):
            top = g[g[col].notna()].sort_values(col, ascending=asc).head(top_n).copy()
            if top.empty:
                continue
            top["kind"] = kind
            top["rank"] = np.arange(1, len(top) + 1)
            s = np.where(top["higher_is_better"].astype(bool), 1.0, -1.0)
            top["conservative_impact"] = top[col] * s  # back in the score's own units
            parts.append(top)
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    for c in COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    return out[COLUMNS]
