"""Every customer and conversation table of a run, from its documents (called by the
Analyzer after the stages, when the conversation roles are mapped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from voc.customers.repeat import repeat_contacts
from voc.customers.table import customer_table
from voc.customers.threads import first_response_durations, service_times, service_times_by, thread_table


def conversation_tables(docs: pd.DataFrame, themes: pd.DataFrame | None, scores: Sequence[str] = (),
                        repeat_days: float = 7.0) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """(tables, run metadata): ``customers`` and ``repeat_contacts`` (with a ``customer``
    column; repeat contacts need a ``date`` too), ``threads`` and ``service_times`` (with
    ``thread`` and ``author_role``), and the overall time to first response, unanswered
    threads censored at the last date in the data."""
    labels = dict(zip(themes["theme_id"], themes["label"])) if themes is not None and len(themes) else None
    tables: dict[str, pd.DataFrame] = {}
    meta: dict[str, Any] = {}
    if "customer" in docs.columns and docs["customer"].notna().any():
        tables["customers"] = customer_table(docs, scores)
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
