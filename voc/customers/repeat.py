"""Repeat contact and channel switching: where customers have to say it again.

A customer who writes again about the same issue (or touchpoint) within ``repeat_days``
of their last message about it made a repeat contact; one who did so through another
channel switched channel. Per issue and per touchpoint: the share of the customers who
raised it that had to come back, and that switched, with Wilson 95% intervals (a rate
on ten customers is not a rate on ten thousand), beside the share of its messages whose
text already says so (the ``effort`` flag: "third time I've called").

Vectorised (explode, sort, shift within groups); no loop over customers or messages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.language.stage import agent_mask, analysed_mask

COLUMNS = ["kind", "key", "label", "customers", "repeat_customers", "repeat_rate", "repeat_low", "repeat_high",
           "switch_customers", "switch_rate", "switch_low", "switch_high", "messages", "effort_share"]


def wilson(k: np.ndarray, n: np.ndarray, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes in n trials (NaN where n is 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _per_key(d: pd.DataFrame, column: str, kind: str, window: pd.Timedelta, labels: dict | None) -> pd.DataFrame:
    ex = d[["customer", "date", "channel", "effort", column]].explode(column).dropna(subset=[column])
    if kind == "issue":
        ex = ex[ex[column].astype(int) >= 0]
    if ex.empty:
        return pd.DataFrame(columns=COLUMNS)
    ex = ex.rename(columns={column: "key"}).sort_values(["customer", "key", "date"], kind="stable")
    g = ex.groupby(["customer", "key"], sort=False)
    gap = ex["date"] - g["date"].shift()
    ex["repeat"] = gap.notna() & (gap <= window)
    prev_channel = g["channel"].shift()
    ex["switch"] = ex["repeat"] & prev_channel.notna() & ex["channel"].notna() & (ex["channel"] != prev_channel)
    per_customer = ex.groupby(["key", "customer"], sort=False).agg(repeat=("repeat", "any"), switch=("switch", "any"))
    per_key = per_customer.groupby(level="key").agg(customers=("repeat", "size"), repeat_customers=("repeat", "sum"),
                                                    switch_customers=("switch", "sum"))
    msgs = ex.groupby("key").agg(messages=("effort", "size"), effort_share=("effort", "mean"))
    out = per_key.join(msgs).reset_index()
    out["kind"] = kind
    out["label"] = out["key"].map(labels) if labels else out["key"]
    for name in ("repeat", "switch"):
        k = out[f"{name}_customers"].to_numpy()
        n = out["customers"].to_numpy()
        out[f"{name}_rate"] = k / n
        out[f"{name}_low"], out[f"{name}_high"] = wilson(k, n)
    out["key"] = out["key"].astype(str)
    return out[COLUMNS]


def repeat_contacts(docs: pd.DataFrame, repeat_days: float = 7.0, theme_labels: dict | None = None) -> pd.DataFrame:
    """Per issue (``theme_ids``) and per touchpoint: customers who raised it, the share who
    wrote again about it within ``repeat_days`` (and the share who did so on another
    channel), with Wilson 95% intervals, and the share of its messages flagged ``effort``.

    Uses the customers' own analysed, dated messages; needs ``customer`` and ``date``
    (empty table otherwise). Sorted by repeat customers, most first."""
    need = {"customer", "date"}
    if not need <= set(docs.columns) or repeat_days <= 0:
        return pd.DataFrame(columns=COLUMNS)
    d = docs[(docs["customer"].notna() & docs["date"].notna()).to_numpy() & ~agent_mask(docs) & analysed_mask(docs)]
    d = d.assign(channel=d["channel"] if "channel" in d.columns else pd.NA,
                 effort=d["effort"].astype("boolean").fillna(False).astype(bool) if "effort" in d.columns else False)
    window = pd.Timedelta(days=float(repeat_days))
    parts = []
    if "theme_ids" in d.columns:
        parts.append(_per_key(d, "theme_ids", "issue", window, theme_labels))
    if "touchpoints" in d.columns:
        parts.append(_per_key(d, "touchpoints", "touchpoint", window, None))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["repeat_customers", "customers"], ascending=False, kind="stable").reset_index(drop=True)
