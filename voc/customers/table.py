"""The customer table: one row per customer, from the documents of a run.

A CX team asks of customers what voc already answers of comments: what did they raise,
through which channels, did they end happier than they began. Built with pandas group-bys
(no loop over customers), so a million messages from 200k customers stay a matter of
seconds. Only the customer's own messages count as contacts; agents' replies never do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from voc.language.stage import agent_mask, analysed_mask

#: columns of customers.parquet, in order (score columns follow as ``latest_<label>``)
CUSTOMER_COLUMNS = ["customer", "contacts", "threads", "channels", "first_contact", "last_contact",
                    "touchpoints", "issues", "sentiment_first", "sentiment_last", "sentiment_change"]


def _ordered_unique(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per customer, the values of a list column in time order, each once (first mention)."""
    if column not in frame.columns:
        return pd.Series(dtype=object)
    ex = frame[["customer", "_order", column]].explode(column).dropna(subset=[column])
    ex = ex[ex[column].astype(str) != ""]
    ex = ex.drop_duplicates(["customer", column], keep="first").sort_values(["customer", "_order"], kind="stable")
    return ex.groupby("customer", sort=False)[column].agg(list)


def customer_table(docs: pd.DataFrame, scores: Sequence[str] = ()) -> pd.DataFrame:
    """One row per customer id in ``docs["customer"]``:

    * ``contacts`` (their messages), ``threads`` (distinct conversations), ``channels``
      (the channels they used, in order of first use), ``first_contact`` / ``last_contact``;
    * ``touchpoints`` and ``issues`` (theme labels) they raised, in time order, each once;
    * ``sentiment_first`` / ``sentiment_last``: the document sentiment score of their first
      and last analysed message, and ``sentiment_change`` (last - first; NaN with one);
    * ``latest_<score>`` for each score label in ``scores``: their most recent value.

    Time order is the ``date`` column when mapped, else the input order (``line``).
    Agents' messages (``author_role`` = agent) and rows without a customer id are left out."""
    if "customer" not in docs.columns:
        return pd.DataFrame(columns=CUSTOMER_COLUMNS)
    d = docs[docs["customer"].notna().to_numpy() & ~agent_mask(docs)]
    if d.empty:
        return pd.DataFrame(columns=CUSTOMER_COLUMNS)
    keys = [c for c in ("date", "line") if c in d.columns]
    d = d.sort_values(keys, kind="stable", na_position="last") if keys else d
    d = d.assign(_order=np.arange(len(d)), customer=d["customer"].astype(str))
    g = d.groupby("customer", sort=True)
    out = pd.DataFrame({"contacts": g.size()})
    out["threads"] = g["thread"].nunique() if "thread" in d.columns else out["contacts"]
    if "channel" in d.columns:
        out["channels"] = _ordered_unique(d.assign(channel=d["channel"].map(lambda v: [v])), "channel")
    else:
        out["channels"] = pd.Series(dtype=object)
    if "date" in d.columns:
        out["first_contact"] = g["date"].min()
        out["last_contact"] = g["date"].max()
    else:
        out["first_contact"] = out["last_contact"] = pd.NaT
    out["touchpoints"] = _ordered_unique(d, "touchpoints")
    out["issues"] = _ordered_unique(d, "theme_labels")
    if "sentiment_score" in d.columns:
        scored = d[d["sentiment_score"].notna().to_numpy() & analysed_mask(d)]
        sg = scored.groupby("customer", sort=True)["sentiment_score"]
        out["sentiment_first"] = sg.first()
        out["sentiment_last"] = sg.last()
        n = sg.size().reindex(out.index)
        out["sentiment_change"] = (out["sentiment_last"] - out["sentiment_first"]).where(n > 1)
    else:
        out["sentiment_first"] = out["sentiment_last"] = out["sentiment_change"] = np.nan
    for label in scores:
        if label in d.columns:
            out[f"latest_{label}"] = d[d[label].notna()].groupby("customer", sort=True)[label].last()
    for col in ("channels", "touchpoints", "issues"):
        out[col] = out[col].map(lambda v: v if isinstance(v, list) else [])
    out = out.reset_index()
    out["contacts"] = out["contacts"].astype("int64")
    out["threads"] = out["threads"].astype("int64")
    return out[CUSTOMER_COLUMNS + [c for c in out.columns if c.startswith("latest_")]]
