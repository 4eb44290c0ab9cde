"""Every customer and conversation table of a run, from its documents (called by the
Analyzer after the stages, when the conversation roles are mapped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc.customers.outcomes import OutcomeSpec, outcome_effects, unit_outcomes
from voc.customers.repeat import repeat_contacts
from voc.customers.table import customer_table
from voc.customers.threads import (first_response_durations, resolution_durations, service_times, service_times_by,
                                   thread_table, times_by_key)


def conversation_tables(docs: pd.DataFrame, themes: pd.DataFrame | None, scores: Sequence[str] = (),
                        repeat_days: float = 7.0, outcomes: Sequence[OutcomeSpec] = (),
                        segments: Sequence[str] = ()) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """(tables, run metadata): ``customers`` and ``repeat_contacts`` (with a ``customer``
    column; repeat contacts need a ``date`` too), ``threads`` and ``service_times`` (with
    ``thread`` and ``author_role``), the overall time to first response, unanswered
    threads censored at the last date in the data, and ``outcomes``: each issue's and
    touchpoint's effect on every outcome (per customer when customers are mapped, else
    per document; ``segments`` and the channel are the adjusted model's controls). Empty
    when ``docs`` has none of those columns, so callers need not check first."""
    labels = dict(zip(themes["theme_id"], themes["label"])) if themes is not None and len(themes) else None
    tables: dict[str, pd.DataFrame] = {}
    meta: dict[str, Any] = {}
    by_customer = "customer" in docs.columns and docs["customer"].notna().any()
    if {"opened", "closed"} <= set(docs.columns):
        tables["resolution_times"], meta["resolution"] = _resolution(docs, labels)
    units = None
    if outcomes:
        tables["outcomes"], meta["outcomes"], units = _outcomes(docs, outcomes, segments, labels, by_customer)
    if by_customer:
        tables["customers"] = customer_table(docs, scores)
        if units is not None:  # each customer's outcomes as the effects read them: their last known value
            values = units.set_index(units["unit"].astype(str))[[o.name for o in outcomes]]
            tables["customers"] = tables["customers"].join(values, on="customer")
        if "date" in docs.columns:
            tables["repeat_contacts"] = repeat_contacts(docs, float(repeat_days), labels)
    if "thread" in docs.columns and "author_role" in docs.columns:
        threads = thread_table(docs)
        end = docs["date"].max() if "date" in docs.columns else None
        hours, observed = first_response_durations(threads, end=end if pd.notna(end) else None)
        overall = service_times(hours, observed)
        tables["threads"] = threads
        tables["service_times"] = service_times_by(docs, threads, hours, observed, labels)
        meta["threads"] = {
            "threads": int(len(threads)), "answered": int(threads["answered"].sum()),
            "first_response_censored_at": "the last date in the data",
            "first_response_hours": {k: (None if pd.isna(v) else round(float(v), 4))
                                     for k, v in overall.iloc[0].items() if k != "group"} if len(overall) else None}
    return tables, meta


def _outcomes(docs: pd.DataFrame, specs: Sequence[OutcomeSpec], segments: Sequence[str], labels: dict | None,
              by_customer: bool) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """outcomes.csv (one row per outcome × issue or touchpoint, with its label), what
    run.json says of it (the level, how many units, each outcome's base rate or mean) and
    the units' table (their outcome values)."""
    level = "customer" if by_customer else "document"
    units = unit_outcomes(docs, specs, level, segments)
    effects = outcome_effects(units, specs)
    effects.insert(effects.columns.get_loc("key") + 1, "label", [
        (labels or {}).get(k, str(k)) if d == "issue" else str(k) for d, k in zip(effects["dimension"], effects["key"])])
    meta: dict[str, Any] = {"level": level, "units": int(len(units.table)), "controls": list(units.controls),
                            "by_outcome": {}}
    for spec in specs:
        y = units.table[spec.name].to_numpy(dtype=float)
        known = y[~np.isnan(y)]
        kind = str(effects.loc[effects["outcome"] == spec.name, "outcome_kind"].iloc[0]) \
            if (effects["outcome"] == spec.name).any() else spec.kind
        meta["by_outcome"][spec.name] = {"kind": kind, "units_known": int(known.size),
                                         "mean": None if not known.size else round(float(known.mean()), 6)}
    return effects, meta, units.table


def priority_rows(effects: pd.DataFrame, outcome: str, themes: pd.DataFrame | None) -> pd.DataFrame:
    """One outcome's effects as the drivers' rows, for :func:`voc.drivers.priorities.priority_list`:
    ``mention_delta`` is the difference between units that raised the issue and the rest,
    ``impact`` that difference × the share of units that raised it (how far the overall
    churn rate, mean value or wait would move if they fared like the rest), so a ranking by
    outcome weighs volume as the score's ranking does."""
    e = effects[(effects["outcome"] == outcome) & effects["difference"].notna()].copy()
    n = (e["units_with"] + e["units_without"]).clip(lower=1)
    share = e["units_with"] / n
    t = themes.set_index("theme_id") if themes is not None and len(themes) else None
    keys = e["key"].to_numpy()

    def theme_value(col: str) -> list[Any]:
        if t is None or col not in t.columns:
            return [None] * len(e)
        return [t[col].get(k) if d == "issue" else None for d, k in zip(e["dimension"], keys)]

    parent = theme_value("parent_id")
    aspect = [t["label"].get(p) if t is not None and p is not None and p in t.index else None for p in parent]
    binary = e["outcome_kind"].eq("binary").to_numpy()
    return pd.DataFrame({
        "score": outcome, "kind": "outcome:" + e["outcome_kind"].astype(str), "metric": np.where(binary, "rate", "mean"),
        "dimension": np.where(e["dimension"].eq("issue"), "theme", e["dimension"]), "key": keys,
        "label": e["label"].to_numpy(), "higher_is_better": e["higher_is_better"].astype(bool).to_numpy(),
        "volume": e["units_with"].to_numpy(), "share": share.to_numpy(),
        "impact": (share * e["difference"]).to_numpy(), "impact_ci_low": (share * e["difference_ci_low"]).to_numpy(),
        "impact_ci_high": (share * e["difference_ci_high"]).to_numpy(), "mention_delta": e["difference"].to_numpy(),
        "mention_delta_ci_low": e["difference_ci_low"].to_numpy(),
        "mention_delta_ci_high": e["difference_ci_high"].to_numpy(),
        "polarity": theme_value("polarity"), "aspect": aspect,
    })


def _resolution(docs: pd.DataFrame, labels: dict | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """resolution_times.csv (per issue and touchpoint, Kaplan-Meier, open tickets censored
    at the data's last time) and the overall figure for run.json."""
    times = [docs[c].max() for c in ("date", "opened", "closed") if c in docs.columns]
    end = max((t for t in times if pd.notna(t)), default=None)
    hours, observed, unit = resolution_durations(docs, end)
    overall = service_times(hours, observed)
    meta = {"unit": "ticket (thread)" if unit == "thread" else "document", "tickets": int(len(hours)),
            "closed": int(observed.sum()), "open_censored_at": "the last time in the data",
            "resolution_hours": {k: (None if pd.isna(v) else round(float(v), 4))
                                 for k, v in overall.iloc[0].items() if k != "group"} if len(overall) else None}
    return times_by_key(docs, unit, hours, observed, labels), meta
